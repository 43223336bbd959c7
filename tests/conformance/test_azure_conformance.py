"""Conformance: every ARM body the components produce, checked against Azure's own SDK models.

The components run under the realistic mocks in every mode and option the docs describe; each
registered Azure resource's wire inputs become the ARM body azure-native sends
(:func:`arm_mapping.arm_body`), and the oracle (``azure_oracle.py``, run by ``.venv-azure-oracle``'s
Python: its pins clash with Pulumi's) checks each against the SDK model of that resource type:
deserializes, required properties present, enum values valid, no read-only or unknown property.

The Azure ML endpoints and deployments are also compared, field by field, with what azure-ai-ml
itself sends for the same ``KubernetesOnlineEndpoint`` / ``KubernetesOnlineDeployment``
(``_to_rest_object``), except the differences listed in ``DELIBERATE`` with their reasons.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from arm_mapping import RESOURCES, arm_body

from secure_scoring.components import aks
from secure_scoring.components.aci import RegistryCredential, SecureAciService, SecureAciServiceArgs
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs
from secure_scoring.gate.mocking import run_with_mocks, unwrap_secrets

ROOT = Path(__file__).resolve().parents[2]
ORACLE_PYTHON = ROOT / ".venv-azure-oracle" / "bin" / "python"
ORACLE = Path(__file__).with_name("azure_oracle.py")
HOST = "scoring.example.test"
SUB = "00000000-0000-0000-0000-000000000000"
CLUSTER = f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod"
IDENTITY = (
    f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull"
)
PIP = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/publicIPAddresses/ingress"

needs_oracle = pytest.mark.skipif(
    not ORACLE_PYTHON.exists(), reason="needs .venv-azure-oracle (make setup builds it)"
)


def run_oracle(items: Any, *flags: str) -> Any:
    out = subprocess.run(
        [str(ORACLE_PYTHON), str(ORACLE), *flags],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


# -- the programs: every mode and option of docs/secure-aci-service.md and docs/secure-aks-cluster.md
def _pem(pki) -> CertificateBundle:
    return CertificateBundle(
        "cert",
        CertificateBundleArgs(
            source="pem", cert_pem=pki.leaf.chain_pem(), key_pem=pki.leaf.key_pem, hostnames=[HOST]
        ),
    )


def _dev() -> CertificateBundle:
    return CertificateBundle(
        "cert", CertificateBundleArgs(source="dev_ca", hostnames=[HOST], environment="dev")
    )


def _ms() -> CertificateBundle:
    return CertificateBundle(
        "cert",
        CertificateBundleArgs(source="microsoft_managed", leaf_domain_label="contoso", location="westeurope"),
    )


def _aci(cert, **kw) -> SecureAciService:
    args = {
        "resource_group_name": "rg",
        "certificate": cert,
        "hostname": HOST,
        "dns_name_label": "contoso-scoring",
    }
    return SecureAciService("svc", SecureAciServiceArgs(**{**args, **kw}))


def _aks(cert, **kw) -> aks.SecureAksCluster:
    args = {
        "cluster_id": CLUSTER,
        "workspace_name": "ws",
        "workspace_resource_group_name": "rg-ml",
        "location": "westeurope",
        "certificate": cert,
    }
    return aks.SecureAksCluster("s", aks.SecureAksClusterArgs(**{**args, **kw}))


FULL_ENDPOINT = {
    "name": "fraud",
    "auth": "key",
    "model": "azureml:fraud:1",
    "environment_id": "azureml:env:3",
    "scoring_script": "score.py",
    "code_id": "azureml:code:2",
    "cpu": "500m",
    "memory": "1Gi",
    "min_instances": 1,
    "max_instances": 3,
    "target_utilization_percentage": 70,
    "environment_variables": {"LOG_LEVEL": "info"},
    "description": "fraud scoring",
    "traffic": {"blue": 100},
    "tags": {"team": "risk"},
}
TOKEN_ENDPOINT = {"name": "tok", "auth": "token", "model": "azureml:fraud:1", "identity_ids": [IDENTITY]}


def programs(pki) -> dict[str, tuple[Callable[[], Any], str]]:
    """label -> (program, stack)."""
    dns = {"zone_name": "example.test", "resource_group_name": "rg-dns"}
    return {
        "aci-key-pem": (lambda: _aci(_pem(pki)), "production"),
        "aci-none-dev": (lambda: _aci(_dev(), auth="none", environment="dev"), "dev"),
        "aci-all-options": (
            lambda: _aci(
                _pem(pki),
                location="westeurope",
                dns_name_label_scope="Noreuse",
                identity_ids=[IDENTITY],
                system_assigned_identity=True,
                image="contoso.azurecr.io/azureml/curated/minimal-py311-inference:59",
                gateway_image="contoso.azurecr.io/nginx:1.30-alpine",
                image_registry_credentials=[
                    RegistryCredential(server="contoso.azurecr.io", identity=IDENTITY),
                    RegistryCredential(server="other.example.test", username="u", password="p"),
                ],
                environment_variables={"LOG_LEVEL": "info"},
                secure_environment_variables={"DB_PASSWORD": "s3cret"},
                worker_count=2,
                cpu=2,
                memory_gb=4,
                gateway_options={"min_tls_version": "1.3", "max_body_size": "10m"},
                container_group_name="contoso-scoring",
                tags={"team": "risk"},
            ),
            "production",
        ),
        "aci-own-image": (
            lambda: _aci(_pem(pki), image="contoso.azurecr.io/scorer:1", scorer_command=["python", "app.py"]),
            "production",
        ),
        "aci-cname": (
            lambda: DnsRecordBinding(
                "rec", DnsRecordBindingArgs(**dns, relative_name="scoring", target=_aci(_pem(pki)))
            ),
            "production",
        ),
        "aci-private-cname": (
            lambda: DnsRecordBinding(
                "rec",
                DnsRecordBindingArgs(
                    **dns,
                    relative_name="scoring",
                    target_fqdn="contoso.westeurope.azurecontainer.io",
                    private=True,
                ),
            ),
            "production",
        ),
        "ext-public-key": (
            lambda: _aks(
                _pem(pki),
                endpoints=[aks.AksEndpointArgs(**FULL_ENDPOINT), aks.AksEndpointArgs(**TOKEN_ENDPOINT)],
                dns=aks.AksDnsArgs(**dns, router_ip="20.50.1.2"),
                tags={"env": "prod"},
            ),
            "production",
        ),
        "ext-internal-private-dns": (
            lambda: _aks(
                _pem(pki),
                load_balancer="internal",
                endpoints=[aks.AksEndpointArgs(name="fraud", auth="token")],
                dns=aks.AksDnsArgs(**dns, router_ip="10.20.0.50"),
            ),
            "production",
        ),
        "ext-clusterip-static-ip": (
            lambda: _aks(
                _pem(pki),
                router_service_type="ClusterIP",
                dns=aks.AksDnsArgs(**dns, static_ip_resource_id=PIP),
            ),
            "production",
        ),
        "ext-small-dev-tls-off": (
            lambda: _aks(
                None,
                tls_enabled=False,
                node_count=1,
                environment="dev",
                endpoints=[aks.AksEndpointArgs(name="dev-scoring")],
            ),
            "dev",
        ),
        "v1-custom-cert": (
            lambda: _aks(_pem(pki), mode="v1-attach", dns=aks.AksDnsArgs(**dns, router_ip="20.50.1.2")),
            "production",
        ),
        "v1-microsoft-cert": (
            lambda: _aks(_ms(), mode="v1-attach", cluster_purpose="DenseProd"),
            "production",
        ),
        "v1-internal-subnet": (
            lambda: _aks(
                _pem(pki), mode="v1-attach", load_balancer="internal", load_balancer_subnet="aks-ilb"
            ),
            "production",
        ),
        "v1-tls-off": (lambda: _aks(None, mode="v1-attach", tls_enabled=False, environment="dev"), "dev"),
    }


def bodies(pki) -> list[dict[str, Any]]:
    out = []
    for label, (program, stack) in programs(pki).items():
        rec = run_with_mocks(program, stack=stack)
        for r in rec.resources:
            if r.custom and r.type in RESOURCES:
                body = arm_body(r.type, unwrap_secrets(r.wire_inputs))
                out.append(
                    {"label": f"{label}/{r.name}", "type": r.type, "body": body, "inputs": r.wire_inputs}
                )
    return out


@pytest.fixture(scope="module")
def all_bodies(pki):
    return bodies(pki)


def test_every_mode_registers_each_azure_type(all_bodies):
    seen = {b["type"] for b in all_bodies}
    assert seen >= set(RESOURCES) - {"azure-native:network:PublicIPAddress"}


@needs_oracle
def test_every_body_conforms_to_azures_sdk_models(all_bodies):
    problems = run_oracle([{k: b[k] for k in ("label", "type", "body")} for b in all_bodies])
    assert set(problems) == {b["label"] for b in all_bodies}
    failing = {label: p for label, p in problems.items() if p}
    assert failing == {}


# -- the oracle catches what it must (so a green run means something) ---------------------------------
@needs_oracle
def test_the_oracle_reports_read_only_required_enum_and_unknown(all_bodies):
    group = next(b for b in all_bodies if b["label"] == "aci-key-pem/svc-group")
    endpoint = next(b for b in all_bodies if b["type"].endswith(":OnlineEndpoint"))
    bad_group = json.loads(json.dumps(group["body"]))
    bad_group["properties"]["provisioningState"] = "Succeeded"  # read-only
    bad_group["properties"]["osType"] = "Solaris"  # not an OperatingSystemTypes
    del bad_group["properties"]["containers"][0]["properties"]["image"]  # required
    bad_group["properties"]["tlsMode"] = "strict"  # not a property
    bad_endpoint = json.loads(json.dumps(endpoint["body"]))
    bad_endpoint["properties"]["scoringUri"] = "https://x"  # read-only
    bad_endpoint["properties"]["authMode"] = "Password"  # not an EndpointAuthMode
    del bad_endpoint["location"]  # required
    problems = run_oracle(
        [
            {"label": "group", "type": group["type"], "body": bad_group},
            {"label": "endpoint", "type": endpoint["type"], "body": bad_endpoint},
        ]
    )
    text = "\n".join(problems["group"])
    assert "properties.provisioningState: read-only" in text
    assert "properties.osType: 'Solaris' is not a OperatingSystemTypes" in text
    assert "properties.containers[0].properties.image: required" in text
    assert "properties.tlsMode: not a property" in text
    text = "\n".join(problems["endpoint"])
    assert "properties.scoringUri: read-only" in text
    assert "properties.authMode: 'Password' is not a EndpointAuthMode" in text
    assert "location: required" in text


# -- the mapping, tested alone ---------------------------------------------------------------------
def test_arm_body_container_group():
    inputs = {
        "resourceGroupName": "rg",
        "containerGroupName": "g",
        "location": "westeurope",
        "osType": "Linux",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": ["/id"]},
        "containers": [{"name": "scorer", "image": "i", "ports": [{"port": 5001.0}]}],
    }
    assert arm_body("azure-native:containerinstance:ContainerGroup", inputs) == {
        "location": "westeurope",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {"/id": {}}},
        "properties": {
            "osType": "Linux",
            "containers": [{"name": "scorer", "properties": {"image": "i", "ports": [{"port": 5001}]}}],
        },
    }


def test_arm_body_keeps_machine_learning_properties_nested():
    inputs = {
        "resourceGroupName": "rg",
        "workspaceName": "ws",
        "endpointName": "e",
        "location": "l",
        "properties": {"authMode": "Key"},
    }
    assert arm_body("azure-native:machinelearningservices:OnlineEndpoint", inputs) == {
        "location": "l",
        "properties": {"authMode": "Key"},
    }
    with pytest.raises(KeyError):
        arm_body("azure-native:machinelearningservices:OnlineEndpoint", {"authMode": "Key"})


def test_arm_body_dns_names_and_numbers():
    inputs = {
        "resourceGroupName": "rg",
        "zoneName": "z",
        "relativeRecordSetName": "s",
        "recordType": "A",
        "ttl": 300.0,
        "aRecords": [{"ipv4Address": "1.2.3.4"}],
    }
    assert arm_body("azure-native:dns:RecordSet", inputs) == {
        "properties": {"TTL": 300, "ARecords": [{"ipv4Address": "1.2.3.4"}]}
    }
    private = {**inputs, "privateZoneName": "z"}
    del private["zoneName"]
    assert arm_body("azure-native:privatedns:PrivateRecordSet", private)["properties"]["ttl"] == 300


# -- azure-ai-ml: what the Azure ML SDK itself sends for the same Kubernetes endpoint/deployment --------
DELIBERATE = {
    # azure-native's TargetUtilizationScaleSettingsArgs fills in pollingInterval "PT1S", the service's
    # own default, which azure-ai-ml leaves out: the same value on the server, and dropping it would
    # show a diff on every deployed target-utilization deployment for no effect.
    "properties.scaleSettings.pollingInterval",
}


def _strip(value: Any) -> Any:
    """Drop None and empty containers: neither side sends them."""
    if isinstance(value, dict):
        out = {k: _strip(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): value}


def sdk_specs(all_bodies) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The same endpoints/deployments as azure-ai-ml entity specs, and our bodies by label."""
    specs, ours = [], {}
    for b in all_bodies:
        if not b["label"].startswith("ext-public-key/"):
            continue
        body = b["body"]
        props = body["properties"]
        if b["type"].endswith(":OnlineEndpoint"):
            ident = body["identity"]
            specs.append(
                {
                    "label": b["label"],
                    "kind": "endpoint",
                    "name": b["inputs"]["endpointName"],
                    "location": body["location"],
                    "auth_mode": {"Key": "key", "AMLToken": "aml_token"}[props["authMode"]],
                    "compute": props["compute"],
                    "identity_ids": list(ident.get("userAssignedIdentities") or {}),
                    "description": props.get("description"),
                    "tags": body.get("tags"),
                    "traffic": props.get("traffic"),
                }
            )
        elif b["type"].endswith(":OnlineDeployment"):
            scale = props["scaleSettings"]
            requests = (props.get("containerResourceRequirements") or {}).get(
                "containerResourceRequests"
            ) or {}
            code = props.get("codeConfiguration") or {}
            specs.append(
                {
                    "label": b["label"],
                    "kind": "deployment",
                    "name": b["inputs"]["deploymentName"],
                    "endpoint_name": b["inputs"]["endpointName"],
                    "location": body["location"],
                    "model": props.get("model"),
                    "environment_id": props.get("environmentId"),
                    "code_id": code.get("codeId"),
                    "scoring_script": code.get("scoringScript"),
                    "environment_variables": props.get("environmentVariables"),
                    "instance_type": props.get("instanceType"),
                    "instance_count": body["sku"]["capacity"],
                    "min_instances": scale.get("minInstances"),
                    "max_instances": scale.get("maxInstances"),
                    "target_utilization_percentage": scale.get("targetUtilizationPercentage"),
                    "cpu": requests.get("cpu"),
                    "memory": requests.get("memory"),
                    "description": props.get("description"),
                    "tags": body.get("tags"),
                }
            )
        else:
            continue
        ours[b["label"]] = body
    return specs, ours


@needs_oracle
def test_endpoints_and_deployments_match_what_azure_ai_ml_sends(all_bodies):
    specs, ours = sdk_specs(all_bodies)
    assert {s["kind"] for s in specs} == {"endpoint", "deployment"}
    theirs = run_oracle(specs, "--ai-ml")
    differences = {}
    for label, body in ours.items():
        mine, sdk = _flatten(_strip(body)), _flatten(_strip(theirs[label]))
        diff = {
            path: (mine.get(path), sdk.get(path))
            for path in set(mine) | set(sdk)
            if mine.get(path) != sdk.get(path) and path not in DELIBERATE
        }
        if diff:
            differences[label] = diff
    assert differences == {}, json.dumps(differences, indent=1, default=str)
