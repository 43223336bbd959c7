"""The policy pack judges SecureAksCluster's RAW resources (and its registered facts) correctly.

Both modes are run under mocks in compliant and insecure forms; hand-written programs that use
raw azure-native resources (what a program that does not use our component, or one in another
language, registers) are judged by the same rules. Everything goes through the pack's own
evaluation function (``secure_scoring.policy.pack.evaluate``: pulumi_policy's analyzer servicer,
resource rules on the wire inputs, stack rules on the outputs / registered component outputs).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi_azure_native import kubernetesconfiguration as kc
from pulumi_azure_native import machinelearningservices as ml

from secure_scoring.components import aks
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.facts import EndpointAuth, SecurityFacts, type_token
from secure_scoring.gate.mocking import run_with_mocks
from secure_scoring.policy import pack as policy_pack

SUB = "00000000-0000-0000-0000-000000000000"
CLUSTER_ID = f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod"
HOST = "scoring.example.test"


def diagnostics(rec, stack: str) -> list[policy_pack.Diagnostic]:
    """The pack's findings on everything the program registered, through its evaluation function."""
    return policy_pack.evaluate(rec.resources, stack=stack, project="project")


def violations(rec, stack: str = "production") -> set[tuple[str, str]]:
    """(rule, resource type) of every judged finding, mandatory or advisory."""
    return {(d.rule, d.resource_type) for d in diagnostics(rec, stack) if d.judged}


def mandatory(rec, stack: str) -> set[tuple[str, str]]:
    """The findings that fail the stack."""
    return {
        (d.rule, d.resource_type)
        for d in diagnostics(rec, stack)
        if d.judged and d.enforcement == "mandatory"
    }


def unjudged(rec, stack: str = "production") -> set[str]:
    """Rules that could not judge something (unknown values): never violations."""
    return {d.rule for d in diagnostics(rec, stack) if not d.judged}


COMPONENT = "secure-scoring:index:SecureAksCluster"
EXT = "azure-native:kubernetesconfiguration:Extension"
COMPUTE = "azure-native:machinelearningservices:Compute"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"


def _pem(pki, leaf=None, environment: str = "production") -> CertificateBundle:
    leaf = leaf or pki.leaf
    return CertificateBundle(
        "cert",
        CertificateBundleArgs(
            source="pem", cert_pem=leaf.chain_pem(), key_pem=leaf.key_pem, environment=environment
        ),
    )


def _cluster(cert, **kw) -> aks.SecureAksCluster:
    base: dict[str, Any] = {
        "cluster_id": CLUSTER_ID,
        "workspace_name": "ws",
        "workspace_resource_group_name": "rg-ml",
        "location": "westeurope",
        "certificate": cert,
        "endpoints": [aks.AksEndpointArgs(name="fraud", auth="key")],
    }
    base.update(kw)
    return aks.SecureAksCluster("scoring", aks.SecureAksClusterArgs(**base))


# -- compliant forms: nothing to report, everything judged -------------------------------------------


@pytest.mark.parametrize("load_balancer", ["public", "internal"])
@pytest.mark.parametrize("auth", ["key", "token"])
def test_extension_mode_custom_certificate_is_compliant(pki, load_balancer, auth):
    rec = run_with_mocks(
        lambda: _cluster(
            _pem(pki), load_balancer=load_balancer, endpoints=[aks.AksEndpointArgs(name="fraud", auth=auth)]
        ),
        stack="production",
    )
    assert violations(rec) == set()
    assert unjudged(rec) == set()


@pytest.mark.parametrize("auth", ["key", "token"])
def test_v1_attach_custom_certificate_internal_lb_is_compliant(pki, auth):
    rec = run_with_mocks(
        lambda: _cluster(
            _pem(pki),
            mode="v1-attach",
            load_balancer="internal",
            load_balancer_subnet="snet-ilb",
            endpoints=[aks.AksEndpointArgs(name="fraud", auth=auth)],
        ),
        stack="production",
    )
    assert violations(rec) == set()
    assert unjudged(rec) == set()


@pytest.mark.parametrize("auth", ["key", "token"])
def test_v1_attach_microsoft_certificate_is_compliant(auth):
    def program():
        cert = CertificateBundle(
            "mscert",
            CertificateBundleArgs(
                source="microsoft_managed",
                leaf_domain_label="contoso",
                location="westeurope",
                environment="production",
            ),
        )
        _cluster(cert, mode="v1-attach", endpoints=[aks.AksEndpointArgs(name="fraud", auth=auth)])

    rec = run_with_mocks(program, stack="production")
    assert violations(rec) == set()


def test_custom_certificate_with_dns_record_is_compliant(pki):
    rec = run_with_mocks(
        lambda: _cluster(
            _pem(pki),
            dns=aks.AksDnsArgs(zone_name="example.test", resource_group_name="rg-dns", router_ip="20.50.1.2"),
        ),
        stack="production",
    )
    assert violations(rec) == set()


# -- insecure forms the component produces only when asked explicitly ------------------------------------


def test_extension_mode_tls_off_is_rejected_on_the_raw_extension_and_the_component():
    rec = run_with_mocks(lambda: _cluster(None, tls_enabled=False), stack="production")
    assert violations(rec) == {("tls-required", EXT), ("tls-required", COMPONENT)}
    dev = run_with_mocks(lambda: _cluster(None, tls_enabled=False), stack="dev")
    assert mandatory(dev, "dev") == {("tls-required", EXT), ("tls-required", COMPONENT)}  # in every stack


def test_v1_attach_tls_off_is_rejected_on_the_raw_compute_and_the_component():
    rec = run_with_mocks(lambda: _cluster(None, mode="v1-attach", tls_enabled=False), stack="production")
    assert violations(rec) == {("tls-required", COMPUTE), ("tls-required", COMPONENT)}


def test_v1_attach_auth_none_is_rejected_in_production_only(pki):
    def program():
        _cluster(_pem(pki), mode="v1-attach", endpoints=[aks.AksEndpointArgs(name="fraud", auth="none")])

    prod = run_with_mocks(program, stack="production")
    assert violations(prod) == {("auth-required", COMPONENT)}
    assert mandatory(prod, "production") == {("auth-required", COMPONENT)}
    # outside production the finding is still reported, as advisory: it does not fail the stack
    dev = run_with_mocks(program, stack="dev")
    assert violations(dev, stack="dev") == {("auth-required", COMPONENT)}
    assert mandatory(dev, "dev") == set()


def test_dev_ca_certificate_in_a_production_stack_is_rejected():
    def program():
        cert = CertificateBundle(
            "devcert", CertificateBundleArgs(source="dev_ca", hostnames=[HOST], environment="dev")
        )
        _cluster(cert)

    expected = {
        ("no-self-signed-in-production", COMPONENT),  # the component's selfSigned / certificateSource facts
        ("no-self-signed-in-production", "secure-scoring:index:CertificateBundle"),
        ("no-self-signed-in-production", "tls:index/selfSignedCert:SelfSignedCert"),  # the dev CA
        ("no-self-signed-in-production", "tls:index/locallySignedCert:LocallySignedCert"),  # its leaf
        # not the extension: the leaf inline in its settings is the bundle's, judged once, on the bundle
    }
    rec = run_with_mocks(program, stack="production")
    assert violations(rec) == expected
    assert mandatory(rec, "production") == expected
    # the same program in dev: reported as advisory only
    dev = run_with_mocks(program, stack="dev")
    assert violations(dev, stack="dev") == expected
    assert mandatory(dev, "dev") == set()


def test_certificate_close_to_expiry_is_rejected(cert_factory, pki):
    soon = cert_factory.leaf(pki.inter, [HOST], days=10)
    rec = run_with_mocks(lambda: _cluster(_pem(pki, leaf=soon)), stack="production")
    assert {rule for rule, _ in violations(rec)} == {"cert-expiry"}


# -- hand-written programs with raw resources (no component, or another language) ------------------------


def _raw_extension(settings: dict[str, str], protected: dict[str, str] | None) -> None:
    kc.Extension(
        "azureml",
        cluster_name="aks-prod",
        cluster_resource_name="managedClusters",
        cluster_rp="Microsoft.ContainerService",
        resource_group_name="rg-aks",
        extension_type="microsoft.azureml.kubernetes",
        scope=kc.ScopeArgs(cluster=kc.ScopeClusterArgs(release_namespace="azureml")),
        configuration_settings=settings,
        configuration_protected_settings=protected,
    )


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def test_raw_extension_allowing_insecure_connections_is_rejected():
    rec = run_with_mocks(
        lambda: _raw_extension(
            {
                "enableInference": "True",
                "inferenceRouterServiceType": "LoadBalancer",
                "allowInsecureConnections": "True",
            },
            None,
        ),
        stack="production",
    )
    assert violations(rec) == {("tls-required", EXT)}


def test_raw_extension_with_tls_but_a_cname_the_certificate_does_not_cover(pki):
    rec = run_with_mocks(
        lambda: _raw_extension(
            {
                "enableInference": "True",
                "inferenceRouterServiceType": "LoadBalancer",
                "allowInsecureConnections": "False",
                "sslCname": "api.other.test",
            },
            {"scoringFe.sslCert": _b64(pki.leaf.chain_pem()), "scoringFe.sslKey": _b64(pki.leaf.key_pem)},
        ),
        stack="production",
    )
    assert violations(rec) == {("cert-hostname-match", EXT)}


def test_raw_extension_with_tls_and_matching_cname_is_compliant(pki):
    rec = run_with_mocks(
        lambda: _raw_extension(
            {
                "enableInference": "True",
                "inferenceRouterServiceType": "LoadBalancer",
                "allowInsecureConnections": "False",
                "sslCname": HOST,
            },
            {"scoringFe.sslCert": _b64(pki.leaf.chain_pem()), "scoringFe.sslKey": _b64(pki.leaf.key_pem)},
        ),
        stack="production",
    )
    assert violations(rec) == set()


@pytest.mark.parametrize(
    ("ssl", "expected"),
    [
        (lambda pki: ml.SslConfigurationArgs(status="Disabled"), {("tls-required", COMPUTE)}),
        (lambda pki: None, {("tls-required", COMPUTE)}),
        (lambda pki: ml.SslConfigurationArgs(status="Auto"), {("tls-required", COMPUTE)}),
        (lambda pki: ml.SslConfigurationArgs(status="Auto", leaf_domain_label="contoso"), set()),
        (
            lambda pki: ml.SslConfigurationArgs(
                status="Enabled", cert=pki.leaf.chain_pem(), key=pki.leaf.key_pem, cname=HOST
            ),
            set(),
        ),
        (
            lambda pki: ml.SslConfigurationArgs(
                status="Enabled", cert=pki.leaf.chain_pem(), key=pki.leaf.key_pem, cname="api.other.test"
            ),
            {("cert-hostname-match", COMPUTE)},
        ),
    ],
    ids=[
        "disabled",
        "no-ssl-configuration",
        "auto-without-label",
        "microsoft",
        "custom",
        "custom-wrong-cname",
    ],
)
def test_raw_v1_aks_compute(pki, ssl, expected):
    def program():
        ml.Compute(
            "aks",
            resource_group_name="rg-ml",
            workspace_name="ws",
            properties=ml.AKSArgs(
                compute_type="AKS",
                resource_id=CLUSTER_ID,
                properties=ml.AKSSchemaPropertiesArgs(ssl_configuration=ssl(pki)),
            ),
        )

    assert violations(run_with_mocks(program, stack="production")) == expected


def test_raw_online_endpoint_auth_modes():
    def program():
        for mode in ("Key", "AMLToken"):
            ml.OnlineEndpoint(
                f"ep-{mode.lower()}",
                resource_group_name="rg-ml",
                workspace_name="ws",
                properties=ml.OnlineEndpointPropertiesArgs(auth_mode=mode, compute="/computes/aks"),
            )

    assert violations(run_with_mocks(program, stack="production")) == set()


class _ForeignAksComponent(pulumi.ComponentResource):
    """What a program in another language registers: our type token, its own (wrong) facts."""

    def __init__(self, name: str, facts: SecurityFacts) -> None:
        super().__init__(type_token("SecureAksCluster"), name, facts.props())
        self.register_outputs(facts.outputs())


def _facts(**kw) -> SecurityFacts:
    base: dict[str, Any] = {
        "platform": "aks",
        "tls_enabled": True,
        "certificate_source": "pem",
        "self_signed": False,
        "auth_mode": "key",
        "key_auth_enabled": True,
        "token_auth_enabled": False,
        "environment": "production",
        "hostname": HOST,
        "certificate_hostnames": (HOST,),
        "endpoints": (EndpointAuth("fraud", "key", True, False),),
    }
    base.update(kw)
    return SecurityFacts(**base)


def test_component_registered_with_key_and_token_on_one_endpoint_is_rejected():
    # our Python component refuses this at construction; a program in another language may still register it
    facts = _facts(endpoints=(EndpointAuth("fraud", "key", True, True),))
    rec = run_with_mocks(lambda: _ForeignAksComponent("foreign", facts), stack="production")
    assert ("single-auth-mode", COMPONENT) in violations(rec)


def test_component_registered_with_both_flags_at_component_level_is_rejected():
    facts = _facts(key_auth_enabled=True, token_auth_enabled=True, endpoints=())
    rec = run_with_mocks(lambda: _ForeignAksComponent("foreign", facts), stack="production")
    assert ("single-auth-mode", COMPONENT) in violations(rec)


def test_foreign_component_with_correct_facts_is_compliant():
    rec = run_with_mocks(lambda: _ForeignAksComponent("foreign", _facts()), stack="production")
    assert violations(rec) == set()
