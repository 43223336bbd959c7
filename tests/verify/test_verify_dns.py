"""The dns step (components/secure_scoring/verify/dns.py) against a real NSD on loopback: the
CNAME chain to the service FQDN, wrong addresses and targets, missing records, loops."""

from __future__ import annotations

import socket

import pytest

from secure_scoring.verify import PASS, SKIP
from support.fixtures_dataplane import HOSTNAME, SECONDARY_KEY
from support.fixtures_verify import ACI_FQDN, ACI_ZONE, assert_only_failure

dataplane = pytest.mark.dataplane  # on the tests that start or use real servers


@dataplane
def test_secondary_key_and_cname_chain_to_the_service_fqdn(verify_env):
    # the custom name is a CNAME to the ACI FQDN, as DnsRecordBinding creates it
    verify_env.dns.set_records(ACI_ZONE, [("scoring-abc123", "A", 120, "127.0.0.1")])
    verify_env.point(("scoring", "CNAME", 300, ACI_FQDN))
    report = verify_env.verify("secure", key=SECONDARY_KEY, expect_target=ACI_FQDN)
    assert report.ok, report.to_dict()
    dns_detail = report.step("dns").detail
    assert f"{HOSTNAME} CNAME {ACI_FQDN} (TTL 300 s)" in dns_detail
    assert f"{ACI_FQDN} A 127.0.0.1 (TTL 120 s)" in dns_detail
    assert report.step("auth-credential").status == PASS


@dataplane
def test_dns_pointing_to_another_address_is_caught_without_contacting_it(verify_env):
    port = verify_env.gateways["secure"].port
    verify_env.point(("scoring", "A", 60, "127.0.0.2"))
    # a listener on the wrong address: verify must not connect to it
    trap = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    trap.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    trap.bind(("127.0.0.2", port))
    trap.listen(8)
    trap.setblocking(False)
    try:
        report = verify_env.verify("secure", expect_ip="127.0.0.1")
        with pytest.raises(BlockingIOError):
            trap.accept()
    finally:
        trap.close()
    assert_only_failure(report, "dns", "resolves to 127.0.0.2, expected 127.0.0.1", "TTL 60 s")
    assert "nothing was sent to 127.0.0.2" in report.step("dns").detail
    assert "dns-change" in report.step("dns").fix
    assert all(s.status == SKIP for s in report.steps[1:])


@dataplane
def test_dns_pointing_elsewhere_without_expectation_fails_at_tcp(verify_env):
    verify_env.point(("scoring", "A", 60, "127.0.0.2"))  # nothing listens there
    report = verify_env.verify("secure")
    assert report.step("dns").status == PASS
    assert_only_failure(report, "tcp", "cannot connect to 127.0.0.2")


@dataplane
def test_cname_to_the_wrong_target(verify_env):
    verify_env.dns.set_records(ACI_ZONE, [("old-service", "A", 60, "127.0.0.1")])
    verify_env.point(("scoring", "CNAME", 60, f"old-service.{ACI_ZONE}"))
    report = verify_env.verify("secure", expect_target=ACI_FQDN)
    assert_only_failure(report, "dns", f"does not point at {ACI_FQDN}", f"CNAME old-service.{ACI_ZONE}")


@dataplane
def test_missing_record(verify_env):
    verify_env.point(("somethingelse", "A", 60, "127.0.0.1"))
    report = verify_env.verify("secure")
    assert_only_failure(report, "dns", "does not exist (NXDOMAIN")


@dataplane
def test_cname_loop_and_dangling_cname(verify_env):
    verify_env.point(
        ("scoring", "CNAME", 60, "loop.example.test"), ("loop", "CNAME", 60, "scoring.example.test")
    )
    report = verify_env.verify("secure")
    assert_only_failure(report, "dns", "CNAME loop")
    verify_env.point(("scoring", "CNAME", 60, "nothing-here.example.test"))
    report = verify_env.verify("secure")
    assert_only_failure(report, "dns", "NXDOMAIN")
    verify_env.point(("scoring", "CNAME", 60, "txt-only.example.test"), ("txt-only", "TXT", 60, "no address"))
    report = verify_env.verify("secure")
    assert_only_failure(report, "dns", "has no A or AAAA record", "the chain ends at txt-only.example.test")


@dataplane
def test_several_addresses_with_one_unexpected_is_a_mismatch(verify_env):
    verify_env.point(("scoring", "A", 60, "127.0.0.1"), ("scoring", "A", 60, "127.0.0.3"))
    report = verify_env.verify("secure", expect_ip="127.0.0.1")
    assert_only_failure(report, "dns", "expected 127.0.0.1", "nothing was sent to 127.0.0.3")
    report = verify_env.verify("secure")  # no expectation: the first address is checked, and said so
    assert "checking 127.0.0.1, the first address" in report.step("dns").detail or (
        "checking 127.0.0.3, the first address" in report.step("dns").detail
    )
