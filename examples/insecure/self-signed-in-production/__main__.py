"""Insecure on purpose (breaks `no-self-signed-in-production`): a production stack that makes its
server certificate with pulumi-tls `SelfSignedCert`. No client trusts it, so clients end up
disabling certificate verification.

The fix: a certificate from a CA (CertificateBundle source 'pem', or CertificateBundle.from_files)."""

import pulumi
import pulumi_tls as tls

key = tls.PrivateKey("scoring-key", algorithm="ECDSA", ecdsa_curve="P256")
cert = tls.SelfSignedCert(
    "scoring-cert",
    private_key_pem=key.private_key_pem,
    subject=tls.SelfSignedCertSubjectArgs(common_name="scoring.example.com"),
    dns_names=["scoring.example.com"],
    allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
    validity_period_hours=24 * 365,
)
pulumi.export("cert_pem", cert.cert_pem)
