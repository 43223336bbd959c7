"""The NSD test harness (tests/support/dns_server.py) against the real NSD."""

from __future__ import annotations

import socket
import time

import dns.flags
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from support.dns_server import NsdError, NsdServer, Record, _group_alive

pytestmark = pytest.mark.dataplane


def _answer(message, rdtype):
    return [rrset for rrset in message.answer if rrset.rdtype == dns.rdatatype.from_text(rdtype)]


def test_serves_a_record_authoritatively_over_udp_and_tcp(dns_server):
    dns_server.set_records("example.test", [("svc", "A", 42, "127.0.0.1"), ("v6", "AAAA", 60, "::1")])
    assert dns_server.address == "127.0.0.1"
    for tcp in (False, True):
        response = dns_server.query("svc.example.test", "A", tcp=tcp)
        assert response.flags & dns.flags.AA, "NSD must answer authoritatively"
        (rrset,) = _answer(response, "A")
        assert rrset.ttl == 42
        assert [r.address for r in rrset] == ["127.0.0.1"]
    (v6,) = _answer(dns_server.query("v6.example.test", "AAAA"), "AAAA")
    assert [r.address for r in v6] == ["::1"]


def test_cname_chain_across_served_zones(dns_server):
    dns_server.set_records("eastus.azurecontainer.io", [("svc-abc", "A", 60, "127.0.0.1")])
    dns_server.set_records("example.test", [("scoring", "CNAME", 30, "svc-abc.eastus.azurecontainer.io")])
    answer = dns_server.resolver().resolve("scoring.example.test", "A")
    assert str(answer.canonical_name) == "svc-abc.eastus.azurecontainer.io."
    assert [r.address for r in answer] == ["127.0.0.1"]
    (cname,) = _answer(answer.response, "CNAME")
    assert cname.ttl == 30


def test_set_records_replaces_the_zone_and_bumps_the_serial(dns_server):
    dns_server.set_records("example.test", [("old", "A", 60, "127.0.0.1")])
    serial = dns_server.serial("example.test")
    assert dns_server.served_serial("example.test") == serial
    dns_server.set_records("example.test", [("new", "A", 60, "127.0.0.2")])
    assert dns_server.served_serial("example.test") == serial + 1
    response = dns_server.query("old.example.test", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    with pytest.raises(dns.resolver.NXDOMAIN):
        dns_server.resolver().resolve("old.example.test", "A")
    assert [r.address for r in dns_server.resolver().resolve("new.example.test", "A")] == ["127.0.0.2"]


def test_back_to_back_updates_are_each_served_at_once(dns_server):
    # Two updates within the file system's mtime granularity must both reach NSD, and right after
    # set_records returns no query may still be answered by the old server process (NSD drains the
    # shared socket with the old zone for a moment after a reload).
    for i in range(15):
        dns_server.set_records("eastus.azurecontainer.io", [("svc", "A", 60, f"127.0.0.{i + 1}")])
        dns_server.set_records("example.test", [(f"n{i}", "CNAME", 30, "svc.eastus.azurecontainer.io")])
        for _ in range(3):
            response = dns_server.query(f"n{i}.example.test", "A")
            assert response.rcode() == dns.rcode.NOERROR, f"update {i} not served yet"
            (a,) = _answer(response, "A")
            assert [r.address for r in a] == [f"127.0.0.{i + 1}"]


def test_record_objects_absolute_names_apex_and_txt(dns_server):
    dns_server.set_records(
        "example.test",
        [
            Record("@", "A", 60, "127.0.0.9"),
            ("abs.example.test.", "A", 60, "127.0.0.8"),
            ("rel.example.test", "A", 60, "127.0.0.7"),
            ("note", "TXT", 60, 'say "hi"'),
        ],
    )
    r = dns_server.resolver()
    assert [a.address for a in r.resolve("example.test", "A")] == ["127.0.0.9"]
    assert [a.address for a in r.resolve("abs.example.test", "A")] == ["127.0.0.8"]
    assert [a.address for a in r.resolve("rel.example.test", "A")] == ["127.0.0.7"]
    assert [b"".join(t.strings) for t in r.resolve("note.example.test", "TXT")] == [b'say "hi"']


@pytest.mark.parametrize(
    "record",
    [
        ("svc", "A", 60, "300.1.1.1"),
        ("svc", "AAAA", 60, "127.0.0.1"),
        ("svc", "MX", 60, "mail.example.test"),
        ("svc", "A", -1, "127.0.0.1"),
        ("svc.other.test.", "A", 60, "127.0.0.1"),
        ("svc", "A", 60),
    ],
)
def test_bad_records_are_refused_before_touching_the_server(dns_server, record):
    dns_server.set_records("example.test", [("keep", "A", 60, "127.0.0.1")])
    serial = dns_server.serial("example.test")
    with pytest.raises(ValueError):
        dns_server.set_records("example.test", [record])
    assert dns_server.serial("example.test") == serial
    assert [a.address for a in dns_server.resolver().resolve("keep.example.test", "A")] == ["127.0.0.1"]


def test_zone_nsd_rejects_keeps_the_old_zone_served(dns_server):
    dns_server.set_records("example.test", [("keep", "A", 60, "127.0.0.1")])
    serial = dns_server.serial("example.test")
    with pytest.raises(NsdError, match="nsd-checkzone"):
        # CNAME and other data at one name is invalid DNS; nsd-checkzone says so
        dns_server.set_records("example.test", [("x", "CNAME", 60, "a.test"), ("x", "A", 60, "127.0.0.1")])
    assert dns_server.serial("example.test") == serial
    assert dns_server.served_serial("example.test") == serial
    assert [a.address for a in dns_server.resolver().resolve("keep.example.test", "A")] == ["127.0.0.1"]


def test_no_rate_limiting_on_bursts(dns_server):
    # with NSD's default RRL (200 qps per /24) this burst would time out
    dns_server.set_records("example.test", [("burst", "A", 60, "127.0.0.1")])
    r = dns_server.resolver(timeout=1.0)
    for _ in range(400):
        r.resolve("burst.example.test", "A")


def test_own_server_adds_a_zone_and_stops_cleanly(make_dns_server):
    server = make_dns_server({"one.test": [("a", "A", 60, "127.0.0.1")]})
    pid, port = server.pid, server.port
    server.set_records("two.test", [("b", "A", 60, "127.0.0.2")])  # new zone: restart on the same port
    assert server.port == port
    r = server.resolver()
    assert [a.address for a in r.resolve("a.one.test", "A")] == ["127.0.0.1"]
    assert [a.address for a in r.resolve("b.two.test", "A")] == ["127.0.0.2"]
    server.remove_zone("two.test")
    assert server.query("b.two.test", "A").rcode() == dns.rcode.REFUSED
    pid = server.pid
    directory = server.directory
    server.stop()
    assert not server.running
    assert not _group_alive(pid)  # nsd and all its children are gone (zombies wait for init)
    assert not directory.exists()
    # the port is free again for both protocols
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", port))


def test_start_failure_reports_nsd_output():
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.1", 0))
    try:
        server = NsdServer({"x.test": []}, port=blocker.getsockname()[1], start_timeout=3)
        started = time.monotonic()
        with pytest.raises(NsdError, match=r"nsd (exited|did not serve)"):
            server.start()
        assert time.monotonic() - started < 5
        assert not server.running
        server.stop()
    finally:
        blocker.close()
