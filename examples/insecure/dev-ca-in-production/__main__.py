"""Insecure on purpose (breaks `no-self-signed-in-production`): the components are used, but the
certificate comes from a development CA made by the program itself (`source="dev_ca"`) and is
declared as a dev certificate, while the stack is production. The component cannot know which stack
it runs in; the policy pack does.

The fix: CertificateBundle.from_files(..., environment="production") with a CA-issued chain."""

from secure_scoring import CertificateBundle, CertificateBundleArgs, SecureAciService, SecureAciServiceArgs

certificate = CertificateBundle(
    "tls",
    CertificateBundleArgs(source="dev_ca", hostnames=["scoring.example.com"], environment="dev"),
)
service = SecureAciService(
    "scoring",
    SecureAciServiceArgs(
        resource_group_name="rg-scoring-prod",
        location="westeurope",
        certificate=certificate,
        hostname="scoring.example.com",
        dns_name_label="example-scoring-prod",
        auth="key",
    ),
)
