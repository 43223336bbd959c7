"""The AKS plan's named steps, each tested alone (no Pulumi program runs: certificates are stubs).

The steps of ``plan_aks`` are pure functions of the arguments; the component tests
(test_aks_extension/_v1/_cluster) run them together under mocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from secure_scoring import tls_versions
from secure_scoring.components.aks import args as aks_args
from secure_scoring.components.aks import dns as aks_dns
from secure_scoring.components.aks import endpoints as aks_endpoints
from secure_scoring.components.aks import plan as aks_plan
from secure_scoring.components.aks.args import AksDnsArgs, AksEndpointArgs, SecureAksClusterArgs
from secure_scoring.errors import ConfigurationError
from secure_scoring.names import covers

SUB = "00000000-0000-0000-0000-000000000000"
CLUSTER_ID = f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod"


@dataclass
class StubCertificate:
    """What the plan reads from a CertificateBundle (duck-typed), without a Pulumi program."""

    source: str = "pem"
    hostname_list: list[str] = field(default_factory=lambda: ["scoring.example.test"])
    leaf_domain_label: str | None = None
    location: str | None = None
    environment: str | None = "dev"

    def covers(self, hostname: str) -> bool:
        return covers(self.hostname_list, hostname)


def cluster(cert: Any = None, **kw: Any) -> SecureAksClusterArgs:
    base: dict[str, Any] = {
        "cluster_id": CLUSTER_ID,
        "workspace_name": "ws-prod",
        "workspace_resource_group_name": "rg-ml",
        "location": "westeurope",
        "certificate": cert if cert is not None else StubCertificate(),
    }
    base.update(kw)
    return SecureAksClusterArgs(**base)


def refusal(call) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        call()
    return caught.value


# -- guard clauses ---------------------------------------------------------------------------------


def test_check_args_refuses_anything_but_the_args_dataclass():
    assert refusal(lambda: aks_plan.check_args({"cluster_id": CLUSTER_ID})).input_name == "args"
    aks_plan.check_args(cluster())


@pytest.mark.parametrize(("given", "mode"), [("extension", "extension"), ("V1-Attach", "v1-attach")])
def test_resolve_mode_spells_the_mode_canonically(given, mode):
    assert aks_plan.resolve_mode(cluster(mode=given)) == mode


def test_resolve_mode_refuses_an_unknown_mode():
    err = refusal(lambda: aks_plan.resolve_mode(cluster(mode="v2")))
    assert err.input_name == "mode" and "extension, v1-attach" in str(err)


def test_parse_cluster_ref():
    ref = aks_plan.parse_cluster_ref(CLUSTER_ID)
    assert (ref.subscription_id, ref.resource_group, ref.name) == (SUB, "rg-aks", "aks-prod")
    assert refusal(lambda: aks_plan.parse_cluster_ref("aks-prod")).input_name == "cluster_id"


def test_check_workspace_refuses_a_bad_extension_name_only_in_extension_mode():
    args = cluster(extension_name="Azure_ML")
    assert refusal(lambda: aks_plan.check_workspace(args, "extension")).input_name == "extension_name"
    aks_plan.check_workspace(args, "v1-attach")


# -- steps -----------------------------------------------------------------------------------------


def test_resolve_regions_normalises_display_names_and_defaults_the_cluster_region():
    assert aks_plan.resolve_regions(cluster(location="West Europe")) == aks_plan.Regions(
        "westeurope", "westeurope"
    )
    assert aks_plan.resolve_regions(cluster(cluster_location="East US")) == aks_plan.Regions(
        "westeurope", "eastus"
    )
    assert refusal(lambda: aks_plan.resolve_regions(cluster(location="west-europe"))).input_name == "location"


def test_resolve_router_defaults_and_refusals():
    assert aks_plan.resolve_router(cluster(), "extension") == aks_plan.Router(
        load_balancer="public", service_type="LoadBalancer", cluster_purpose="FastProd", ha=True
    )
    assert (
        aks_plan.resolve_router(cluster(router_service_type="clusterip"), "extension").service_type
        == "ClusterIP"
    )
    for kw, mode, input_name in [
        ({"router_service_type": "NodePort"}, "extension", "router_service_type"),
        ({"router_service_type": "ClusterIP"}, "v1-attach", "router_service_type"),
        ({"cluster_purpose": "DenseProd"}, "extension", "cluster_purpose"),
        ({"router_service_type": "ClusterIP", "load_balancer": "internal"}, "extension", "load_balancer"),
        ({"load_balancer_subnet": "snet"}, "v1-attach", "load_balancer_subnet"),
        ({"router_ha": "yes"}, "extension", "router_ha"),
    ]:
        assert (
            refusal(lambda kw=kw, mode=mode: aks_plan.resolve_router(cluster(**kw), mode)).input_name
            == input_name
        )


def test_resolve_tls_custom_certificate_defaults_the_hostname_to_the_certificates_first_name():
    tls = aks_plan.resolve_tls(cluster(), "extension", "public", "westeurope")
    assert tls == aks_plan.Tls(enabled=True, certificate_source="pem", hostname="scoring.example.test")


def test_resolve_tls_off_needs_no_certificate_and_refuses_one():
    assert aks_plan.resolve_tls(
        cluster(tls_enabled=False, certificate=None), "extension", "public", "westeurope"
    ) == aks_plan.Tls(enabled=False)
    err = refusal(
        lambda: aks_plan.resolve_tls(cluster(tls_enabled=False), "extension", "public", "westeurope")
    )
    assert err.input_name == "tls_enabled"


def test_resolve_tls_microsoft_certificate_is_v1_attach_and_public_only():
    ms = StubCertificate(
        source="microsoft_managed", hostname_list=[], leaf_domain_label="contoso", location="westeurope"
    )
    tls = aks_plan.resolve_tls(cluster(ms, mode="v1-attach"), "v1-attach", "public", "westeurope")
    assert tls.microsoft_cert and tls.microsoft_fqdn == "contoso######.westeurope.cloudapp.azure.com"
    assert tls.hostname is None
    err = refusal(lambda: aks_plan.resolve_tls(cluster(ms), "extension", "public", "westeurope"))
    assert err.input_name == "certificate" and aks_args.MICROSOFT_CERT_EXTENSION_REASON in str(err)
    err = refusal(lambda: aks_plan.resolve_tls(cluster(ms), "v1-attach", "internal", "westeurope"))
    assert err.input_name == "certificate"


def test_the_tls_floor_fact_is_the_routers_floor():
    """No input sets a floor on AKS: the inference router enforces TLS 1.2; the fact says so."""
    tls = aks_plan.resolve_tls(cluster(), "extension", "public", "westeurope")
    assert tls.min_tls_version == aks_args.ROUTER_MIN_TLS_VERSION == tls_versions.DEFAULT_FLOOR
    assert aks_plan.resolve_tls(
        cluster(tls_enabled=False, certificate=None), "extension", "public", "w"
    ).min_tls_version == (tls_versions.DEFAULT_FLOOR)


# -- host names: one parser (names.py), AKS's own rules on top --------------------------------------


def test_an_internationalised_hostname_is_accepted_as_its_a_label():
    cert = StubCertificate(hostname_list=["xn--bcher-kva.example.com"])
    tls = aks_plan.resolve_tls(
        cluster(cert, hostname="Bücher.Example.com."), "extension", "public", "westeurope"
    )
    assert tls.hostname == "xn--bcher-kva.example.com"


@pytest.mark.parametrize(
    ("hostname", "words"),
    [
        ("scoring.example.com..", "empty label"),
        ("localhost", "at least two labels"),
        ("scoring.example.c0m", "top-level label of letters"),
        ("*.example.com", "wildcard"),
        ("20.50.1.2", "IP address"),
        ("not a name", "is not a hostname"),
    ],
)
def test_fully_qualified_name_refusals(hostname, words):
    err = refusal(lambda: aks_dns.fully_qualified_name(hostname, "hostname"))
    assert err.input_name == "hostname" and words in str(err)


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("Scoring.Example.Test.", "scoring.example.test"),
        ("scoring.xn--e1afmkfd.xn--p1ai", "scoring.xn--e1afmkfd.xn--p1ai"),
        (" scoring.example.test ", "scoring.example.test"),
    ],
)
def test_fully_qualified_name_canonical_form(given, name):
    assert aks_dns.fully_qualified_name(given, "hostname") == name


def test_custom_certificate_hostname_must_be_covered():
    err = refusal(lambda: aks_plan.custom_certificate_hostname(cluster(hostname="api.other.test")))
    assert err.input_name == "hostname" and "does not cover" in str(err)
    wildcard_only = StubCertificate(hostname_list=["*.example.test"])
    err = refusal(lambda: aks_plan.custom_certificate_hostname(cluster(wildcard_only)))
    assert err.input_name == "hostname" and "*.example.test" in str(err)


def test_resolve_compute_name_default_and_refusals():
    assert aks_plan.resolve_compute_name("scoring", cluster(), "extension") == "scoring"
    assert aks_plan.default_compute_name("9-lives") == "aks-9-lives"
    assert aks_plan.default_compute_name("a") == "a-aks"
    err = refusal(
        lambda: aks_plan.resolve_compute_name(
            "s", cluster(compute_name="this-name-is-far-too-long"), "v1-attach"
        )
    )
    assert err.input_name == "compute_name"
    assert refusal(
        lambda: aks_plan.resolve_compute_name("s", cluster(namespace="Prod"), "extension")
    ).input_name == ("namespace")


# -- endpoints -------------------------------------------------------------------------------------


def test_resolve_endpoints_one_mode_each():
    eps = aks_endpoints.resolve_endpoints(
        [
            AksEndpointArgs(name="fraud", auth="key"),
            AksEndpointArgs(name="churn", token_auth_enabled=True, key_auth_enabled=False),
        ],
        "extension",
    )
    assert [(e.name, e.auth_mode, e.key_auth_enabled, e.token_auth_enabled) for e in eps] == [
        ("fraud", "key", True, False),
        ("churn", "token", False, True),
    ]
    assert aks_plan.strongest_auth_mode(eps) == "token"
    assert aks_plan.strongest_auth_mode(()) == "key"


@pytest.mark.parametrize(
    ("endpoint", "mode", "input_name"),
    [
        (
            AksEndpointArgs(name="fraud", auth="key", token_auth_enabled=True),
            "extension",
            "endpoints[0].auth",
        ),
        (AksEndpointArgs(name="fraud", auth="none"), "extension", "endpoints[0].auth"),
        (AksEndpointArgs(name="f_1"), "extension", "endpoints[0].name"),
        (AksEndpointArgs(name="fraud", max_instances=3), "extension", "endpoints[0].max_instances"),
        (AksEndpointArgs(name="fraud", memory="1GB"), "extension", "endpoints[0].memory"),
        (AksEndpointArgs(name="fraud", model="azureml:m@latest"), "extension", "endpoints[0].model"),
    ],
)
def test_resolve_endpoints_refusals(endpoint, mode, input_name):
    assert refusal(lambda: aks_endpoints.resolve_endpoints([endpoint], mode)).input_name == input_name


def test_v1_attach_allows_no_auth_and_skips_deployment_checks():
    (ep,) = aks_endpoints.resolve_endpoints(
        [AksEndpointArgs(name="fraud", auth="none", max_instances=3)], "v1-attach"
    )
    assert ep.auth_mode == "none"


def test_whole_numbers_accept_whole_floats_only():
    assert aks_endpoints.whole(2.0, "n", 1) == 2
    for bad in (True, 1.5, 0, "2"):
        assert refusal(lambda bad=bad: aks_endpoints.whole(bad, "n", 1)).input_name == "n"


# -- dns -------------------------------------------------------------------------------------------


def test_record_name_defaults_to_the_hostname_minus_the_zone():
    assert aks_dns.record_name(None, "example.test", "scoring.example.test") == "scoring"
    assert aks_dns.record_name(None, "example.test", "example.test") == "@"
    err = refusal(lambda: aks_dns.record_name(None, "other.test", "scoring.example.test"))
    assert err.input_name == "dns.zone_name" and "not inside the zone" in str(err)
    err = refusal(lambda: aks_dns.record_name("api", "example.test", "scoring.example.test"))
    assert err.input_name == "dns.relative_name" and "certificate mismatch" in str(err)


def test_check_router_ip_public_zone_needs_a_public_address():
    aks_dns.check_router_ip("20.50.1.2", False, "example.test", "public")
    aks_dns.check_router_ip("10.0.0.4", True, "example.test", "internal")
    err = refusal(lambda: aks_dns.check_router_ip("10.0.0.4", False, "example.test", "internal"))
    assert err.input_name == "dns.router_ip" and "internal" in str(err)
    assert (
        refusal(lambda: aks_dns.check_router_ip("not-an-ip", True, "z", "public")).input_name
        == "dns.router_ip"
    )
    # the exact texts (DnsRecordBinding's target_ip check, with the router's fixes)
    assert str(err) == (
        "dns.router_ip: 10.0.0.4 is not a public address, so a record in the public zone 'example.test' "
        "cannot reach it (the load balancer is internal). Fix: use a private DNS zone (private=True, the "
        "default for an internal load balancer), or the router's public IP"
    )
    assert str(refusal(lambda: aks_dns.check_router_ip(" nope ", True, "z", "public"))) == (
        "dns.router_ip: ' nope ' is not an IP address. Fix: pass the azureml-fe service's IP "
        "(`kubectl get svc azureml-fe -n azureml`)"
    )


def test_resolve_dns_is_none_without_dns_and_refused_with_tls_off_or_a_microsoft_certificate():
    tls = aks_plan.Tls(enabled=True, certificate_source="pem", hostname="scoring.example.test")
    assert aks_dns.resolve_dns("s", None, tls, "public", None) is None
    dns = AksDnsArgs(zone_name="example.test", resource_group_name="rg", router_ip="20.50.1.2")
    assert (
        refusal(lambda: aks_dns.resolve_dns("s", dns, aks_plan.Tls(enabled=False), "public", None)).input_name
        == "dns"
    )
    ms = aks_plan.Tls(
        enabled=True, certificate_source="microsoft_managed", microsoft_cert=True, microsoft_fqdn="x"
    )
    assert "Azure creates" in str(refusal(lambda: aks_dns.resolve_dns("s", dns, ms, "public", None)))
    err = refusal(
        lambda: aks_dns.resolve_dns(
            "s",
            AksDnsArgs(zone_name="example.test..", resource_group_name="rg", router_ip="20.50.1.2"),
            tls,
            "public",
            None,
        )
    )
    assert err.input_name == "dns.zone_name" and "empty label" in str(err)
