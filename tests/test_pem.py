"""The PEM inspector on openssl-made certificates: every finding code both ways, parsing, wildcards."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secure_scoring.certs.pem import (
    FINDING_CODES,
    PRODUCTION_ENVIRONMENTS,
    CertificateInfo,
    Report,
    canonical_pem,
    covers,
    days_left,
    hostname_matches,
    inspect_bundle,
    parse_pem_certificates,
)
from support.certs import Cert, CertFactory

# DESIGN.md, "The CLI": the finding codes, in that order
DESIGN_CODES = [
    "cert-not-pem",
    "key-not-pem",
    "no-certificate",
    "no-key",
    "key-encrypted",
    "key-mismatch",
    "cert-expired",
    "cert-not-yet-valid",
    "cert-expiring-soon",
    "hostname-mismatch",
    "no-san",
    "chain-order",
    "chain-incomplete",
    "weak-key",
    "weak-signature",
    "self-signed",
    "ca-as-leaf",
    "not-server-auth",
]


@dataclass
class Bad:
    """Certificates with one defect each, made once per module by openssl."""

    f: CertFactory
    rsa: Cert
    rsa_other: Cert
    ec_other: Cert
    expired: Cert
    expired_inter_leaf: Cert
    future: Cert
    soon: Cert
    cn_only: Cert
    weak_rsa: Cert
    k1: Cert
    p384: Cert
    sha1: Cert
    self_signed: Cert
    ca_leaf: Cert
    client_only: Cert
    no_eku: Cert
    both_eku: Cert
    sha1_root_leaf: Cert
    sha1_by_rsa: Cert
    md5_by_rsa: Cert


@pytest.fixture(scope="module")
def bad(cert_factory: CertFactory, pki) -> Bad:
    f = cert_factory
    i = pki.inter
    expired_inter = f.intermediate(pki.root, "Expired Intermediate", days=2, not_before_days_ago=5)
    sha1_root = f.ca("SHA1 Root", digest="sha1")
    rsa_root = f.ca("RSA Root", key="rsa")
    return Bad(
        f=f,
        rsa=f.leaf(i, ["rsa.example.test"], key="rsa"),
        rsa_other=f.leaf(i, ["rsa-other.example.test"], key="rsa"),
        ec_other=f.leaf(i, ["ec-other.example.test"]),
        expired=f.leaf(i, ["expired.example.test"], days=1, not_before_days_ago=10),
        expired_inter_leaf=f.leaf(expired_inter, ["ei.example.test"]),
        future=f.leaf(i, ["future.example.test"], not_before_days_ago=-5),
        soon=f.leaf(i, ["soon.example.test"], days=11, not_before_days_ago=1),
        cn_only=f.leaf(i, ["cn.example.test"], san=False),
        weak_rsa=f.leaf(i, ["weak.example.test"], key="rsa:1024"),
        k1=f.leaf(i, ["k1.example.test"], key="ec:secp256k1"),
        p384=f.leaf(i, ["p384.example.test"], key="ec:P-384"),
        sha1=f.leaf(i, ["sha1.example.test"], digest="sha1"),
        self_signed=f.self_signed(["self.example.test"]),
        ca_leaf=f.leaf(i, ["ca.example.test"], ca=True),
        client_only=f.leaf(i, ["client.example.test"], eku="clientAuth"),
        no_eku=f.leaf(i, ["noeku.example.test"], eku=None),
        both_eku=f.leaf(i, ["both.example.test"], eku="serverAuth,clientAuth"),
        sha1_root_leaf=f.leaf(sha1_root, ["sha1root.example.test"]),
        sha1_by_rsa=f.leaf(rsa_root, ["sha1rsa.example.test"], digest="sha1"),
        md5_by_rsa=f.leaf(rsa_root, ["md5rsa.example.test"], digest="md5"),
    )


def good_kwargs(pki) -> dict:
    return {"cert": pki.leaf.chain_pem(), "key": pki.leaf.key_pem, "hostname": ["scoring.example.test"]}


def check(cert, key, **kw) -> Report:
    report = inspect_bundle(cert, key, **kw)
    assert all(f.code in FINDING_CODES for f in report.findings)
    assert all(f.severity in ("error", "warning") and f.message and f.fix for f in report.findings)
    pairs = [(f.code, f.message) for f in report.findings]
    assert len(pairs) == len(set(pairs)), f"identical findings: {pairs}"
    return report


def one(report: Report, code: str):
    found = [f for f in report.findings if f.code == code]
    assert found, f"{code} not in {report.codes}"
    return found[0]


# ------------------------------------------------------------------------------------------ API shape
def test_finding_codes_are_exactly_the_design_codes():
    assert list(FINDING_CODES) == DESIGN_CODES
    assert PRODUCTION_ENVIRONMENTS == ("production", "prod")


def test_good_bundle_has_no_findings_and_a_faithful_summary(pki):
    report = check(**good_kwargs(pki), environment="production")
    assert report.findings == [] and report.ok and report.codes == []
    leaf = report.leaf
    assert isinstance(leaf, CertificateInfo)
    assert leaf.subject == "CN=scoring.example.test" and leaf.issuer == "CN=Test Intermediate CA"
    assert leaf.hostnames == ("scoring.example.test", "localhost", "127.0.0.1")
    assert leaf.key_description == "EC P-256" and not leaf.is_ca and not leaf.self_signed
    assert leaf.not_after.tzinfo is not None and leaf.not_after.utcoffset() == timedelta(0)
    assert timedelta(days=88) < leaf.not_after - datetime.now(UTC) <= timedelta(days=89)
    der = subprocess.run(
        ["openssl", "x509", "-in", str(pki.leaf.cert_path), "-outform", "DER"],
        capture_output=True,
        check=True,
    ).stdout
    assert leaf.fingerprint_sha256 == hashlib.sha256(der).hexdigest()
    assert [c.subject for c in report.chain] == ["CN=scoring.example.test", "CN=Test Intermediate CA"]
    assert report.chain[1].is_ca and report.key_checked
    doc = report.to_dict()
    assert doc["ok"] is True and doc["findings"] == []
    assert (
        doc["certificate"]["subject"] == "CN=scoring.example.test" and doc["certificate"]["days_left"] == 88
    )


def test_to_dict_lists_findings_with_code_severity_message_fix(pki):
    doc = check(pki.leaf.cert_pem, pki.inter.key_pem).to_dict()
    assert doc["ok"] is False
    assert {tuple(sorted(f)) for f in doc["findings"]} == {("code", "fix", "message", "severity")}
    assert {f["code"] for f in doc["findings"]} == {"key-mismatch", "chain-incomplete"}
    assert check(b"", None).to_dict()["certificate"] is None


# ------------------------------------------------------------------------------------------ each code
def test_cert_not_pem_der_and_pkcs12_with_conversion_commands(pki, bad):
    der = one(check(bad.f.der(pki.leaf).read_bytes(), None, cert_name="leaf.der"), "cert-not-pem")
    assert (
        "DER" in der.message
        and der.fix == "Convert it to PEM: openssl x509 -inform der -in leaf.der -out cert.pem"
    )
    p12 = check(bad.f.pkcs12(pki.leaf).read_bytes(), None, cert_name="bundle.pfx")
    finding = one(p12, "cert-not-pem")
    assert "PKCS#12" in finding.message
    assert "openssl pkcs12 -in bundle.pfx -nokeys" in finding.fix
    assert "openssl pkcs12 -in bundle.pfx -nocerts -nodes" in finding.fix
    protected = check(bad.f.pkcs12(pki.leaf, password="s3cret").read_bytes(), None)
    assert "PKCS#12" in one(protected, "cert-not-pem").message
    assert one(check(b"just some text\n", None), "cert-not-pem").message.endswith("without PEM markers)")
    assert "cert-not-pem" not in check(**good_kwargs(pki)).codes


def test_cert_not_pem_for_damaged_truncated_and_glued_blocks(pki):
    chain = pki.leaf.chain_pem()
    damaged = chain.replace(chain.splitlines()[3], "@@@@" + chain.splitlines()[3][4:], 1)
    assert "damaged" in one(check(damaged, None), "cert-not-pem").message
    both = check(damaged.replace(chain.splitlines()[-3], "!" + chain.splitlines()[-3][1:]), None)
    assert [f.message.split(" cannot")[0] for f in both.findings if f.code == "cert-not-pem"] == [
        "the certificate file: certificate block #1",
        "the certificate file: certificate block #2",
    ]
    truncated = check(chain[: len(chain) - 100], None)
    assert "no matching END line" in one(truncated, "cert-not-pem").message
    glued = pki.leaf.cert_pem.rstrip("\n") + pki.inter.cert_pem
    report = check(glued, pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"] and "glued" in report.findings[0].message
    assert len(report.chain) == 2  # both certificates are still inspected


def test_key_not_pem(pki, bad):
    finding = one(
        check(pki.leaf.chain_pem(), bad.f.key_der(pki.leaf).read_bytes(), key_name="k.der"), "key-not-pem"
    )
    assert finding.fix == "Convert it: openssl pkey -inform der -in k.der -out key.pem"
    assert one(check(pki.leaf.chain_pem(), b"\x00\xff garbage"), "key-not-pem")
    p12 = one(check(pki.leaf.chain_pem(), bad.f.pkcs12(pki.leaf).read_bytes()), "key-not-pem")
    assert "-nocerts -nodes" in p12.fix
    assert "key-not-pem" not in check(**good_kwargs(pki)).codes


def test_no_certificate(pki):
    swapped = check(pki.leaf.key_pem, pki.leaf.cert_pem)
    assert "swapped" in one(swapped, "no-certificate").message and "swapped" in one(swapped, "no-key").message
    assert one(check("", pki.leaf.key_pem), "no-certificate")
    assert one(check(None, None), "no-certificate")
    assert "no-certificate" not in check(**good_kwargs(pki)).codes


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


def test_cert_expired(pki, bad):
    report = check(bad.expired.chain_pem(), bad.expired.key_pem)
    finding = one(report, "cert-expired")
    assert finding.message.startswith("certificate #1 (leaf, CN=expired.example.test) expired on ")
    # expired 9 days and a few seconds ago: the floor of the difference is -10, in the message, the
    # summary and JSON alike (a "9 days ago" next to days_left -10 contradicted it)
    assert report.days_left() == -10 and report.to_dict()["certificate"]["days_left"] == -10
    assert "(days left: -10)" in finding.message and "ago" not in finding.message
    inter = check(bad.expired_inter_leaf.chain_pem(), None)
    assert inter.codes == ["cert-expired"]
    assert inter.findings[0].message.startswith("certificate #2 (CN=Expired Intermediate) expired on ")
    later = datetime.now(UTC) + timedelta(days=100)
    assert "cert-expired" in check(**good_kwargs(pki), now=later).codes
    assert "cert-expired" not in check(**good_kwargs(pki)).codes


def test_cert_not_yet_valid(pki, bad):
    finding = one(check(bad.future.chain_pem(), bad.future.key_pem), "cert-not-yet-valid")
    # 5 days ahead minus the seconds since the certificate was made: 4 whole days and 23 hours
    assert "not valid before" in finding.message and "(starts in 4 days 23 hours;" in finding.message
    earlier = datetime.now(UTC) - timedelta(days=3)
    assert "cert-not-yet-valid" in check(**good_kwargs(pki), now=earlier).codes
    assert "cert-not-yet-valid" not in check(**good_kwargs(pki)).codes


def test_cert_expiring_soon_is_a_warning(pki, bad):
    report = check(bad.soon.chain_pem(), bad.soon.key_pem)
    assert report.codes == ["cert-expiring-soon"] and report.ok
    finding = report.findings[0]
    assert finding.severity == "warning" and "in 9 days (the minimum is 30 days)" in finding.message
    assert check(bad.soon.chain_pem(), bad.soon.key_pem, min_days=5).findings == []
    assert check(**good_kwargs(pki), min_days=120).codes == ["cert-expiring-soon"]
    assert "cert-expiring-soon" not in check(**good_kwargs(pki)).codes


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
    alone = check(pki.leaf.cert_pem, pki.leaf.key_pem)
    assert alone.codes == ["chain-incomplete"]
    assert "issuer 'CN=Test Intermediate CA'" in alone.findings[0].message
    gap = check(pki.leaf.cert_pem + pki.root.cert_pem, None)
    assert gap.codes == ["chain-incomplete"] and "gap" in gap.findings[0].message
    # an intermediate with the issuer's name but another key did not sign the leaf
    impostor = bad.f.intermediate(pki.root, "Test Intermediate CA")
    wrong = check(pki.leaf.cert_pem + impostor.cert_pem, None)
    assert wrong.codes == ["chain-incomplete"] and "did not sign" in wrong.findings[0].message
    assert "chain-incomplete" not in check(**good_kwargs(pki)).codes
    assert "chain-incomplete" not in check(bad.self_signed.cert_pem, bad.self_signed.key_pem).codes


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


_UNSUPPORTED = "unsupported by Azure ML's TLS front end (not RSA ≥ 2048 or EC P-256/P-384)"


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


@pytest.mark.parametrize(("environment", "severity"), [("dev", "warning"), ("staging", "warning"),
                                                       ("production", "error"), ("prod", "error"),
                                                       ("Production", "error")])  # fmt: skip
def test_self_signed_error_only_in_production(bad, environment, severity):
    report = check(bad.self_signed.cert_pem, bad.self_signed.key_pem, environment=environment)
    assert report.codes == ["self-signed"]
    assert report.findings[0].severity == severity and report.ok is (severity == "warning")
    assert report.leaf.self_signed


def test_self_signed_not_reported_for_ca_issued(pki):
    assert "self-signed" not in check(**good_kwargs(pki), environment="production").codes


def test_ca_as_leaf(pki, bad):
    report = check(bad.ca_leaf.chain_pem(), bad.ca_leaf.key_pem)
    assert report.codes == ["ca-as-leaf"] and "CA:TRUE" in report.findings[0].message
    assert "ca-as-leaf" not in check(**good_kwargs(pki)).codes


def test_not_server_auth(pki, bad):
    report = check(bad.client_only.chain_pem(), bad.client_only.key_pem)
    assert report.codes == ["not-server-auth"] and "clientAuth" in report.findings[0].message
    assert check(bad.no_eku.chain_pem(), bad.no_eku.key_pem).findings == []  # no EKU: any usage
    assert check(bad.both_eku.chain_pem(), bad.both_eku.key_pem).findings == []


def test_all_codes_are_reported_at_once(bad):
    """A bundle with many defects reports each of them (one exception lists every code)."""
    f = bad.f
    mess = f.self_signed(["mess.example.test"], key="rsa:1024", digest="sha1", ca=True, eku="clientAuth", san=False,
                         days=5)  # fmt: skip
    report = check(
        mess.cert_pem, bad.ec_other.key_pem, hostname="other.example.test", environment="production"
    )
    assert set(report.codes) == {
        "key-mismatch", "cert-expiring-soon", "no-san", "hostname-mismatch", "weak-key", "weak-signature",
        "self-signed", "ca-as-leaf", "not-server-auth",
    }  # fmt: skip


# ------------------------------------------------------------------------------------------ parsing
def test_crlf_text_around_and_glued_blocks_parse(pki):
    crlf = "issued by our CA\r\n\r\n" + pki.leaf.chain_pem().replace("\n", "\r\n") + "\r\nbye\r\n"
    assert check(crlf, pki.leaf.key_pem.replace("\n", "\r\n")).findings == []
    openssl_text = subprocess.run(
        ["openssl", "x509", "-in", str(pki.leaf.cert_path), "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert check(openssl_text + pki.inter.cert_pem, pki.leaf.key_pem).findings == []
    glued = pki.leaf.cert_pem.rstrip("\n") + pki.inter.cert_pem.rstrip("\n")
    assert [c.subject.rfc4514_string() for c in parse_pem_certificates(glued)] == [
        "CN=scoring.example.test",
        "CN=Test Intermediate CA",
    ]
    assert canonical_pem(glued) == pki.leaf.chain_pem()
    assert parse_pem_certificates(b"\x00garbage") == [] and parse_pem_certificates("") == []


def test_many_blocks_and_pathological_markers(pki):
    many = check(pki.inter.cert_pem * 100, None)
    assert "holds 100 PEM blocks; only the first 64 were inspected" in one(many, "cert-not-pem").message
    assert len(many.chain) == 64 and "chain-order" in many.codes  # duplicates
    # a BEGIN line without END before the next block: that block alone is unterminated
    report = check("-----BEGIN CERTIFICATE-----\nMIIB\n" + pki.leaf.chain_pem(), pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"] and "no matching END line" in report.findings[0].message
    assert len(report.chain) == 2
    # markers that never close: the parser stays linear (a backtracking regex would not finish)
    hostile = b"-----BEGIN CERTIFICATE-----" * 50_000 + b"-----END x"
    assert one(check(hostile, hostile), "cert-not-pem")


def test_prefix_before_begin_line(pki):
    """OpenSSL silently skips a block whose BEGIN line has text before it, but tolerates a UTF-8 BOM."""
    chain = pki.leaf.chain_pem()
    assert check("\ufeff" + chain, pki.leaf.key_pem).findings == []
    for prefix in ("  ", "subject=CN = x ", "\t"):
        report = check(prefix + chain, pki.leaf.key_pem)
        assert report.codes == ["cert-not-pem"] and "does not start a line" in report.findings[0].message
    indented = "".join("    " + line for line in chain.splitlines(keepends=True))
    assert "cert-not-pem" in check(indented, None).codes


def test_indented_pem_is_one_finding_about_indentation(pki):
    chain = pki.leaf.full_chain_pem()
    indented = "".join("    " + line for line in chain.splitlines(keepends=True))
    report = check(indented, pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"], [f.message for f in report.findings]
    message = report.findings[0].message
    assert "the BEGIN lines of certificate blocks #1, #2, #3 do not start a line" in message
    assert "the PEM is indented" in message and "glued" not in message
    assert "Remove the indentation" in report.findings[0].fix
    assert len(report.chain) == 3  # still inspected
    glued = check(pki.leaf.cert_pem.rstrip("\n") + pki.inter.cert_pem, None).findings[0]
    assert "block #2 does not start a line: it is glued to the previous END line" in glued.message
    assert "indented" not in glued.message
    text = check("subject=CN = x " + chain, None).findings[0]
    assert "text before '-----BEGIN'" in text.message
    key = check(chain, "  " + pki.leaf.key_pem)
    assert key.codes == ["key-not-pem"] and "the PEM is indented" in key.findings[0].message


def _openssl_reads(chain: str, tmp_path: Path) -> list[str]:
    """Subjects of the certificates OpenSSL's PEM reader finds in ``chain`` (as nginx reads a chain)."""
    path = tmp_path / "chain.pem"
    path.write_bytes(chain.encode())
    p7 = subprocess.run(
        ["openssl", "crl2pkcs7", "-nocrl", "-certfile", str(path)], capture_output=True, check=False
    )
    if p7.returncode != 0:
        return []
    out = subprocess.run(
        ["openssl", "pkcs7", "-print_certs", "-noout"], input=p7.stdout, capture_output=True, check=True
    ).stdout.decode()
    return [line for line in out.splitlines() if line.startswith("subject=")]


def test_marker_lines_that_openssl_does_not_read(pki, tmp_path):
    """OpenSSL splits lines at LF and takes a BEGIN/END line only when it starts a line and holds
    nothing else: text after a marker, CR-only line endings and an END glued to the base64 before it
    lose a certificate or the whole file there, so the inspector reports them."""
    chain = pki.leaf.chain_pem()
    assert len(_openssl_reads(chain, tmp_path)) == 2 and check(chain, None).findings == []
    cases = {
        "text after END": (
            pki.leaf.cert_pem.rstrip("\n") + " leaf\n" + pki.inter.cert_pem,
            "there is text after the '-----END' line of certificate block #1 on the same line",
        ),
        "text after BEGIN": (
            chain.replace("CATE-----\n", "CATE----- leaf\n", 1),
            "the BEGIN line of certificate block #1 does not end after '-----'",
        ),
        "CR-only": (
            chain.replace("\n", "\r"),
            "the lines of certificate blocks #1, #2 end in a CR only",
        ),
        "END glued to the base64": (
            pki.leaf.cert_pem.replace("\n-----END", "-----END") + pki.inter.cert_pem,
            "the END line of certificate block #1 does not start a line: glued to the base64 text",
        ),
        "END indented": (
            pki.leaf.cert_pem.replace("\n-----END", "\n  -----END") + pki.inter.cert_pem,
            "the END line of certificate block #1 is indented",
        ),
    }
    for name, (text, expected) in cases.items():
        assert len(_openssl_reads(text, tmp_path)) < 2, name
        report = check(text, pki.leaf.key_pem)
        assert report.codes == ["cert-not-pem"], (name, [f.message for f in report.findings])
        assert expected in report.findings[0].message, (name, report.findings[0].message)
        assert len(report.chain) == 2, name  # both certificates are still inspected
    # a key whose END line has text after it: OpenSSL cannot load the key
    key = check(chain, pki.leaf.key_pem.rstrip("\n") + " key\n")
    assert key.codes == ["key-not-pem"] and "after the '-----END' line of the 'PRIVATE KEY' block" in (
        key.findings[0].message
    )
    # whitespace after the markers and CR CR LF line endings are fine for OpenSSL and the inspector
    for text in (chain.replace("-----\n", "-----  \n"), chain.replace("\n", "\r\r\n")):
        assert len(_openssl_reads(text, tmp_path)) == 2 and check(text, pki.leaf.key_pem).findings == []


def test_byte_order_marks_of_concatenated_files(pki, tmp_path):
    """Files saved with a UTF-8 BOM and concatenated: OpenSSL strips a BOM at the start of the file and
    right after the previous END line (it reads block after block), not after a blank line."""
    bom = "\ufeff"
    joined = bom + pki.leaf.cert_pem + bom + pki.inter.cert_pem
    assert len(_openssl_reads(joined, tmp_path)) == 2
    assert check(joined, bom + pki.leaf.key_pem).findings == []
    assert check(pki.leaf.chain_pem() + bom + pki.leaf.key_pem, None).findings == []  # key after the chain
    spaced = bom + pki.leaf.cert_pem + "\n" + bom + pki.inter.cert_pem
    assert len(_openssl_reads(spaced, tmp_path)) == 1
    report = check(spaced, pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"], [f.message for f in report.findings]
    assert (
        "block #2 does not start a line: a UTF-8 byte-order mark (BOM) precedes" in report.findings[0].message
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_pem_is_named_as_such_and_still_inspected(pki, bad, encoding):
    """PEM saved as UTF-16 (Windows PowerShell 5's '>'): OpenSSL reads nothing; the finding says UTF-16
    (not 'binary data' with a DER hint) and the content is inspected all the same."""
    chain, key = pki.leaf.chain_pem().encode(encoding), pki.leaf.key_pem.encode(encoding)
    report = check(chain, key, cert_name="fullchain.pem", key_name="key.pem")
    assert report.codes == ["cert-not-pem", "key-not-pem"], [f.message for f in report.findings]
    cert_finding, key_finding = report.findings
    assert cert_finding.message.startswith("fullchain.pem is UTF-16 text")
    assert key_finding.message.startswith("key.pem is UTF-16 text")
    assert "iconv -f UTF-16 -t UTF-8" in cert_finding.fix and "DER" not in cert_finding.fix
    assert len(report.chain) == 2 and report.key_checked
    other = check(chain, bad.ec_other.key_pem.encode(encoding))
    assert other.codes == ["cert-not-pem", "key-not-pem", "key-mismatch"]
    # binary data that is not UTF-16 PEM keeps its own message
    assert "binary data" in one(check(bytes(range(256)) * 4, None), "cert-not-pem").message


def test_blank_line_inside_a_block(pki, tmp_path):
    """OpenSSL reads one blank line after the BEGIN line as the end of the (empty) RFC 1421 headers;
    any other blank line inside a block (before END, in the middle, a second one) fails the file."""
    leaf, inter = pki.leaf.cert_pem, pki.inter.cert_pem

    def blank_at(pem: str, index: int, blank: str = "") -> str:
        lines = pem.split("\n")
        return "\n".join([*lines[:index], blank, *lines[index:]])

    for text in (
        blank_at(leaf, 1) + inter,
        blank_at(leaf, 1, "  ") + inter,
        (leaf + inter).replace("\n", "\r\n"),
    ):
        assert len(_openssl_reads(text, tmp_path)) == 2
        assert check(text, pki.leaf.key_pem).findings == []
    cases = {
        "before END": (blank_at(leaf, -2) + inter, "certificate block #1 has a blank line"),
        "middle of #2": (leaf + blank_at(inter, 5, " \r"), "certificate block #2 has a blank line"),
        "two after BEGIN": (blank_at(blank_at(leaf, 1), 1) + inter, "certificate block #1 has a blank line"),
        "both": (blank_at(leaf, 4) + blank_at(inter, -2), "certificate blocks #1, #2 have a blank line"),
    }
    for name, (text, expected) in cases.items():
        assert len(_openssl_reads(text, tmp_path)) < 2, name
        report = check(text, pki.leaf.key_pem)
        assert report.codes == ["cert-not-pem"], (name, [f.message for f in report.findings])
        assert expected in report.findings[0].message, (name, report.findings[0].message)
        assert len(report.chain) == 2, name
    key = check(leaf + inter, blank_at(pki.leaf.key_pem, -2))
    assert (
        key.codes == ["key-not-pem"] and "the 'PRIVATE KEY' block has a blank line" in key.findings[0].message
    )


def test_a_block_of_another_kind_that_openssl_cannot_finish(pki, tmp_path):
    """OpenSSL reads every block of a certificate file, a key first (a combined file) included: a key
    block whose END line it does not see, or with a blank line inside, fails the file. (Its key reader
    is checked against nginx in test_nginx_agrees_with_the_inspector.)"""
    leaf, inter, key = pki.leaf.cert_pem, pki.inter.cert_pem, pki.leaf.key_pem
    combined = {
        "END indented": key.replace("\n-----END", "\n  -----END"),
        "blank line": key.replace("\n-----END", "\n\n-----END"),
        "text after END": key.rstrip("\n") + " x\n",
    }
    assert (
        len(_openssl_reads(key + leaf + inter, tmp_path)) == 2
        and check(key + leaf + inter, key).findings == []
    )
    for name, broken in combined.items():
        assert len(_openssl_reads(broken + leaf + inter, tmp_path)) < 2, name
        report = check(broken + leaf + inter, key)
        assert report.codes == ["cert-not-pem"], (name, [f.message for f in report.findings])
        assert "the 'PRIVATE KEY' block" in report.findings[0].message, name
    # a key block OpenSSL does not see at all (text before its BEGIN) is skipped: no finding for it
    skipped = "x" + key + leaf + inter
    assert len(_openssl_reads(skipped, tmp_path)) == 2 and check(skipped, key).findings == []


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


def test_days_left_is_the_floor_of_the_exact_difference(pki):
    end = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    assert days_left(end, end - timedelta(days=3, hours=1)) == 3
    assert days_left(end, end) == 0
    assert days_left(end, end + timedelta(seconds=1)) == -1
    assert days_left(end, end + timedelta(days=3, hours=1)) == -4
    leaf = check(pki.leaf.chain_pem(), None).leaf
    later = leaf.not_after + timedelta(days=3, hours=1)
    report = check(pki.leaf.chain_pem(), None, now=later)
    assert report.days_left() == -4 and "(days left: -4)" in one(report, "cert-expired").message


def test_key_file_may_hold_the_certificate_too(pki):
    combined = pki.leaf.chain_pem() + pki.leaf.key_pem
    assert check(combined, combined).findings == []


def test_multiple_keys_pick_the_one_of_the_leaf(pki, bad):
    keys = bad.ec_other.key_pem + pki.leaf.key_pem
    assert check(pki.leaf.chain_pem(), keys).findings == []


def test_bytes_and_str_inputs_agree(pki):
    as_bytes = check(pki.leaf.chain_pem().encode(), pki.leaf.key_pem.encode(), hostname="localhost")
    as_str = check(pki.leaf.chain_pem(), pki.leaf.key_pem, hostname="localhost")
    assert as_bytes.findings == as_str.findings == [] and as_bytes.chain == as_str.chain


def test_naive_now_is_utc(pki):
    leaf_after = check(pki.leaf.cert_pem, None).leaf.not_after
    naive = leaf_after.replace(tzinfo=None) + timedelta(minutes=1)
    assert "cert-expired" in check(pki.leaf.chain_pem(), None, now=naive).codes
    assert "cert-expired" not in check(pki.leaf.chain_pem(), None, now=naive - timedelta(minutes=2)).codes


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


def test_every_code_is_covered_by_a_bad_case_here():
    """Each code has a test in this module that makes the inspector report it."""
    source = Path(__file__).read_text()
    for code in FINDING_CODES:
        assert f"def test_{code.replace('-', '_')}" in source, code


# ------------------------------------------------------------------------------------------ real consumers agree
def _nginx_accepts(nginx: str, directory: Path, cert: bytes | str, key: bytes | str) -> tuple[bool, str]:
    """``nginx -t`` with the bundle as ssl_certificate/ssl_certificate_key (no socket is opened)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "logs").mkdir(exist_ok=True)
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    for path, data in ((cert_file, cert), (key_file, key)):
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    conf = directory / "nginx.conf"
    conf.write_text(
        f"pid {directory}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; server {{ listen 127.0.0.1:8443 ssl; "
        f"ssl_certificate {cert_file}; ssl_certificate_key {key_file}; }} }}\n"
    )
    proc = subprocess.run(
        [nginx, "-t", "-q", "-p", str(directory), "-c", str(conf), "-e", "stderr"],
        capture_output=True, text=True, check=False, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return proc.returncode == 0, proc.stderr


_EC_PARAMETERS = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"


def test_nginx_agrees_with_the_inspector(pki, bad, tmp_path):
    """nginx loads what the inspector accepts and refuses the file-level mistakes it reports."""
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    leaf = pki.leaf
    cases = {
        "good": (leaf.chain_pem(), leaf.key_pem, True),
        "crlf and text around": ("notes\r\n" + leaf.chain_pem().replace("\n", "\r\n"), leaf.key_pem, True),
        "pkcs1 key": (bad.rsa.chain_pem(), bad.f.key_in_format(bad.rsa, "pkcs1").read_text(), True),
        "key mismatch": (leaf.chain_pem(), bad.ec_other.key_pem, False),
        "intermediate first": (pki.inter.cert_pem + leaf.cert_pem, leaf.key_pem, False),
        "encrypted key": (leaf.chain_pem(), bad.f.encrypted_key(leaf).read_text(), False),
        "legacy encrypted key": (
            bad.rsa.chain_pem(),
            bad.f.encrypted_key(bad.rsa, legacy=True).read_text(),
            False,
        ),
        "der certificate": (bad.f.der(leaf).read_bytes(), leaf.key_pem, False),
        "glued blocks": (leaf.cert_pem.rstrip("\n") + pki.inter.cert_pem, leaf.key_pem, False),
        "text after END": (leaf.cert_pem.rstrip("\n") + " leaf\n" + pki.inter.cert_pem, leaf.key_pem, False),
        "text after BEGIN": (
            leaf.chain_pem().replace("CATE-----\n", "CATE----- leaf\n", 1),
            leaf.key_pem,
            False,
        ),
        "CR-only lines": (leaf.chain_pem().replace("\n", "\r"), leaf.key_pem.replace("\n", "\r"), False),
        "key: text after END": (leaf.chain_pem(), leaf.key_pem.rstrip("\n") + " key\n", False),
        "spaces after the markers": (leaf.chain_pem().replace("-----\n", "-----  \n"), leaf.key_pem, True),
        "CR CR LF": (leaf.chain_pem().replace("\n", "\r\r\n"), leaf.key_pem, True),
        "blank line before END": (
            leaf.cert_pem.replace("\n-----END", "\n\n-----END") + pki.inter.cert_pem,
            leaf.key_pem,
            False,
        ),
        "key: blank line before END": (
            leaf.chain_pem(),
            leaf.key_pem.replace("\n-----END", "\n\n-----END"),
            False,
        ),
        # nginx's key reader skips blocks before the key it cannot read, but the one right before the key
        # swallows it when the END line is not seen
        "key: EC PARAMETERS first": (leaf.chain_pem(), _EC_PARAMETERS + leaf.key_pem, True),
        "key: EC PARAMETERS END glued": (
            leaf.chain_pem(),
            _EC_PARAMETERS.replace("\n-----END", "-----END") + leaf.key_pem,
            False,
        ),
        "key: a certificate with text after END first": (
            leaf.chain_pem(),
            leaf.cert_pem.rstrip("\n") + " x\n" + leaf.key_pem,
            True,
        ),
        "key: END glued two blocks before the key": (
            leaf.chain_pem(),
            leaf.cert_pem.replace("\n-----END", "-----END") + pki.inter.cert_pem + leaf.key_pem,
            True,
        ),
        "blank line after BEGIN": (
            leaf.chain_pem().replace("CATE-----\n", "CATE-----\n\n"),
            leaf.key_pem,
            True,
        ),
        "UTF-16": (leaf.chain_pem().encode("utf-16"), leaf.key_pem.encode("utf-16"), False),
        "swapped": (leaf.key_pem, leaf.chain_pem(), False),
    }
    for n, (name, (cert, key, nginx_ok)) in enumerate(cases.items()):
        accepted, log = _nginx_accepts(nginx, tmp_path / str(n), cert, key)
        assert accepted is nginx_ok, f"{name}: nginx {'accepted' if accepted else 'refused'}: {log}"
        assert check(cert, key).ok is nginx_ok, name


def test_openssl_verify_agrees_on_chains(pki, bad, tmp_path):
    """``openssl verify`` (root trusted, the file's other certificates untrusted) fails where the
    inspector reports chain-incomplete or cert-expired, and passes on a good chain."""
    cases = {
        "good": (pki.leaf.chain_pem(), True, []),
        "leaf alone": (pki.leaf.cert_pem, False, ["chain-incomplete"]),
        "expired leaf": (bad.expired.chain_pem(), False, ["cert-expired"]),
        "expired intermediate": (bad.expired_inter_leaf.chain_pem(), False, ["cert-expired"]),
    }
    from cryptography.hazmat.primitives import serialization

    for name, (chain, verify_ok, codes) in cases.items():
        certs = parse_pem_certificates(chain)
        leaf_file, rest_file = tmp_path / f"{name}-leaf.pem", tmp_path / f"{name}-rest.pem"
        pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in certs]
        leaf_file.write_text(pems[0])
        rest_file.write_text("".join(pems[1:]))
        args = ["openssl", "verify", "-CAfile", str(pki.ca_bundle_path)]
        if len(certs) > 1:
            args += ["-untrusted", str(rest_file)]
        proc = subprocess.run([*args, str(leaf_file)], capture_output=True, text=True, check=False)
        assert (proc.returncode == 0) is verify_ok, f"{name}: {proc.stdout}{proc.stderr}"
        assert check(chain, None).codes == codes, name
