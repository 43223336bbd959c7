"""secure_scoring.names: the one host-name parser and certificate-name matcher."""

from __future__ import annotations

import ipaddress
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from secure_scoring.names import (
    DnsName,
    InvalidHostname,
    IpAddress,
    covers,
    is_ip,
    matches,
    normalize,
    parse_host,
    parse_label,
    san_entry,
    split_host_port,
)


# ------------------------------------------------------------------------------------------ DNS names
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the example: IDNA-encoded, lower case, the absolute form's dot dropped
        ("Bücher.Example.com.", "xn--bcher-kva.example.com"),
        ("scoring.example.com", "scoring.example.com"),
        ("Scoring.Example.COM", "scoring.example.com"),
        ("scoring.example.com.", "scoring.example.com"),  # exactly one trailing dot: absolute form
        ("  scoring.example.com\t\n", "scoring.example.com"),  # surrounding whitespace stripped
        ("localhost", "localhost"),  # a single label is a host name
        ("LOCALHOST.", "localhost"),
        ("a-b.example.com", "a-b.example.com"),
        ("1a.example.com", "1a.example.com"),  # a label may start with a digit (RFC 1123)
        ("123.example.com", "123.example.com"),  # all-digit labels other than the last are fine
        ("host.example.c0m", "host.example.c0m"),  # a last label with a letter is not all-digit
        ("ab--cd.example.com", "ab--cd.example.com"),  # hyphens at 3-4 in an ASCII label: LDH, kept
        ("a" * 63 + ".example.com", "a" * 63 + ".example.com"),
        # internationalised names: UTS #46 mapping, IDNA 2008 A-labels
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),  # a valid A-label is kept
        ("XN--BCHER-KVA.Example", "xn--bcher-kva.example"),
        ("münchen.test", "xn--mnchen-3ya.test"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("scoring.пример.рф", "scoring.xn--e1afmkfd.xn--p1ai"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("bücher。example。com", "xn--bcher-kva.example.com"),  # ideographic full stop separates labels
        ("ＳＣＯＲＩＮＧ.example.com", "scoring.example.com"),  # full-width letters map to ASCII
        ("Ⅷ.de", "viii.de"),  # compatibility mapping
        ("ﬁle.de", "file.de"),
    ],
)
def test_dns_names_are_normalized(text, expected):
    name = parse_host(text)
    assert isinstance(name, DnsName)
    assert name.ascii == str(name) == normalize(text) == expected
    assert not name.is_wildcard
    assert name.labels == tuple(expected.split("."))


@pytest.mark.parametrize(
    ("text", "ascii", "unicode"),
    [
        # UTS #46 non-transitional processing (IDNA 2008, as browsers do); IDNA 2003 (and the
        # transitional mapping, and Python's built-in "idna" codec) would give the second column's
        # ASCII spelling: fass.de, strasse.de, ...
        ("faß.de", "xn--fa-hia.de", "faß.de"),
        ("Straße.de", "xn--strae-oqa.de", "straße.de"),
        ("βόλος.com", "xn--nxasmm1c.com", "βόλος.com"),  # final sigma kept (2003: σ)
        ("ශ්‍රී.com", "xn--10cl1a0b660p.com", "ශ්‍රී.com"),  # ZWJ kept where CONTEXTJ allows it
    ],
)
def test_idna_2008_non_transitional_not_2003(text, ascii, unicode):
    name = parse_host(text)
    assert (name.ascii, name.unicode) == (ascii, unicode)
    # the built-in codec is IDNA 2003: it maps these away (ß -> ss); the module must not
    assert text.lower().encode("idna").decode() != ascii


def test_unicode_form_for_messages():
    assert parse_host("xn--bcher-kva.example.com").unicode == "bücher.example.com"
    assert parse_host("*.XN--MNCHEN-3YA.test", allow_wildcard=True).unicode == "*.münchen.test"
    assert parse_host("scoring.example.com").unicode == "scoring.example.com"
    assert DnsName("xn--zz.example").unicode == "xn--zz.example"  # not built by parse_host: as is


def test_parsed_values_are_frozen_and_compare_by_canonical_form():
    assert parse_host("Bücher.Example.com.") == parse_host("xn--bcher-kva.example.com")
    assert hash(parse_host("A.example")) == hash(parse_host("a.example."))
    assert parse_host("[::1]") == parse_host("0:0::1")
    with pytest.raises(AttributeError):
        parse_host("a.example").ascii = "b.example"  # type: ignore[misc]


# ------------------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize(
    ("text", "code", "problem", "fix"),
    [
        # the example: two trailing dots are an empty label, not a second absolute marker
        (
            "scoring.example.com..",
            "empty-label",
            "an empty label (two dots at the end",
            "write it as 'scoring.example.com'",
        ),
        ("a..example.test", "empty-label", "an empty label (two dots in a row)", "'a.example.test'"),
        (".example.test", "empty-label", "an empty label (a leading dot)", "'example.test'"),
        ("exämple..test", "empty-label", "an empty label", "write it as"),
        ("..", "empty-label", "an empty label", "give a name such as"),
        (".", "root", "'.' is the DNS root", "give a name"),
        ("", "empty", "the host name is empty", "give a name"),
        ("   ", "empty", "the host name is empty", "give a name"),
        # all-digit names: neither an IP address nor a host name
        ("1.2.3", "invalid-ip", "'1.2.3' is not a valid IP address", "four numbers 0-255"),
        ("01.2.3.4", "invalid-ip", "is not a valid IP address", "without leading zeros"),
        ("127.000.0.1", "invalid-ip", "is not a valid IP address", "without leading zeros"),
        ("300.1.1.1", "invalid-ip", "is not a valid IP address", "0-255"),
        ("10.0.0.1.5", "invalid-ip", "is not a valid IP address", "four numbers"),
        ("1234", "invalid-ip", "is not a valid IP address", "or a DNS name"),
        ("host.example.123", "numeric-tld", "an all-digit top-level label (123)", "its last label"),
        ("example.1.", "numeric-tld", "an all-digit top-level label (1)", "its last label"),
        # LDH
        ("a" * 64 + ".test", "label-too-long", "a label longer than 63 characters", "63 characters"),
        ("-a.example.com", "hyphen", "starts or ends with '-'", "letter or digit"),
        ("a-.example.com", "hyphen", "starts or ends with '-'", "letter or digit"),
        ("a b.example.com", "characters", "contains ' '", "letters, digits and hyphens"),
        ("bad!.example.test", "characters", "contains '!'", "letters, digits and hyphens"),
        ("a%20b.example.test", "characters", "contains '%'", "letters, digits and hyphens"),
        ("a/b.example.test", "characters", "contains '/'", "letters, digits and hyphens"),
        ("a\x00b.example.test", "characters", "contains", "letters, digits and hyphens"),
        ("_acme-challenge.example.com", "underscore", "'_'", "hyphen instead"),
        ("a_b.example.com", "underscore", "DNS record names such as _acme-challenge", "hyphen"),
        # length: 253 in the A-label form
        (".".join(["a" * 63] * 4), "name-too-long", "255 characters long", "shorter"),
        (".".join(["ü" * 20] * 10), "name-too-long", "in its IDNA (xn--) form", "shorter"),
        # IDNA
        (
            "xn--zz.example.com",
            "idna",
            "'xn--zz' starts with xn-- but is not a valid IDNA A-label",
            "A-label",
        ),
        ("xn--.example.com", "hyphen", "starts or ends with '-'", "letter or digit"),
        ("xn--a.example.com", "idna", "not a valid IDNA A-label", "A-label"),
        ("xn--abc-.example.com", "hyphen", "starts or ends with '-'", "letter or digit"),
        ("xn--ls8h.la", "idna", "not a valid IDNA A-label", "A-label"),  # an emoji: not IDNA 2008
        ("💩.la", "idna", "not a valid internationalised domain name", "A-label form"),
        ("ä" * 64 + ".test", "idna", "not a valid internationalised domain name", "A-label form"),
        ("\u200d.example.com", "idna", "not a valid internationalised domain name", "A-label"),
        ("ab--ü.example.com", "idna", "not a valid internationalised domain name", "A-label"),
        # things that are not a bare host
        ("https://scoring.example.com/score", "url", "is a URL, not a hostname", "(scoring.example.com)"),
        ("scoring.example.com:443", "port", "includes a port (443)", "pass 'scoring.example.com'"),
        ("[::1]:8443", "port", "includes a port (8443)", "pass '::1'"),
        ("a:b:c", "characters", "is not a hostname or IP address", "IP address such as"),
        ("[scoring.example.com]", "brackets", "brackets enclose only an IP address", "without brackets"),
        ("[::1", "brackets", "brackets enclose only an IP address", "[2001:db8::1]"),
        ("[::1]x", "brackets", "is not an IP address", "in brackets"),
        ("fe80::1%eth0", "invalid-ip", "zone index (%eth0)", "pass 'fe80::1'"),
        ("[fe80::1%25eth0]", "invalid-ip", "zone index", "drop it"),
        # a wildcard where a concrete name is needed
        ("*.example.com", "wildcard-not-allowed", "is a wildcard pattern", "'a.example.com'"),
        ("f*.example.com", "wildcard-not-allowed", "is a wildcard pattern", "'scoring.example.com'"),
        ("*", "wildcard-not-allowed", "is a wildcard pattern", "'scoring.example.com'"),
    ],
)
def test_refusals_name_the_problem_and_the_fix(text, code, problem, fix):
    with pytest.raises(InvalidHostname) as caught:
        parse_host(text)
    e = caught.value
    assert (e.code, e.text) == (code, text)
    assert problem in e.problem, e.problem
    assert fix in e.fix, e.fix
    assert isinstance(e, ValueError)
    assert str(e) == f"{e.problem}. Fix: {e.fix}"
    assert not e.problem.endswith(".") and not e.fix.endswith(".")


@pytest.mark.parametrize("value", [None, 5, b"example.com", ["a.example"]])
def test_non_strings_are_refused_with_the_same_exception(value):
    with pytest.raises(InvalidHostname) as caught:
        parse_host(value)  # type: ignore[arg-type]
    assert caught.value.code == "not-a-string" and caught.value.text is value
    with pytest.raises(InvalidHostname):
        split_host_port(value)  # type: ignore[arg-type]
    with pytest.raises(InvalidHostname):
        parse_label(value)  # type: ignore[arg-type]


def test_callers_wrap_the_problem_and_fix_in_their_own_error():
    from secure_scoring.errors import ConfigurationError, UsageError

    try:
        parse_host("scoring.example.com..")
    except InvalidHostname as e:
        config, usage = (
            ConfigurationError("hostname", e.problem, e.fix),
            UsageError("--hostname", e.problem, e.fix),
        )
    assert str(config) == (
        "hostname: 'scoring.example.com..' is not a hostname: an empty label (two dots at the end: one "
        "trailing dot marks an absolute name, a second leaves an empty label). Fix: write it as "
        "'scoring.example.com'"
    )
    assert str(usage).startswith("--hostname: 'scoring.example.com..' is not a hostname")


def test_length_limits_are_on_the_a_label_form_without_the_trailing_dot():
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253
    assert len(longest) == 253
    assert parse_host(longest).ascii == longest
    assert parse_host(longest + ".").ascii == longest
    with pytest.raises(InvalidHostname, match="254 characters"):
        parse_host(longest + "d")


# ------------------------------------------------------------------------------------------ underscore
def test_underscores_only_when_asked_for():
    assert (
        str(parse_host("_svc.Scoring-1.example.test", allow_underscore=True)) == "_svc.scoring-1.example.test"
    )
    assert (
        str(parse_host("_acme-challenge.example.com", allow_underscore=True)) == "_acme-challenge.example.com"
    )
    with pytest.raises(InvalidHostname) as caught:
        parse_host("_svc.example.test")
    assert caught.value.code == "underscore"
    # other characters stay refused
    with pytest.raises(InvalidHostname, match="contains '!'"):
        parse_host("a!_b.example.test", allow_underscore=True)


# ------------------------------------------------------------------------------------------ IP addresses
@pytest.mark.parametrize(
    ("text", "expected", "version", "url_form"),
    [
        ("127.0.0.1", "127.0.0.1", 4, "127.0.0.1"),
        (" 192.0.2.10 ", "192.0.2.10", 4, "192.0.2.10"),
        ("[127.0.0.1]", "127.0.0.1", 4, "127.0.0.1"),  # as cert check / serve-local accept it
        ("127.0.0.1.", "127.0.0.1", 4, "127.0.0.1"),  # one trailing dot, as browsers read it
        ("::1", "::1", 6, "[::1]"),
        ("[::1]", "::1", 6, "[::1]"),
        ("2001:DB8:0:0::1", "2001:db8::1", 6, "[2001:db8::1]"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", 6, "[2001:db8::1]"),
        ("[2001:db8::1]", "2001:db8::1", 6, "[2001:db8::1]"),
        ("::", "::", 6, "[::]"),
        ("::ffff:192.0.2.1", str(ipaddress.IPv6Address("::ffff:192.0.2.1")), 6, None),
        ("１２７.０.０.１", "127.0.0.1", 4, "127.0.0.1"),  # full-width digits map to ASCII (UTS #46)
    ],
)
def test_ip_literals(text, expected, version, url_form):
    value = parse_host(text)
    assert isinstance(value, IpAddress)
    assert str(value) == normalize(text) == expected
    assert value.address == ipaddress.ip_address(expected) and value.version == version
    assert value.url_form == (url_form or f"[{expected}]")
    assert is_ip(text)
    assert parse_host(text, allow_wildcard=True) == value


@pytest.mark.parametrize("text", ["127.0.0.1", "[::1]", "2001:db8::1"])
def test_ip_refused_when_a_dns_name_is_needed(text):
    with pytest.raises(InvalidHostname) as caught:
        parse_host(text, allow_ip=False)
    assert caught.value.code == "ip-not-allowed"
    assert "is an IP address; a DNS name is needed here" in caught.value.problem


@pytest.mark.parametrize(
    "text",
    [
        "scoring.example.com",
        "1.2.3",
        "01.2.3.4",
        "a:b:c",
        "",
        "[scoring.example.com]",
        "*.0.0.1",
        "fe80::1%eth0",
    ],
)
def test_is_ip_is_false_for_everything_else(text):
    assert is_ip(text) is False


def test_is_ip_on_values():
    assert is_ip(parse_host("::1")) and not is_ip(parse_host("a.example")) and not is_ip(None)


# ------------------------------------------------------------------------------------------ wildcards
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*.example.com", "*.example.com"),
        ("*.Example.COM.", "*.example.com"),
        ("*.example.test.", "*.example.test"),
        ("*.münchen.test", "*.xn--mnchen-3ya.test"),
        ("*.a.b.example.com", "*.a.b.example.com"),
    ],
)
def test_wildcards_when_allowed(text, expected):
    name = parse_host(text, allow_wildcard=True)
    assert isinstance(name, DnsName) and name.is_wildcard
    assert str(name) == expected and name.labels[0] == "*"


@pytest.mark.parametrize(
    ("text", "problem", "fix"),
    [
        ("f*.example.com", "a wildcard inside a label", "use *.example.com"),
        ("*oo.example.com", "a wildcard inside a label", "use *.example.com"),
        ("**.example.com", "a wildcard inside a label", "use *.example.com"),
        ("a.*.example.com", "a wildcard below the left-most label", "use *.example.com"),
        ("*.*.example.com", "more than one wildcard", "*.example.com"),
        ("*.com", "a wildcard over a single label", "*.example.com"),
        ("*.com.", "a wildcard over a single label", "*.example.com"),
        ("*", "a wildcard over a single label", "*.example.com"),
        ("*.", "a wildcard over a single label", "*.example.com"),
    ],
)
def test_wildcards_refused_with_reasons(text, problem, fix):
    with pytest.raises(InvalidHostname) as caught:
        parse_host(text, allow_wildcard=True)
    assert caught.value.code == "wildcard"
    assert problem in caught.value.problem and fix in caught.value.fix


def test_wildcard_name_is_still_checked_below_the_star():
    for text, code in [
        ("*.a..example.com", "empty-label"),
        ("*.0.0.1", "numeric-tld"),
        ("*.a_b.example", "underscore"),
    ]:
        with pytest.raises(InvalidHostname) as caught:
            parse_host(text, allow_wildcard=True)
        assert caught.value.code == code, text


# ------------------------------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scoring", "scoring"),
        ("Scoring-1", "scoring-1"),
        ("bücher", "xn--bcher-kva"),
        ("1", "1"),
        ("xn--bcher-kva", "xn--bcher-kva"),
    ],
)
def test_parse_label(text, expected):
    assert parse_label(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty"), ("a.b", "characters"), ("a" * 64, "label-too-long"), ("-a", "hyphen"), ("a-", "hyphen"),
     ("a b", "characters"), ("_a", "underscore"), ("*", "wildcard"), ("xn--zz", "idna")],
)  # fmt: skip
def test_parse_label_refusals(text, code):
    with pytest.raises(InvalidHostname) as caught:
        parse_label(text)
    assert caught.value.code == code
    assert parse_label("_acme-challenge", allow_underscore=True) == "_acme-challenge"


# ------------------------------------------------------------------------------------------ host:port
@pytest.mark.parametrize(
    ("text", "default", "host", "port"),
    [
        ("127.0.0.1:5001", None, "127.0.0.1", 5001),
        ("localhost:5001", None, "localhost", 5001),
        ("Scoring.Example.com.:443", None, "scoring.example.com", 443),
        ("[::1]:5001", None, "::1", 5001),
        ("[2001:DB8::1]:53", None, "2001:db8::1", 53),
        ("10.0.0.4", 53, "10.0.0.4", 53),
        ("[::1]", 53, "::1", 53),
        ("::1", 53, "::1", 53),  # an unbracketed IPv6 address is a host alone
        ("::1:53", 53, "::1:53", 53),
        ("bücher.example:8443", None, "xn--bcher-kva.example", 8443),
    ],
)
def test_split_host_port(text, default, host, port):
    parsed, got = split_host_port(text, default_port=default)
    assert (str(parsed), got) == (host, port)


@pytest.mark.parametrize(
    ("text", "code", "problem"),
    [
        ("localhost", "port", "has no port"),
        ("localhost:", "port", "is not a number from 1 to 65535"),
        ("localhost:0", "port", "is not a number from 1 to 65535"),
        ("localhost:65536", "port", "is not a number from 1 to 65535"),
        ("localhost:+80", "port", "is not a number"),
        ("localhost:８０", "port", "is not a number"),
        ("[::1]x", "port", "is not host:port"),
        ("[::1", "port", "is not host:port"),
        ("a:b:c", "characters", "is not a hostname or IP address"),
        ("*.example.com:443", "wildcard-not-allowed", "wildcard"),
        ("bad!.example:80", "characters", "contains '!'"),
    ],
)
def test_split_host_port_refusals(text, code, problem):
    with pytest.raises(InvalidHostname) as caught:
        split_host_port(text)
    assert caught.value.code == code and problem in caught.value.problem


# ------------------------------------------------------------------------------------------ SAN entries
@pytest.mark.parametrize(
    ("host", "entry"),
    [
        ("scoring.example.com", "DNS:scoring.example.com"),
        ("Bücher.Example.com.", "DNS:xn--bcher-kva.example.com"),
        ("*.example.com", "DNS:*.example.com"),
        ("127.0.0.1", "IP:127.0.0.1"),
        ("[2001:DB8::1]", "IP:2001:db8::1"),
        (parse_host("::1"), "IP:::1"),
    ],
)
def test_san_entry(host, entry):
    assert san_entry(host) == entry


def test_san_entry_refuses_an_invalid_name():
    with pytest.raises(InvalidHostname):
        san_entry("scoring.example.com..")


# ------------------------------------------------------------------------------------------ matching
# the cases of tests/test_pem.py::test_hostname_matches (pem.hostname_matches), same answers
PEM_MATCHER_CASES = [
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
]

MORE_MATCHER_CASES = [
    ("xn--bcher-kva.example.com", "Bücher.Example.com.", True),
    ("*.xn--mnchen-3ya.test", "a.münchen.test", True),
    ("xn--fa-hia.de", "faß.de", True),  # IDNA 2008: ß kept
    ("fass.de", "faß.de", False),  # (IDNA 2003 would have said True)
    ("*.example.com", "*.other.com", False),
    ("*.a.example.com", "*.example.com", False),
    ("127.0.0.1", "[127.0.0.1]", True),
    ("::1", "0:0:0:0:0:0:0:1", True),
    ("::ffff:127.0.0.1", "127.0.0.1", False),  # different address families
    ("127.0.0.1", "127.0.0.1.", True),
    ("1.2.3.4", "1.2.3.4.example.com", False),
    ("*.example.com", "1.example.com", True),
    ("_svc.example.test", "_SVC.example.test", True),  # names DNS holds compare, underscore or not
    ("*.example.test", "_svc.example.test", True),
    ("scoring.example.com", "scoring.example.com..", False),  # an empty label is no name
    ("scoring.example.com..", "scoring.example.com", False),
    ("xn--zz.example", "xn--zz.example", False),  # an invalid entry covers nothing
    ("a b", "a b", False),
    ("localhost", "LOCALHOST.", True),
    ("*.example.com", "example.com.", False),
    (None, "example.com", False),
    ("example.com", None, False),
    (5, 5, False),
]


@pytest.mark.parametrize(("pattern", "host", "expected"), PEM_MATCHER_CASES + MORE_MATCHER_CASES)
def test_matches(pattern, host, expected):
    assert matches(pattern, host) is expected
    assert covers([pattern], host) is expected


@pytest.mark.parametrize(("pattern", "host", "expected"), PEM_MATCHER_CASES)
def test_matches_agrees_with_the_inspector_on_its_own_cases(pattern, host, expected):
    from secure_scoring.pem import hostname_matches

    assert matches(pattern, host) is hostname_matches(pattern, host) is expected


def test_matches_takes_parsed_values():
    assert matches(parse_host("*.example.com", allow_wildcard=True), parse_host("a.example.com"))
    assert matches("*.example.com", parse_host("a.example.com"))
    assert matches(parse_host("::1"), "[::1]")
    assert not matches(parse_host("::1"), parse_host("127.0.0.1"))


def test_covers():
    assert covers(["a.example.com", "*.api.example.com"], "x.api.example.com")
    assert not covers(["a.example.com", "*.api.example.com"], "api.example.com")
    assert not covers([], "a.example.com")
    assert covers(iter(["bad..name", "127.0.0.1"]), "127.0.0.1")  # any iterable; bad entries skipped
    assert not covers(["a.example.com"], "a.example.com..")
    assert not covers(None, "a.example.com")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ properties
_ALPHABET = st.sampled_from(list("abz019-_.*:[]% ") + ["ß", "ü", "Ü", "。", "xn--", "XN--", "\u200d", "١"])
_NAMEISH = st.lists(_ALPHABET, max_size=30).map("".join)
_TEXT = st.one_of(st.text(max_size=40), _NAMEISH)
_FLAGS = st.fixed_dictionaries(
    {"allow_wildcard": st.booleans(), "allow_ip": st.booleans(), "allow_underscore": st.booleans()}
)


@settings(max_examples=1500, deadline=None)
@given(text=_TEXT, flags=_FLAGS)
@example(text="scoring.example.com..", flags={})
@example(text="Bücher.Example.com.", flags={})
@example(text="*.ß.de", flags={"allow_wildcard": True})
def test_parse_raises_only_invalid_hostname_and_is_idempotent(text, flags):
    try:
        value = parse_host(text, **flags)
    except InvalidHostname as e:
        assert e.text == text and e.problem and e.fix and e.code
        return
    assert isinstance(value, DnsName | IpAddress)
    again = parse_host(str(value), **flags)
    assert again == value and str(again) == str(value)
    assert str(value).isascii() and str(value) == str(value).lower()
    if isinstance(value, DnsName):
        assert len(value.ascii) <= 253 and all(1 <= len(label) <= 63 for label in value.labels)
        assert parse_host(value.unicode, **flags) == value  # the U-label form reads back the same
    assert is_ip(text) is isinstance(value, IpAddress)


@settings(max_examples=800, deadline=None)
@given(pattern=_TEXT, host=_TEXT)
def test_matching_never_raises(pattern, host):
    result = matches(pattern, host)
    assert isinstance(result, bool)
    assert covers([pattern], host) is result


_LABEL = st.sampled_from(["a", "b", "example", "com", "1", "xn--bcher-kva", "Ab"])
_LAST = st.sampled_from(["a", "com", "Test", "xn--p1ai"])  # not all-digit: both read it as a name
_DOTTED = st.tuples(st.lists(_LABEL, max_size=3), _LAST).map(lambda t: ".".join([*t[0], t[1]]))
_WILDCARD = st.tuples(st.lists(_LABEL, min_size=1, max_size=2), _LAST).map(
    lambda t: ".".join(["*", *t[0], t[1]])
)
_PATTERN = st.one_of(_DOTTED, _WILDCARD, st.sampled_from(["127.0.0.1", "::1", "[::1]"]))


@settings(max_examples=500, deadline=None)
@given(pattern=_PATTERN, host=st.one_of(_PATTERN, _DOTTED), dot=st.booleans())
def test_matches_agrees_with_the_inspector_on_valid_names(pattern, host, dot):
    """On names both read the same way (valid ASCII names), matches == pem.hostname_matches."""
    from secure_scoring.pem import hostname_matches

    host = host + "." if dot and not host.startswith(("[", ":")) else host
    assert matches(pattern, host) is hostname_matches(pattern, host)


# ------------------------------------------------------------------------------------------ import cost
def test_importing_and_parsing_ascii_names_does_not_import_idna():
    code = (
        "import sys\n"
        "from secure_scoring import names\n"
        "names.parse_host('Scoring.Example.com.'); names.parse_host('[::1]')\n"
        "names.matches('*.example.com', 'a.example.com')\n"
        "assert 'idna' not in sys.modules, 'idna imported for ASCII names'\n"
        "assert 'pulumi' not in sys.modules and 'cryptography' not in sys.modules\n"
        "names.parse_host('bücher.example')\n"
        "assert 'idna' in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
