"""certs/hostnames: subjectAltName coverage of the requested hostnames (matching itself: tests/test_names.py)."""
# ruff: noqa: F811 - the bad fixture (support.pem_cases) is a parameter of the tests

from __future__ import annotations

import pytest

from secure_scoring.certs.pem import (
    covers,
    hostname_matches,
)
from support.pem_cases import Bad, bad, check, good_kwargs, one  # noqa: F401, F811 - bad is a fixture


def test_hostname_mismatch_names_the_host_and_the_sans(pki):
    report = check(
        pki.leaf.chain_pem(), pki.leaf.key_pem, hostname=["scoring.example.test", "api.example.test"]
    )
    assert report.codes == ["hostname-mismatch"]
    message = report.findings[0].message
    assert "'api.example.test'" in message and "scoring.example.test, localhost, 127.0.0.1" in message
    assert check(pki.leaf.chain_pem(), None, hostname=["LOCALHOST", "127.0.0.1", "scoring.example.test."]).ok
    assert check(pki.leaf.chain_pem(), None, hostname="127.0.0.2").codes == ["hostname-mismatch"]
    wildcard = pki.wildcard.chain_pem()
    assert check(wildcard, None, hostname="api.example.test").findings == []
    deep = check(wildcard, None, hostname=["a.b.example.test", "example.test"])
    assert deep.codes == ["hostname-mismatch", "hostname-mismatch"]
    assert "exactly one left-most label" in deep.findings[0].message


@pytest.mark.parametrize("ip", ["10.0.0.1", "2001:db8::1", "::ffff:127.0.0.1", "[2001:db8::2]"])
def test_hostname_mismatch_for_an_ip_advises_an_ip_san_and_no_wildcard(pki, bad, ip):
    from secure_scoring import names

    bare = names.normalize(ip)  # the canonical (compressed) form: ::ffff:127.0.0.1 is ::ffff:7f00:1
    for cert in (pki.leaf, pki.wildcard):
        finding = one(check(cert.chain_pem(), None, hostname=ip), "hostname-mismatch")
        assert f"re-issued with IP:{bare} in subjectAltName" in finding.fix, finding.fix
        assert "DNS:" not in finding.fix and "wildcard" not in finding.fix + finding.message
        assert "covered only by the same IP address" in finding.message
    cn_only = one(check(bad.cn_only.chain_pem(), None, hostname=ip), "hostname-mismatch")
    assert f"with IP:{bare} in subjectAltName" in cn_only.fix


def test_hostname_mismatch_wildcard_advice_names_the_wildcard(pki):
    deep = one(check(pki.wildcard.chain_pem(), None, hostname="a.b.example.test"), "hostname-mismatch")
    assert "DNS:a.b.example.test (or the wildcard DNS:*.b.example.test)" in deep.fix
    # a two-label name has no parent a wildcard may cover (*.test covers nothing)
    short = one(check(pki.leaf.chain_pem(), None, hostname="example.test"), "hostname-mismatch")
    assert "DNS:example.test in subjectAltName" in short.fix and "wildcard" not in short.fix


def test_no_san_without_cn_fallback(pki, bad):
    report = check(bad.cn_only.chain_pem(), bad.cn_only.key_pem, hostname="cn.example.test")
    assert report.codes == ["no-san"] and not report.ok
    assert (
        "CN=cn.example.test" in report.findings[0].message and "cn.example.test" in report.findings[0].message
    )
    other = check(bad.cn_only.chain_pem(), None, hostname="x.example.test")
    assert other.codes == ["no-san", "hostname-mismatch"]
    assert "no-san" not in check(**good_kwargs(pki)).codes


# ------------------------------------------------------------------------------------------ wildcards
@pytest.mark.parametrize(
    ("pattern", "hostname", "expected"),
    [
        ("scoring.example.com", "scoring.example.com", True),
        ("Scoring.Example.COM", "scoring.example.com", True),
        ("scoring.example.com.", "SCORING.example.com", True),
        ("scoring.example.com", "other.example.com", False),
        ("*.example.com", "scoring.example.com", True),
        ("*.example.com", "SCORING.EXAMPLE.COM", True),
        ("*.example.com", "example.com", False),  # not the bare domain
        ("*.example.com", "a.b.example.com", False),  # one label only
        ("*.example.com", ".example.com", False),  # empty label
        ("*.com", "example.com", False),  # wildcard over a single label
        ("*", "example", False),
        ("*.", "example.", False),
        ("f*.example.com", "foo.example.com", False),  # partial-label wildcard
        ("*oo.example.com", "foo.example.com", False),
        ("a.*.example.com", "a.b.example.com", False),  # not the left-most label
        ("*.*.example.com", "a.b.example.com", False),
        ("example.com", "*.example.com", False),
        ("*.example.com", "*.example.com", True),  # asking about the wildcard name itself
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.2", False),
        ("2001:db8::1", "2001:DB8:0:0::1", True),
        ("2001:db8::1", "[2001:db8::1]", True),
        ("*.0.0.1", "127.0.0.1", False),  # IPs never match wildcards
        ("*.example.com", "xn--bcher-kva.example.com", True),
        ("*.example.com", "bücher.example.com", True),  # IDN to A-label
        ("", "example.com", False),
        ("example.com", "", False),
    ],
)
def test_hostname_matches(pattern, hostname, expected):
    assert hostname_matches(pattern, hostname) is expected


def test_covers():
    assert covers(["a.example.com", "*.api.example.com"], "x.api.example.com")
    assert not covers(["a.example.com", "*.api.example.com"], "api.example.com")
    assert not covers([], "a.example.com")
