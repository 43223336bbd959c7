"""The records DnsRecordBinding would create, served by a real DNS server (NSD), resolve as intended.

Each program runs under ``secure_scoring.gate.mocking.run_with_mocks``; the recorded ``RecordSet`` /
``PrivateRecordSet`` wire inputs (exactly what would go to Azure) are turned into zone records and
served by NSD on 127.0.0.1. dnspython resolves the service name against NSD only. The ACI case
serves the container group's FQDN too (Azure's own zone), with the IP the mocked group reports, so
the whole chain a client follows is checked: custom name → CNAME → ACI FQDN → A.

Only DNS traffic to 127.0.0.1 is sent; the addresses served (mock Azure IPs) are never contacted,
except the last test, which stands the group's IP in for 127.0.0.1 and runs ``verify`` end to end.
"""

from __future__ import annotations

from typing import Any

import dns.rdataclass
import dns.rdatatype
import pytest

from secure_scoring.components.aci import SecureAciService, SecureAciServiceArgs
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs
from secure_scoring.gate.mocking import output_value, run_with_mocks
from secure_scoring.verify import PASS, verify
from support.fixtures_dataplane import HOSTNAME, PRIMARY_KEY

pytestmark = pytest.mark.dataplane

PUBLIC = "azure-native:dns:RecordSet"
PRIVATE = "azure-native:privatedns:PrivateRecordSet"
GROUP = "azure-native:containerinstance:ContainerGroup"
ZONE = "example.test"


def zone_records(resource) -> tuple[str, list[tuple[str, str, int, str]]]:
    """A recorded (Private)RecordSet → (zone, [(name, type, ttl, value)]) for NsdServer.

    Reads the wire inputs only, the way Azure DNS would interpret them.
    """
    wire = resource.wire_inputs
    zone = wire.get("zoneName") or wire["privateZoneName"]
    name = wire["relativeRecordSetName"]
    ttl = int(wire["ttl"])  # numbers arrive as floats on the wire
    rtype = wire["recordType"]
    if rtype == "CNAME":
        values = [wire["cnameRecord"]["cname"]]
    elif rtype == "A":
        assert "targetResource" not in wire, "alias records have no address to serve"
        values = [r["ipv4Address"] for r in wire["aRecords"]]
    elif rtype == "AAAA":
        values = [r["ipv6Address"] for r in wire["aaaaRecords"]]
    else:  # pragma: no cover - DnsRecordBinding makes no other type
        raise AssertionError(f"unexpected record type {rtype}")
    return zone, [(name, rtype, ttl, value) for value in values]


def aci_program(box: dict[str, Any], *, ttl: int = 120):
    def program():
        cert = CertificateBundle(
            "cert",
            CertificateBundleArgs(source="self_signed", hostnames=[HOSTNAME], environment="dev"),
        )
        svc = SecureAciService(
            "svc",
            SecureAciServiceArgs(
                resource_group_name="rg",
                certificate=cert,
                hostname=HOSTNAME,
                dns_name_label="contoso-scoring",
            ),
        )
        box["svc"] = svc
        box["binding"] = DnsRecordBinding(
            "rec",
            DnsRecordBindingArgs(
                zone_name=ZONE, resource_group_name="rg", relative_name="scoring", target=svc, ttl=ttl
            ),
        )

    return program


def serve_aci_recording(dns_server, rec, *, group_ip: str | None = None) -> tuple[str, str]:
    """Serve the binding's record and the group's FQDN (A to its IP). → (fqdn, ip)."""
    zone, records = zone_records(rec.one(PUBLIC))
    ip_address = rec.one(GROUP).state["ipAddress"]
    fqdn, ip = ip_address["fqdn"].rstrip("."), group_ip or ip_address["ip"]
    label, _, aci_zone = fqdn.partition(".")
    dns_server.set_records(aci_zone, [(label, "A", 60, ip)])
    dns_server.set_records(zone, records)
    return fqdn, ip


def test_aci_binding_cname_chain_resolves_to_the_group_ip(dns_server):
    box: dict[str, Any] = {}
    rec = run_with_mocks(aci_program(box, ttl=120))
    zone, records = zone_records(rec.one(PUBLIC))
    assert zone == ZONE
    assert records == [("scoring", "CNAME", 120, "contoso-scoring.westeurope.azurecontainer.io")]
    fqdn, ip = serve_aci_recording(dns_server, rec)

    answer = dns_server.resolver().resolve(HOSTNAME, "A")
    assert str(answer.canonical_name).rstrip(".") == fqdn == output_value(box["svc"].fqdn)
    assert [r.address for r in answer] == [ip]
    cname = answer.response.find_rrset(
        answer.response.answer, answer.qname, dns.rdataclass.IN, dns.rdatatype.CNAME
    )
    assert cname.ttl == 120  # the TTL the component set
    assert output_value(box["binding"].fqdn) == HOSTNAME


def test_a_record_binding_resolves_to_its_address(dns_server):
    def program():
        DnsRecordBinding(
            "api",
            DnsRecordBindingArgs(
                zone_name=ZONE,
                resource_group_name="rg",
                relative_name="api.dev",
                target_ip="20.50.1.2",
                ttl=60,
                certificate_hostnames=["*.dev.example.test"],
            ),
        )

    rec = run_with_mocks(program)
    zone, records = zone_records(rec.one(PUBLIC))
    assert records == [("api.dev", "A", 60, "20.50.1.2")]
    dns_server.set_records(zone, records)
    answer = dns_server.resolver().resolve("api.dev.example.test", "A")
    assert [r.address for r in answer] == ["20.50.1.2"]
    assert answer.rrset.ttl == 60


def test_private_zone_a_record_resolves(dns_server):
    def program():
        DnsRecordBinding(
            "internal",
            DnsRecordBindingArgs(
                zone_name="scoring.internal.test",
                resource_group_name="rg",
                relative_name="@",
                target_ip="10.0.0.4",
                private=True,
            ),
        )

    rec = run_with_mocks(program)
    zone, records = zone_records(rec.one(PRIVATE))
    assert (zone, records) == ("scoring.internal.test", [("@", "A", 300, "10.0.0.4")])
    dns_server.set_records(zone, records)  # a zone the server did not serve yet
    try:
        answer = dns_server.resolver().resolve("scoring.internal.test", "A")
        assert [r.address for r in answer] == ["10.0.0.4"]
        assert answer.rrset.ttl == 300  # the component's default TTL
    finally:
        dns_server.remove_zone(zone)


def test_aci_records_then_verify_end_to_end(dns_server, make_gateway, pki):
    """The binding's records with the group's IP standing in as 127.0.0.1: verify passes, following
    the CNAME chain to the ACI FQDN the component would publish."""
    box: dict[str, Any] = {}
    rec = run_with_mocks(aci_program(box))
    fqdn, _ = serve_aci_recording(dns_server, rec, group_ip="127.0.0.1")
    gateway = make_gateway()
    try:
        report = verify(
            f"https://{HOSTNAME}:{gateway.port}/score",
            expect_target=fqdn,
            dns_server=dns_server.nameserver,
            ca_bundle=pki.ca_bundle_path,
            key=PRIMARY_KEY,
            timeout=3,
        )
    finally:
        gateway.stop()
    assert report.ok, report.to_dict()
    assert report.step("dns").status == PASS
    assert f"{HOSTNAME} CNAME {fqdn} (TTL 120 s)" in report.step("dns").detail
    assert f"{fqdn} A 127.0.0.1" in report.step("dns").detail
