"""What the first real ``pulumi up`` of a SecureAksCluster would hit (issue 15): small clusters,
the v1 attach body, a compute that TLS toggles do not rewrite, and an A record to a static IP
nothing serves."""

from __future__ import annotations

import pytest

from secure_scoring.components import aks
from support.aks_cluster import cluster_args, pem_bundle, run_build
from support.refusals import refused

EXTENSION = "azure-native:kubernetesconfiguration:Extension"
COMPUTE = "azure-native:machinelearningservices:Compute"
PIP_ID = "/subscriptions/0/resourceGroups/rg-net/providers/Microsoft.Network/publicIPAddresses/ingress-ip"


def settings(rec) -> dict[str, str]:
    return rec.one(EXTENSION).wire_inputs["configurationSettings"]


# -- small clusters ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("nodes", "purpose", "ha"),
    [(1, "DevTest", "False"), (2, "DevTest", "False"), (3, "FastProd", "True"), (None, "FastProd", "True")],
)
def test_small_cluster_defaults_follow_the_cli(pki, nodes, purpose, ha):
    """`az k8s-extension create` sets clusterPurpose=DevTest and inferenceRouterHA=false below 3 nodes."""
    rec, c = run_build(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), node_count=nodes)))
    assert settings(rec)["clusterPurpose"] == purpose
    assert settings(rec)["inferenceRouterHA"] == ha


def test_explicit_settings_win_on_a_small_cluster(pki):
    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "s", cluster_args(pem_bundle(pki), node_count=2, router_ha=True, cluster_purpose="FastProd")
        )
    )
    assert settings(rec)["clusterPurpose"] == "FastProd" and settings(rec)["inferenceRouterHA"] == "True"


def test_small_cluster_in_v1_attach_is_devtest(pki):
    rec, _ = run_build(
        lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), mode="v1-attach", node_count=1))
    )
    assert rec.one(COMPUTE).wire_inputs["properties"]["properties"]["clusterPurpose"] == "DevTest"


@pytest.mark.parametrize("nodes", [0, -1, 2.5, "2", True])
def test_a_wrong_node_count_is_refused(pki, nodes):
    err, _ = refused(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), node_count=nodes)))
    assert err.input_name == "node_count"


# -- the v1 attach body ------------------------------------------------------------------------------
def test_v1_attach_sends_what_sdk_v1_attach_sends(pki):
    """SDK v1's _build_attach_payload deletes computeLocation (create-only) and sends no description."""
    rec, _ = run_build(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), mode="v1-attach")))
    props = rec.one(COMPUTE).wire_inputs["properties"]
    assert "computeLocation" not in props and "description" not in props
    assert props["computeType"] == "AKS"
    assert set(props) == {"computeType", "resourceId", "properties"}


@pytest.mark.parametrize("mode", ["extension", "v1-attach"])
def test_toggling_tls_does_not_rewrite_the_compute_description(pki, mode):
    def compute(tls: bool):
        kw = {"certificate": pem_bundle(pki)} if tls else {"certificate": None, "tls_enabled": False}
        base = cluster_args(None, mode=mode)
        for k, v in kw.items():
            setattr(base, k, v)
        rec, _ = run_build(lambda: aks.SecureAksCluster("s", base), stack="dev")
        return rec.one(COMPUTE).wire_inputs["properties"]

    on, off = compute(True), compute(False)
    assert on.get("description") == off.get("description")
    assert "TLS" not in str(on.get("description"))


# -- A record to a static IP -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [{}, {"load_balancer": "public", "mode": "v1-attach"}, {"router_service_type": "LoadBalancer"}],
)
def test_alias_to_a_static_ip_is_refused_where_nothing_pins_azureml_fe_to_it(pki, kw):
    dns = aks.AksDnsArgs(zone_name="example.test", resource_group_name="rg-dns", static_ip_resource_id=PIP_ID)
    err, rec = refused(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), dns=dns, **kw)))
    assert err.input_name == "dns.static_ip_resource_id"
    assert "nothing puts azureml-fe on that IP" in err.problem and "router_ip" in err.fix
    assert [r for r in rec.resources if r.custom] == []


def test_alias_to_your_ingress_static_ip_with_cluster_ip(pki):
    dns = aks.AksDnsArgs(zone_name="example.test", resource_group_name="rg-dns", static_ip_resource_id=PIP_ID)
    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "s", cluster_args(pem_bundle(pki), dns=dns, router_service_type="ClusterIP")
        )
    )
    assert rec.one("azure-native:dns:RecordSet").wire_inputs["targetResource"] == {"id": PIP_ID}


# -- Kubernetes endpoints get no managed-endpoint settings -------------------------------------------
def test_no_managed_only_defaults_on_kubernetes_endpoints_and_deployments(pki):
    """azure-native's SDK fills in publicNetworkAccess / egressPublicNetworkAccess 'Enabled' (managed
    endpoint settings); azure-ai-ml sends neither for a Kubernetes endpoint or deployment."""
    endpoint = aks.AksEndpointArgs(name="fraud", auth="key", model="azureml:fraud:1")
    rec, _ = run_build(lambda: aks.SecureAksCluster("s", cluster_args(pem_bundle(pki), endpoints=[endpoint])))
    ep = rec.one("azure-native:machinelearningservices:OnlineEndpoint").wire_inputs["properties"]
    dep = rec.one("azure-native:machinelearningservices:OnlineDeployment").wire_inputs["properties"]
    assert "publicNetworkAccess" not in ep
    assert "egressPublicNetworkAccess" not in dep
    assert dep["endpointComputeType"] == "Kubernetes"
