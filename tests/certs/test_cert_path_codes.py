"""The path check's finding codes as the inspector reports them (inspect_bundle with trust anchors): one
test per code, made with cryptography (tests/support/chains.py) or taken from x509-limbo's cases."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secure_scoring.certs.pem import inspect_bundle
from secure_scoring.certs.trust import SOURCE_CA_BUNDLE, SOURCE_SYSTEM, TrustAnchors, parse_at
from support.chains import NOW, make_ca, make_leaf, pem_of

HOST = "api.example.com"
LIMBO = {
    c["id"]: c
    for c in json.loads((Path(__file__).parents[1] / "data" / "limbo" / "limbo-server.json").read_text())[
        "testcases"
    ]
}


def anchors_of(*cas) -> TrustAnchors:
    return TrustAnchors([c.cert for c in cas], SOURCE_CA_BUNDLE, "roots.pem")


def inspect(chain: bytes | str, anchors, *, hosts=(HOST,), at=NOW, environment="production"):
    return inspect_bundle(chain, None, hostname=list(hosts), environment=environment, now=at, anchors=anchors)


def codes(report, severity="error"):
    return [f.code for f in report.findings if f.severity == severity]


def limbo(case_id: str, environment: str = "production"):
    case = LIMBO[case_id]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from cryptography import x509

        roots = x509.load_pem_x509_certificates("\n".join(case["trusted_certs"]).encode())
    chain = "\n".join([case["peer_certificate"], *case["untrusted_intermediates"]])
    at = parse_at(case["validation_time"]) if case["validation_time"] else datetime.now(UTC)
    peer = case["expected_peer_name"]
    return inspect(chain, TrustAnchors(roots, SOURCE_CA_BUNDLE, "roots.pem"), hosts=[peer["value"]], at=at,
                   environment=environment)  # fmt: skip


@pytest.fixture(scope="module")
def root():
    return make_ca("Codes Root")


# ------------------------------------------------------------------------------------------- trust
def test_issuer_unknown(root) -> None:
    leaf = make_leaf(root, [HOST])
    system = TrustAnchors([make_ca("Public Root").cert], SOURCE_SYSTEM, "/etc/ssl/certs/ca-certificates.crt")
    dev = inspect(leaf.pem, system, environment="dev")
    assert dev.ok and codes(dev, "warning") == ["issuer-unknown"]
    assert "chain-incomplete" not in dev.codes  # nothing to append: pass the CA with --ca-bundle
    assert "--ca-bundle" in dev.findings[0].fix
    assert codes(inspect(leaf.pem, system)) == ["issuer-unknown"]
    assert inspect(leaf.pem, anchors_of(root)).findings == []  # a leaf issued directly by an anchor


def test_trust_store_unavailable(root) -> None:
    empty = TrustAnchors([], SOURCE_SYSTEM, "no system trust store")
    report = inspect(make_leaf(root, [HOST]).pem, empty, environment="staging")
    assert codes(report, "warning") == ["trust-store-unavailable"]


def test_path_not_found() -> None:
    report = limbo("webpki::aki::root-with-aki-missing-keyidentifier")
    assert "path-not-found" in codes(report)


def test_signature_invalid(root) -> None:
    impostor = make_ca("Codes Root")  # the anchor's name, another key
    report = inspect(make_leaf(impostor, [HOST]).pem, anchors_of(root))
    assert codes(report) == ["signature-invalid"]


# ------------------------------------------------------------------------------------------- the path's rules
def test_name_constraints_violated(root) -> None:
    ca = make_ca("Codes NC", root, excluded=["example.com"])
    report = inspect(pem_of(make_leaf(ca, [HOST]), ca), anchors_of(root), environment="dev")
    assert codes(report) == ["name-constraints-violated"]


def test_name_constraints_unsupported() -> None:
    assert "name-constraints-unsupported" in codes(limbo("rfc5280::nc::invalid-dnsname-leading-period"))


def test_ca_bit_missing(root) -> None:
    fake = make_ca("Codes Not CA", root, ca=False)
    report = inspect(pem_of(make_leaf(fake, [HOST]), fake), anchors_of(root))
    assert codes(report) == ["ca-bit-missing"]
    assert "CN=Codes Not CA" in report.findings[0].message


def test_ca_key_usage() -> None:
    assert "ca-key-usage" in codes(limbo("rfc5280::root-inconsistent-ca-extensions"))


def test_path_length_exceeded() -> None:
    top = make_ca("Codes Pathlen", path_length=0)
    mid = make_ca("Codes Mid", top)
    assert codes(inspect(pem_of(make_leaf(mid, [HOST]), mid), anchors_of(top))) == ["path-length-exceeded"]


def test_path_too_long() -> None:
    assert codes(limbo("pathological::intermediate-cycle-distinct-cas")) == ["path-too-long"]


def test_path_search_exhausted(root) -> None:
    ca = make_ca("Codes NC many", root, excluded=[f"x{i}.invalid" for i in range(1100)])
    leaf = make_leaf(ca, [HOST, *(f"h{i}.example.com" for i in range(1000))])
    assert codes(inspect(pem_of(leaf, ca), anchors_of(root))) == ["path-search-exhausted"]


def test_unknown_critical_extension(root) -> None:
    report = inspect(make_leaf(root, [HOST], critical_unknown=True).pem, anchors_of(root))
    assert codes(report) == ["unknown-critical-extension"]


def test_extension_invalid() -> None:
    assert "extension-invalid" in codes(limbo("rfc5280::aki::critical-aki"))


def test_extension_criticality(root) -> None:
    leaf = make_leaf(root, [HOST], cn=HOST, san_critical=True)
    dev = inspect(leaf.pem, anchors_of(root), environment="dev")
    assert dev.ok and codes(dev, "warning") == ["extension-criticality"]
    assert codes(inspect(leaf.pem, anchors_of(root))) == ["extension-criticality"]


def test_aki_missing(root) -> None:
    assert codes(inspect(make_leaf(root, [HOST], aki=False).pem, anchors_of(root))) == ["aki-missing"]


def test_cn_not_in_san(root) -> None:
    leaf = make_leaf(root, [HOST], cn="www.example.net")
    assert codes(inspect(leaf.pem, anchors_of(root))) == ["cn-not-in-san"]
    assert codes(inspect(leaf.pem, anchors_of(root), environment="dev"), "warning") == ["cn-not-in-san"]
    assert inspect(make_leaf(root, [HOST], cn="example.com").pem, anchors_of(root)).findings == []


def test_anchor_aki_fields() -> None:
    assert "anchor-aki-fields" in codes(limbo("webpki::aki::root-with-aki-all-fields"))


def test_cert_malformed() -> None:
    assert "cert-malformed" in codes(limbo("rfc5280::serial::too-long"))


# ------------------------------------------------------------------------------------------- with the inspector
def test_order_is_a_warning_once_a_path_verified(root) -> None:
    inter = make_ca("Codes Inter", root)
    leaf = make_leaf(inter, [HOST])
    report = inspect(pem_of(leaf, root, inter), anchors_of(root))
    assert report.ok and codes(report, "warning") == ["chain-order"]
    assert report.trust == "declared-ca"
    assert report.trusted_chain[1:] == ["CN=Codes Inter", "CN=Codes Root"]
    assert codes(inspect(pem_of(inter, leaf), anchors_of(root))) == ["chain-order"]  # leaf not first: error


def test_an_expired_certificate_off_the_verified_path_is_a_warning(root) -> None:
    old = make_ca("Codes Old", not_after=NOW - timedelta(days=1))
    leaf = make_leaf(root, [HOST])
    report = inspect(pem_of(leaf, old), anchors_of(root))
    assert report.ok
    assert {f.code: f.severity for f in report.findings}["cert-expired"] == "warning"


def test_validity_is_judged_at_the_instant(root) -> None:
    leaf = make_leaf(root, [HOST])
    end = leaf.cert.not_valid_after_utc
    assert inspect(leaf.pem, anchors_of(root), at=end + timedelta(microseconds=5000)).ok  # inclusive second
    assert codes(inspect(leaf.pem, anchors_of(root), at=end + timedelta(seconds=1))) == ["cert-expired"]
    soon = inspect(leaf.pem, anchors_of(root), at=end - timedelta(days=3))
    assert codes(soon, "warning") == ["cert-expiring-soon"]
