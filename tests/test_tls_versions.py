"""secure_scoring.tls_versions: parsing, ordering, names, nginx ssl_protocols and floors."""

from __future__ import annotations

import math
import re
import ssl
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secure_scoring import tls_versions as tv
from secure_scoring.tls_versions import TlsVersion

V10, V11, V12, V13 = TlsVersion.TLS1_0, TlsVersion.TLS1_1, TlsVersion.TLS1_2, TlsVersion.TLS1_3


# rules._tls_version as it was when tls_versions was written (its _num inlined): parse_pair must
# accept and refuse exactly what it did, whatever rules.py becomes.
def _reference_tls_version(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str):
        if isinstance(value, bool) or value is None or not isinstance(value, int | float):
            return None
        value = str(float(value))
    text = value.strip().lower().replace("tlsv", "").replace("tls", "").strip(" _v")
    m = re.fullmatch(r"(\d+)(?:[._](\d+))?", text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0)


SPELLINGS = [
    # plain
    ("1.2", V12),
    ("1.3", V13),
    ("1.0", V10),
    ("1.1", V11),
    ("1", V10),
    (" 1.2 ", V12),
    ("1_2", V12),
    # TLS prefixes, any case
    ("TLS1.2", V12),
    ("tls1.2", V12),
    ("TLSv1.2", V12),
    ("tlsv1.3", V13),
    ("TLS 1.2", V12),
    ("TLS v1.2", V12),
    ("v1.2", V12),
    ("TLSv1", V10),  # OpenSSL's / nginx's name of TLS 1.0
    ("TLSv1.0", V10),
    ("TLSv1.1", V11),
    # Azure's minimalTlsVersion enum values
    ("TLS1_0", V10),
    ("TLS1_1", V11),
    ("TLS1_2", V12),
    ("tls1_2", V12),
    ("Tls1_3", V13),
    ("TLS_1_2", V12),
    ("TLSv1_2", V12),
    # numbers (pulumi-policy props and YAML config arrive as floats / ints)
    (1.2, V12),
    (1.3, V13),
    (1.0, V10),
    (1, V10),
    # a member is its own spelling
    (V12, V12),
]

REFUSED = [
    None,
    True,
    False,
    "",
    "   ",
    "TLS",
    "tlsv",
    "1.2.0",
    "1-2",
    "1,2",
    "1.",
    ".2",
    "TLSv1.2 TLSv1.3",
    "SSLv3",
    "sslv2",
    "high",
    "latest",
    "-1.2",
    -1.2,
    math.nan,
    math.inf,
    10**400,  # too large for a float
    [1, 2],
    (1, 2),
    {"v": "1.2"},
    b"1.2",
    object(),
]

# read as numbers by parse_pair (rules._tls_version's behaviour) but not TLS 1.0-1.3: parse refuses
NOT_TLS_1X = [
    ("1.4", (1, 4)),
    ("2", (2, 0)),
    (2, (2, 0)),
    ("0.9", (0, 9)),
    ("TLS12", (12, 0)),  # Azure Front Door's enum spelling; a quirk of rules._tls_version
    ("TLS10", (10, 0)),
    ("1.10", (1, 10)),
    (1.25, (1, 25)),
    ("1.02", (1, 2)),  # int("02") == 2
]


@pytest.mark.parametrize(("value", "expected"), SPELLINGS)
def test_parse_every_spelling(value, expected):
    assert tv.parse(value) is expected
    assert tv.parse_pair(value) == expected.pair


@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_parse_refuses(value):
    assert tv.parse(value) is None
    assert tv.parse_pair(value) is None


@pytest.mark.parametrize(("value", "pair"), NOT_TLS_1X)
def test_numbers_other_than_tls_1x(value, pair):
    assert tv.parse_pair(value) == pair
    if pair != (1, 2):
        assert tv.parse(value) is None


@pytest.mark.parametrize(
    "value",
    [v for v, _ in SPELLINGS if not isinstance(v, TlsVersion)]
    + [v for v in REFUSED if not isinstance(v, int) or v != 10**400]
    + [v for v, _ in NOT_TLS_1X],
    ids=repr,
)
def test_parse_pair_matches_rules_tls_version(value):
    assert tv.parse_pair(value) == _reference_tls_version(value)


@given(
    st.one_of(
        st.text(alphabet="TtLlSsVv _.-,0123456789 ", max_size=12),
        st.text(max_size=8),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**6), max_value=10**6),
        st.none(),
        st.booleans(),
    )
)
def test_parse_pair_matches_rules_tls_version_anywhere(value):
    assert tv.parse_pair(value) == _reference_tls_version(value)


def test_ordering():
    assert list(TlsVersion) == [V10, V11, V12, V13]
    assert V10 < V11 < V12 < V13
    assert V13 > V12 >= V12 and V12 <= V12
    assert sorted([V13, V10, V12, V11]) == [V10, V11, V12, V13]
    assert max(TlsVersion) is V13 and min(TlsVersion) is V10
    assert TlsVersion((1, 2)) == V12
    assert V12 != (1, 2) and V12 != "1.2"
    with pytest.raises(TypeError):
        _ = V12 < (1, 3)  # compare .pair with tuples explicitly
    with pytest.raises(TypeError):
        _ = ssl.TLSVersion.TLSv1_3 > V12


@pytest.mark.parametrize(
    ("version", "text", "label", "nginx", "wire", "member"),
    [
        (V10, "1.0", "TLS 1.0", "TLSv1", 0x0301, ssl.TLSVersion.TLSv1),
        (V11, "1.1", "TLS 1.1", "TLSv1.1", 0x0302, ssl.TLSVersion.TLSv1_1),
        (V12, "1.2", "TLS 1.2", "TLSv1.2", 0x0303, ssl.TLSVersion.TLSv1_2),
        (V13, "1.3", "TLS 1.3", "TLSv1.3", 0x0304, ssl.TLSVersion.TLSv1_3),
    ],
)
def test_names(version, text, label, nginx, wire, member):
    assert (version.text, version.label, version.nginx, version.wire) == (text, label, nginx, wire)
    assert version.ssl is member
    assert str(version) == f"{version}" == label
    assert tv.from_ssl(member) is version and tv.from_ssl(wire) is version
    assert tv.label_of(member) == tv.label_of(version) == label
    # every name parses back
    for spelling in (text, label, nginx, version.name, float(text)):
        assert tv.parse(spelling) is version


def test_ssl_names_for_the_verifier():
    assert tv.label_of(ssl.TLSVersion.TLSv1_1) == "TLS 1.1"
    assert {v.ssl: v.label for v in TlsVersion} == {
        ssl.TLSVersion.TLSv1: "TLS 1.0",
        ssl.TLSVersion.TLSv1_1: "TLS 1.1",
        ssl.TLSVersion.TLSv1_2: "TLS 1.2",
        ssl.TLSVersion.TLSv1_3: "TLS 1.3",
    }
    assert [v.ssl for v in tv.BROKEN] == [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1]
    for other in (ssl.TLSVersion.SSLv3, ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.MAXIMUM_SUPPORTED):
        assert tv.from_ssl(other) is None
        assert tv.label_of(other) == other.name
    assert tv.from_ssl(True) is None and tv.from_ssl("TLSv1.2") is None and tv.from_ssl(None) is None


def test_constants():
    assert tv.SUPPORTED_FLOORS == ("1.2", "1.3")
    assert tv.DEFAULT_FLOOR == "1.2" and tv.DEFAULT_FLOOR in tv.SUPPORTED_FLOORS
    assert tv.BROKEN == (V10, V11)
    assert all(tv.parse(f) not in tv.BROKEN for f in tv.SUPPORTED_FLOORS)
    assert [tv.parse(f) for f in tv.SUPPORTED_FLOORS] == [V12, V13]


# ------------------------------------------------------------------------------------------ floors
@pytest.mark.parametrize(("value", "expected"), [("1.2", "1.2"), ("1.3", "1.3"), (V12, "1.2"), (V13, "1.3")])
def test_require_floor_accepts(value, expected):
    got = tv.require_floor(value)
    assert got == expected and type(got) is str


@pytest.mark.parametrize(
    "value",
    ["1.1", "1.0", "TLSv1.2", "TLS1_2", " 1.2", "1.4", "", None, 1.2, 1.3, 12, V10, V11, ["1.2"]],
    ids=repr,
)
def test_require_floor_refuses(value):
    with pytest.raises(tv.InvalidTlsVersion) as info:
        tv.require_floor(value)
    err = info.value
    assert isinstance(err, ValueError)
    # gateway.py's texts (tests/dataplane/test_gateway_render.py pins "must be" and "refused")
    assert err.problem == f"must be '1.2' or '1.3', got {value!r}; TLS 1.0 and 1.1 are broken and refused"
    assert err.fix == "use '1.2' (TLS 1.2 and 1.3) or '1.3' (TLS 1.3 only)" == tv.FLOOR_FIX
    assert str(err) == f"{err.problem}; {err.fix}"


# ------------------------------------------------------------------------------------------ nginx
@pytest.mark.parametrize(
    ("floor", "protocols"),
    [("1.2", "TLSv1.2 TLSv1.3"), ("1.3", "TLSv1.3"), (V12, "TLSv1.2 TLSv1.3"), (V13, "TLSv1.3")],
)
def test_nginx_protocols(floor, protocols):
    assert tv.nginx_protocols(floor) == protocols
    assert tv.floor_of_nginx_protocols(protocols) is tv.parse(floor)
    assert tv.floor_of_nginx_protocols(protocols.split()) is tv.parse(floor)


def test_nginx_protocols_default_is_the_default_floor():
    assert tv.nginx_protocols() == "TLSv1.2 TLSv1.3" == tv.nginx_protocols(tv.DEFAULT_FLOOR)


@pytest.mark.parametrize("floor", ["1.1", "1.0", V10, V11, "TLSv1.2", 1.2, "1.4", None])
def test_nginx_protocols_refuses_what_require_floor_refuses(floor):
    with pytest.raises(tv.InvalidTlsVersion, match="must be '1.2' or '1.3'"):
        tv.nginx_protocols(floor)


@pytest.mark.parametrize("version", list(TlsVersion))
def test_nginx_round_trip_every_version(version):
    text = tv.nginx_protocols(version, allow_broken=True)
    assert text.split() == [v.nginx for v in TlsVersion if v >= version]
    assert tv.floor_of_nginx_protocols(text) is version
    assert tv.nginx_protocols(version.nginx, allow_broken=True) == text  # any parse() spelling


def test_nginx_protocols_allow_broken_still_needs_a_version():
    assert tv.nginx_protocols("1.0", allow_broken=True) == "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"
    for bad in ("1.4", "SSLv3", None, "x"):
        with pytest.raises(tv.InvalidTlsVersion, match="not a TLS version"):
            tv.nginx_protocols(bad, allow_broken=True)


@pytest.mark.parametrize(
    ("value", "floor"),
    [
        ("TLSv1.2 TLSv1.3", V12),
        ("TLSv1.3", V13),
        ("TLSv1.3 TLSv1.2", V12),
        ("TLSv1 TLSv1.1 TLSv1.2", V10),
        ("TLSv1 TLSv1.2", V10),  # a gap does not matter: the lowest is what an attacker gets
        ("TLSv1.1 TLSv1.2 TLSv1.3", V11),
        ("tlsv1.2 TLSV1.3", V12),  # nginx matches case-insensitively
        ("  TLSv1.2\n  TLSv1.3 ", V12),
        (("TLSv1.2", "TLSv1.3"), V12),  # a directive's arguments
        ("TLSv1.2 TLSv9 bogus", V12),  # unknown tokens (nginx refuses them) are ignored
        # None: nothing to vouch for
        ("SSLv3 TLSv1.2 TLSv1.3", None),  # SSL is below every TLS version
        ("SSLv2 TLSv1.3", None),
        ("sslv3", None),
        ("", None),
        ((), None),
        ("TLSv1.0", None),  # not an nginx token (TLS 1.0 is TLSv1)
        ("1.2", None),
    ],
)
def test_floor_of_nginx_protocols(value, floor):
    assert tv.floor_of_nginx_protocols(value) is floor


@pytest.mark.parametrize(
    ("value", "floor", "below"),
    [
        ("TLSv1 TLSv1.1 TLSv1.2", "1.2", ["TLSv1", "TLSv1.1"]),  # test_rules' message order
        ("TLSv1 TLSv1.2", V12, ["TLSv1"]),
        ("TLSv1.1\n  TLSv1.2", "1.2", ["TLSv1.1"]),
        ("TLSv1.2 TLSv1.3", "1.2", []),
        ("TLSv1.2 TLSv1.3", "1.3", ["TLSv1.2"]),
        ("TLSv1.2 TLSv1.3", (1.3), ["TLSv1.2"]),  # a float minVersion from config
        ("SSLv3 TLSv1.3", "1.0", ["SSLv3"]),  # SSL is always below
        ("SSLv2 SSLv3 sslv3", V13, ["SSLv2", "SSLv3", "sslv3"]),  # as written, each spelling once
        ("TLSv1 TLSv1 tlsv1", V12, ["TLSv1", "tlsv1"]),
        ("TLSv9 bogus", V13, []),  # unknown tokens never
        (("TLSv1", "TLSv1.2"), "1.2", ["TLSv1"]),
    ],
)
def test_nginx_protocols_below(value, floor, below):
    assert tv.nginx_protocols_below(value, floor) == below


def test_nginx_protocols_below_needs_a_floor():
    with pytest.raises(tv.InvalidTlsVersion):
        tv.nginx_protocols_below("TLSv1", "garbage")


# ------------------------------------------------------------------------------------------ import cost
def test_imports_no_pulumi_and_no_ssl():
    code = (
        "import secure_scoring.tls_versions, sys; "
        "assert not any(m.startswith('pulumi') for m in sys.modules), 'pulumi imported'; "
        "assert 'ssl' not in sys.modules, 'ssl imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
