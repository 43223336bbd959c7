"""SecureAksCluster under Pulumi mocks: exact child resources and their security properties.

Matrix: mode (extension, v1-attach) x TLS source (pem, microsoft_managed) x load balancer
(public, internal) x auth (key, token), plus TLS explicitly off, ClusterIP, DNS and every refusal.
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
from secure_scoring.components.keys import BOTH_MODES_REASON
from secure_scoring.gate.mocking import SECRET_SIG, output_is_secret, output_value, run_with_mocks
from support.refusals import refused as _refused

SUB = "00000000-0000-0000-0000-000000000000"
CLUSTER_ID = f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod"
HOST = "scoring.example.test"
EXT = "azure-native:kubernetesconfiguration:Extension"
COMPUTE = "azure-native:machinelearningservices:Compute"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
COMPONENT = "secure-scoring:index:SecureAksCluster"
BUNDLE = "secure-scoring:index:CertificateBundle"
DNS_BINDING = "secure-scoring:index:DnsRecordBinding"
KEYS_INVOKE = "azure-native:machinelearningservices:listOnlineEndpointKeys"
TOKEN_INVOKE = "azure-native:machinelearningservices:getOnlineEndpointToken"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("ascii")).decode("ascii")


def _secret_value(wire: Any) -> Any:
    assert isinstance(wire, dict) and SECRET_SIG in wire, f"not a secret envelope: {wire!r}"
    return wire["value"]


def _pem_bundle(pki, environment: str = "production") -> CertificateBundle:
    return CertificateBundle(
        "cert",
        CertificateBundleArgs(
            source="pem",
            cert_pem=pki.leaf.chain_pem(),
            key_pem=pki.leaf.key_pem,
            hostnames=[HOST],
            environment=environment,
        ),
    )


def _ms_bundle(overwrite: bool = False) -> CertificateBundle:
    return CertificateBundle(
        "mscert",
        CertificateBundleArgs(
            source="microsoft_managed",
            leaf_domain_label="contoso",
            overwrite_existing_domain=overwrite,
            location="westeurope",
            environment="production",
        ),
    )


def _args(cert, **kw) -> aks.SecureAksClusterArgs:
    base: dict[str, Any] = {
        "cluster_id": CLUSTER_ID,
        "workspace_name": "ws-prod",
        "workspace_resource_group_name": "rg-ml",
        "location": "westeurope",
        "certificate": cert,
    }
    base.update(kw)
    return aks.SecureAksClusterArgs(**base)


def _run(build, stack: str = "production"):
    holder: dict[str, Any] = {}

    def program():
        holder["c"] = build()

    rec = run_with_mocks(program, stack=stack)
    return rec, holder["c"]


def _names(rec, parent_urn: str) -> list[tuple[str, str]]:
    return sorted((r.type, r.name) for r in rec.children_of(parent_urn))


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
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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
    assert _names(rec, comp.urn) == [
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
    protected = _secret_value(w["configurationProtectedSettings"])
    assert protected == {
        "scoringFe.sslCert": _b64(pki.leaf.chain_pem()),
        "scoringFe.sslKey": _b64(pki.leaf.key_pem),
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
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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
    rec, _ = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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
        return aks.SecureAksCluster("scoring", _args(cert, endpoints=[aks.AksEndpointArgs(name="fraud")]))

    rec, c = _run(build, stack="dev")
    protected = _secret_value(rec.one(EXT).wire_inputs["configurationProtectedSettings"])
    cert_pem = base64.b64decode(protected["scoringFe.sslCert"]).decode()
    key_pem = base64.b64decode(protected["scoringFe.sslKey"]).decode()
    assert cert_pem == output_value(holder["cert"].cert_pem) and "BEGIN CERTIFICATE" in cert_pem
    assert key_pem == output_value(holder["cert"].key_pem) and "PRIVATE KEY" in key_pem
    wp = rec.one(COMPONENT).wire_inputs
    assert (wp["certificateSource"], wp["selfSigned"], wp["environment"]) == ("dev_ca", True, "dev")
    assert rec.one(EXT).wire_inputs["configurationSettings"]["sslCname"] == "scoring.dev.example.test"


def test_extension_mode_tls_explicitly_off_writes_the_insecure_setting():
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "scoring", _args(None, tls_enabled=False, endpoints=[aks.AksEndpointArgs(name="fraud")])
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


# -- v1-attach mode ------------------------------------------------------------------------------


@pytest.mark.parametrize("load_balancer", ["public", "internal"])
@pytest.mark.parametrize("auth", ["key", "token"])
def test_v1_attach_with_custom_certificate(pki, load_balancer, auth):
    extra = {"load_balancer_subnet": "snet-ilb"} if load_balancer == "internal" else {}
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "legacy",
            _args(
                _pem_bundle(pki),
                mode="v1-attach",
                load_balancer=load_balancer,
                endpoints=[aks.AksEndpointArgs(name="fraud", auth=auth)],
                **extra,
            ),
        )
    )
    comp = rec.one(COMPONENT)
    assert _names(rec, comp.urn) == [(COMPUTE, "legacy-compute")]
    assert not rec.by_type(EXT) and not rec.by_type(ENDPOINT) and not rec.by_type(DEPLOYMENT)
    assert rec.invokes == []  # SDK v1 keys/tokens have no ARM invoke
    compute = rec.one(COMPUTE)
    props = compute.wire_inputs["properties"]
    assert props["computeType"] == "AKS" and props["resourceId"] == CLUSTER_ID
    inner = props["properties"]
    ssl = inner["sslConfiguration"]
    assert ssl["status"] == "Enabled"
    assert ssl["cname"] == HOST
    assert _secret_value(ssl["cert"]) == pki.leaf.chain_pem()
    assert _secret_value(ssl["key"]) == pki.leaf.key_pem
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
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "legacy",
            _args(
                _ms_bundle(overwrite),
                mode="v1-attach",
                endpoints=[aks.AksEndpointArgs(name="fraud", auth=auth)],
            ),
        )
    )
    comp = rec.one(COMPONENT)
    assert _names(rec, comp.urn) == [(COMPUTE, "legacy-compute")]
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
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "legacy",
            _args(
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


# -- DNS -------------------------------------------------------------------------------------------


def test_dns_a_record_to_router_ip_for_custom_certificate(pki):
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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
    rec, _ = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
                mode="v1-attach",
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
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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


def _assert_nothing_registered(rec) -> None:
    assert [r.type for r in rec.resources if r.type != BUNDLE] == []


def test_refuses_key_and_token_on_one_endpoint(pki):
    err, rec = _refused(
        lambda: aks.SecureAksCluster(
            "s",
            _args(
                _pem_bundle(pki),
                endpoints=[aks.AksEndpointArgs(name="fraud", key_auth_enabled=True, token_auth_enabled=True)],
            ),
        )
    )
    assert err.input_name == "endpoints[0].auth"
    assert BOTH_MODES_REASON in str(err)
    assert "choose one" in str(err)
    _assert_nothing_registered(rec)


def test_refuses_microsoft_certificate_with_internal_load_balancer():
    err, rec = _refused(
        lambda: aks.SecureAksCluster("s", _args(_ms_bundle(), mode="v1-attach", load_balancer="internal"))
    )
    assert err.input_name == "certificate"
    assert "internal" in str(err) and "not support a Microsoft-provided certificate" in str(err)
    assert "custom certificate" in str(err)
    _assert_nothing_registered(rec)


def test_refuses_microsoft_certificate_in_extension_mode():
    err, rec = _refused(lambda: aks.SecureAksCluster("s", _args(_ms_bundle())))
    assert err.input_name == "certificate"
    assert aks.MICROSOFT_CERT_EXTENSION_REASON in str(err)
    assert "mode='v1-attach'" in str(err)
    _assert_nothing_registered(rec)


def test_refuses_hostname_the_certificate_does_not_cover(pki):
    err, rec = _refused(lambda: aks.SecureAksCluster("s", _args(_pem_bundle(pki), hostname="api.other.test")))
    assert err.input_name == "hostname"
    assert "does not cover 'api.other.test'" in str(err) and HOST in str(err)
    _assert_nothing_registered(rec)


def test_refuses_missing_certificate_while_tls_is_on():
    err, rec = _refused(lambda: aks.SecureAksCluster("s", _args(None)))
    assert err.input_name == "certificate"
    assert "no certificate" in str(err)
    _assert_nothing_registered(rec)


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
        ({"hostname": "not a name"}, "hostname", "not a valid DNS name"),
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
    err, rec = _refused(lambda: aks.SecureAksCluster("s", _args(_pem_bundle(pki), **kw)))
    assert err.input_name == input_name, str(err)
    assert text in str(err)
    assert "Fix:" in str(err)
    _assert_nothing_registered(rec)


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
    err, rec = _refused(lambda: aks.SecureAksCluster("s", _args(_ms_bundle(), mode="v1-attach", **kw)))
    assert err.input_name == input_name, str(err)
    assert text in str(err)
    _assert_nothing_registered(rec)


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
            return aks.SecureAksCluster("s", _args(_pem_bundle(pki), dns=dns))
        return aks.SecureAksCluster("s", _args(_pem_bundle(pki), **{field_name: out}))

    err, rec = _refused(build)
    assert err.input_name == field_name, str(err)
    assert "pulumi Output" in str(err) and "plain value" in str(err) and "object at 0x" not in str(err)
    _assert_nothing_registered(rec)


@pytest.mark.parametrize("mode", ["extension", "v1-attach"])
def test_region_display_names_are_sent_as_azure_region_names(pki, mode):
    rec, c = _run(
        lambda: aks.SecureAksCluster(
            "s",
            _args(
                _pem_bundle(pki),
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
    assert compute.wire_inputs["properties"]["computeLocation"] == "northeurope"


@pytest.mark.parametrize(
    ("field_name", "value"), [("location", "West_Europe"), ("cluster_location", "eu-west")]
)
def test_a_malformed_region_is_refused(pki, field_name, value):
    err, rec = _refused(lambda: aks.SecureAksCluster("s", _args(_pem_bundle(pki), **{field_name: value})))
    assert err.input_name == field_name, str(err)
    assert "not an Azure region name" in str(err)
    _assert_nothing_registered(rec)


@pytest.mark.parametrize("environment", ["production", "Production", "PROD"])
def test_a_development_certificate_is_refused_when_the_cluster_declares_production(environment):
    def build():
        cert = CertificateBundle("c", CertificateBundleArgs(source="dev_ca", hostnames=[HOST]))
        return aks.SecureAksCluster("s", _args(cert, environment=environment))

    err, rec = _refused(build)
    assert err.input_name == "certificate", str(err)
    assert f"environment {environment!r} is production" in str(err) and "'dev_ca'" in str(err)
    assert not rec.by_type(COMPONENT)


@pytest.mark.parametrize("case", ["extension", "extension-with-dns", "v1-microsoft"])
def test_binding_a_dns_record_to_the_cluster_never_makes_a_cname_to_itself(pki, case):
    from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs

    def build():
        if case == "v1-microsoft":
            cluster = aks.SecureAksCluster("s", _args(_ms_bundle(), mode="v1-attach"))
        else:
            dns = (
                aks.AksDnsArgs(zone_name="example.test", resource_group_name="rg", router_ip="20.50.1.2")
                if case == "extension-with-dns"
                else None
            )
            cluster = aks.SecureAksCluster("s", _args(_pem_bundle(pki), dns=dns))
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


def test_binding_a_dns_record_to_a_v1_cluster_is_an_a_record_to_its_router_ip(pki):
    from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs

    box: dict[str, Any] = {}

    def build():
        cluster = aks.SecureAksCluster("s", _args(_pem_bundle(pki), mode="v1-attach"))
        box["b"] = DnsRecordBinding(
            "bind",
            DnsRecordBindingArgs(
                zone_name="example.test", resource_group_name="rg", relative_name="scoring", target=cluster
            ),
        )
        return cluster

    rec, cluster = _run(build)
    (record,) = rec.by_type("azure-native:dns:RecordSet")
    assert record.inputs["recordType"] == "A" and "cnameRecord" not in record.inputs
    # the address is the router's public IP that Azure reports on the compute after the attach
    (compute,) = rec.by_type("azure-native:machinelearningservices:Compute")
    assert compute.urn in record.dependencies


def test_endpoints_none_means_no_endpoints(pki):
    rec, c = _run(lambda: aks.SecureAksCluster("s", _args(_pem_bundle(pki), endpoints=None)))
    assert rec.by_type("azure-native:machinelearningservices:OnlineEndpoint") == []
    assert len(rec.by_type("azure-native:kubernetesconfiguration:Extension")) == 1


def test_hostname_under_an_internationalised_tld_is_accepted():
    host = "scoring.xn--e1afmkfd.xn--p1ai"

    def build():
        cert = CertificateBundle("c", CertificateBundleArgs(source="dev_ca", hostnames=[host.upper() + "."]))
        return aks.SecureAksCluster(
            "s",
            _args(
                cert,
                environment="dev",
                dns=aks.AksDnsArgs(
                    zone_name="xn--e1afmkfd.xn--p1ai", resource_group_name="rg", router_ip="20.50.1.2"
                ),
            ),
        )

    rec, c = _run(build, stack="dev")
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

    err, rec = _refused(lambda: aks.SecureAksCluster("s", _args(wildcard())))
    assert err.input_name == "hostname" and "*.example.test" in str(err)
    _assert_nothing_registered(rec)
    rec, c = _run(lambda: aks.SecureAksCluster("scoring", _args(wildcard(), hostname="Fraud.Example.Test.")))
    assert rec.one(EXT).wire_inputs["configurationSettings"]["sslCname"] == "fraud.example.test"
    assert output_value(c.fqdn) == "fraud.example.test"


def test_preview_registers_the_same_resources_and_keeps_secrets(pki):
    def build():
        return aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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
    rec, _ = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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
    rec, _ = _run(
        lambda: aks.SecureAksCluster(
            "scoring", _args(_pem_bundle(pki), endpoints=[aks.AksEndpointArgs(name="fraud", **endpoint)])
        )
    )
    assert rec.one(DEPLOYMENT).wire_inputs["sku"] == {"name": "Default", "capacity": capacity}


def test_extension_gets_the_cluster_id_settings_the_cli_derives(pki):
    # `az k8s-extension create` copies cluster_name into clusterId and
    # prometheus.prometheusSpec.externalLabels.cluster_name (its reference mapping) before the PUT.
    rec, _ = _run(lambda: aks.SecureAksCluster("scoring", _args(_pem_bundle(pki))))
    settings = rec.one(EXT).wire_inputs["configurationSettings"]
    assert settings["clusterId"] == CLUSTER_ID
    assert settings["prometheus.prometheusSpec.externalLabels.cluster_name"] == CLUSTER_ID
    assert settings["cluster_name"] == CLUSTER_ID


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
        return aks.SecureAksCluster("scoring", _args(cert, mode="v1-attach"))

    rec, _ = _run(build)
    ssl = rec.one(COMPUTE).wire_inputs["properties"]["properties"]["sslConfiguration"]
    assert ssl["status"] == "Auto" and ssl["leafDomainLabel"] == label


def test_cluster_region_other_than_the_workspace_region(pki):
    # The CLI writes the *cluster's* region into location/jobSchedulerLocation/domain; the compute's
    # computeLocation is where the cluster runs, while the ARM resources stay in the workspace region.
    rec, _ = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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
        return aks.SecureAksCluster("scoring", _args(cert, mode="v1-attach", cluster_location="eastus"))

    rec, cluster = _run(build)
    assert output_value(cluster.fqdn) == "contoso######.eastus.cloudapp.azure.com"
    assert rec.one(COMPUTE).wire_inputs["properties"]["computeLocation"] == "eastus"

    err, _ = _refused(
        lambda: aks.SecureAksCluster(
            "scoring", _args(_ms_bundle(), mode="v1-attach", cluster_location="eastus")
        )
    )
    assert str(err).startswith("certificate.location:") and "'eastus'" in str(err)


def test_asset_references_in_other_forms_are_sent_as_given(pki):
    model = "azureml://registries/azureml/models/fraud/versions/2"
    env = f"/subscriptions/{SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-prod/environments/sk/versions/1"
    rec, _ = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
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
            _args(_pem_bundle(pki), endpoints=[aks.AksEndpointArgs(name="fraud", **{field_name: value})]),
        )
    )
    assert str(err).startswith(f"endpoints[0].{field_name}:")
    assert [r for r in rec.resources if r.type in (COMPONENT, EXT, COMPUTE, ENDPOINT, DEPLOYMENT)] == []


def test_short_asset_reference_resolves_with_output_workspace_names(pki):
    import pulumi

    rec, _ = _run(
        lambda: aks.SecureAksCluster(
            "scoring",
            _args(
                _pem_bundle(pki),
                workspace_name=pulumi.Output.from_input("ws-out"),
                workspace_resource_group_name=pulumi.Output.from_input("rg-out"),
                endpoints=[aks.AksEndpointArgs(name="fraud", model="azureml:fraud:3")],
            ),
        )
    )
    assert rec.one(DEPLOYMENT).wire_inputs["properties"]["model"] == (
        f"/subscriptions/{SUB}/resourceGroups/rg-out/providers/Microsoft.MachineLearningServices/workspaces/ws-out/models/fraud/versions/3"
    )


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
        aks.SecureAksCluster("ml", _args(cert, endpoints=[aks.AksEndpointArgs(name="fraud", auth="key")]))

    rec = run_with_mocks(program, stack="production", preview=True)
    assert holder["self_signed"] is None
    assert rec.one("secure-scoring:index:SecureAksCluster").wire_inputs["selfSigned"] == UNKNOWN


UAI = f"/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scoring"


def test_endpoints_get_a_system_assigned_identity_unless_user_assigned_ids_are_given(pki):
    # what the Azure ML CLI/SDK send: the deployments pull images and models as this identity
    def build():
        return aks.SecureAksCluster(
            "ml",
            _args(
                _pem_bundle(pki),
                endpoints=[
                    aks.AksEndpointArgs(name="fraud", auth="key"),
                    aks.AksEndpointArgs(name="churn", auth="token", identity_ids=[UAI]),
                ],
            ),
        )

    rec, _ = _run(build)
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
            _args(
                _pem_bundle(pki), endpoints=[aks.AksEndpointArgs(name="fraud", auth="key", identity_ids=ids)]
            ),
        )
    )
    assert err.input_name == named and words in str(err)
    _assert_nothing_registered(rec)
