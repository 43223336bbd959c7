"""Insecure on purpose (breaks `cert-hostname-match`): a correct SecureAciService for
scoring.example.com, plus a hand-written DNS record `api.example.com` (CNAME to the same container
group) that the certificate does not cover. Clients of api.example.com get a certificate name
error, and the usual "fix" is to turn verification off. DnsRecordBinding refuses such a record;
a raw `dns.RecordSet` does not, the policy pack does.

The fix: add the name to the certificate (SAN), or use DnsRecordBinding with the certificate."""

from pathlib import Path

import pulumi_azure_native.dns as dns

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
        auth="key",
    ),
)
api = dns.RecordSet(
    "api",
    resource_group_name="rg-dns",
    zone_name="example.com",
    relative_record_set_name="api",
    record_type="CNAME",
    ttl=300,
    cname_record=dns.CnameRecordArgs(cname=service.fqdn),
)
