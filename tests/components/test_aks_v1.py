"""SecureAksCluster in v1-attach mode under Pulumi mocks: the AKS compute and its SslConfiguration
(custom or Microsoft certificate, TLS off), SDK v1 web service settings.

Certificates are real (openssl-made by the shared ``pki`` fixture, or pulumi-tls under the mocks).
"""

from __future__ import annotations

from typing import Any

import pytest

from secure_scoring.components import aks
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.gate.mocking import output_is_secret, output_value
from support.aks_cluster import (
    CLUSTER_ID,
    COMPONENT,
    COMPUTE,
    DEPLOYMENT,
    DNS_BINDING,
    ENDPOINT,
    EXT,
    HOST,
    child_names,
    cluster_args,
    ms_bundle,
    pem_bundle,
    run_build,
    secret_value,
)
from support.refusals import refused as _refused

# -- v1-attach mode ------------------------------------------------------------------------------


@pytest.mark.parametrize("load_balancer", ["public", "internal"])
@pytest.mark.parametrize("auth", ["key", "token"])
def test_v1_attach_with_custom_certificate(pki, load_balancer, auth):
    extra = {"load_balancer_subnet": "snet-ilb"} if load_balancer == "internal" else {}
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "legacy",
            cluster_args(
                pem_bundle(pki),
                mode="v1-attach",
                load_balancer=load_balancer,
                endpoints=[aks.AksEndpointArgs(name="fraud", auth=auth)],
                **extra,
            ),
        )
    )
    comp = rec.one(COMPONENT)
    assert child_names(rec, comp.urn) == [(COMPUTE, "legacy-compute")]
    assert not rec.by_type(EXT) and not rec.by_type(ENDPOINT) and not rec.by_type(DEPLOYMENT)
    assert rec.invokes == []  # SDK v1 keys/tokens have no ARM invoke
    compute = rec.one(COMPUTE)
    props = compute.wire_inputs["properties"]
    assert props["computeType"] == "AKS" and props["resourceId"] == CLUSTER_ID
    inner = props["properties"]
    ssl = inner["sslConfiguration"]
    assert ssl["status"] == "Enabled"
    assert ssl["cname"] == HOST
    assert secret_value(ssl["cert"]) == pki.leaf.chain_pem()
    assert secret_value(ssl["key"]) == pki.leaf.key_pem
    assert "leafDomainLabel" not in ssl
    assert inner["clusterPurpose"] == "FastProd"
    if load_balancer == "internal":
        assert (inner["loadBalancerType"], inner["loadBalancerSubnet"]) == (
            "InternalLoadBalancer",
            "snet-ilb",
        )
    else:
        assert inner["loadBalancerType"] == "PublicIp" and "loadBalancerSubnet" not in inner
    assert compute.additional_secret_outputs == ["properties"]

    assert c.v1_webservice_settings == {
        "fraud": {"auth_enabled": auth == "key", "token_auth_enabled": auth == "token"}
    }
    assert output_value(c.scoring_uri) == f"https://{HOST}/api/v1/service/fraud/score"
    assert output_value(c.fqdn) == HOST
    assert output_value(c.endpoint_keys) == {} and output_is_secret(c.endpoint_keys)
    assert output_value(c.extension_id) is None
    wp = comp.wire_inputs
    assert (wp["mode"], wp["authMode"], wp["certificateSource"], wp["loadBalancer"]) == (
        "v1-attach",
        auth,
        "pem",
        load_balancer,
    )
    assert wp["endpoints"][0] == {
        "name": "fraud",
        "authMode": auth,
        "keyAuthEnabled": auth == "key",
        "tokenAuthEnabled": auth == "token",
    }


@pytest.mark.parametrize("auth", ["key", "token"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_v1_attach_with_microsoft_certificate(auth, overwrite):
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "legacy",
            cluster_args(
                ms_bundle(overwrite),
                mode="v1-attach",
                endpoints=[aks.AksEndpointArgs(name="fraud", auth=auth)],
            ),
        )
    )
    comp = rec.one(COMPONENT)
    assert child_names(rec, comp.urn) == [(COMPUTE, "legacy-compute")]
    assert not rec.by_type(DNS_BINDING) and not rec.by_type("azure-native:dns:RecordSet")  # Azure sets DNS
    inner = rec.one(COMPUTE).wire_inputs["properties"]["properties"]
    assert inner["sslConfiguration"] == {
        "status": "Auto",
        "leafDomainLabel": "contoso",
        "overwriteExistingDomain": overwrite,
    }
    assert inner["loadBalancerType"] == "PublicIp"
    pattern = "contoso######.westeurope.cloudapp.azure.com"
    assert output_value(c.fqdn) == pattern
    # no URI with the '######' placeholder: '#' starts a fragment, so clients would go to host 'contoso'
    assert output_value(c.scoring_uri) is None
    assert {k: output_value(v) for k, v in c.scoring_uris.items()} == {"fraud": None}
    wp = comp.wire_inputs
    assert (wp["certificateSource"], wp["selfSigned"], wp["hostname"], wp["certificateHostnames"]) == (
        "microsoft_managed",
        False,
        pattern,
        [pattern],
    )
    assert wp.get("certificateNotAfter") is None  # Azure manages the certificate; no expiry known here
    assert c.v1_webservice_settings["fraud"]["token_auth_enabled"] is (auth == "token")


def test_v1_attach_tls_explicitly_off_is_status_disabled_only():
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "legacy",
            cluster_args(
                None,
                mode="v1-attach",
                tls_enabled=False,
                endpoints=[aks.AksEndpointArgs(name="fraud", auth="none")],
            ),
        )
    )
    inner = rec.one(COMPUTE).wire_inputs["properties"]["properties"]
    assert inner["sslConfiguration"] == {"status": "Disabled"}
    assert c.v1_webservice_settings == {"fraud": {"auth_enabled": False, "token_auth_enabled": False}}
    wp = rec.one(COMPONENT).wire_inputs
    assert (wp["tlsEnabled"], wp["authMode"], wp["keyAuthEnabled"], wp["tokenAuthEnabled"]) == (
        False,
        "none",
        False,
        False,
    )
    # no hostname: the scoring URI is the router's IP, which Azure reports only after the attach
    assert output_value(c.scoring_uri) is None


def test_binding_a_dns_record_to_a_v1_cluster_is_an_a_record_to_its_router_ip(pki):
    from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs

    box: dict[str, Any] = {}

    def build():
        cluster = aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), mode="v1-attach"))
        box["b"] = DnsRecordBinding(
            "bind",
            DnsRecordBindingArgs(
                zone_name="example.test", resource_group_name="rg", relative_name="scoring", target=cluster
            ),
        )
        return cluster

    rec, cluster = run_build(build)
    (record,) = rec.by_type("azure-native:dns:RecordSet")
    assert record.inputs["recordType"] == "A" and "cnameRecord" not in record.inputs
    # the address is the router's public IP that Azure reports on the compute after the attach
    (compute,) = rec.by_type("azure-native:machinelearningservices:Compute")
    assert compute.urn in record.dependencies


def test_longest_leaf_domain_label_the_certificate_accepts_is_accepted(pki):
    # 57 characters + the 6 Azure appends = 63, a full DNS label; CertificateBundle accepts it,
    # so the cluster must too.
    label = "a" * 57

    def build():
        cert = CertificateBundle(
            "mscert",
            CertificateBundleArgs(
                source="microsoft_managed",
                leaf_domain_label=label,
                location="westeurope",
                environment="production",
            ),
        )
        return aks.SecureAksCluster("scoring", cluster_args(cert, mode="v1-attach"))

    rec, _ = run_build(build)
    ssl = rec.one(COMPUTE).wire_inputs["properties"]["properties"]["sslConfiguration"]
    assert ssl["status"] == "Auto" and ssl["leafDomainLabel"] == label


def test_microsoft_certificate_region_is_the_cluster_region(pki):
    def build():
        cert = CertificateBundle(
            "mscert",
            CertificateBundleArgs(
                source="microsoft_managed",
                leaf_domain_label="contoso",
                location="eastus",
                environment="production",
            ),
        )
        return aks.SecureAksCluster(
            "scoring", cluster_args(cert, mode="v1-attach", cluster_location="eastus")
        )

    rec, cluster = run_build(build)
    assert output_value(cluster.fqdn) == "contoso######.eastus.cloudapp.azure.com"
    # SDK v1's attach payload deletes computeLocation (issue 15)
    assert "computeLocation" not in rec.one(COMPUTE).wire_inputs["properties"]

    err, _ = _refused(
        lambda: aks.SecureAksCluster(
            "scoring", cluster_args(ms_bundle(), mode="v1-attach", cluster_location="eastus")
        )
    )
    assert str(err).startswith("certificate.location:") and "'eastus'" in str(err)
