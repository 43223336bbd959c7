"""certs/trust.py: trust anchors (--ca-bundle, the system store), the cheap store, parse_at."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

import pytest

from secure_scoring.certs.trust import (
    SOURCE_CA_BUNDLE,
    SOURCE_SYSTEM,
    InvalidTrustInput,
    TrustAnchors,
    parse_at,
    system_store_path,
)
from support.chains import make_ca, make_leaf, pem_of


# ------------------------------------------------------------------------------------------- parse_at
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T12:00:00Z", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T12:00:00z", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T14:00:00+02:00", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T14:00:00+0200", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T14:00:00+02", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T07:30:00-04:30", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T12:00:00.005Z", datetime(2026, 5, 1, 12, 0, 0, 5000, tzinfo=UTC)),
        ("2026-05-01T12:00:00,5Z", datetime(2026, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2024-04-01T00:00:00.999+00:00", datetime(2024, 4, 1, 0, 0, 0, 999000, tzinfo=UTC)),
        ("2026-05-01 12:00", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
        ("2026-05-01T12:00:00", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),  # no zone: UTC
        ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
        (" 2026-05-01T12:00:00Z ", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_parse_at_accepts_iso_8601(text: str, expected: datetime) -> None:
    when = parse_at(text)
    assert when == expected
    assert when.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "now",
        "yesterday",
        "2026-13-01",
        "2026-02-30T00:00:00Z",
        "2026-05-01T25:00:00Z",
        "1714560000",
        "2026-W18",
        "20260501T120000Z",
        "2026-05-01T12:00:00 Z",
        "2026-05-01T12:00:00+2",
    ],
)
def test_parse_at_refuses_with_an_example(text: str) -> None:
    with pytest.raises(InvalidTrustInput) as info:
        parse_at(text)
    assert info.value.code == "time-invalid"
    assert "ISO 8601" in info.value.problem
    assert "2026-05-01T12:00:00Z" in info.value.fix


# ------------------------------------------------------------------------------------------- anchors
def test_from_files_reads_roots_and_intermediates(tmp_path) -> None:
    root = make_ca("Root A")
    inter = make_ca("Inter A", root)
    other = make_ca("Root B")
    (tmp_path / "a.pem").write_bytes(pem_of(root, inter))
    (tmp_path / "b.pem").write_bytes(other.pem)
    anchors = TrustAnchors.from_files([str(tmp_path / "a.pem"), str(tmp_path / "b.pem")])
    assert anchors.source == SOURCE_CA_BUNDLE and anchors.declared
    assert len(anchors.certificates) == 3
    assert anchors.contains(inter.cert) and anchors.contains(other.cert)
    assert "a.pem" in anchors.describe() and "b.pem" in anchors.describe()


def test_store_for_picks_only_the_issuers_of_the_chain() -> None:
    root = make_ca("Root A")
    inter = make_ca("Inter A", root)
    leaf = make_leaf(inter, ["a.example.com"])
    anchors = TrustAnchors([root.cert, make_ca("Root B").cert], SOURCE_CA_BUNDLE, "x")
    assert anchors.store_for([leaf.cert, inter.cert]) is not None
    assert anchors.store_for([leaf.cert]) is None  # Inter A is not an anchor: nothing can issue the leaf
    assert anchors.with_subject(root.cert.subject) == [root.cert]


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", "bundle-empty", "is empty"),
        (b"   \n", "bundle-empty", "is empty"),
        (b"hello world\n", "bundle-not-pem", "text without PEM markers"),
        (b"\x30\x82\x01\x00" + b"\x00" * 20, "bundle-not-pem", "DER"),
        (
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "bundle-no-certificate",
            "no certificate",
        ),
        (
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "bundle-not-pem",
            "cannot be read",
        ),
    ],
)
def test_bad_bundles_are_refused_with_a_fix(tmp_path, content: bytes, code: str, words: str) -> None:
    path = tmp_path / "roots.pem"
    path.write_bytes(content)
    with pytest.raises(InvalidTrustInput) as info:
        TrustAnchors.from_files([str(path)])
    assert info.value.code == code
    assert words in info.value.problem and "roots.pem" in info.value.problem
    assert info.value.fix


def test_missing_directory_and_unreadable_files_are_refused(tmp_path) -> None:
    with pytest.raises(InvalidTrustInput, match="does not exist") as info:
        TrustAnchors.from_files([str(tmp_path / "nope.pem")])
    assert "root certificate" in info.value.fix
    with pytest.raises(InvalidTrustInput, match="is a directory"):
        TrustAnchors.from_files([str(tmp_path)])


def test_a_non_ca_certificate_is_not_an_anchor(tmp_path) -> None:
    root = make_ca("Root A")
    leaf = make_leaf(root, ["a.example.com"])
    path = tmp_path / "chain.pem"
    path.write_bytes(pem_of(leaf, root))
    with pytest.raises(InvalidTrustInput) as info:
        TrustAnchors.from_files([str(path)])
    assert info.value.code == "anchor-not-ca"
    assert "certificate #1" in info.value.problem and "CA:FALSE" in info.value.problem
    assert "not the server certificate" in info.value.fix
    with pytest.raises(InvalidTrustInput):
        TrustAnchors.from_pem(leaf.pem, "ca_bundle_pem")


def test_an_anchor_without_basic_constraints_is_kept_for_the_verifier_to_judge() -> None:
    root = make_ca("Old Root", ca=None, key_usage=False)
    assert len(TrustAnchors.from_pem(root.pem.decode()).certificates) == 1


def test_a_leaf_without_basic_constraints_is_not_an_anchor(tmp_path) -> None:
    """mkcert's leaves have no basicConstraints, and a keyUsage without keyCertSign."""
    leafish = make_ca("leaf.example.com", ca=None)  # keyUsage digitalSignature only
    with pytest.raises(InvalidTrustInput) as info:
        TrustAnchors.from_pem(leafish.pem, "cert.pem")
    assert info.value.code == "anchor-not-ca" and "keyCertSign" in info.value.problem


# ------------------------------------------------------------------------------------------- system
def test_system_store_is_the_one_openssl_uses(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    paths = ssl.get_default_verify_paths()
    expected = paths.cafile or paths.openssl_cafile
    assert system_store_path() == expected
    root = make_ca("Env Root")
    (tmp_path / "env.pem").write_bytes(root.pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "env.pem"))
    anchors = TrustAnchors.system()
    assert anchors.source == SOURCE_SYSTEM and not anchors.declared
    assert anchors.certificates == [root.cert]


def test_system_store_of_the_os_has_public_roots(monkeypatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    if system_store_path() is None:
        pytest.skip("no OS trust store (make system installs ca-certificates)")
    anchors = TrustAnchors.system()
    assert len(anchors.certificates) > 50
    assert "system trust store" in anchors.describe()


def test_no_system_store_gives_empty_anchors(monkeypatch, tmp_path) -> None:
    import secure_scoring.certs.trust as trust

    monkeypatch.setattr(trust, "system_store_path", lambda: None)
    anchors = TrustAnchors.system()
    assert anchors.certificates == [] and anchors.store_for([]) is None
