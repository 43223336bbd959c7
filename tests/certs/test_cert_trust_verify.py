"""verify's certificate-chain step judges the chain the server sent with cert check's verifier
(``verify.tls.path_refusal`` -> ``certs.path.verify_path``)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from secure_scoring.verify.report import FAIL
from secure_scoring.verify.tls import path_refusal
from support.chains import NOW, make_ca, make_leaf


def der(*items) -> list[bytes]:
    return [i.cert.public_bytes(serialization.Encoding.DER) for i in items]


def test_a_chain_to_the_declared_ca_passes(tmp_path) -> None:
    root = make_ca("Verify Root")
    inter = make_ca("Verify Intermediate", root)
    leaf = make_leaf(inter, ["api.example.test"])
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(root.pem)
    assert path_refusal(der(leaf, inter), str(bundle), NOW) is None


def test_what_openssl_accepts_but_cert_check_refuses_fails_the_step(tmp_path) -> None:
    root = make_ca("Verify Root")
    leaf = make_leaf(root, ["api.example.test"], aki=False)  # OpenSSL accepts a leaf without AKI
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(root.pem)
    step = path_refusal(der(leaf), str(bundle), NOW)
    assert step is not None and step.status == FAIL and step.name == "certificate-chain"
    assert "[aki-missing]" in step.detail


def test_an_unknown_issuer_fails_the_step(tmp_path) -> None:
    root, other = make_ca("Verify Root"), make_ca("Other Root")
    leaf = make_leaf(root, ["api.example.test"])
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(other.pem)
    step = path_refusal(der(leaf), str(bundle), NOW)
    assert step is not None and "[issuer-unknown]" in step.detail and "--ca-bundle" in step.fix


def test_dates_and_names_are_left_to_their_own_steps(tmp_path) -> None:
    from datetime import timedelta

    root = make_ca("Verify Root")
    leaf = make_leaf(root, ["api.example.test"], not_after=NOW - timedelta(days=1))
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(root.pem)
    assert path_refusal(der(leaf), str(bundle), NOW) is None


def test_an_anchor_file_the_path_check_refuses_leaves_openssl_verdict(tmp_path) -> None:
    root = make_ca("Verify Root")
    leaf = make_leaf(root, ["api.example.test"])
    bundle = tmp_path / "leaf.pem"
    bundle.write_bytes(leaf.pem)  # a leaf as its own CA: OpenSSL's verdict stands
    assert path_refusal(der(leaf), str(bundle), NOW) is None
    assert path_refusal([], str(bundle), NOW) is None
