"""certs/keys: the key input (format, passphrase), key match and key/signature strength."""
# ruff: noqa: F811 - the bad fixture (support.pem_cases) is a parameter of the tests

from __future__ import annotations

import subprocess

import pytest

from support.pem_cases import Bad, bad, check, good_kwargs, one  # noqa: F401, F811 - bad is a fixture

_UNSUPPORTED = "unsupported by Azure ML's TLS front end (not RSA ≥ 2048 or EC P-256/P-384)"


def test_key_not_pem(pki, bad):
    finding = one(
        check(pki.leaf.chain_pem(), bad.f.key_der(pki.leaf).read_bytes(), key_name="k.der"), "key-not-pem"
    )
    assert finding.fix == "Convert it: openssl pkey -inform der -in k.der -out key.pem"
    assert one(check(pki.leaf.chain_pem(), b"\x00\xff garbage"), "key-not-pem")
    p12 = one(check(pki.leaf.chain_pem(), bad.f.pkcs12(pki.leaf).read_bytes()), "key-not-pem")
    assert "-nocerts -nodes" in p12.fix
    assert "key-not-pem" not in check(**good_kwargs(pki)).codes


def test_no_key_and_key_none_means_not_checked(pki):
    assert one(check(pki.leaf.chain_pem(), ""), "no-key")
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(pki.leaf.key_path), "-pubout"], capture_output=True, check=True
    ).stdout
    assert "public key" in one(check(pki.leaf.chain_pem(), public), "no-key").message
    skipped = check(pki.leaf.chain_pem(), None)
    assert skipped.findings == [] and skipped.key_checked is False


@pytest.mark.parametrize("which", ["ec-pkcs8", "ec-legacy", "rsa-pkcs8", "rsa-legacy"])
def test_key_encrypted(pki, bad, which):
    cert = pki.leaf if which.startswith("ec") else bad.rsa
    key = bad.f.encrypted_key(cert, legacy=which.endswith("legacy")).read_text()
    assert ("Proc-Type: 4,ENCRYPTED" in key) == which.endswith("legacy")
    report = check(cert.chain_pem(), key)
    assert report.codes == ["key-encrypted"]
    finding = report.findings[0]
    assert ("legacy" in finding.message) == which.endswith("legacy")
    assert "openssl pkey -in key.pem -out key-plain.pem" in finding.fix and "Azure ML" in finding.fix


@pytest.mark.parametrize("kind", ["ec", "rsa", "rsa-vs-ec"])
def test_key_mismatch(pki, bad, kind):
    cert, key = {
        "ec": (pki.leaf, bad.ec_other.key_pem),
        "rsa": (bad.rsa, bad.rsa_other.key_pem),
        "rsa-vs-ec": (bad.rsa, pki.leaf.key_pem),
    }[kind]
    report = check(cert.chain_pem(), key)
    assert report.codes == ["key-mismatch"]
    assert f"leaf certificate #1 (CN={cert.hostnames[0]})" in report.findings[0].message


def test_key_of_the_intermediate_is_named(pki):
    finding = one(check(pki.leaf.chain_pem(), pki.inter.key_pem), "key-mismatch")
    assert "it is the key of certificate #2 (CN=Test Intermediate CA)" in finding.message


def test_damaged_rsa_key_with_the_right_public_part(bad):
    """The key's public numbers match the leaf but its private exponents are corrupt: signing fails."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = serialization.load_pem_private_key(bad.rsa.key_pem.encode(), None)
    n = key.private_numbers()
    broken = rsa.RSAPrivateNumbers(
        p=n.p, q=n.q, d=n.d + 2, dmp1=n.dmp1 + 2, dmq1=n.dmq1, iqmp=n.iqmp, public_numbers=n.public_numbers
    ).private_key(unsafe_skip_rsa_key_validation=True)
    pem = broken.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    report = check(bad.rsa.chain_pem(), pem)
    assert report.codes == ["key-mismatch"] and "damaged" in report.findings[0].message


@pytest.mark.parametrize("fmt", ["pkcs8", "pkcs1", "sec1"])
def test_key_formats_accepted(pki, bad, fmt):
    cert = bad.rsa if fmt == "pkcs1" else pki.leaf
    key = bad.f.key_in_format(cert, fmt).read_text()
    assert check(cert.chain_pem(), key).findings == []


def test_weak_key(pki, bad):
    rsa1024 = one(check(bad.weak_rsa.chain_pem(), bad.weak_rsa.key_pem), "weak-key")
    assert "RSA key of 1024 bits" in rsa1024.message
    k1 = one(check(bad.k1.chain_pem(), bad.k1.key_pem), "weak-key")
    assert "secp256k1" in k1.message
    for strong in (bad.rsa, bad.p384, pki.leaf):
        assert check(strong.chain_pem(), strong.key_pem).findings == []
    assert check(bad.p384.chain_pem(), None).leaf.key_description == "EC P-384"
    assert check(bad.rsa.chain_pem(), None).leaf.key_description == "RSA 2048"


def test_ed25519_and_p521_are_unsupported_not_weak(pki, bad):
    """The code stays weak-key (a contract), the words say what is wrong: Azure ML's TLS front end."""
    for key, name in (("ed25519", "an Ed25519 key"), ("ec:P-521", "an EC key on curve P-521")):
        leaf = bad.f.leaf(pki.inter, [f"{key.replace(':', '-').lower()}.example.test"], key=key)
        finding = one(check(leaf.chain_pem(), leaf.key_pem), "weak-key")
        assert f"has {name}, unsupported by Azure ML's TLS front end" in finding.message, finding.message
        assert "not RSA ≥ 2048 or EC P-256/P-384" in finding.message
        assert "weak" not in finding.message and " a Ed" not in finding.message


def test_rsa_pss_key_is_unsupported_and_named_rsa_pss(pki, bad, tmp_path):
    """An id-RSASSA-PSS public key (openssl genpkey -algorithm RSA-PSS) is not the RSA key clients take:
    weak-key with the unsupported wording, and the key is described as RSA-PSS everywhere."""
    key_path = tmp_path / "pss.key"
    bad.f.run("genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key_path)
    leaf = bad.f.leaf(pki.inter, ["pss.example.test"], key="rsa", key_path=key_path)
    report = check(leaf.chain_pem(), leaf.key_pem)
    assert report.codes == ["weak-key"], [f.message for f in report.findings]
    message = report.findings[0].message
    assert "has an RSA-PSS key (id-RSASSA-PSS, 2048 bits)" in message and _UNSUPPORTED in message
    assert report.leaf.key_description == "RSA-PSS 2048"
    mismatch = one(check(leaf.chain_pem(), bad.rsa.key_pem), "key-mismatch")
    assert mismatch.message.endswith("whose key is RSA-PSS 2048")


def test_explicit_ec_parameters_in_the_certificate_are_weak_key(pki, bad, tmp_path):
    """An EC key whose certificate spells out the curve (explicit parameters, as old tools and some
    HSMs write) loads as P-256 in cryptography, but Go and RFC 5480 want the named curve."""
    key_path = tmp_path / "explicit.key"
    bad.f.run(
        "ecparam", "-name", "prime256v1", "-genkey", "-param_enc", "explicit", "-noout", "-out", key_path
    )
    leaf = bad.f.leaf(pki.inter, ["explicit.example.test"], key="ec", key_path=key_path)
    report = check(leaf.chain_pem(), leaf.key_pem)
    assert report.codes == ["weak-key"], [f.message for f in report.findings]
    assert "has an EC P-256 key with explicit curve parameters instead of the named curve" in (
        report.findings[0].message
    )
    assert "-param_enc named_curve" in report.findings[0].fix
    # the same key re-encoded with the curve's name gives a clean certificate (and still matches the key)
    named = tmp_path / "named.key"
    bad.f.run("ec", "-in", key_path, "-param_enc", "named_curve", "-out", named)
    fixed = bad.f.leaf(pki.inter, ["explicit.example.test"], key="ec", key_path=named)
    assert check(fixed.chain_pem(), leaf.key_pem).findings == []


def test_weak_signature(pki, bad):
    report = check(bad.sha1.chain_pem(), bad.sha1.key_pem)
    assert report.codes == ["weak-signature"] and "SHA1" in report.findings[0].message
    # RSA issuers (PKCS#1 v1.5): the chain still verifies, only the hash is reported
    for cert, name in ((bad.sha1_by_rsa, "SHA1"), (bad.md5_by_rsa, "MD5")):
        report = check(cert.full_chain_pem(), cert.key_pem)
        assert report.codes == ["weak-signature"] and f"signed with {name}" in report.findings[0].message
    # a SHA-1 self-signature on an included root is not checked by clients: no finding
    root_sha1 = bad.sha1_root_leaf
    assert check(root_sha1.full_chain_pem(), root_sha1.key_pem).findings == []
    assert "weak-signature" not in check(**good_kwargs(pki)).codes


def test_key_is_not_claimed_without_a_readable_certificate(pki, bad, tmp_path):
    der = bad.f.der(pki.leaf).read_bytes()
    report = check(der, pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"] and report.leaf is None
    doc = report.to_dict()
    assert doc["certificate"] is None and doc["key_checked"] is False and doc["key_given"] is True
    assert check(**good_kwargs(pki)).to_dict()["key_checked"] is True
    none = check(pki.leaf.chain_pem(), None).to_dict()
    assert none["key_checked"] is False and none["key_given"] is False
    # a key input with no usable private key was not checked against the leaf either
    unusable = {
        "encrypted": bad.f.encrypted_key(pki.leaf).read_text(),
        "public key": subprocess.run(
            ["openssl", "pkey", "-in", str(pki.leaf.key_path), "-pubout"],
            capture_output=True, text=True, check=True,
        ).stdout,
        "empty": "",
        "DER": bad.f.key_der(pki.leaf).read_bytes(),
    }  # fmt: skip
    for name, key in unusable.items():
        doc = check(pki.leaf.chain_pem(), key).to_dict()
        assert doc["ok"] is False and doc["key_given"] is True and doc["key_checked"] is False, name


def test_key_file_may_hold_the_certificate_too(pki):
    combined = pki.leaf.chain_pem() + pki.leaf.key_pem
    assert check(combined, combined).findings == []


def test_multiple_keys_pick_the_one_of_the_leaf(pki, bad):
    keys = bad.ec_other.key_pem + pki.leaf.key_pem
    assert check(pki.leaf.chain_pem(), keys).findings == []
