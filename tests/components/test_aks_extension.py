"""SecureAksCluster in extension mode (Azure ML v2) under Pulumi mocks: the extension, the compute,
the online endpoints and deployments, their exact properties and secrets.

Certificates are real (openssl-made by the shared ``pki`` fixture, or pulumi-tls under the mocks).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pulumi
import pytest

from secure_scoring.components import aks
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.gate.mocking import SECRET_SIG, output_is_secret, output_value
from support.aks_cluster import (
    CLUSTER_ID,
    COMPONENT,
    COMPUTE,
    DEPLOYMENT,
    DNS_BINDING,
    ENDPOINT,
    EXT,
    HOST,
    KEYS_INVOKE,
    SUB,
    TOKEN_INVOKE,
    assert_nothing_registered,
    b64,
    child_names,
    cluster_args,
    pem_bundle,
    run_build,
    secret_value,
)
from support.refusals import refused as _refused

# -- extension mode ------------------------------------------------------------------------------


def _extension_settings(load_balancer: str, tls: bool = True, router: str = "LoadBalancer") -> dict[str, str]:
    expected = {
        "enableInference": "True",
        "enableTraining": "False",
        "inferenceRouterServiceType": router,
        "inferenceRouterHA": "True",
        "allowInsecureConnections": "False" if tls else "True",
        "clusterPurpose": "FastProd",
        "cluster_name": CLUSTER_ID,
        "clusterId": CLUSTER_ID,
        "prometheus.prometheusSpec.externalLabels.cluster_name": CLUSTER_ID,
        "cluster_name_friendly": "aks-prod",
        "location": "westeurope",
        "jobSchedulerLocation": "westeurope",
        "domain": "westeurope.cloudapp.azure.com",
        "relayserver.enabled": "false",
        "servicebus.enabled": "false",
        "nginxIngress.enabled": "true",
    }
    if tls:
        expected["sslCname"] = HOST
    if load_balancer == "internal":
        expected["internalLoadBalancerProvider"] = "azure"
        expected["scoringFe.serviceType.internalLoadBalancer"] = "True"
    return expected


@pytest.mark.parametrize("load_balancer", ["public", "internal"])
@pytest.mark.parametrize("auth", ["key", "token"])
def test_extension_mode_with_custom_certificate(pki, load_balancer, auth):
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                load_balancer=load_balancer,
                endpoints=[
                    aks.AksEndpointArgs(
                        name="fraud",
                        auth=auth,
                        model="azureml:fraud:3",
                        scoring_script="score.py",
                        code_id="/code/1",
                        environment_id="azureml:sklearn:7",
                        cpu="500m",
                        memory="1Gi",
                    )
                ],
            ),
        )
    )
    comp = rec.one(COMPONENT)
    assert comp.parent.endswith("::project-production")
    assert child_names(rec, comp.urn) == [
        (EXT, "scoring-extension"),
        (COMPUTE, "scoring-compute"),
        (DEPLOYMENT, "scoring-fraud-blue"),
        (ENDPOINT, "scoring-fraud"),
    ]
    assert len(rec.by_type(ENDPOINT)) == 1 and not rec.by_type(DNS_BINDING)

    ext = rec.one(EXT)
    w = ext.wire_inputs
    assert w["extensionType"] == "microsoft.azureml.kubernetes"
    assert (w["clusterRp"], w["clusterResourceName"], w["clusterName"], w["resourceGroupName"]) == (
        "Microsoft.ContainerService",
        "managedClusters",
        "aks-prod",
        "rg-aks",
    )
    assert w["extensionName"] == "azureml"
    assert w["scope"] == {"cluster": {"releaseNamespace": "azureml"}}
    assert w["configurationSettings"] == _extension_settings(load_balancer)
    # the certificate chain and key travel as base64 PEM in a secret envelope, nowhere in plain text
    protected = secret_value(w["configurationProtectedSettings"])
    assert protected == {
        "scoringFe.sslCert": b64(pki.leaf.chain_pem()),
        "scoringFe.sslKey": b64(pki.leaf.key_pem),
    }
    assert base64.b64decode(protected["scoringFe.sslKey"]).decode() == pki.leaf.key_pem
    assert ext.additional_secret_outputs == ["configurationProtectedSettings"]
    assert pki.leaf.key_pem.strip().splitlines()[1] not in str(w["configurationSettings"])

    compute = rec.one(COMPUTE)
    assert compute.wire_inputs["computeName"] == "scoring"
    assert compute.wire_inputs["workspaceName"] == "ws-prod"
    assert compute.wire_inputs["resourceGroupName"] == "rg-ml"
    props = compute.wire_inputs["properties"]
    assert props["computeType"] == "Kubernetes"
    assert props["resourceId"] == CLUSTER_ID
    assert props["properties"] == {"namespace": "default"}
    assert ext.urn in compute.dependencies  # attach only after the extension is installed

    ep = rec.one(ENDPOINT)
    assert ep.wire_inputs["endpointName"] == "fraud"
    assert ep.wire_inputs["properties"]["authMode"] == {"key": "Key", "token": "AMLToken"}[auth]
    assert ep.wire_inputs["properties"]["compute"] == compute.id
    assert (
        compute.id
        == f"/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-prod/computes/scoring"
    )
    assert "traffic" not in ep.wire_inputs["properties"]

    dep = rec.one(DEPLOYMENT)
    assert dep.wire_inputs["endpointName"] == "fraud"
    assert dep.wire_inputs["deploymentName"] == "blue"
    dprops = dep.wire_inputs["properties"]
    assert dprops["endpointComputeType"] == "Kubernetes"
    # the CLI/SDK short form azureml:<name>:<version> is resolved to the workspace asset's ARM id,
    # as the Azure ML SDK v2 does before its REST call (the API takes an ARM id or an azureml:// id)
    ws_id = f"/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-prod"
    assert dprops["model"] == f"{ws_id}/models/fraud/versions/3"
    assert dprops["codeConfiguration"] == {"scoringScript": "score.py", "codeId": "/code/1"}
    assert dprops["environmentId"] == f"{ws_id}/environments/sklearn/versions/7"
    assert dprops["instanceType"] == "defaultinstancetype"
    assert dprops["scaleSettings"] == {"scaleType": "Default"}
    assert dprops["containerResourceRequirements"] == {
        "containerResourceRequests": {"cpu": "500m", "memory": "1Gi"}
    }
    assert ep.urn in dep.dependencies

    # keys or token: from the matching invoke, and secret
    invoked = [tok for tok, _ in rec.invokes if tok.startswith("azure-native:machinelearningservices:")]
    if auth == "key":
        assert invoked == [KEYS_INVOKE]
        assert rec.invokes[0][1] == {
            "endpointName": "fraud",
            "resourceGroupName": "rg-ml",
            "workspaceName": "ws-prod",
        }
        keys = output_value(c.endpoint_keys)
        assert keys == {
            "fraud": {
                "primary_key": hashlib.sha256(b"fraud/1").hexdigest(),
                "secondary_key": hashlib.sha256(b"fraud/2").hexdigest(),
            }
        }
        assert output_value(c.endpoint_tokens) == {}
    else:
        assert invoked == [TOKEN_INVOKE]
        tokens = output_value(c.endpoint_tokens)
        assert set(tokens) == {"fraud"}
        tok = tokens["fraud"]
        assert tok["access_token"].startswith("eyJ") and tok["token_type"] == "Bearer"
        assert tok["refresh_after_time_utc"] < tok["expiry_time_utc"]
        assert output_value(c.endpoint_keys) == {}
    assert output_is_secret(c.endpoint_keys) and output_is_secret(c.endpoint_tokens)
    registered = comp.outputs
    assert SECRET_SIG in registered["endpoint_keys"] and SECRET_SIG in registered["endpoint_tokens"]

    # outputs and the facts the policy pack reads
    assert output_value(c.fqdn) == HOST
    assert output_value(c.scoring_uri) == ep.state["properties"]["scoringUri"]
    assert output_value(c.compute_id) == compute.id
    assert output_value(c.extension_id) == ext.id
    assert output_value(c.router_ip) is None
    wp = comp.wire_inputs
    assert (wp["platform"], wp["tlsEnabled"], wp["certificateSource"], wp["selfSigned"]) == (
        "aks",
        True,
        "pem",
        False,
    )
    assert (wp["authMode"], wp["keyAuthEnabled"], wp["tokenAuthEnabled"]) == (
        auth,
        auth == "key",
        auth == "token",
    )
    assert wp["endpoints"] == [
        {
            "name": "fraud",
            "authMode": auth,
            "keyAuthEnabled": auth == "key",
            "tokenAuthEnabled": auth == "token",
        }
    ]
    assert (wp["minTlsVersion"], wp["hostname"], wp["environment"], wp["mode"]) == (
        "1.2",
        HOST,
        "production",
        "extension",
    )
    assert wp["loadBalancer"] == load_balancer
    assert wp["certificateHostnames"] == [HOST, "localhost", "127.0.0.1"]  # the SAN of the real leaf
    assert wp["certificateNotAfter"].endswith("Z")
    assert registered["tls_enabled"] is True and registered["auth_mode"] == auth


def test_extension_mode_several_endpoints_scaling_and_traffic(pki):
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                namespace="models",
                compute_name="aks-inference",
                router_ha=False,
                tags={"env": "production"},
                endpoints=[
                    aks.AksEndpointArgs(name="fraud", auth="key", traffic={"blue": 100}),
                    aks.AksEndpointArgs(
                        name="churn",
                        token_auth_enabled=True,  # SDK v1 style flag
                        deployment_name="green",
                        min_instances=2,
                        max_instances=5,
                        target_utilization_percentage=60,
                    ),
                ],
            ),
        )
    )
    assert sorted(r.name for r in rec.by_type(ENDPOINT)) == ["scoring-churn", "scoring-fraud"]
    assert sorted(r.name for r in rec.by_type(DEPLOYMENT)) == ["scoring-churn-green", "scoring-fraud-blue"]
    eps = {r.wire_inputs["endpointName"]: r for r in rec.by_type(ENDPOINT)}
    assert eps["fraud"].wire_inputs["properties"]["authMode"] == "Key"
    assert eps["fraud"].wire_inputs["properties"]["traffic"] == {"blue": 100.0}
    assert eps["churn"].wire_inputs["properties"]["authMode"] == "AMLToken"
    assert eps["fraud"].wire_inputs["tags"] == {"env": "production"}
    green = next(r for r in rec.by_type(DEPLOYMENT) if r.wire_inputs["deploymentName"] == "green")
    assert green.wire_inputs["properties"]["scaleSettings"] == {
        "scaleType": "TargetUtilization",
        "minInstances": 2.0,
        "maxInstances": 5.0,
        "targetUtilizationPercentage": 60.0,
        "pollingInterval": "PT1S",
    }
    assert rec.one(COMPUTE).wire_inputs["computeName"] == "aks-inference"
    assert rec.one(COMPUTE).wire_inputs["properties"]["properties"] == {"namespace": "models"}
    assert rec.one(EXT).wire_inputs["configurationSettings"]["inferenceRouterHA"] == "False"
    assert sorted((tok, a["endpointName"]) for tok, a in rec.invokes) == sorted(
        [(KEYS_INVOKE, "fraud"), (TOKEN_INVOKE, "churn")]
    )
    assert set(output_value(c.endpoint_keys)) == {"fraud"}
    assert set(output_value(c.endpoint_tokens)) == {"churn"}
    assert set(output_value(pulumi.Output.all(**c.scoring_uris))) == {"fraud", "churn"}
    comp = rec.one(COMPONENT)
    # mixed endpoints: each endpoint has exactly one mode; the component reports the strongest
    assert comp.wire_inputs["authMode"] == "token"
    assert (comp.wire_inputs["keyAuthEnabled"], comp.wire_inputs["tokenAuthEnabled"]) == (False, True)
    assert [(e["name"], e["authMode"]) for e in comp.wire_inputs["endpoints"]] == [
        ("fraud", "key"),
        ("churn", "token"),
    ]


def test_extension_mode_cluster_ip_router(pki):
    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                router_service_type="ClusterIP",
                endpoints=[aks.AksEndpointArgs(name="fraud")],
            ),
        )
    )
    assert rec.one(EXT).wire_inputs["configurationSettings"] == _extension_settings(
        "public", router="ClusterIP"
    )
    assert rec.one(COMPONENT).wire_inputs["routerServiceType"] == "ClusterIP"


def test_extension_mode_dev_ca_certificate_reaches_the_extension():
    holder: dict[str, Any] = {}

    def build():
        cert = CertificateBundle(
            "devcert",
            CertificateBundleArgs(source="dev_ca", hostnames=["scoring.dev.example.test"], environment="dev"),
        )
        holder["cert"] = cert
        return aks.SecureAksCluster(
            "scoring", cluster_args(cert, endpoints=[aks.AksEndpointArgs(name="fraud")])
        )

    rec, c = run_build(build, stack="dev")
    protected = secret_value(rec.one(EXT).wire_inputs["configurationProtectedSettings"])
    cert_pem = base64.b64decode(protected["scoringFe.sslCert"]).decode()
    key_pem = base64.b64decode(protected["scoringFe.sslKey"]).decode()
    assert cert_pem == output_value(holder["cert"].cert_pem) and "BEGIN CERTIFICATE" in cert_pem
    assert key_pem == output_value(holder["cert"].key_pem) and "PRIVATE KEY" in key_pem
    wp = rec.one(COMPONENT).wire_inputs
    assert (wp["certificateSource"], wp["selfSigned"], wp["environment"]) == ("dev_ca", True, "dev")
    assert rec.one(EXT).wire_inputs["configurationSettings"]["sslCname"] == "scoring.dev.example.test"


def test_extension_mode_tls_explicitly_off_writes_the_insecure_setting():
    rec, c = run_build(
        lambda: aks.SecureAksCluster(
            "scoring", cluster_args(None, tls_enabled=False, endpoints=[aks.AksEndpointArgs(name="fraud")])
        )
    )
    w = rec.one(EXT).wire_inputs
    assert w["configurationSettings"] == _extension_settings("public", tls=False)
    assert "sslCname" not in w["configurationSettings"]
    assert "configurationProtectedSettings" not in w
    wp = rec.one(COMPONENT).wire_inputs
    assert wp["tlsEnabled"] is False
    assert wp.get("certificateSource") is None and wp.get("hostname") is None  # None is not sent
    assert output_value(c.fqdn) is None


# -- what Azure needs beyond the SDK's schema (review against the Azure ML SDK v2 and the CLI) -------


@pytest.mark.parametrize(
    ("endpoint", "capacity"),
    [
        ({}, 1),
        ({"min_instances": 3, "max_instances": 3}, 3),
        ({"min_instances": 2, "max_instances": 5, "target_utilization_percentage": 70}, 2),
    ],
)
def test_deployment_instance_count_is_the_sku_capacity(pki, endpoint, capacity):
    # Azure ML reads a Kubernetes deployment's instance count from the resource's sku
    # (azure-ai-ml sends sku={"name": "Default", "capacity": instance_count}); DefaultScaleSettings
    # carries no count, so without the sku three fixed instances would be deployed as one.
    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(pem_bundle(pki), endpoints=[aks.AksEndpointArgs(name="fraud", **endpoint)]),
        )
    )
    assert rec.one(DEPLOYMENT).wire_inputs["sku"] == {"name": "Default", "capacity": capacity}


def test_extension_gets_the_cluster_id_settings_the_cli_derives(pki):
    # `az k8s-extension create` copies cluster_name into clusterId and
    # prometheus.prometheusSpec.externalLabels.cluster_name (its reference mapping) before the PUT.
    rec, _ = run_build(lambda: aks.SecureAksCluster("scoring", cluster_args(pem_bundle(pki))))
    settings = rec.one(EXT).wire_inputs["configurationSettings"]
    assert settings["clusterId"] == CLUSTER_ID
    assert settings["prometheus.prometheusSpec.externalLabels.cluster_name"] == CLUSTER_ID
    assert settings["cluster_name"] == CLUSTER_ID


def test_asset_references_in_other_forms_are_sent_as_given(pki):
    model = "azureml://registries/azureml/models/fraud/versions/2"
    env = f"/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-prod/environments/sk/versions/1"
    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                endpoints=[
                    aks.AksEndpointArgs(
                        name="fraud",
                        model=model,
                        environment_id=env,
                        scoring_script="score.py",
                        code_id="azureml:code:4",
                    )
                ],
            ),
        )
    )
    props = rec.one(DEPLOYMENT).wire_inputs["properties"]
    assert props["model"] == model and props["environmentId"] == env
    assert props["codeConfiguration"]["codeId"].endswith("/workspaces/ws-prod/codes/code/versions/4")


@pytest.mark.parametrize(
    ("field_name", "value"),
    [("model", "azureml:fraud@latest"), ("model", "azureml:fraud"), ("environment_id", "azureml:sk:1:2")],
)
def test_asset_reference_without_a_version_is_refused(pki, field_name, value):
    err, rec = _refused(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki), endpoints=[aks.AksEndpointArgs(name="fraud", **{field_name: value})]
            ),
        )
    )
    assert str(err).startswith(f"endpoints[0].{field_name}:")
    assert [r for r in rec.resources if r.type in (COMPONENT, EXT, COMPUTE, ENDPOINT, DEPLOYMENT)] == []


def test_short_asset_reference_resolves_with_output_workspace_names(pki):
    import pulumi

    rec, _ = run_build(
        lambda: aks.SecureAksCluster(
            "scoring",
            cluster_args(
                pem_bundle(pki),
                workspace_name=pulumi.Output.from_input("ws-out"),
                workspace_resource_group_name=pulumi.Output.from_input("rg-out"),
                endpoints=[aks.AksEndpointArgs(name="fraud", model="azureml:fraud:3")],
            ),
        )
    )
    assert rec.one(DEPLOYMENT).wire_inputs["properties"]["model"] == (
        f"/subscriptions/{SUB}/resourceGroups/rg-out/providers/Microsoft.MachineLearningServices/workspaces/ws-out/models/fraud/versions/3"
    )


UAI = f"/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scoring"


def test_endpoints_get_a_system_assigned_identity_unless_user_assigned_ids_are_given(pki):
    # what the Azure ML CLI/SDK send: the deployments pull images and models as this identity
    def build():
        return aks.SecureAksCluster(
            "ml",
            cluster_args(
                pem_bundle(pki),
                endpoints=[
                    aks.AksEndpointArgs(name="fraud", auth="key"),
                    aks.AksEndpointArgs(name="churn", auth="token", identity_ids=[UAI]),
                ],
            ),
        )

    rec, _ = run_build(build)
    endpoints = {r.name: r for r in rec.by_type("azure-native:machinelearningservices:OnlineEndpoint")}
    assert endpoints["ml-fraud"].wire_inputs["identity"] == {"type": "SystemAssigned"}
    assert endpoints["ml-churn"].wire_inputs["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": [UAI],
    }


@pytest.mark.parametrize(
    ("ids", "named", "words"),
    [
        (UAI, "endpoints[0].identity_ids", "one string"),
        (
            ["/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s"],
            "endpoints[0].identity_ids[0]",
            "user-assigned identity",
        ),
        ([42], "endpoints[0].identity_ids[0]", "user-assigned identity"),
    ],
)
def test_endpoint_identity_ids_that_are_not_identities_are_refused_by_name(pki, ids, named, words):
    err, rec = _refused(
        lambda: aks.SecureAksCluster(
            "ml",
            cluster_args(
                pem_bundle(pki), endpoints=[aks.AksEndpointArgs(name="fraud", auth="key", identity_ids=ids)]
            ),
        )
    )
    assert err.input_name == named and words in str(err)
    assert_nothing_registered(rec)
