"""certs/chain: chain order, duplicates, certificates outside the chain, missing issuers."""
# ruff: noqa: F811 - the bad fixture (support.pem_cases) is a parameter of the tests

from __future__ import annotations

from support.pem_cases import Bad, bad, check, good_kwargs, one  # noqa: F401, F811 - bad is a fixture


def test_chain_order(pki, bad):
    reversed_ = check(pki.inter.cert_pem + pki.leaf.cert_pem, pki.leaf.key_pem)
    assert reversed_.codes == ["chain-order"] and "Expected order: #2, #1" in reversed_.findings[0].message
    assert reversed_.leaf.subject == "CN=scoring.example.test"
    middle = check(pki.leaf.cert_pem + pki.root.cert_pem + pki.inter.cert_pem, None)
    assert middle.codes == ["chain-order"] and "Expected order: #1, #3, #2" in middle.findings[0].message
    extra = check(pki.leaf.full_chain_pem() + bad.rsa.cert_pem, None)
    assert (
        extra.codes == ["chain-order"] and "#4 (CN=rsa.example.test) is not part" in extra.findings[0].message
    )
    # a second leaf of the same intermediate: it is issued by #2, so the message must not deny that
    assert extra.findings[0].message == (
        "certificate #4 (CN=rsa.example.test) is not part of the leaf's chain (#1, #2, #3): it issued none "
        "of its certificates (another server certificate, or a CA of another chain)"
    )
    duplicate = check(pki.leaf.chain_pem() + pki.inter.cert_pem, None)
    assert duplicate.codes == ["chain-order"] and "duplicate" in duplicate.findings[0].message
    gap_in_order = check(pki.leaf.cert_pem + pki.root.cert_pem + pki.inter.cert_pem, None).findings[0]
    assert (
        "certificate #1 (leaf, CN=scoring.example.test) is followed by certificate #2 (CN=Test Root CA), "
        "which did not issue it; its issuer is certificate #3 (CN=Test Intermediate CA)"
    ) in gap_in_order.message
    assert "certificate certificate" not in gap_in_order.message
    assert check(pki.leaf.full_chain_pem(), pki.leaf.key_pem).findings == []  # the root may be included


def test_a_cross_signed_copy_of_a_ca_in_the_chain_is_named_as_such(pki, bad, tmp_path):
    """The root and a cross-signed certificate of the same root (same name and key, another issuer):
    the extra one is not on the chain, and the message says what it is rather than 'issued none'."""
    other = bad.f.ca("Other Root")
    csr, ext, cross = tmp_path / "root.csr", tmp_path / "ext.cnf", tmp_path / "cross.pem"
    bad.f.run("x509", "-x509toreq", "-in", pki.root.cert_path, "-signkey", pki.root.key_path, "-out", csr)
    ext.write_text("basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n")
    bad.f.run(
        "x509", "-req", "-in", csr, "-CA", other.cert_path, "-CAkey", other.key_path, "-set_serial", "7",
        "-days", "365", "-extfile", ext, "-out", cross,
    )  # fmt: skip
    # the long chain (leaf, intermediate, cross-signed root) is a complete chain
    assert check(pki.leaf.chain_pem() + cross.read_text(), pki.leaf.key_pem).findings == []
    both = check(pki.leaf.full_chain_pem() + cross.read_text(), pki.leaf.key_pem)
    assert both.codes == ["chain-order"]
    assert both.findings[0].message == (
        "certificate #4 (CN=Test Root CA) is not part of the leaf's chain (#1, #2, #3): it is a second "
        "certificate of the issuer of #2 (cross-signed or re-issued), which #3 already provides"
    )


def test_a_leaf_twice_is_one_duplicate_finding_not_an_order_error_too(pki):
    twice = check(pki.leaf.cert_pem + pki.leaf.chain_pem(), pki.leaf.key_pem)
    assert twice.codes == ["chain-order"], [f.message for f in twice.findings]
    assert twice.findings[0].message == (
        "certificate #2 (CN=scoring.example.test) is a duplicate of certificate #1"
    )
    # a duplicate that also breaks the order is still an order error
    both = check(pki.inter.cert_pem + pki.leaf.cert_pem + pki.inter.cert_pem, None)
    assert both.codes == ["chain-order", "chain-order"]
    assert "duplicate" in both.findings[0].message and "not the first" in both.findings[1].message


def test_chain_incomplete(pki, bad):
    # a leaf alone whose issuer is not a trust anchor: nothing in the file shows an intermediate is
    # missing (mkcert, trustme, a private CA look the same), so the path check says issuer-unknown
    alone = check(pki.leaf.cert_pem, pki.leaf.key_pem)
    assert alone.codes == ["issuer-unknown"]
    assert "issuer CN=Test Intermediate CA" in alone.findings[0].message
    assert "append its certificate" in alone.findings[0].fix
    gap = check(pki.leaf.cert_pem + pki.root.cert_pem, None)
    assert gap.codes == ["chain-incomplete"] and "gap" in gap.findings[0].message
    # an intermediate with the issuer's name but another key did not sign the leaf
    impostor = bad.f.intermediate(pki.root, "Test Intermediate CA")
    wrong = check(pki.leaf.cert_pem + impostor.cert_pem, None)
    assert wrong.codes == ["chain-incomplete"] and "did not sign" in wrong.findings[0].message
    assert "chain-incomplete" not in check(**good_kwargs(pki)).codes
    assert "chain-incomplete" not in check(bad.self_signed.cert_pem, bad.self_signed.key_pem).codes


def test_an_unrelated_ca_after_a_verified_chain_is_a_chain_order_warning(pki, bad):
    """leaf + intermediate + the root of another CA, the path verified to the declared root: the extra
    CA is named (a warning, as docs/cert-check.md says for extra certificates once a path verified);
    it was skipped silently as if it sat above a missing issuer."""
    other = bad.f.ca("Unrelated Root")
    report = check(pki.leaf.chain_pem() + other.cert_pem, pki.leaf.key_pem)
    assert report.ok and report.trust == "declared-ca"
    finding = one(report, "chain-order")
    assert finding.severity == "warning"
    assert "#3 (CN=Unrelated Root) is not part of the leaf's chain (#1, #2)" in finding.message
    # the file's own root above the intermediate stays part of the chain: nothing to report
    assert check(pki.leaf.full_chain_pem(), pki.leaf.key_pem).findings == []
