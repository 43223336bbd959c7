"""The pack's production trust judgement (``no-self-signed-in-production``): a CertificateBundle's
``chainTrust`` fact, and the chains of raw resources against ``secure-scoring:trustedCaCertificates``
(PEM strings or file paths relative to the project directory) or the system store."""

from __future__ import annotations

import json

import pytest

from support.policy_rules import SECRET, R, aks_compute, b64, check, extension, gateway_group, judged

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
    assert "does not verify to a public root or a declared CA" in text and "chainTrust unknown" in text
    fix = R.RULES_BY_NAME[RULE].remediation  # the pack appends it: "<message>. Fix: <remediation>"
    assert "ca_bundle_pem" in fix and "ca_bundle_file" in fix and KEY in fix and "public CA" in fix
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
    assert len(found) == 1 and "[issuer-unknown]" in found[0].message


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


# --- a raw nginx gateway's served certificate (read from the container group's secret volume) ---------
def gateway(pem: str) -> dict:
    group = gateway_group()
    group["volumes"][0]["secret"]["tls.crt"] = b64(pem)
    return group


def urn(resource_type: str, parent: str | None = None) -> str:
    qualified = f"{parent}${resource_type}" if parent else resource_type
    return f"urn:pulumi:production::proj::{qualified}::res"


def test_a_raw_gateway_serving_a_chain_from_an_undeclared_ca_is_refused(chain, real_trust_store) -> None:
    _, leaf = chain
    found = judged(check(RULE, R.CONTAINER_GROUP, gateway(leaf.chain_pem()), urn=urn(R.CONTAINER_GROUP)))
    assert len(found) == 1
    text = found[0].message
    assert "tls.crt served by gateway configuration nginx.conf" in text
    assert "[issuer-unknown]" in text and "does not verify to a public root or a declared CA" in text
    # advisory outside production: reported all the same
    assert judged(check(RULE, R.CONTAINER_GROUP, gateway(leaf.chain_pem()), stack="dev"))


def test_trusted_ca_certificates_declare_the_ca_of_a_raw_gateway(chain, real_trust_store) -> None:
    root, leaf = chain
    group = gateway(leaf.chain_pem())
    assert check(RULE, R.CONTAINER_GROUP, group, stack_config={KEY: [root.cert_pem]}) == []
    other = check(RULE, R.CONTAINER_GROUP, group, stack_config={KEY: [leaf.chain_pem().split("-----END")[0]]})
    assert judged(other)  # an unusable declaration does not trust it either


@pytest.mark.parametrize(
    ("resource_type", "parent", "props"),
    [
        (R.CONTAINER_GROUP, R.ACI_SERVICE, "gateway"),
        (R.ML_COMPUTE, R.AKS_CLUSTER, "compute"),
        (R.K8S_EXTENSION, R.AKS_CLUSTER, "extension"),
    ],
)
def test_a_scoring_component_s_child_is_judged_by_its_bundle_not_again(
    chain, real_trust_store, resource_type, parent, props
) -> None:
    """The child of a SecureAciService / SecureAksCluster serves its CertificateBundle's chain: the
    bundle's chainTrust (with the CA it declares, ca_bundle_pem) decides, without a stack-config
    declaration; the same resource outside a component is judged against the stack config."""
    _, leaf = chain
    made = {
        "gateway": lambda: gateway(leaf.chain_pem()),
        "compute": lambda: compute(leaf),
        "extension": lambda: extension(protected={"scoringFe.sslCert": b64(leaf.chain_pem())}),
    }[props]
    assert check(RULE, resource_type, made(), urn=urn(resource_type, parent)) == []
    assert judged(check(RULE, resource_type, made(), urn=urn(resource_type)))
    # under a component the chain is judged once, on the bundle: a parent of another type changes nothing
    assert judged(check(RULE, resource_type, made(), urn=urn(resource_type, "my:index:Wrapper")))


def test_a_self_signed_certificate_is_refused_even_under_a_scoring_component(cert_factory) -> None:
    root = cert_factory.ca("Self-signed Under A Component")
    found = judged(
        check(RULE, R.CONTAINER_GROUP, gateway(root.cert_pem), urn=urn(R.CONTAINER_GROUP, R.ACI_SERVICE))
    )
    assert len(found) == 1 and "self-signed" in found[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("urn:pulumi:prod::p::secure-scoring:index:SecureAciService$azure-native:containerinstance:ContainerGroup::g",
         R.ACI_SERVICE),
        ("urn:pulumi:prod::p::a:b:C$secure-scoring:index:SecureAksCluster$azure-native:kubernetesconfiguration:"
         "Extension::x::y", R.AKS_CLUSTER),  # the direct parent; a name may hold '::'
        ("urn:pulumi:prod::p::x:y:P$azure-native:containerinstance/v20230501:ContainerGroupProfile::g", "x:y:P"),
        ("urn:pulumi:prod::p::azure-native:containerinstance:ContainerGroup::g", None),
        ("not a urn", None),
        (None, None),
    ],
)  # fmt: skip
def test_the_parent_type_is_read_from_the_urn(text, expected) -> None:
    from secure_scoring.policy.types import parent_type

    assert parent_type(text) == expected
