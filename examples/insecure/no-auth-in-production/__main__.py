"""Insecure on purpose (breaks `auth-required`): a production ACI scoring service with
`auth="none"`: anyone who finds the URL can call the model. TLS, the certificate and its hostname
are all fine (the example certificate of stacks/certs, CA-issued).

The fix: auth="key" (primary/secondary keys, `Authorization: Bearer <key>`)."""

from pathlib import Path

from secure_scoring import CertificateBundle, SecureAciService, SecureAciServiceArgs

CERTS = Path(__file__).resolve().parents[3] / "stacks" / "certs"  # example material

certificate = CertificateBundle.from_files(
    "tls",
    CERTS / "production-fullchain.pem",
    CERTS / "production.key",
    hostnames=["scoring.example.com"],
    environment="production",
    ca_bundle_file=CERTS / "example-root-ca.pem",  # the (example) CA the endpoint's clients trust
)
service = SecureAciService(
    "scoring",
    SecureAciServiceArgs(
        resource_group_name="rg-scoring-prod",
        location="westeurope",
        certificate=certificate,
        hostname="scoring.example.com",
        dns_name_label="example-scoring-prod",
        auth="none",
    ),
)
