"""The tls-versions step (components/secure_scoring/verify/versions.py): TLS 1.0/1.1 servers
caught, a TLS 1.3-only server warned about, and the probes really offer the old versions."""

from __future__ import annotations

import re
import socket
import ssl
import threading

import pytest

from secure_scoring.verify import FAIL, WARN, parse_url, verify, versions
from support.fixtures_dataplane import HOSTNAME, PRIMARY_KEY, SECONDARY_KEY
from support.fixtures_verify import assert_only_failure, by_name, derived_gateway_class, enable_tls10

dataplane = pytest.mark.dataplane  # on the tests that start or use real servers


@dataplane
def test_tls_1_0_enabled(secure_dns):
    report = secure_dns.verify("tls10")
    assert_only_failure(report, "tls-versions", "accepts TLS 1.0 and TLS 1.1")
    detail = report.step("tls-versions").detail
    assert "TLS 1.0 accepted (TLSv1," in detail and "TLS 1.1 accepted (TLSv1.1," in detail
    assert "ssl_protocols TLSv1.2 TLSv1.3" in report.step("tls-versions").fix


@dataplane
def test_server_speaking_only_tls_1_0_and_1_1(verify_env, inference_server, pki):
    """The main handshake (TLS 1.2+) fails, and the version probes still show what it accepts."""

    def old_only(conf: str) -> str:
        conf = enable_tls10(conf)
        conf, n = re.subn(r"ssl_protocols [^;]+;", "ssl_protocols TLSv1 TLSv1.1;", conf)
        assert n == 1
        return conf

    from secure_scoring.dataplane.gateway import GatewaySettings
    from support.requirements import require_binary

    verify_env.point(("scoring", "A", 60, "127.0.0.1"))
    settings = GatewaySettings(hostnames=(HOSTNAME,), upstream=inference_server.address, private_ca=True)
    gateway = derived_gateway_class()(
        settings,
        cert_pem=pki.leaf.chain_pem(),
        key_pem=pki.leaf.key_pem,
        primary_key=PRIMARY_KEY,
        secondary_key=SECONDARY_KEY,
        nginx=require_binary("nginx"),
        transform=old_only,
    ).start()
    try:
        report = verify(
            f"https://{HOSTNAME}:{gateway.port}/score",
            dns_server=verify_env.dns.nameserver,
            ca_bundle=verify_env.pki.ca_bundle_path,
            timeout=3,
        )
    finally:
        gateway.stop()
    status = by_name(report)
    assert status["tls-handshake"] == FAIL
    assert "only older versions" in report.step("tls-handshake").detail
    assert status["tls-versions"] == FAIL
    assert "accepts TLS 1.0 and TLS 1.1" in report.step("tls-versions").detail
    assert "TLS 1.2 refused" in report.step("tls-versions").detail


@dataplane
def test_tls_1_3_only_server_warns(verify_env, make_gateway):
    verify_env.point(("scoring", "A", 60, "127.0.0.1"))
    gateway = make_gateway(min_tls_version="1.3")
    try:
        report = verify(
            f"https://{HOSTNAME}:{gateway.port}/score",
            dns_server=verify_env.dns.nameserver,
            ca_bundle=verify_env.pki.ca_bundle_path,
            key=PRIMARY_KEY,
            timeout=3,
        )
    finally:
        gateway.stop()
    step = report.step("tls-versions")
    assert step.status == WARN and "TLS 1.3 only" in step.detail
    assert report.ok  # secure, only less compatible


def _capture_client_hello(version) -> bytes:
    """Run verify's probe for ``version`` against a listener that records the ClientHello."""

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    captured = []

    def accept():
        conn, _ = server.accept()
        with conn:
            conn.settimeout(2)
            captured.append(conn.recv(4096))
            # a TLS alert: protocol_version (70), as a TLS 1.2-only server sends it
            conn.sendall(bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]))

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        outcome, detail = versions.probe_version("127.0.0.1", port, HOSTNAME, version, 2.0)
    finally:
        thread.join(5)
        server.close()
    assert outcome == "refused", detail
    return captured[0]


@pytest.mark.parametrize(
    ("version", "wire"),
    [(ssl.TLSVersion.TLSv1, b"\x03\x01"), (ssl.TLSVersion.TLSv1_1, b"\x03\x02")],
)
def test_old_version_probes_really_offer_that_version(version, wire):
    hello = _capture_client_hello(version)
    assert hello[0] == 0x16 and hello[5] == 0x01, "a TLS handshake record with a ClientHello"
    assert hello[9:11] == wire, f"ClientHello.client_version {hello[9:11].hex()}"
    # no supported_versions extension (43) offering anything newer
    assert b"\x00\x2b\x00" not in hello or b"\x03\x04" not in hello


@pytest.mark.parametrize(
    ("accepted", "needle"),
    [
        ({"TLS 1.0"}, "accepts TLS 1.0, which is broken and must be refused"),
        ({"TLS 1.1"}, "accepts TLS 1.1, which is broken and must be refused"),
        ({"TLS 1.0", "TLS 1.1"}, "accepts TLS 1.0 and TLS 1.1, which are broken and must be refused"),
    ],
)
def test_old_versions_wording(monkeypatch, accepted, needle):

    names = {
        ssl.TLSVersion.TLSv1: "TLS 1.0",
        ssl.TLSVersion.TLSv1_1: "TLS 1.1",
        ssl.TLSVersion.TLSv1_2: "TLS 1.2",
        ssl.TLSVersion.TLSv1_3: "TLS 1.3",
    }

    def probe(address, port, host, version, timeout):
        ok = names[version] in accepted or version >= ssl.TLSVersion.TLSv1_2
        return ("accepted", "accepted") if ok else ("refused", "refused")

    monkeypatch.setattr(versions, "probe_version", probe)
    step = versions.versions_step(parse_url("https://scoring.example.test/"), "127.0.0.1", 1)
    assert step.status == FAIL and needle in step.detail, step.detail
