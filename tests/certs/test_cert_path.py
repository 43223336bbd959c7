"""certs/path.py: path validation with cryptography's verifier, findings with codes, severities, fixes."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from secure_scoring.certs.path import (
    PATH_CODES,
    TRUST_DECLARED,
    TRUST_PUBLIC,
    TRUST_UNKNOWN,
    classify,
    verify_path,
)
from secure_scoring.certs.trust import SOURCE_CA_BUNDLE, SOURCE_SYSTEM, TrustAnchors
from support.chains import NOW, make_ca, make_leaf

HOST = "api.example.com"


def bundle(*cas) -> TrustAnchors:
    return TrustAnchors([c.cert for c in cas], SOURCE_CA_BUNDLE, "roots.pem")


def check(leaf, *inter, anchors, hosts=(HOST,), at=NOW, production=True):
    return verify_path(
        leaf.cert,
        [i.cert for i in inter],
        anchors=anchors,
        hostnames=list(hosts),
        at=at,
        production=production,
    )


def codes(result, severity="error"):
    return [f.code for f in result.findings if f.severity == severity]


@pytest.fixture(scope="module")
def root():
    return make_ca("Test Root")


@pytest.fixture(scope="module")
def inter(root):
    return make_ca("Test Intermediate", root)


# ------------------------------------------------------------------------------------------- verified
def test_leaf_issued_directly_by_a_root_in_the_bundle_is_a_complete_chain(root) -> None:
    leaf = make_leaf(root, [HOST])
    result = check(leaf, anchors=bundle(root))
    assert result.verified and result.ok and result.findings == ()
    assert result.chain == (leaf.cert, root.cert) and result.trust == TRUST_DECLARED


def test_leaf_intermediate_root(root, inter) -> None:
    leaf = make_leaf(inter, [HOST])
    result = check(leaf, inter, anchors=bundle(root))
    assert result.verified and result.ok
    assert [c.subject for c in result.chain] == [leaf.cert.subject, inter.cert.subject, root.cert.subject]


def test_an_intermediate_anchor_ends_the_path(root, inter) -> None:
    leaf = make_leaf(inter, [HOST])
    result = check(leaf, anchors=bundle(inter))
    assert result.verified and result.chain == (leaf.cert, inter.cert)


def test_the_root_in_the_file_is_allowed_and_noted(root, inter) -> None:
    leaf = make_leaf(inter, [HOST])
    result = check(leaf, inter, root, anchors=bundle(root))
    assert result.verified and result.ok and result.findings == ()
    assert result.anchor_in([inter.cert, root.cert]) and not result.anchor_in([inter.cert])


def test_order_of_intermediates_in_the_file_does_not_matter(root) -> None:
    i1 = make_ca("I1", root)
    i2 = make_ca("I2", i1)
    leaf = make_leaf(i2, [HOST])
    assert check(leaf, i1, i2, anchors=bundle(root)).verified


def test_several_hostnames_are_each_matched(root) -> None:
    leaf = make_leaf(root, [HOST, "192.0.2.10"])
    assert check(leaf, anchors=bundle(root), hosts=[HOST, "192.0.2.10"]).ok
    result = check(leaf, anchors=bundle(root), hosts=[HOST, "other.example.com"])
    assert result.verified and codes(result) == ["hostname-mismatch"]


def test_without_hostnames_the_leaf_names_are_used(root) -> None:
    assert check(make_leaf(root, ["*.example.com"]), anchors=bundle(root), hosts=()).ok
    assert check(make_leaf(root, ["192.0.2.1"]), anchors=bundle(root), hosts=()).ok


def test_idn_hostnames_go_through_the_project_parser(root) -> None:
    leaf = make_leaf(root, ["xn--bcher-kva.example.com"])
    assert check(leaf, anchors=bundle(root), hosts=["Bücher.Example.com."]).ok


# ------------------------------------------------------------------------------------------- refused
def test_excluded_name_constraint(root) -> None:
    ca = make_ca("NC CA", root, excluded=["example.com"])
    result = check(make_leaf(ca, [HOST]), ca, anchors=bundle(root), production=False)
    assert not result.verified and codes(result) == ["name-constraints-violated"]
    assert "excluded name constraint" in result.findings[0].message
    assert result.findings[0].fix == PATH_CODES["name-constraints-violated"][1]


def test_permitted_name_constraint(root) -> None:
    ca = make_ca("NC CA permitted", root, permitted=["example.com"])
    assert check(make_leaf(ca, [HOST]), ca, anchors=bundle(root)).ok
    result = check(make_leaf(ca, ["api.example.org"]), ca, anchors=bundle(root), hosts=["api.example.org"])
    assert codes(result) == ["name-constraints-violated"]


@pytest.mark.parametrize("ca_bit", [False, None])
def test_intermediate_without_the_ca_bit(root, ca_bit) -> None:
    fake = make_ca("Not A CA", root, ca=ca_bit)
    result = check(make_leaf(fake, [HOST]), fake, anchors=bundle(root))
    assert not result.verified and codes(result) == ["ca-bit-missing"]
    assert "CN=Not A CA" in result.findings[0].message


def test_unknown_critical_extension_in_the_leaf_and_in_an_intermediate(root) -> None:
    result = check(make_leaf(root, [HOST], critical_unknown=True), anchors=bundle(root))
    assert codes(result) == ["unknown-critical-extension"]
    odd = make_ca("Odd CA", root, critical_unknown=True)
    assert codes(check(make_leaf(odd, [HOST]), odd, anchors=bundle(root))) == ["unknown-critical-extension"]


def test_pathlen_exceeded() -> None:
    top = make_ca("Pathlen Root", path_length=0)
    mid = make_ca("Pathlen Mid", top)
    result = check(make_leaf(mid, [HOST]), mid, anchors=bundle(top))
    assert codes(result) == ["path-length-exceeded"]


def test_missing_aki_in_the_leaf(root) -> None:
    assert codes(check(make_leaf(root, [HOST], aki=False), anchors=bundle(root))) == ["aki-missing"]


def test_intermediates_in_a_cycle_without_an_anchor(root) -> None:
    a_key = make_ca("Loop A").key
    b = make_ca("Loop B", make_ca("Loop A", key=a_key))
    a = make_ca("Loop A", b, key=a_key)
    leaf = make_leaf(a, [HOST])
    result = check(leaf, a, b, anchors=bundle(root), production=False)
    assert not result.verified and codes(result) == ["path-too-long"]
    assert "cycle" in result.findings[0].message


def test_validity_at_the_instant(root) -> None:
    leaf = make_leaf(root, [HOST])
    not_before, not_after = leaf.cert.not_valid_before_utc, leaf.cert.not_valid_after_utc
    assert check(leaf, anchors=bundle(root), at=not_after).ok  # notAfter is inclusive
    assert codes(check(leaf, anchors=bundle(root), at=not_after + timedelta(seconds=1))) == ["cert-expired"]
    assert codes(check(leaf, anchors=bundle(root), at=not_before - timedelta(seconds=1))) == [
        "cert-not-yet-valid"
    ]
    old_root = make_ca("Expired Root", not_after=NOW - timedelta(days=1))
    assert codes(check(make_leaf(old_root, [HOST]), anchors=bundle(old_root))) == ["cert-expired"]


# ------------------------------------------------------------------------------------------- unknown issuer
def test_issuer_unknown_is_a_warning_outside_production_against_the_system_store(root) -> None:
    leaf = make_leaf(root, [HOST])
    unrelated = TrustAnchors([make_ca("Unrelated Root").cert], SOURCE_SYSTEM, "/etc/ssl/certs/x.crt")
    dev = check(leaf, anchors=unrelated, production=False)
    assert not dev.verified and dev.ok and dev.trust == TRUST_UNKNOWN
    assert codes(dev, "warning") == ["issuer-unknown"]
    assert "--ca-bundle" in dev.findings[0].fix and "CN=Test Root" in dev.findings[0].message
    prod = check(leaf, anchors=unrelated, production=True)
    assert codes(prod) == ["issuer-unknown"]
    # declared anchors that do not issue the chain: an error everywhere
    assert codes(check(leaf, anchors=bundle(make_ca("Unrelated Root")), production=False)) == [
        "issuer-unknown"
    ]


def test_root_in_the_file_but_not_trusted_still_judges_the_rest_of_the_path(root) -> None:
    ca = make_ca("NC CA dev", root, excluded=["example.com"])
    leaf = make_leaf(ca, [HOST])
    unrelated = TrustAnchors([make_ca("Unrelated Root").cert], SOURCE_SYSTEM, "/etc/ssl/certs/x.crt")
    result = check(leaf, ca, root, anchors=unrelated, production=False)
    assert codes(result, "warning") == ["issuer-unknown"]
    assert "ends at the root CN=Test Root" in result.findings[0].message
    assert codes(result) == ["name-constraints-violated"]
    good = check(make_leaf(root, [HOST]), root, anchors=unrelated, production=False)
    assert good.ok and good.provisional and not good.verified


def test_a_self_signed_leaf_is_left_to_the_inspector() -> None:
    own = make_ca("self.example.com", ca=False)
    result = verify_path(own.cert, [], anchors=bundle(make_ca("R")), hostnames=[], at=NOW, production=True)
    assert not result.verified and result.findings == ()


def test_no_system_store(root) -> None:
    empty = TrustAnchors([], SOURCE_SYSTEM, "no system trust store")
    result = check(make_leaf(root, [HOST]), anchors=empty, production=False)
    assert codes(result, "warning") == ["trust-store-unavailable"]


def test_same_name_other_key(root) -> None:
    impostor = make_ca("Test Root")  # same name, another key
    result = check(make_leaf(impostor, [HOST]), anchors=bundle(root))
    assert codes(result) == ["signature-invalid"]
    assert "same name, other key" in result.findings[0].fix


# ------------------------------------------------------------------------------------------- criticality
def test_critical_san_with_a_subject_is_relaxed_outside_production(root) -> None:
    leaf = make_leaf(root, [HOST], cn=HOST, san_critical=True)
    dev = check(leaf, anchors=bundle(root), production=False)
    assert dev.verified and dev.ok and codes(dev, "warning") == ["extension-criticality"]
    prod = check(leaf, anchors=bundle(root), production=True)
    assert prod.verified and codes(prod) == ["extension-criticality"]
    # the relaxed profile still matches host names
    assert codes(check(leaf, anchors=bundle(root), production=False, hosts=["x.example.org"])) == [
        "hostname-mismatch"
    ]


def test_critical_eku_is_relaxed_outside_production(root) -> None:
    leaf = make_leaf(root, [HOST], eku_critical=True)
    dev = check(leaf, anchors=bundle(root), production=False)
    assert dev.verified and codes(dev, "warning") == ["extension-criticality"]


# ------------------------------------------------------------------------------------------- real dev CAs
def test_trustme(tmp_path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server = ca.issue_cert(HOST)
    chain = x509.load_pem_x509_certificates(b"".join(b.bytes() for b in server.cert_chain_pems))
    anchors = TrustAnchors.from_pem(ca.cert_pem.bytes(), "trustme CA")
    dev = verify_path(chain[0], chain[1:], anchors=anchors, hostnames=[HOST], at=NOW, production=False)
    assert dev.verified and dev.ok and codes(dev, "warning") == ["extension-criticality"]
    prod = verify_path(chain[0], chain[1:], anchors=anchors, hostnames=[HOST], at=NOW, production=True)
    assert codes(prod) == ["extension-criticality"]
    system = TrustAnchors.system()
    unknown = verify_path(chain[0], chain[1:], anchors=system, hostnames=[HOST], at=NOW, production=False)
    assert codes(unknown, "warning") == ["issuer-unknown"] and unknown.ok


@pytest.fixture(scope="module")
def mkcert_output(tmp_path_factory):
    binary = shutil.which("mkcert")
    if binary is None:
        pytest.skip("mkcert is not installed (make system installs it)")
    directory = tmp_path_factory.mktemp("mkcert")
    env = {"CAROOT": str(directory / "ca"), "PATH": "/usr/bin:/bin", "HOME": str(directory)}
    subprocess.run(
        [binary, "-cert-file", "cert.pem", "-key-file", "key.pem", HOST, "127.0.0.1"],
        cwd=directory,
        env=env,
        check=True,
        capture_output=True,
    )
    return directory


def test_mkcert(mkcert_output) -> None:
    leaf = x509.load_pem_x509_certificate((mkcert_output / "cert.pem").read_bytes())
    system = TrustAnchors.system()
    now = datetime.now(UTC)
    dev = verify_path(leaf, [], anchors=system, hostnames=[HOST], at=now, production=False)
    assert dev.ok and codes(dev, "warning") == ["issuer-unknown"]
    assert "mkcert -CAROOT" in dev.findings[0].fix
    prod = verify_path(leaf, [], anchors=system, hostnames=[HOST], at=now, production=True)
    assert codes(prod) == ["issuer-unknown"]
    mine = TrustAnchors.from_files([str(mkcert_output / "ca" / "rootCA.pem")])
    ok = verify_path(leaf, [], anchors=mine, hostnames=[HOST, "127.0.0.1"], at=now, production=True)
    assert ok.verified and ok.ok and ok.findings == () and ok.trust == TRUST_DECLARED
    unrelated = bundle(make_ca("Unrelated Root"))
    assert codes(verify_path(leaf, [], anchors=unrelated, hostnames=[HOST], at=now, production=True)) == [
        "issuer-unknown"
    ]


# ------------------------------------------------------------------------------------------- public store
def test_a_public_chain_verifies_against_the_system_store(monkeypatch) -> None:
    import json
    from pathlib import Path

    from secure_scoring.certs.trust import parse_at

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    system = TrustAnchors.system()
    if not system.certificates:
        pytest.skip("no OS trust store")
    cases = json.loads((Path(__file__).parents[1] / "data/limbo/limbo-server.json").read_text())["testcases"]
    case = next(c for c in cases if c["id"] == "online::google.com")
    certs = x509.load_pem_x509_certificates(
        "\n".join([case["peer_certificate"], *case["untrusted_intermediates"]]).encode()
    )
    result = verify_path(
        certs[0],
        certs[1:],
        anchors=system,
        hostnames=[case["expected_peer_name"]["value"]],
        at=parse_at(case["validation_time"]),
        production=True,
    )
    assert result.verified and result.ok and result.trust == TRUST_PUBLIC


# ------------------------------------------------------------------------------------------- classify
@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("validation failed: all candidates exhausted with no interior errors", "path-not-found"),
        (
            "validation failed: candidates exhausted: excluded name constraint matched SAN "
            "(encountered processing <Certificate(subject=<Name(CN=NC)>, ...)>)",
            "name-constraints-violated",
        ),
        ("validation failed: basicConstraints.cA must be asserted in a CA certificate", "ca-bit-missing"),
        ("validation failed: path length constraint violated", "path-length-exceeded"),
        ("validation failed: chain construction exceeds max depth", "path-too-long"),
        (
            "validation failed: certificate contains unaccounted-for critical extensions",
            "unknown-critical-extension",
        ),
        (
            "validation failed: invalid extension: 2.5.29.35: Certificate is missing required extension",
            "aki-missing",
        ),
        (
            "validation failed: EE subjectAltName MUST NOT be critical when subject is nonempty",
            "extension-criticality",
        ),
        ("validation failed: leaf certificate has no matching subjectAltName", "hostname-mismatch"),
        ("validation failed: Forbidden signature algorithm: RSA with SHA-1", "weak-signature"),
        ("validation failed: cert is not valid at validation time", "cert-expired"),
        ("validation failed: something new", "path-not-found"),
    ],
)
def test_classify(message, code) -> None:
    assert classify(message)[0] == code


def test_classify_names_the_certificate() -> None:
    code, reason, subject = classify(
        "validation failed: candidates exhausted: path length constraint violated "
        "(encountered processing <Certificate(subject=<Name(CN=Mid,O=X)>, ...)>)"
    )
    assert (code, reason, subject) == (
        "path-length-exceeded",
        "path length constraint violated",
        "CN=Mid,O=X",
    )


def test_every_code_has_a_meaning_and_a_fix() -> None:
    for code, (meaning, fix) in PATH_CODES.items():
        assert meaning and fix and code == code.lower()


def test_a_wildcard_hostname_is_verified_as_a_name_only_the_wildcard_covers() -> None:
    """A CertificateBundle for `*.example.com` (a public CA's wildcard certificate) asks the path check
    for a wildcard host name, which the verifier does not take as a peer name: it was a false
    `hostname-mismatch` ("invalid domain name") for every declared or public chain."""
    root = make_ca("Wildcard Root")
    wildcard = make_leaf(root, ["*.example.com"])
    assert check(wildcard, anchors=bundle(root), hosts=["*.example.com"]).ok
    one_name = make_leaf(root, ["api.example.com"])  # covers api.example.com, not the whole wildcard
    result = check(one_name, anchors=bundle(root), hosts=["*.example.com"])
    assert not result.ok and result.codes == ["hostname-mismatch"]
    assert check(wildcard, anchors=bundle(root), hosts=["*.other.test"]).codes == ["hostname-mismatch"]
