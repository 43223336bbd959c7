"""SecureAksCluster under Pulumi mocks: DNS, every refusal (before any resource is registered),
regions, facts and the package surface.

Certificates are real (openssl-made by the shared ``pki`` fixture, or pulumi-tls under the mocks).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from secure_scoring import tls_versions
from secure_scoring.components import aks
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.components.keys import BOTH_MODES_REASON
from secure_scoring.gate.mocking import SECRET_SIG, output_is_secret, output_value, run_with_mocks
from support.aks_cluster import (
    BUNDLE,
    CLUSTER_ID,
    COMPONENT,
    COMPUTE,
    DEPLOYMENT,
    DNS_BINDING,
    ENDPOINT,
    EXT,
    HOST,
    SUB,
    assert_nothing_registered,
    cluster_args,
    ms_bundle,
    pem_bundle,
    run_build,
)
from support.refusals import refused as _refused

# -- DNS -------------------------------------------------------------------------------------------


def test_dns_a_record_to_router_ip_for_custom_certificate(pki):
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                endpoints=[aks.AksEndpointArgs(name="fraud")],
                dns=aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg-dns", router_ip="20.50.1.2", ttl=600
                ),
            ),
        )
    )
    comp = rec.one(COMPONENT)
    binding = rec.one(DNS_BINDING)
    assert binding.parent == comp.urn and binding.name == "scoring-dns"
    record = rec.one("azure-native:dns:RecordSet")
    assert record.parent == binding.urn
    assert record.wire_inputs["zoneName"] == "example.test"
    assert record.wire_inputs["relativeRecordSetName"] == "scoring"
    assert record.wire_inputs["recordType"] == "A"
    assert record.wire_inputs["aRecords"] == [{"ipv4Address": "20.50.1.2"}]
    assert record.wire_inputs["ttl"] == 600.0
    assert output_value(c.fqdn) == HOST
    assert output_value(c.router_ip) == "20.50.1.2"


def test_dns_alias_to_static_public_ip(pki):
    ip_id = (
        f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.Network/publicIPAddresses/azureml-fe"
    )
    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                # the static IP of your own ingress in front of azureml-fe (issue 15: nothing pins
                # azureml-fe's own load balancer to it, so LoadBalancer and v1-attach are refused)
                router_service_type="ClusterIP",
                dns=aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg-dns", static_ip_resource_id=ip_id
                ),
            ),
        )
    )
    record = rec.one("azure-native:dns:RecordSet")
    assert record.wire_inputs["recordType"] == "A"
    assert record.wire_inputs["targetResource"] == {"id": ip_id}
    assert "aRecords" not in record.wire_inputs


def test_dns_private_zone_for_internal_load_balancer(pki):
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                load_balancer="internal",
                endpoints=[aks.AksEndpointArgs(name="fraud", auth="token")],
                dns=aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg-dns", router_ip="10.20.0.50"
                ),
            ),
        )
    )
    assert not rec.by_type("azure-native:dns:RecordSet")
    record = rec.one("azure-native:privatedns:PrivateRecordSet")
    assert record.wire_inputs["privateZoneName"] == "example.test"
    assert record.wire_inputs["relativeRecordSetName"] == "scoring"
    assert record.wire_inputs["aRecords"] == [{"ipv4Address": "10.20.0.50"}]
    assert rec.one(EXT).wire_inputs["configurationSettings"]["internalLoadBalancerProvider"] == "azure"
    assert output_value(c.router_ip) == "10.20.0.50"


# -- refusals: each before any resource is registered ----------------------------------------------


def test_refuses_key_and_token_on_one_endpoint(pki):
    err, rec = _refused(
        lambda: aks.SecureAksCluster(
            "s",
            cluster_args(
                pem_bundle(pki),
                endpoints=[aks.AksEndpointArgs(name="fraud", key_auth_enabled=True, token_auth_enabled=True)],
            ),
        )
    )
    assert err.input_name == "endpoints[0].auth"
    assert BOTH_MODES_REASON in str(err)
    assert "choose one" in str(err)
    assert_nothing_registered(rec)


def test_refuses_microsoft_certificate_with_internal_load_balancer():
    err, rec = _refused(
        lambda: aks.SecureAksCluster(
            "s", cluster_args(ms_bundle(), mode="v1-attach", load_balancer="internal")
        )
    )
    assert err.input_name == "certificate"
    assert "internal" in str(err) and "not support a Microsoft-provided certificate" in str(err)
    assert "custom certificate" in str(err)
    assert_nothing_registered(rec)


def test_refuses_microsoft_certificate_in_extension_mode():
    err, rec = _refused(lambda: aks.SecureAksCluster("s", cluster_args(ms_bundle())))
    assert err.input_name == "certificate"
    assert aks.MICROSOFT_CERT_EXTENSION_REASON in str(err)
    assert "mode='v1-attach'" in str(err)
    assert_nothing_registered(rec)


def test_refuses_hostname_the_certificate_does_not_cover(pki):
    err, rec = _refused(
        lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), hostname="api.other.test"))
    )
    assert err.input_name == "hostname"
    assert "does not cover 'api.other.test'" in str(err) and HOST in str(err)
    assert_nothing_registered(rec)


def test_refuses_missing_certificate_while_tls_is_on():
    err, rec = _refused(lambda: aks.SecureAksCluster("s", cluster_args(None)))
    assert err.input_name == "certificate"
    assert "no certificate" in str(err)
    assert_nothing_registered(rec)


@pytest.mark.parametrize(
    ("kw", "input_name", "text"),
    [
        ({"router_service_type": "NodePort"}, "router_service_type", "NodePort is refused"),
        ({"router_service_type": "ClusterIP", "load_balancer": "internal"}, "load_balancer", "ClusterIP"),
        ({"mode": "v1-attach", "router_service_type": "ClusterIP"}, "router_service_type", "v1 AKS attach"),
        (
            {"mode": "v1-attach", "load_balancer_subnet": "snet"},
            "load_balancer_subnet",
            "internal load balancer",
        ),
        ({"load_balancer": "internal", "load_balancer_subnet": "snet"}, "load_balancer_subnet", "no setting"),
        ({"cluster_purpose": "DenseProd"}, "cluster_purpose", "SDK v1 value"),
        ({"cluster_purpose": "Cheap"}, "cluster_purpose", "FastProd, DenseProd, DevTest"),
        ({"hostname": "not a name"}, "hostname", "is not a hostname"),
        ({"mode": "v2"}, "mode", "extension, v1-attach"),
        (
            {
                "cluster_id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/c"
            },
            "cluster_id",
            "ARM id of an AKS cluster",
        ),
        ({"cluster_id": "aks-prod"}, "cluster_id", "managedClusters/<name>"),
        ({"compute_name": "this-name-is-far-too-long"}, "compute_name", "2-16"),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", auth="none")]},
            "endpoints[0].auth",
            "not available on Kubernetes",
        ),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud"), aks.AksEndpointArgs(name="FRAUD")]},
            "endpoints[1].name",
            "used twice",
        ),
        ({"endpoints": [aks.AksEndpointArgs(name="f_1")]}, "endpoints[0].name", "not a valid endpoint name"),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", auth="key", token_auth_enabled=True)]},
            "endpoints[0].auth",
            "both enabled",
        ),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", auth="token", key_auth_enabled=True)]},
            "endpoints[0].auth",
            BOTH_MODES_REASON,
        ),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", auth="bearer")]},
            "endpoints[0].auth",
            "unknown authentication mode",
        ),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", max_instances=3)]},
            "endpoints[0].max_instances",
            "target_utilization_percentage",
        ),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", traffic={"blue": 50})]},
            "endpoints[0].traffic",
            "adds up to 50",
        ),
        ({"tls_enabled": False}, "tls_enabled", "certificate was given"),
        (
            {"dns": aks.AksDnsArgs(zone_name="example.test", resource_group_name="rg")},
            "dns",
            "exactly one target",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test",
                    resource_group_name="rg",
                    router_ip="1.2.3.4",
                    static_ip_resource_id="/x",
                )
            },
            "dns",
            "not both",
        ),
        (
            {"dns": aks.AksDnsArgs(zone_name="other.test", resource_group_name="rg", router_ip="1.2.3.4")},
            "dns.zone_name",
            "not inside the zone",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test",
                    resource_group_name="rg",
                    relative_name="api",
                    router_ip="1.2.3.4",
                )
            },
            "dns.relative_name",
            "certificate mismatch",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test",
                    resource_group_name="rg",
                    private=True,
                    static_ip_resource_id="/x",
                )
            },
            "dns.static_ip_resource_id",
            "no alias records",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg", router_ip="1.2.3.4", ttl=0
                )
            },
            "dns.ttl",
            "1 to 86400",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg", router_ip="1.2.3.4", ttl=30.5
                )
            },
            "dns.ttl",
            "whole number",
        ),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", min_instances="2")]},
            "endpoints[0].min_instances",
            "whole number",
        ),
        (
            {
                "endpoints": [
                    aks.AksEndpointArgs(name="fraud", max_instances=4, target_utilization_percentage=150)
                ]
            },
            "endpoints[0].target_utilization_percentage",
            "from 1 to 100",
        ),
        ({"router_ha": "False"}, "router_ha", "True or False"),
        (
            {
                "load_balancer": "internal",
                "dns": aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg", router_ip="10.0.0.7", private=False
                ),
            },
            "dns.router_ip",
            "not a public address",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg", router_ip=["20.50.1.2"]
                )
            },
            "dns.router_ip",
            "got list",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg", router_ip="20.50.1.300"
                )
            },
            "dns.router_ip",
            "not an IP address",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg", router_ip="20.50.1.2", private="no"
                )
            },
            "dns.private",
            "True or False",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test",
                    resource_group_name="rg",
                    relative_name="scoring.",
                    router_ip="20.50.1.2",
                )
            },
            "dns.relative_name",
            "ends with a dot",
        ),
        (
            {
                "dns": aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg", relative_name=5, router_ip="20.50.1.2"
                )
            },
            "dns.relative_name",
            "got int",
        ),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", environment_variables={"WORKERS": 2})]},
            "endpoints[0].environment_variables['WORKERS']",
            "only string",
        ),
        (
            {"endpoints": [aks.AksEndpointArgs(name="fraud", tags=["team-ml"])]},
            "endpoints[0].tags",
            "got list",
        ),
        ({"tags": ["team-ml"]}, "tags", "got list"),
        ({"endpoints": aks.AksEndpointArgs(name="fraud")}, "endpoints", "got AksEndpointArgs"),
        ({"endpoints": "fraud"}, "endpoints", "got str"),
    ],
)
def test_refusals_with_custom_certificate(pki, kw, input_name, text):
    err, rec = _refused(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), **kw)))
    assert err.input_name == input_name, str(err)
    assert text in str(err)
    assert "Fix:" in str(err)
    assert_nothing_registered(rec)


@pytest.mark.parametrize(
    ("kw", "input_name", "text"),
    [
        ({"hostname": "scoring.example.com"}, "hostname", "Microsoft-managed"),
        (
            {"dns": aks.AksDnsArgs(zone_name="example.com", resource_group_name="rg", router_ip="1.2.3.4")},
            "dns",
            "Azure creates",
        ),
        ({"location": "northeurope"}, "certificate.location", "westeurope"),
    ],
)
def test_refusals_with_microsoft_certificate(kw, input_name, text):
    err, rec = _refused(lambda: aks.SecureAksCluster("s", cluster_args(ms_bundle(), mode="v1-attach", **kw)))
    assert err.input_name == input_name, str(err)
    assert text in str(err)
    assert_nothing_registered(rec)


@pytest.mark.parametrize(
    ("field_name", "value"),
    [
        ("cluster_id", CLUSTER_ID),
        ("location", "westeurope"),
        ("hostname", HOST),
        ("environment", "production"),
        ("dns.zone_name", "example.test"),
    ],
)
def test_an_output_where_a_plain_value_is_required_is_refused_by_name(pki, field_name, value):
    def build():
        out = pulumi.Output.from_input(value)
        if field_name.startswith("dns."):
            dns = aks.AksDnsArgs(zone_name=out, resource_group_name="rg", router_ip="20.50.1.2")
            return aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), dns=dns))
        return aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), **{field_name: out}))

    err, rec = _refused(build)
    assert err.input_name == field_name, str(err)
    assert "pulumi Output" in str(err) and "plain value" in str(err) and "object at 0x" not in str(err)
    assert_nothing_registered(rec)


@pytest.mark.parametrize("mode", ["extension", "v1-attach"])
def test_region_display_names_are_sent_as_azure_region_names(pki, mode):
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "s",
            cluster_args(
                pem_bundle(pki),
                mode=mode,
                location="West Europe",
                cluster_location="North Europe",
                endpoints=[aks.AksEndpointArgs(name="fraud", model="azureml:fraud:1")],
            ),
        )
    )
    located = [r for r in rec.resources if r.custom and "location" in r.wire_inputs]
    assert {r.type.split(":")[-1] for r in located} >= {"Compute"}
    if mode == "extension":
        assert {r.type.split(":")[-1] for r in located} >= {"OnlineEndpoint", "OnlineDeployment"}
    assert {r.wire_inputs["location"] for r in located} == {"westeurope"}
    (compute,) = rec.by_type("azure-native:machinelearningservices:Compute")
    if mode == "extension":
        assert compute.wire_inputs["properties"]["computeLocation"] == "northeurope"
    else:  # SDK v1's attach payload deletes computeLocation (create-only: a change would replace)
        assert "computeLocation" not in compute.wire_inputs["properties"]


@pytest.mark.parametrize(
    ("field_name", "value"), [("location", "West_Europe"), ("cluster_location", "eu-west")]
)
def test_a_malformed_region_is_refused(pki, field_name, value):
    err, rec = _refused(
        lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), **{field_name: value}))
    )
    assert err.input_name == field_name, str(err)
    assert "not an Azure region name" in str(err)
    assert_nothing_registered(rec)


@pytest.mark.parametrize("environment", ["production", "Production", "PROD"])
def test_a_development_certificate_is_refused_when_the_cluster_declares_production(environment):
    def build():
        cert = CertificateBundle("c", CertificateBundleArgs(source="dev_ca", hostnames=[HOST]))
        return aks.SecureAksCluster("s", cluster_args(cert, environment=environment))

    err, rec = _refused(build)
    assert err.input_name == "certificate", str(err)
    assert f"environment {environment!r} is production" in str(err) and "'dev_ca'" in str(err)
    assert not rec.by_type(COMPONENT)


@pytest.mark.parametrize("case", ["extension", "extension-with-dns", "v1-microsoft"])
def test_binding_a_dns_record_to_the_cluster_never_makes_a_cname_to_itself(pki, case):
    from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs

    def build():
        if case == "v1-microsoft":
            cluster = aks.SecureAksCluster("s", cluster_args(ms_bundle(), mode="v1-attach"))
        else:
            dns = (
                aks.AksDnsArgs(zone_name="example.test", resource_group_name="rg", router_ip="20.50.1.2")
                if case == "extension-with-dns"
                else None
            )
            cluster = aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), dns=dns))
        DnsRecordBinding(
            "bind",
            DnsRecordBindingArgs(
                zone_name="example.test", resource_group_name="rg", relative_name="scoring", target=cluster
            ),
        )

    err, rec = _refused(build)
    assert err.input_name == "target", str(err)
    assert not rec.by_type("azure-native:dns:RecordSet") or case == "extension-with-dns"
    assert [r.name for r in rec.by_type("secure-scoring:index:DnsRecordBinding")] in ([], ["s-dns"])


def test_endpoints_none_means_no_endpoints(pki):
    rec, c = run_build(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), endpoints=None)))
    assert rec.by_type("azure-native:machinelearningservices:OnlineEndpoint") == []
    assert len(rec.by_type("azure-native:kubernetesconfiguration:Extension")) == 1


def test_hostname_under_an_internationalised_tld_is_accepted():
    host = "scoring.xn--e1afmkfd.xn--p1ai"

    def build():
        cert = CertificateBundle("c", CertificateBundleArgs(source="dev_ca", hostnames=[host.upper() + "."]))
        return aks.SecureAksCluster(
            "s",
            cluster_args(
                cert,
                environment="dev",
                dns=aks.AksDnsArgs(
                    zone_name="xn--e1afmkfd.xn--p1ai", resource_group_name="rg", router_ip="20.50.1.2"
                ),
            ),
        )

    rec, c = run_build(build, stack="dev")
    assert output_value(c.fqdn) == host
    (record,) = rec.by_type("azure-native:dns:RecordSet")
    assert record.inputs["relativeRecordSetName"] == "scoring"
    assert record.inputs["zoneName"] == "xn--e1afmkfd.xn--p1ai"


def test_cluster_id_parsing_and_microsoft_pattern():
    assert aks.parse_cluster_id(CLUSTER_ID) == (SUB, "rg-aks", "aks-prod")
    assert aks.parse_cluster_id(CLUSTER_ID.lower().replace("aks-prod", "AKS-Prod")) == (
        SUB,
        "rg-aks",
        "AKS-Prod",
    )
    assert (
        aks.microsoft_fqdn_pattern("contoso", "West Europe") == "contoso######.westeurope.cloudapp.azure.com"
    )


def test_exported_from_the_package():
    import secure_scoring

    assert secure_scoring.SecureAksCluster is aks.SecureAksCluster
    assert secure_scoring.SecureAksClusterArgs is aks.SecureAksClusterArgs
    assert secure_scoring.AksEndpointArgs is aks.AksEndpointArgs


def test_wildcard_certificate_needs_an_explicit_hostname(pki):
    def wildcard():
        return CertificateBundle(
            "wild",
            CertificateBundleArgs(
                source="pem",
                cert_pem=pki.wildcard.chain_pem(),
                key_pem=pki.wildcard.key_pem,
                environment="production",
            ),
        )

    err, rec = _refused(lambda: aks.SecureAksCluster("s", cluster_args(wildcard())))
    assert err.input_name == "hostname" and "*.example.test" in str(err)
    assert_nothing_registered(rec)
    rec, c = run_build(
        lambda: aks.SecureAksCluster("scoring", cluster_args(wildcard(), hostname="Fraud.Example.Test."))
    )
    assert rec.one(EXT).wire_inputs["configurationSettings"]["sslCname"] == "fraud.example.test"
    assert output_value(c.fqdn) == "fraud.example.test"


def test_preview_registers_the_same_resources_and_keeps_secrets(pki):
    def build():
        return aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                endpoints=[
                    aks.AksEndpointArgs(name="fraud", auth="key"),
                    aks.AksEndpointArgs(name="churn", auth="token"),
                ],
            ),
        )

    holder: dict[str, Any] = {}
    rec = run_with_mocks(lambda: holder.setdefault("c", build()), stack="production", preview=True)
    assert sorted(r.type for r in rec.resources if r.type != BUNDLE) == sorted(
        [COMPONENT, EXT, COMPUTE, ENDPOINT, ENDPOINT, DEPLOYMENT, DEPLOYMENT]
    )
    assert SECRET_SIG in rec.one(EXT).wire_inputs["configurationProtectedSettings"]
    assert output_is_secret(holder["c"].endpoint_keys) and output_is_secret(holder["c"].endpoint_tokens)


def test_numbers_from_other_languages_arrive_as_floats(pki):
    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                endpoints=[
                    aks.AksEndpointArgs(
                        name="fraud",
                        min_instances=2.0,
                        max_instances=4.0,
                        target_utilization_percentage=70.0,
                        traffic={"blue": 100.0},
                    )
                ],
                dns=aks.AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg-dns", router_ip="20.50.1.2", ttl=300.0
                ),
            ),
        )
    )
    scale = rec.one(DEPLOYMENT).wire_inputs["properties"]["scaleSettings"]
    assert (scale["minInstances"], scale["maxInstances"], scale["targetUtilizationPercentage"]) == (2, 4, 70)
    assert rec.one(ENDPOINT).wire_inputs["properties"]["traffic"] == {"blue": 100}
    assert rec.one("azure-native:dns:RecordSet").wire_inputs["ttl"] == 300


def test_cluster_region_other_than_the_workspace_region(pki):
    # The CLI writes the *cluster's* region into location/jobSchedulerLocation/domain; the compute's
    # computeLocation is where the cluster runs, while the ARM resources stay in the workspace region.
    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                cluster_location="East US",
                endpoints=[aks.AksEndpointArgs(name="fraud")],
            ),
        )
    )
    settings = rec.one(EXT).wire_inputs["configurationSettings"]
    assert (settings["location"], settings["jobSchedulerLocation"], settings["domain"]) == (
        "eastus",
        "eastus",
        "eastus.cloudapp.azure.com",
    )
    compute = rec.one(COMPUTE).wire_inputs
    assert compute["location"] == "westeurope" and compute["properties"]["computeLocation"] == "eastus"
    assert rec.one(ENDPOINT).wire_inputs["location"] == "westeurope"


def test_self_signed_fact_is_unknown_not_false_while_the_certificate_is_unknown(pki):
    # a certificate given as an Output that is unknown in a preview: the component must not declare
    # selfSigned False (which the policy pack would accept in production); it forwards the unknown
    import asyncio

    from pulumi.output import Output

    from secure_scoring.gate.mocking import UNKNOWN

    def unknown() -> Output:
        loop = asyncio.get_event_loop()
        futures = [loop.create_future() for _ in range(4)]
        for future, value in zip(futures, (set(), None, False, False), strict=True):
            future.set_result(value)
        return Output(*futures)

    holder: dict[str, Any] = {}

    def program():
        cert = CertificateBundle(
            "cert",
            CertificateBundleArgs(
                source="pem",
                cert_pem=unknown(),
                key_pem=pulumi.Output.secret(pki.leaf.key_pem),
                hostnames=[HOST],
                environment="production",
            ),
        )
        holder["self_signed"] = cert.is_self_signed
        aks.SecureAksCluster(
            "ml", cluster_args(cert, endpoints=[aks.AksEndpointArgs(name="fraud", auth="key")])
        )

    rec = run_with_mocks(program, stack="production", preview=True)
    assert holder["self_signed"] is None
    assert rec.one("secure-scoring:index:SecureAksCluster").wire_inputs["selfSigned"] == UNKNOWN


# -- regressions of issue 11: one host-name parser, one TLS floor ----------------------------------


def test_an_internationalised_hostname_with_a_trailing_dot_is_accepted_as_its_a_label():
    """Bücher.Example.com. is the name the certificate inspector, the gateway and verify accept (UTS 46)."""

    def build():
        cert = CertificateBundle(
            "c", CertificateBundleArgs(source="dev_ca", hostnames=["xn--bcher-kva.example.com"])
        )
        return aks.SecureAksCluster(
            "s",
            cluster_args(
                cert,
                environment="dev",
                hostname="Bücher.Example.com.",
                dns=aks.AksDnsArgs(zone_name="Example.com.", resource_group_name="rg", router_ip="20.50.1.2"),
            ),
        )

    rec, c = run_build(build, stack="dev")
    assert rec.one(EXT).wire_inputs["configurationSettings"]["sslCname"] == "xn--bcher-kva.example.com"
    assert rec.one(COMPONENT).wire_inputs["hostname"] == "xn--bcher-kva.example.com"
    (record,) = rec.by_type("azure-native:dns:RecordSet")
    assert record.inputs["relativeRecordSetName"] == "xn--bcher-kva"


@pytest.mark.parametrize("field_name", ["hostname", "dns.zone_name"])
def test_a_name_with_two_trailing_dots_is_refused(pki, field_name):
    """scoring.example.com.. was stripped to scoring.example.com; an empty label is refused everywhere."""
    if field_name == "hostname":
        kw: dict[str, Any] = {"hostname": "scoring.example.test.."}
    else:
        kw = {
            "dns": aks.AksDnsArgs(zone_name="example.test..", resource_group_name="rg", router_ip="20.50.1.2")
        }
    err, rec = _refused(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), **kw)))
    assert err.input_name == field_name and "empty label" in str(err)
    assert_nothing_registered(rec)


@pytest.mark.parametrize("mode", ["extension", "v1-attach"])
def test_the_min_tls_version_fact_is_the_floor_the_router_is_configured_with(pki, mode):
    """There is no gateway of ours on AKS: the inference router enforces TLS 1.2, and the fact (props
    and outputs) is that floor, the one the plan configures."""
    rec, c = run_build(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), mode=mode)))
    comp = rec.one(COMPONENT)
    floor = c.plan.tls.min_tls_version
    assert floor == aks.ROUTER_MIN_TLS_VERSION == tls_versions.DEFAULT_FLOOR
    assert comp.wire_inputs["minTlsVersion"] == floor
    assert comp.outputs["min_tls_version"] == floor
