"""Insecure on purpose (breaks `cert-hostname-match`): two scoring services, each with its own
certificate, and a hand-written DNS record `fraud.contoso.test` that points at the *scoring*
service (a copy-paste slip). The fraud certificate exists in the stack, but the endpoint behind the
record serves the scoring certificate: clients get a name mismatch.

The fix: point the record at the service whose certificate covers it (`cname=fraud.fqdn`), or use
DnsRecordBinding(target=fraud, certificate=fraud_cert)."""

import pulumi_azure_native.dns as dns

from secure_scoring import CertificateBundle, CertificateBundleArgs, SecureAciService, SecureAciServiceArgs


def service(name: str) -> SecureAciService:
    cert = CertificateBundle(
        f"{name}-tls", CertificateBundleArgs(source="self_signed", hostnames=[f"{name}.contoso.test"])
    )
    return SecureAciService(
        name,
        SecureAciServiceArgs(
            resource_group_name="rg-scoring-dev",
            certificate=cert,
            hostname=f"{name}.contoso.test",
            dns_name_label=f"contoso-{name}-dev",
        ),
    )


scoring = service("scoring")
fraud = service("fraud")

dns.RecordSet(
    "fraud",
    zone_name="contoso.test",
    resource_group_name="rg-dns",
    relative_record_set_name="fraud",
    record_type="CNAME",
    ttl=300,
    cname_record=dns.CnameRecordArgs(cname=scoring.fqdn),  # the slip: should be fraud.fqdn
)
