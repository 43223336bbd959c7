"""The pack's production trust judgement (``no-self-signed-in-production``): a CertificateBundle's
``chainTrust`` fact, and the chains of raw resources against ``secure-scoring:trustedCaCertificates``
(PEM strings or file paths relative to the project directory) or the system store."""

from __future__ import annotations

import json

import pytest

from support.policy_rules import SECRET, R, aks_compute, check, judged

RULE = "no-self-signed-in-production"
KEY = "secure-scoring:trustedCaCertificates"


@pytest.fixture(scope="module")
def chain(cert_factory):
    root = cert_factory.ca("Policy Trust Root")
    inter = cert_factory.intermediate(root, "Policy Trust Intermediate")
    leaf = cert_factory.leaf(inter, ["scoring.example.test"], days=365)
    return root, leaf


def bundle(trust):
    return {
        "certificateSource": "pem",
        "selfSigned": False,
        "environment": "dev",
        "hostnames": ["scoring.example.test"],
        "chainTrust": trust,
    }


@pytest.mark.parametrize("trust", ["public-store", "declared-ca"])
def test_a_bundle_trusted_by_a_public_or_declared_ca_passes(trust) -> None:
    assert check(RULE, R.CERTIFICATE_BUNDLE, bundle(trust)) == []


def test_a_bundle_whose_chain_verifies_to_no_anchor_is_refused_in_production() -> None:
    found = judged(check(RULE, R.CERTIFICATE_BUNDLE, bundle("unknown")))
    assert len(found) == 1
    text = found[0].message
    assert "does not verify to a public root or a declared CA" in text
    assert "ca_bundle_pem" in text and "ca_bundle_file" in text and KEY in text
    assert check(RULE, R.CERTIFICATE_BUNDLE, bundle("unknown"), stack="dev") != []  # advisory in dev


def test_a_bundle_without_the_fact_is_judged_as_before() -> None:
    props = bundle("public-store")
    del props["chainTrust"]
    assert check(RULE, R.CERTIFICATE_BUNDLE, props) == []


def compute(leaf):
    return aks_compute({"status": "Enabled", "cert": leaf.chain_pem(), "key": SECRET, "cname": "x"})


def test_a_raw_certificate_from_an_undeclared_ca_is_refused(chain, real_trust_store) -> None:
    _, leaf = chain
    found = judged(check(RULE, R.ML_COMPUTE, compute(leaf)))
    assert len(found) == 1 and "[issuer-unknown]" in found[0].message and KEY in found[0].message


@pytest.mark.parametrize("form", ["pem", "path", "json", "relative"])
def test_trusted_ca_certificates_declare_the_ca(chain, real_trust_store, form, tmp_path, monkeypatch) -> None:
    root, leaf = chain
    if form == "pem":
        value = [root.cert_pem]
    elif form == "path":
        value = [str(root.cert_path)]
    elif form == "json":  # config objects arrive as JSON text
        value = json.dumps([str(root.cert_path)])
    else:
        monkeypatch.chdir(root.cert_path.parent)  # the project directory
        value = [root.cert_path.name]
    assert check(RULE, R.ML_COMPUTE, compute(leaf), stack_config={KEY: value}) == []


def test_an_unusable_declaration_is_named(chain, real_trust_store, tmp_path) -> None:
    _, leaf = chain
    found = judged(check(RULE, R.ML_COMPUTE, compute(leaf), stack_config={KEY: [str(tmp_path / "nope.pem")]}))
    assert len(found) == 1 and f"{KEY}[0]" in found[0].message and "does not exist" in found[0].message


def test_a_development_ca_stays_refused_even_when_declared(chain) -> None:
    root, _ = chain
    found = check(
        RULE, R.TLS_LOCALLY_SIGNED, {"caCertPem": root.cert_pem}, stack_config={KEY: [root.cert_pem]}
    )
    assert judged(found)


def test_an_expired_leaf_is_cert_expiry_s_matter_not_trust(cert_factory, chain, real_trust_store) -> None:
    root, _ = chain
    inter = cert_factory.intermediate(root, "Policy Trust Intermediate 2")
    old = cert_factory.leaf(inter, ["old.example.test"], days=-2, not_before_days_ago=30)
    assert check(RULE, R.ML_COMPUTE, compute(old), stack_config={KEY: [root.cert_pem]}) == []
