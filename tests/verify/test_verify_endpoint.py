"""``secure-scoring verify`` against real parts on loopback.

Real nginx gateways (``secure_scoring.dataplane.local.NginxGateway``) in front of the real Azure ML inference
server, a real authoritative DNS server (NSD) serving the test zone, openssl-made certificates.
The secure gateway passes every step; each insecure variant is caught by the right step with the
right message. Insecure nginx configurations the renderer refuses to produce (TLS 1.0 enabled, a
plain-HTTP listener) are derived here from the rendered configuration by string substitution.

Every DNS record points into 127.0.0.0/8: nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from secure_scoring.errors import UsageError
from secure_scoring.verify import (
    FAIL,
    PASS,
    SKIP,
    STEP_NAMES,
    WARN,
    VerifyReport,
    auth,
    net,
    parse_dns_server,
    parse_url,
    target,
    tls,
    verify,
    versions,
)
from secure_scoring.verify import http as vhttp
from support.certs import CertFactory
from support.fixtures_dataplane import HOSTNAME, PRIMARY_KEY, SECONDARY_KEY

# Tests that start or use real servers carry the ``dataplane`` marker; the pure ones (parsing, CLI
# usage errors, probes against in-process sockets) run in ``make test-fast`` too.
dataplane = pytest.mark.dataplane

ROOT = Path(__file__).resolve().parents[2]
ZONE = "example.test"
ACI_ZONE = "eastus.azurecontainer.io"
ACI_FQDN = f"scoring-abc123.{ACI_ZONE}"
ALL_PASS_STEPS = [n for n in STEP_NAMES if n != "http-port"]


# ------------------------------------------------------------------------------------------ helpers
def _derived_gateway_class():
    from secure_scoring.dataplane.local import NginxGateway

    class DerivedConfigGateway(NginxGateway):
        """NginxGateway whose rendered nginx.conf is changed by ``transform`` before ``nginx -t``.

        Test-only: it builds the insecure servers the renderer refuses to render.
        """

        def __init__(self, *args, transform, **kwargs):
            super().__init__(*args, **kwargs)
            self._transform = transform

        def _write_files(self) -> None:
            super()._write_files()
            original = self.config_path.read_text()
            changed = self._transform(original)
            assert changed != original, "the substitution did not match the rendered configuration"
            self.config_path.write_text(changed)

    return DerivedConfigGateway


def enable_tls10(conf: str) -> str:
    conf, n = re.subn(r"ssl_protocols [^;]+;", "ssl_protocols TLSv1 TLSv1.1 TLSv1.2;", conf)
    assert n == 1
    # the Mozilla suites are TLS 1.2-only (AEAD); TLS 1.0/1.1 need CBC suites and security level 0
    conf, n = re.subn(r"ssl_ciphers [^;]+;", "ssl_ciphers ALL:@SECLEVEL=0;", conf)
    assert n == 1
    return conf


def serve_plain_http(conf: str) -> str:
    conf, n = re.subn(r"(listen \S+) ssl( default_server;)", r"\1\2", conf)
    assert n == 1
    return conf


def by_name(report: VerifyReport) -> dict[str, str]:
    return {s.name: s.status for s in report.steps}


def assert_only_failure(report: VerifyReport, step: str, *needles: str) -> None:
    failed = [s.name for s in report.steps if s.status == FAIL]
    assert failed == [step], f"expected only {step} to fail, got {failed}: {report.to_dict()}"
    detail = report.step(step).detail
    for needle in needles:
        assert needle in detail, f"{needle!r} not in {detail!r}"
    assert report.step(step).fix, "a failure must say how to fix it"
    assert not report.ok


class Env:
    def __init__(self, dns, pki, gateways):
        self.dns = dns
        self.pki = pki
        self.gateways = gateways

    def url(self, name: str, host: str = HOSTNAME, path: str = "/score") -> str:
        return f"https://{host}:{self.gateways[name].port}{path}"

    def verify(self, name: str, **kwargs) -> VerifyReport:
        kwargs.setdefault("dns_server", self.dns.nameserver)
        kwargs.setdefault("ca_bundle", self.pki.ca_bundle_path)
        kwargs.setdefault("key", PRIMARY_KEY)
        kwargs.setdefault("timeout", 3.0)
        return verify(self.url(name, kwargs.pop("host", HOSTNAME)), **kwargs)

    def point(self, *records) -> None:
        self.dns.set_records(ZONE, list(records))


@pytest.fixture(scope="module")
def env(make_gateway, inference_server, dns_server, pki, tmp_path_factory):
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    from secure_scoring.dataplane.gateway import GatewaySettings

    certs = CertFactory(tmp_path_factory.mktemp("verify-certs"))
    other_host = certs.leaf(pki.inter, ["other.example.test"])
    expired = certs.leaf(pki.inter, [HOSTNAME, "localhost"], days=-3, not_before_days_ago=40)
    derived = _derived_gateway_class()

    def insecure(transform):
        settings = GatewaySettings(
            hostnames=(HOSTNAME, "localhost"), upstream=inference_server.address, private_ca=True
        )
        gw = derived(
            settings,
            cert_pem=pki.leaf.chain_pem(),
            key_pem=pki.leaf.key_pem,
            primary_key=PRIMARY_KEY,
            secondary_key=SECONDARY_KEY,
            nginx=nginx,
            transform=transform,
        )
        return gw.start()

    gateways = {}
    try:
        gateways["secure"] = make_gateway()
        gateways["other-host"] = make_gateway(cert=other_host)
        gateways["expired"] = make_gateway(cert=expired)
        gateways["auth-off"] = make_gateway(auth_mode="none")
        gateways["tls10"] = insecure(enable_tls10)
        gateways["plain"] = insecure(serve_plain_http)
        yield Env(dns_server, pki, gateways)
    finally:
        for gw in gateways.values():
            gw.stop()


@pytest.fixture()
def secure_dns(env):
    env.point(("scoring", "A", 60, "127.0.0.1"))
    return env


# ------------------------------------------------------------------------------------------ the secure setup
@dataplane
def test_secure_setup_passes_every_step(secure_dns):
    report = secure_dns.verify("secure", expect_ip="127.0.0.1")
    assert [s.name for s in report.steps] == ALL_PASS_STEPS
    assert by_name(report) == dict.fromkeys(ALL_PASS_STEPS, PASS), report.to_dict()
    assert report.ok and report.exit_code == 0
    assert "A 127.0.0.1 (TTL 60 s)" in report.step("dns").detail
    assert f"DNS server 127.0.0.1:{secure_dns.dns.port}" in report.step("dns").detail
    assert "TLS 1.0 refused" in report.step("tls-versions").detail
    assert "TLS 1.1 refused" in report.step("tls-versions").detail
    assert "TLS 1.2 accepted" in report.step("tls-versions").detail
    assert "Test Intermediate CA" in report.step("certificate-chain").detail
    assert re.search(r"\(\d+ days left\)", report.step("certificate-expiry").detail)
    assert "401" in report.step("auth-no-credential").detail
    assert "→ 200" in report.step("auth-credential").detail
    assert "max-age=63072000" in report.step("hsts").detail


@dataplane
def test_secondary_key_and_cname_chain_to_the_service_fqdn(env):
    # the custom name is a CNAME to the ACI FQDN, as DnsRecordBinding creates it
    env.dns.set_records(ACI_ZONE, [("scoring-abc123", "A", 120, "127.0.0.1")])
    env.point(("scoring", "CNAME", 300, ACI_FQDN))
    report = env.verify("secure", key=SECONDARY_KEY, expect_target=ACI_FQDN)
    assert report.ok, report.to_dict()
    dns_detail = report.step("dns").detail
    assert f"{HOSTNAME} CNAME {ACI_FQDN} (TTL 300 s)" in dns_detail
    assert f"{ACI_FQDN} A 127.0.0.1 (TTL 120 s)" in dns_detail
    assert report.step("auth-credential").status == PASS


@dataplane
def test_token_is_sent_like_a_key(secure_dns):
    report = secure_dns.verify("secure", key=None, token=PRIMARY_KEY)
    assert report.step("auth-credential").status == PASS
    assert "token" in report.step("auth-credential").detail


@dataplane
def test_certificate_expiring_within_min_days_warns_but_passes(secure_dns):
    report = secure_dns.verify("secure", min_days=1000)
    step = report.step("certificate-expiry")
    assert step.status == WARN and "under the 1000-day threshold" in step.detail
    assert "certificate-renewal" in step.fix
    assert report.ok and report.exit_code == 0


@dataplane
def test_ip_literal_url_skips_dns(env):
    report = verify(
        f"https://127.0.0.1:{env.gateways['secure'].port}/score",
        ca_bundle=env.pki.ca_bundle_path,
        key=PRIMARY_KEY,
        timeout=3,
    )
    assert report.step("dns").status == SKIP
    assert report.ok, report.to_dict()
    assert report.step("certificate-hostname").status == PASS  # the pki leaf has IP SAN 127.0.0.1
    # no SNI is sent for an IP address (RFC 6066), and the report must not claim one
    handshake = report.step("tls-handshake").detail
    assert handshake.endswith(", no SNI (IP address)") and "SNI 127.0.0.1" not in handshake


@dataplane
def test_connect_to_checks_a_new_endpoint_before_dns_points_at_it(env):
    env.point(("scoring", "A", 60, "127.0.0.2"))  # DNS still points elsewhere (nothing listens there)
    report = verify(
        env.url("secure"),
        connect_to="127.0.0.1",
        ca_bundle=env.pki.ca_bundle_path,
        key=PRIMARY_KEY,
        timeout=3,
    )
    assert report.step("dns").status == SKIP and "--connect-to" in report.step("dns").detail
    assert report.ok, report.to_dict()
    assert report.step("certificate-hostname").status == PASS  # the URL's host, not the IP
    with pytest.raises(UsageError, match="cannot be combined"):
        verify(env.url("secure"), connect_to="127.0.0.1", expect_ip="127.0.0.1")
    with pytest.raises(UsageError, match="not an IP address"):
        verify(env.url("secure"), connect_to="localhost")


# ------------------------------------------------------------------------------------------ DNS problems
@dataplane
def test_dns_pointing_to_another_address_is_caught_without_contacting_it(env):
    port = env.gateways["secure"].port
    env.point(("scoring", "A", 60, "127.0.0.2"))
    # a listener on the wrong address: verify must not connect to it
    trap = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    trap.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    trap.bind(("127.0.0.2", port))
    trap.listen(8)
    trap.setblocking(False)
    try:
        report = env.verify("secure", expect_ip="127.0.0.1")
        with pytest.raises(BlockingIOError):
            trap.accept()
    finally:
        trap.close()
    assert_only_failure(report, "dns", "resolves to 127.0.0.2, expected 127.0.0.1", "TTL 60 s")
    assert "nothing was sent to 127.0.0.2" in report.step("dns").detail
    assert "dns-change" in report.step("dns").fix
    assert all(s.status == SKIP for s in report.steps[1:])


@dataplane
def test_dns_pointing_elsewhere_without_expectation_fails_at_tcp(env):
    env.point(("scoring", "A", 60, "127.0.0.2"))  # nothing listens there
    report = env.verify("secure")
    assert report.step("dns").status == PASS
    assert_only_failure(report, "tcp", "cannot connect to 127.0.0.2")


@dataplane
def test_cname_to_the_wrong_target(env):
    env.dns.set_records(ACI_ZONE, [("old-service", "A", 60, "127.0.0.1")])
    env.point(("scoring", "CNAME", 60, f"old-service.{ACI_ZONE}"))
    report = env.verify("secure", expect_target=ACI_FQDN)
    assert_only_failure(report, "dns", f"does not point at {ACI_FQDN}", f"CNAME old-service.{ACI_ZONE}")


@dataplane
def test_missing_record(env):
    env.point(("somethingelse", "A", 60, "127.0.0.1"))
    report = env.verify("secure")
    assert_only_failure(report, "dns", "does not exist (NXDOMAIN")


@dataplane
def test_cname_loop_and_dangling_cname(env):
    env.point(("scoring", "CNAME", 60, "loop.example.test"), ("loop", "CNAME", 60, "scoring.example.test"))
    report = env.verify("secure")
    assert_only_failure(report, "dns", "CNAME loop")
    env.point(("scoring", "CNAME", 60, "nothing-here.example.test"))
    report = env.verify("secure")
    assert_only_failure(report, "dns", "NXDOMAIN")
    env.point(("scoring", "CNAME", 60, "txt-only.example.test"), ("txt-only", "TXT", 60, "no address"))
    report = env.verify("secure")
    assert_only_failure(report, "dns", "has no A or AAAA record", "the chain ends at txt-only.example.test")


@dataplane
def test_several_addresses_with_one_unexpected_is_a_mismatch(env):
    env.point(("scoring", "A", 60, "127.0.0.1"), ("scoring", "A", 60, "127.0.0.3"))
    report = env.verify("secure", expect_ip="127.0.0.1")
    assert_only_failure(report, "dns", "expected 127.0.0.1", "nothing was sent to 127.0.0.3")
    report = env.verify("secure")  # no expectation: the first address is checked, and said so
    assert "checking 127.0.0.1, the first address" in report.step("dns").detail or (
        "checking 127.0.0.3, the first address" in report.step("dns").detail
    )


# ------------------------------------------------------------------------------------------ insecure servers
@dataplane
def test_certificate_for_another_host(secure_dns):
    report = secure_dns.verify("other-host")
    assert_only_failure(report, "certificate-hostname", "other.example.test", f"not {HOSTNAME}")
    assert report.step("certificate-chain").status == PASS
    assert report.step("certificate-expiry").status == PASS
    # the key is never sent to a server whose certificate did not verify
    assert report.step("auth-credential").status == SKIP
    assert "was not sent" in report.step("auth-credential").detail
    assert f"covers {HOSTNAME} (or a *.{HOSTNAME.partition('.')[2]} wildcard)" in (
        report.step("certificate-hostname").fix
    )


@dataplane
def test_hostname_fix_suggests_only_what_can_cover_the_host(env):
    """An IP URL needs an IP entry (a wildcard never covers an address: no '*.0.0.1'), and a
    one-label name such as localhost has no valid wildcard ('*.')."""
    port = env.gateways["other-host"].port
    common = {"ca_bundle": env.pki.ca_bundle_path, "key": PRIMARY_KEY, "timeout": 3}
    report = verify(f"https://127.0.0.1:{port}/score", **common)
    fix = report.step("certificate-hostname").fix
    assert report.step("certificate-hostname").status == FAIL
    assert "subjectAltName holds IP:127.0.0.1" in fix and "--connect-to 127.0.0.1" in fix
    assert "*." not in fix
    report = verify(f"https://localhost:{port}/score", connect_to="127.0.0.1", **common)
    fix = report.step("certificate-hostname").fix
    assert report.step("certificate-hostname").status == FAIL
    assert "covers localhost, or use the name" in fix and "*." not in fix


@dataplane
def test_expired_certificate(secure_dns):
    report = secure_dns.verify("expired")
    # valid for -3 days from 40 days ago: expired 43 days and a few seconds ago, so days left is the
    # floor, -44, the figure cert check's JSON gives (the old "43 days ago" contradicted it)
    assert_only_failure(report, "certificate-expiry", "expired on", "(days left: -44)")
    assert "ago" not in report.step("certificate-expiry").detail
    assert report.step("certificate-chain").status == PASS
    assert report.step("certificate-hostname").status == PASS
    assert report.step("auth-credential").status == SKIP


@dataplane
def test_untrusted_chain_without_the_private_ca(secure_dns):
    # the system trust store does not know the test root
    report = secure_dns.verify("secure", ca_bundle=None)
    assert_only_failure(report, "certificate-chain", "cannot be found in the system's trust store")
    assert "--ca-bundle" in report.step("certificate-chain").fix
    assert report.step("auth-credential").status == SKIP


@pytest.fixture(scope="module")
def other_root_bundle(tmp_path_factory) -> Path:
    """A CA bundle with an unrelated root: the wrong file passed to --ca-bundle."""
    directory = tmp_path_factory.mktemp("other-root")
    bundle = directory / "other-ca.pem"
    bundle.write_text(CertFactory(directory).ca("Unrelated Root CA").cert_pem)
    return bundle


@dataplane
def test_wrong_ca_bundle_names_the_missing_root_not_an_incomplete_chain(secure_dns, other_root_bundle):
    """The server sends leaf + intermediate; the CA bundle holds another root. The fix used to say
    'serve the full chain', which the server already does: it must name the root the bundle lacks."""
    report = secure_dns.verify("secure", ca_bundle=str(other_root_bundle))
    assert_only_failure(
        report,
        "certificate-chain",
        "the chain the server sent ends at CN=Test Intermediate CA, whose issuer CN=Test Root CA "
        f"cannot be found in the CA bundle {other_root_bundle}",
    )
    fix = report.step("certificate-chain").fix
    assert f"--ca-bundle {other_root_bundle} does not hold CN=Test Root CA" in fix
    assert "serve the full chain" not in fix
    assert report.step("auth-credential").status == SKIP


class _FullChain:
    """A leaf whose chain PEM includes the root: the server sends the root too."""

    def __init__(self, leaf) -> None:
        self.leaf = leaf
        self.key_pem = leaf.key_pem

    def chain_pem(self) -> str:
        return self.leaf.full_chain_pem()


@dataplane
def test_root_sent_by_the_server_but_missing_from_the_ca_bundle_is_named(
    env, make_gateway, other_root_bundle
):
    gateway = make_gateway(cert=_FullChain(env.pki.leaf))
    common = {"connect_to": "127.0.0.1", "key": PRIMARY_KEY, "timeout": 3}
    url = f"https://{HOSTNAME}:{gateway.port}/score"
    report = verify(url, ca_bundle=str(other_root_bundle), **common)
    step = report.step("certificate-chain")
    assert step.status == FAIL
    assert f"the chain ends in a root CN=Test Root CA that the CA bundle {other_root_bundle}" in step.detail
    # the file was given: 'pass your private root with --ca-bundle' alone would send the user in circles
    assert f"--ca-bundle {other_root_bundle} does not hold this root" in step.fix
    assert "CN=Test Root CA" in step.fix
    report = verify(url, ca_bundle=str(env.pki.ca_bundle_path), **common)
    assert report.ok, report.to_dict()


@dataplane
def test_tls_1_0_enabled(secure_dns):
    report = secure_dns.verify("tls10")
    assert_only_failure(report, "tls-versions", "accepts TLS 1.0 and TLS 1.1")
    detail = report.step("tls-versions").detail
    assert "TLS 1.0 accepted (TLSv1," in detail and "TLS 1.1 accepted (TLSv1.1," in detail
    assert "ssl_protocols TLSv1.2 TLSv1.3" in report.step("tls-versions").fix


@dataplane
def test_auth_turned_off(secure_dns):
    report = secure_dns.verify("auth-off")
    assert_only_failure(report, "auth-no-credential", "auth turned off", "→ 200")
    # a 200 with the key proves nothing when the request without it got a 200 too
    step = report.step("auth-credential")
    assert step.status == SKIP, step
    assert step.detail.startswith(
        "the endpoint accepts requests without a credential, so the key proves nothing"
    )


@dataplane
def test_plain_http_served(secure_dns):
    report = secure_dns.verify("plain")
    status = by_name(report)
    assert status["plain-http"] == FAIL
    assert "serves plain HTTP" in report.step("plain-http").detail
    assert "HTTP/1.1" in report.step("plain-http").detail
    # no TLS at all on that port: the handshake fails as well, the rest is skipped
    assert status["tls-handshake"] == FAIL
    assert "plain HTTP" in report.step("tls-handshake").detail
    assert {status[n] for n in ("certificate-chain", "auth-no-credential", "hsts", "tls-versions")} == {SKIP}
    assert "no TLS version is accepted" in report.step("tls-versions").detail
    assert not report.ok


@dataplane
def test_extra_http_port_serving_plain_http(secure_dns):
    plain_port = secure_dns.gateways["plain"].port
    report = secure_dns.verify("secure", http_port=plain_port)
    assert_only_failure(report, "http-port", f"127.0.0.1:{plain_port} serves plain HTTP")
    # a closed port is what we want
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    report = secure_dns.verify("secure", http_port=closed_port)
    assert report.step("http-port").status == PASS and report.ok


@dataplane
def test_wrong_key_is_refused(secure_dns):
    report = secure_dns.verify("secure", key="not-the-key-0123456789")
    assert_only_failure(report, "auth-credential", "key was refused", "401")
    assert "key-rotation" in report.step("auth-credential").fix


@dataplane
def test_no_key_skips_the_credential_step(secure_dns):
    report = secure_dns.verify("secure", key=None)
    assert report.step("auth-credential").status == SKIP
    assert report.ok


@dataplane
def test_server_speaking_only_tls_1_0_and_1_1(env, inference_server, pki):
    """The main handshake (TLS 1.2+) fails, and the version probes still show what it accepts."""

    def old_only(conf: str) -> str:
        conf = enable_tls10(conf)
        conf, n = re.subn(r"ssl_protocols [^;]+;", "ssl_protocols TLSv1 TLSv1.1;", conf)
        assert n == 1
        return conf

    from secure_scoring.dataplane.gateway import GatewaySettings
    from support.requirements import require_binary

    env.point(("scoring", "A", 60, "127.0.0.1"))
    settings = GatewaySettings(hostnames=(HOSTNAME,), upstream=inference_server.address, private_ca=True)
    gateway = _derived_gateway_class()(
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
            dns_server=env.dns.nameserver,
            ca_bundle=env.pki.ca_bundle_path,
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
def test_tls_1_3_only_server_warns(env, make_gateway):
    env.point(("scoring", "A", 60, "127.0.0.1"))
    gateway = make_gateway(min_tls_version="1.3")
    try:
        report = verify(
            f"https://{HOSTNAME}:{gateway.port}/score",
            dns_server=env.dns.nameserver,
            ca_bundle=env.pki.ca_bundle_path,
            key=PRIMARY_KEY,
            timeout=3,
        )
    finally:
        gateway.stop()
    step = report.step("tls-versions")
    assert step.status == WARN and "TLS 1.3 only" in step.detail
    assert report.ok  # secure, only less compatible


# ------------------------------------------------------------------------------------------ protocol probes
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


# ------------------------------------------------------------------------------------------ CLI
def cli(*args: str, env_vars: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECURE_SCORING_KEY", "SECURE_SCORING_TOKEN")}
    env.update(env_vars or {})
    exe = Path(sys.executable).with_name("secure-scoring")
    return subprocess.run(
        [str(exe), "verify", *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


@dataplane
def test_cli_json_on_the_secure_setup_with_the_key_from_the_environment(secure_dns):
    result = cli(
        secure_dns.url("secure"),
        "--dns-server",
        secure_dns.dns.nameserver,
        "--ca-bundle",
        str(secure_dns.pki.ca_bundle_path),
        "--expect-ip",
        "127.0.0.1",
        "--format",
        "json",
        env_vars={"SECURE_SCORING_KEY": PRIMARY_KEY},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"ok", "url", "steps"}
    assert data["ok"] is True and data["url"] == secure_dns.url("secure")
    assert [s["name"] for s in data["steps"]] == ALL_PASS_STEPS
    for step in data["steps"]:
        assert set(step) == {"name", "status", "detail", "fix"}
        assert step["status"] == "pass" and step["fix"] is None
    assert PRIMARY_KEY not in result.stdout + result.stderr


@dataplane
def test_cli_exit_1_text_output_and_the_key_never_printed(secure_dns):
    result = cli(
        secure_dns.url("expired"),
        "--dns-server",
        secure_dns.dns.nameserver,
        "--ca-bundle",
        str(secure_dns.pki.ca_bundle_path),
        "--key",
        PRIMARY_KEY,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  certificate-expiry" in result.stdout
    assert "fix: renew it" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("FAILED: 1 failed")
    assert PRIMARY_KEY not in result.stdout + result.stderr
    # a wrong key in JSON output: refused, still not printed
    wrong = "WrongKey-0123456789abcdef"
    result = cli(
        secure_dns.url("secure"),
        "--dns-server",
        secure_dns.dns.nameserver,
        "--ca-bundle",
        str(secure_dns.pki.ca_bundle_path),
        "--key",
        wrong,
        "--format",
        "json",
    )
    assert result.returncode == 1
    steps = {s["name"]: s for s in json.loads(result.stdout)["steps"]}
    assert steps["auth-credential"]["status"] == "fail"
    assert wrong not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["http://scoring.example.test/score"], "is not https"),
        (["scoring.example.test"], "has no scheme"),
        (["https://:443/"], "no host name"),
        (["https://scoring.example.test:99999/"], "not a valid URL"),
        (["https://scoring.example.test", "--ca-bundle", "/nonexistent/ca.pem"], "--ca-bundle"),
        (["https://scoring.example.test", "--ca-bundle", str(ROOT / "pyproject.toml")], "holds no PEM"),
        (["https://scoring.example.test", "--dns-server", "dns.example.test:53"], "not an IP address"),
        (["https://scoring.example.test", "--dns-server", "127.0.0.1:70000"], "--dns-server"),
        (["https://scoring.example.test", "--expect-ip", "scoring"], "--expect-ip"),
        (
            ["https://scoring.example.test", "--expect-ip", "127.0.0.1", "--expect-target", "a.test"],
            "not allowed",
        ),
        (["https://scoring.example.test", "--key", "k" * 20, "--token", "t" * 20], "not allowed"),
        (["https://scoring.example.test", "--timeout", "0"], "--timeout"),
        (
            ["https://scoring.example.test", "--connect-to", "127.0.0.1", "--expect-ip", "127.0.0.1"],
            "cannot be combined",
        ),
        (["https://scoring.example.test", "--min-days", "-1"], "--min-days"),
        (["https://scoring.example.test", "--format", "xml"], "--format"),
        (
            ["https://127.0.0.1:18443/sc ore"],
            "URL: 'https://127.0.0.1:18443/sc ore' contains a space, which cannot be sent in an HTTP "
            "request line. Fix: percent-encode it (a space is %20)",
        ),
        (["https://127.0.0.1:18443/sc\tore"], "contains a control character ('\\t')"),
        (["https://127.0.0.1:18443/score\x7f"], "contains a control character ('\\x7f')"),
        (["https://scoring.example.test", "--check-port80"], "verify: error: unrecognized arguments"),
    ],
)
def test_cli_usage_errors_exit_2_without_traceback(args, needle):
    started = time.monotonic()
    result = cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert time.monotonic() - started < 10  # nothing was contacted


@pytest.mark.parametrize("name", ["SECURE_SCORING_KEY", "SECURE_SCORING_TOKEN"])
@pytest.mark.parametrize("value", ["", "  "])
def test_cli_empty_credential_in_the_environment_is_a_usage_error(name, value):
    """Like --key "": an empty variable (a failed secret lookup) must not silently mean 'no key'."""
    result = cli("https://scoring.example.test", env_vars={name: value})
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"secure-scoring verify: error: {name}: is set but empty. Fix: " in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_cli_credential_with_a_line_break_in_the_environment_names_the_variable():
    result = cli("https://scoring.example.test", env_vars={"SECURE_SCORING_KEY": "abc\ndef"})
    assert result.returncode == 2 and "SECURE_SCORING_KEY: contains a line break" in result.stderr


@pytest.mark.parametrize("value", ["ключ-0123456789abcdef", "key\u20140123456789abcdef", "key\x1b0123456789"])
@pytest.mark.parametrize("where", ["--key", "--token", "SECURE_SCORING_KEY", "SECURE_SCORING_TOKEN"])
def test_cli_credential_that_http_cannot_carry_is_a_usage_error(where, value):
    """A non-ASCII or control character cannot go in an HTTP header: said up front (exit 2), naming
    the option or variable, never quoting the credential. It used to end in 'unexpected
    UnicodeEncodeError ... report this as a bug' once the key was about to be sent."""
    if where.startswith("--"):
        result = cli("https://scoring.example.test/score", where, value)
    else:
        result = cli("https://scoring.example.test/score", env_vars={where: value})
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"secure-scoring verify: error: {where}: contains a " in result.stderr
    assert "cannot be sent in an HTTP header" in result.stderr
    assert "0123456789" not in result.stderr + result.stdout
    assert result.stdout == "" and "Traceback" not in result.stderr
    with pytest.raises(UsageError, match="cannot be sent in an HTTP header"):
        verify("https://scoring.example.test/score", key=value)


def test_cli_both_credentials_in_the_environment_is_a_usage_error():
    result = cli(
        "https://scoring.example.test",
        env_vars={"SECURE_SCORING_KEY": "k" * 20, "SECURE_SCORING_TOKEN": "t" * 20},
    )
    assert result.returncode == 2
    assert "SECURE_SCORING_KEY/SECURE_SCORING_TOKEN" in result.stderr
    assert "k" * 20 not in result.stderr


def test_cli_unreachable_dns_server_is_a_dns_failure_not_a_hang():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:  # a UDP port that never answers
        sink.bind(("127.0.0.1", 0))
        started = time.monotonic()
        result = cli(
            "https://scoring.example.test/score",
            "--dns-server",
            f"127.0.0.1:{sink.getsockname()[1]}",
            "--timeout",
            "1",
            "--format",
            "json",
        )
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    steps = json.loads(result.stdout)["steps"]
    assert steps[0]["name"] == "dns" and steps[0]["status"] == "fail"
    assert "no usable answer" in steps[0]["detail"]
    assert {s["status"] for s in steps[1:]} == {"skip"}


# ------------------------------------------------------------------------------------------ parsing (pure)
def test_parse_url_and_dns_server():
    t = parse_url("https://Scoring.Example.Test./api/v1/service/s1/score?x=1")
    assert (t.host, t.port, t.path, t.host_header) == (
        "scoring.example.test",
        443,
        "/api/v1/service/s1/score?x=1",
        "scoring.example.test",
    )
    assert parse_url("https://[::1]:8443").host_header == "[::1]:8443"
    assert parse_url("https://svc.test:8443/").path == "/score"
    assert str(parse_dns_server("127.0.0.1")) == "127.0.0.1:53"
    assert str(parse_dns_server("[::1]:5353")) == "[::1]:5353"
    assert parse_dns_server("10.0.0.4:5300").port == 5300


@pytest.mark.parametrize("host", ["a%20b", "bad!.example.test", "a;b.example.test", "a,b.example.test"])
def test_url_hosts_no_dns_name_can_have_are_usage_errors_not_lookups(host):
    with pytest.raises(UsageError) as caught:
        parse_url(f"https://{host}/score")
    # the words of secure_scoring.names, the one hostname parser
    assert caught.value.input_name == "URL" and "is not a hostname" in str(caught.value)
    # names DNS does have still parse (underscore labels exist, e.g. SRV-style names)
    assert parse_url("https://_svc.scoring-1.example.test/score").host == "_svc.scoring-1.example.test"


# ------------------------------------------------------------------------------------------ key rotation runbook
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


def _deploy_keys(primary_version, secondary_version, previous=None):
    """What ``pulumi up`` of a SecureAciService with these rotation versions leaves as keys.

    The program runs under mocks; a key whose RandomPassword inputs (the ``rotation`` keeper) did not
    change keeps its previous value, as the engine keeps an unchanged resource, and a changed one
    gets the new value. → ({"primary", "secondary"}: key, {role: keepers}).
    """
    from secure_scoring.components.aci import SecureAciService, SecureAciServiceArgs
    from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
    from secure_scoring.gate.mocking import run_with_mocks

    def program():
        cert = CertificateBundle(
            "cert", CertificateBundleArgs(source="self_signed", hostnames=[HOSTNAME], environment="dev")
        )
        SecureAciService(
            "svc",
            SecureAciServiceArgs(
                resource_group_name="rg",
                certificate=cert,
                hostname=HOSTNAME,
                dns_name_label="contoso-scoring",
                primary_key_version=primary_version,
                secondary_key_version=secondary_version,
            ),
        )

    rec = run_with_mocks(program)
    passwords = {r.name: r for r in rec.by_type(RANDOM_PASSWORD)}
    assert set(passwords) == {"svc-primary-key", "svc-secondary-key"}
    keys, keepers = {}, {}
    for role in ("primary", "secondary"):
        resource = passwords[f"svc-{role}-key"]
        keepers[role] = resource.wire_inputs["keepers"]
        if previous is not None and previous[1][role] == keepers[role]:
            keys[role] = previous[0][role]
        else:
            keys[role] = resource.state["result"]
    return keys, keepers


class _Clients:
    """Two client threads sending POST /score continuously with the key they are told to use."""

    def __init__(self, port: int, ca_bundle: Path, key: str) -> None:
        from support.fixtures_dataplane import https_request

        self._request = https_request
        self.port, self.ca_bundle, self.key = port, ca_bundle, key
        self.results: list[tuple[str, int | str]] = []  # (phase, status or error)
        self.phase = "start"
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(2)]

    def _run(self) -> None:
        while not self._stop.is_set():
            phase, key = self.phase, self.key
            try:
                response = self._request(
                    self.port,
                    "POST",
                    "/score",
                    ca_bundle=self.ca_bundle,
                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
                    body=b'{"rotation": true}',
                    timeout=5,
                )
                self.results.append((phase, response.status))
            except Exception as exc:  # a failed request is a result too
                self.results.append((phase, f"{type(exc).__name__}: {exc}"))

    def enter(self, phase: str, key: str | None = None, min_requests: int = 10) -> None:
        """Switch to ``phase`` (and ``key``), then wait until it has carried ``min_requests``."""
        if key is not None:
            self.key = key
        self.phase = phase
        deadline = time.monotonic() + 15
        while sum(1 for p, _ in self.results if p == phase) < min_requests:
            assert time.monotonic() < deadline, f"no traffic in phase {phase}"
            time.sleep(0.01)

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(10)


@dataplane
def test_key_rotation_runbook_never_leaves_clients_without_a_working_key(env, make_gateway):
    """docs/runbooks/key-rotation.md end to end: rotate the secondary, move clients to it, rotate
    the primary; continuous client traffic never fails and ``verify --key`` confirms every step."""
    env.point(("scoring", "A", 60, "127.0.0.1"))
    keys_v1, state = _deploy_keys(1, 1)
    gateway = make_gateway(primary_key=keys_v1["primary"], secondary_key=keys_v1["secondary"])

    def works(key: str) -> bool:
        report = verify(
            f"https://{HOSTNAME}:{gateway.port}/score",
            dns_server=env.dns.nameserver,
            ca_bundle=env.pki.ca_bundle_path,
            key=key,
            timeout=3,
        )
        assert report.step("auth-no-credential").status == PASS
        return report.step("auth-credential").status == PASS and report.ok

    def revoked(key: str) -> bool:
        # nginx's old workers finish what they were doing after a reload: give them a moment
        deadline = time.monotonic() + 3
        while works(key):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    try:
        with _Clients(gateway.port, env.pki.ca_bundle_path, keys_v1["primary"]) as clients:
            clients.enter("0: clients on the primary")
            assert works(keys_v1["primary"]) and works(keys_v1["secondary"])

            # 1. rotate the secondary (secondary_key_version 1 -> 2): only that key changes
            keys_v2, state_v2 = _deploy_keys(1, 2, (keys_v1, state))
            assert keys_v2["primary"] == keys_v1["primary"]
            assert keys_v2["secondary"] != keys_v1["secondary"]
            gateway.rotate_keys(keys_v2["primary"], keys_v2["secondary"])
            clients.enter("1: secondary rotated")
            assert works(keys_v2["secondary"]), "the new secondary key must work"
            assert works(keys_v2["primary"]), "clients' key still works"
            assert revoked(keys_v1["secondary"]), "the old secondary key is revoked"

            # 2. move the clients to the new secondary key
            clients.enter("2: clients on the new secondary", key=keys_v2["secondary"])

            # 3. rotate the primary (primary_key_version 1 -> 2)
            keys_v3, _ = _deploy_keys(2, 2, (keys_v2, state_v2))
            assert keys_v3["secondary"] == keys_v2["secondary"]
            assert keys_v3["primary"] != keys_v2["primary"]
            gateway.rotate_keys(keys_v3["primary"], keys_v3["secondary"])
            clients.enter("3: primary rotated")
            assert works(keys_v3["secondary"]), "clients' key still works"
            assert works(keys_v3["primary"]), "the new primary key works"
            assert revoked(keys_v1["primary"]), "the old primary key is revoked"
    finally:
        gateway.stop()

    failures = [(phase, status) for phase, status in clients.results if status != 200]
    assert failures == [], f"{len(failures)} of {len(clients.results)} requests failed: {failures[:5]}"
    phases = {phase for phase, _ in clients.results}
    assert {"0: clients on the primary", "1: secondary rotated", "3: primary rotated"} <= phases


# ------------------------------------------------------------------------------------------ pure checks
def _one_shot_server(reply: bytes | None):
    """A loopback TCP server answering one connection with ``reply`` (None: close at once)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            if reply is not None:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(4096)
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


@pytest.mark.parametrize(
    ("reply", "verdict", "needle"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "served", "200 OK"),
        (b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", "served", "401"),
        (
            b"HTTP/1.1 301 Moved\r\nLocation: https://scoring.example.test/\r\n\r\n",
            "refused",
            "redirects to HTTPS",
        ),
        (b"HTTP/1.1 301 Moved\r\nLocation: http://scoring.example.test/\r\n\r\n", "served", "301"),
        (
            b"HTTP/1.1 400 Bad Request\r\n\r\nThe plain HTTP request was sent to HTTPS port",
            "refused",
            "plain HTTP request was sent to HTTPS port",
        ),
        (bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), "refused", "TLS alert"),
        (None, "refused", "closed"),
    ],
)
def test_plain_http_probe_classification(reply, verdict, needle):

    server, thread = _one_shot_server(reply)
    try:
        got, detail = vhttp.plain_http_probe(
            "127.0.0.1", server.getsockname()[1], "scoring.example.test", 2.0
        )
    finally:
        thread.join(5)
        server.close()
    assert got == verdict, detail
    assert needle in detail


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("max-age=63072000", PASS),
        ("max-age=63072000; includeSubDomains; preload", PASS),
        ('max-age="31536000"', PASS),
        ("max-age=3600", WARN),
        ("max-age=0", FAIL),
        ("includeSubDomains", FAIL),
        (None, FAIL),
    ],
)
def test_hsts_step(header, status):

    headers = {} if header is None else {"strict-transport-security": header}
    step = vhttp.hsts_step(vhttp.Response(401, "Unauthorized", headers, b""))
    assert step.status == status, step
    assert (step.fix is None) == (status == PASS)


def test_non_ascii_path_is_percent_encoded():
    assert parse_url("https://scoring.example.test/modèle/score?q=é").path == ("/mod%C3%A8le/score?q=%C3%A9")
    assert parse_url("https://scoring.example.test/a%20b/score").path == "/a%20b/score"  # kept as given


def test_ipv6_addresses_are_bracketed_and_ip_urls_send_no_sni(monkeypatch):
    """[::1]:19999, not ::1:19999; no network: the TCP connection is refused by a stand-in."""

    assert (
        target.hostport("::1", 19999) == "[::1]:19999" and target.hostport("10.0.0.1", 443) == "10.0.0.1:443"
    )
    assert parse_url("https://[::1]:19999/score").sni == "no SNI (IP address)"
    assert parse_url("https://scoring.example.test/score").sni == "SNI scoring.example.test"

    def refused(address, port, timeout):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(net, "connect", refused)
    report = verify("https://[::1]:19999/score", timeout=1)
    tcp = report.step("tcp").detail
    assert tcp.startswith("cannot connect to [::1]:19999: "), tcp
    failure = tls.handshake_failure(parse_url("https://[2001:db8::1]:8443/"), OSError("boom"))
    assert "[2001:db8::1]:8443" in failure.detail
    step = vhttp.plain_http_step("http-port", parse_url("https://[::1]:19999/"), "::1", 80, 1)
    assert "[::1]:80: " in step.detail


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


def test_expiry_step_uses_the_same_days_as_cert_check():
    from datetime import UTC, datetime, timedelta

    from secure_scoring.certs.facts import days_left

    now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    after = now - timedelta(days=3, hours=1)
    assert days_left(after, now) == -4
    step = tls.expiry_step(after - timedelta(days=90), after, 30, None, now)
    assert step.status == FAIL and step.detail.endswith("(days left: -4)"), step.detail


def test_text_report_shape():
    from secure_scoring.verify import Step, format_text

    report = VerifyReport(
        "https://scoring.example.test/score",
        [
            Step("dns", PASS, "ok"),
            Step("tcp", FAIL, "refused", "start it"),
            Step("tls-handshake", SKIP, "no TCP"),
        ],
    )
    text = format_text(report).splitlines()
    assert text[0] == "secure-scoring verify https://scoring.example.test/score"
    assert text[1].split() == ["PASS", "dns", "ok"]
    assert text[2].split()[:2] == ["FAIL", "tcp"] and text[3].strip() == "fix: start it"
    assert text[-1] == "FAILED: 1 failed, 1 passed, 1 skipped"
    assert report.to_dict()["ok"] is False and report.exit_code == 1


def test_verify_help_imports_neither_dnspython_nor_cryptography_nor_pulumi():
    code = (
        "import sys\n"
        "from secure_scoring.cli import build_parser\n"
        "build_parser().parse_args(['verify', 'https://scoring.example.test'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('dns', 'cryptography', 'pulumi'))\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
    help_text = cli("--help")
    assert help_text.returncode == 0
    assert "SECURE_SCORING_KEY" in help_text.stdout and "--dns-server" in help_text.stdout


@pytest.mark.parametrize(
    ("error", "needle"),
    [
        (
            TimeoutError("timed out"),
            "nothing came back within 0.5 s: if the scorer's run() is that slow, raise --timeout",
        ),
        (
            ConnectionResetError(104, "Connection reset by peer"),
            "check the gateway and the scorer behind it are running",
        ),
    ],
)
def test_auth_probe_without_an_answer_says_whether_it_timed_out(monkeypatch, error, needle):
    """A scorer slower than --timeout is no 'is it running?' problem: say that it timed out and that
    --timeout can be raised."""

    def no_answer(*args, **kwargs):
        raise error

    monkeypatch.setattr(vhttp, "https_request", no_answer)
    target_ = parse_url("https://scoring.example.test/score")
    outcome = tls.TlsOutcome([], ssl.create_default_context(), True)
    steps, _ = auth.auth_steps(target_, "127.0.0.1", outcome, "k" * 20, "key", 0.5)
    assert [(s.name, s.status) for s in steps] == [("auth-no-credential", FAIL), ("auth-credential", FAIL)]
    for step in steps:
        assert needle in step.fix, step.fix
