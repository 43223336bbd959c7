"""Insecure on purpose (breaks `cert-expiry`, in a dev stack): a certificate that is valid for only
ten days, less than the pack's default minimum of 30 days. In a dev stack a self-signed certificate
is only an advisory finding; an expiring one is mandatory everywhere.

The fix: a longer validity (or renew now); `secure-scoring cert check --min-days N` shows the date."""

import pulumi
import pulumi_tls as tls

key = tls.PrivateKey("scoring-key", algorithm="ECDSA", ecdsa_curve="P256")
cert = tls.SelfSignedCert(
    "scoring-cert",
    private_key_pem=key.private_key_pem,
    subject=tls.SelfSignedCertSubjectArgs(common_name="scoring.dev.example.com"),
    dns_names=["scoring.dev.example.com"],
    allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
    validity_period_hours=24 * 10,
)
pulumi.export("cert_pem", cert.cert_pem)
