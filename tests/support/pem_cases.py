"""The inspector tests' shared cases: certificates with one defect each, and the check helpers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from secure_scoring.certs.pem import (
    FINDING_CODES,
    Report,
    inspect_bundle,
)
from support.certs import Cert, CertFactory, declared_test_roots


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
    kw.setdefault("anchors", declared_test_roots())  # the test roots are declared trust anchors
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
