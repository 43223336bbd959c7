"""verify(): the steps in a client's order against a secure gateway; the IP-literal and
--connect-to paths (components/secure_scoring/verify/run.py)."""

from __future__ import annotations

import re

import pytest

from secure_scoring.errors import UsageError
from secure_scoring.verify import PASS, SKIP, verify
from support.fixtures_dataplane import PRIMARY_KEY
from support.fixtures_verify import ALL_PASS_STEPS, by_name

dataplane = pytest.mark.dataplane  # on the tests that start or use real servers


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
def test_ip_literal_url_skips_dns(verify_env):
    report = verify(
        f"https://127.0.0.1:{verify_env.gateways['secure'].port}/score",
        ca_bundle=verify_env.pki.ca_bundle_path,
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
def test_connect_to_checks_a_new_endpoint_before_dns_points_at_it(verify_env):
    verify_env.point(("scoring", "A", 60, "127.0.0.2"))  # DNS still points elsewhere (nothing listens there)
    report = verify(
        verify_env.url("secure"),
        connect_to="127.0.0.1",
        ca_bundle=verify_env.pki.ca_bundle_path,
        key=PRIMARY_KEY,
        timeout=3,
    )
    assert report.step("dns").status == SKIP and "--connect-to" in report.step("dns").detail
    assert report.ok, report.to_dict()
    assert report.step("certificate-hostname").status == PASS  # the URL's host, not the IP
    with pytest.raises(UsageError, match="cannot be combined"):
        verify(verify_env.url("secure"), connect_to="127.0.0.1", expect_ip="127.0.0.1")
    with pytest.raises(UsageError, match="not an IP address"):
        verify(verify_env.url("secure"), connect_to="localhost")
