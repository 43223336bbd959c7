"""certs/hostnames: subjectAltName coverage of the requested hostnames (matching itself: tests/test_names.py)."""
# ruff: noqa: F811 - the bad fixture (support.pem_cases) is a parameter of the tests

from __future__ import annotations

import pytest

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


# the matcher itself (hostname_matches is names.matches): its cases are in tests/test_names.py


# --------------------------------------------------------------------------------------------- cert check --hostname
import pytest  # noqa: E402

from secure_scoring import names  # noqa: E402
from secure_scoring.cli.cert import _check_hostnames  # noqa: E402
from secure_scoring.errors import UsageError  # noqa: E402


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("foo_bar.example.com", "foo_bar.example.com"),
        ("xn--628h.example.com", "xn--628h.example.com"),  # an emoji: IDNA 2008 refuses it
        ("XN--N3H.com", "xn--n3h.com"),
        ("Bücher.example.com.", "xn--bcher-kva.example.com"),
    ],
)
def test_cert_check_hostname_accepts_what_a_certificate_may_name(given, expected) -> None:
    assert _check_hostnames([given]) == [expected]


@pytest.mark.parametrize("bad", ["a b.example.com", "bad!.example.com", "*.example.com", "host:443", ""])
def test_cert_check_hostname_still_refuses_what_is_no_name(bad) -> None:
    with pytest.raises(UsageError):
        _check_hostnames([bad])


def test_other_callers_keep_the_strict_parser() -> None:
    for text in ("foo_bar.example.com", "xn--628h.example.com"):
        with pytest.raises(names.InvalidHostname):
            names.parse_host(text)
    assert str(names.parse_host("xn--628h.example.com", opaque_a_labels=True)) == "xn--628h.example.com"
    with pytest.raises(names.InvalidHostname):  # opaque, but still letters, digits and hyphens
        names.parse_host("xn--a!b.example.com", opaque_a_labels=True)
