"""What a new platform engineer tripped over when writing programs with the components.

Each case is a program someone would plausibly write (other regions, registries, identities, tags,
container sizes, DNS zones) with one input wrong. The component must refuse it at construction with
a ConfigurationError naming the input and the fix, and register nothing of itself: no TypeError from
the SDK after other children were registered, and no argument silently dropped or contradicted.
"""

from __future__ import annotations

from typing import Any

import pytest

from secure_scoring.components.aci import RegistryCredential, SecureAciService, SecureAciServiceArgs
from secure_scoring.components.aks import AksDnsArgs, AksEndpointArgs, SecureAksCluster, SecureAksClusterArgs
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs
from secure_scoring.errors import ConfigurationError
from secure_scoring.gate.mocking import is_secret_envelope, run_with_mocks
from support.refusals import refused

HOST = "scoring.example.test"
CLUSTER_ID = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aks-ne/providers/"
    "Microsoft.ContainerService/managedClusters/aks-inference-ne"
)
PIP_ID = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aks-ne/providers/"
    "Microsoft.Network/publicIPAddresses/azureml-fe-ip"
)
DEPLOYED = (
    "secure-scoring:index:SecureAciService",
    "secure-scoring:index:SecureAksCluster",
    "secure-scoring:index:DnsRecordBinding",
)


def _bundle(pki) -> CertificateBundle:
    return CertificateBundle(
        "cert",
        CertificateBundleArgs(
            source="pem",
            cert_pem=pki.leaf.chain_pem(),
            key_pem=pki.leaf.key_pem,
            hostnames=[HOST],
            environment="production",
        ),
    )


def _refused(build) -> tuple[ConfigurationError, Any]:
    err, rec = refused(build)
    # nothing of the component: no child resource and not the component itself
    leaked = [r.type for r in rec.resources if r.type in DEPLOYED or not r.type.startswith("secure-scoring")]
    assert leaked == [], leaked
    return err, rec


def _ran(build):
    box: dict[str, Any] = {}

    def program():
        box["c"] = build()

    return run_with_mocks(program, stack="production"), box["c"]


# -- SecureAciService ---------------------------------------------------------------------------------


def _aci(pki, **overrides: Any) -> SecureAciService:
    args: dict[str, Any] = {
        "resource_group_name": "rg-fraud-ne",
        "certificate": _bundle(pki),
        "hostname": HOST,
        "dns_name_label": "fabrikam-fraud",
        "location": "northeurope",
        "image": "fabrikamml.azurecr.io/fraud/scorer:3.1.4",
    }
    args.update(overrides)
    return SecureAciService("fraud", SecureAciServiceArgs(**args))


@pytest.mark.parametrize(
    ("overrides", "input_name", "fix"),
    [
        # the SDK raised "TypeError: Missing required property 'resource_group_name'" after the keys
        ({"resource_group_name": None}, "resource_group_name", "resource_group_name="),
        ({"resource_group_name": 42}, "resource_group_name", "'rg-"),
        ({"location": 3}, "location", "'westeurope'"),
        ({"tags": {"cost-center": 4711}}, "tags['cost-center']", "'4711'"),
        # contradicted the scorer command silently (--model_dir stayed the default)
        (
            {"environment_variables": {"AZUREML_MODEL_DIR": "/models"}},
            "environment_variables['AZUREML_MODEL_DIR']",
            "model_dir=",
        ),
        (
            {"environment_variables": {"AZUREML_ENTRY_SCRIPT": "/app/main.py"}},
            "environment_variables['AZUREML_ENTRY_SCRIPT']",
            "entry_script=",
        ),
        (
            {"environment_variables": {"WORKER_COUNT": "4"}},
            "environment_variables['WORKER_COUNT']",
            "worker_count=",
        ),
        # reported as "also given as a plain variable", which the user never did
        (
            {"secure_environment_variables": {"AZUREML_MODEL_DIR": "/models"}},
            "secure_environment_variables['AZUREML_MODEL_DIR']",
            "model_dir=",
        ),
        # registries: Azure refuses each of these at deployment
        (
            {
                "image_registry_credentials": [
                    RegistryCredential(server="https://fabrikamml.azurecr.io", username="u", password="p")
                ]
            },
            "image_registry_credentials[0].server",
            "myregistry.azurecr.io",
        ),
        (
            {
                "image_registry_credentials": [
                    RegistryCredential(server="fabrikamml.azurecr.io/fraud", username="u", password="p")
                ]
            },
            "image_registry_credentials[0].server",
            "host only",
        ),
        (
            {"image_registry_credentials": [RegistryCredential(server=None, username="u", password="p")]},
            "image_registry_credentials[0].server",
            "host only",
        ),
        (
            {
                "image_registry_credentials": [
                    RegistryCredential(server="fabrikamml.azurecr.io", password="p")
                ]
            },
            "image_registry_credentials[0].username",
            "username",
        ),
        (
            {
                "image_registry_credentials": [
                    RegistryCredential(server="fabrikamml.azurecr.io", username="a", password="p"),
                    RegistryCredential(server="FabrikamML.azurecr.io", username="b", password="q"),
                ]
            },
            "image_registry_credentials[1].server",
            "once",
        ),
        (
            {"image_registry_credentials": {"server": "fabrikamml.azurecr.io"}},
            "image_registry_credentials",
            "[",
        ),
    ],
)
def test_aci_bad_input_is_refused_before_registration(pki, overrides, input_name, fix):
    err, _ = _refused(lambda: _aci(pki, **overrides))
    assert str(err).startswith(input_name + ":"), str(err)
    assert err.fix and fix in err.fix, str(err)


def test_aci_private_registries_and_identities_as_written(pki):
    uami = "/subscriptions/0/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull"
    rec, _ = _ran(
        lambda: _aci(
            pki,
            identity_ids=[uami],
            system_assigned_identity=True,
            image_registry_credentials=[
                RegistryCredential(server="fabrikamml.azurecr.io", identity=uami),
                RegistryCredential(
                    server="registry.example.net:5000", username="bot", password="pw-not-plain"
                ),
            ],
            tags={"team": "fraud", "cost-center": "4711"},
            environment_variables={"AML_APP_ROOT": "/srv/app", "LOG_LEVEL": "debug"},
        )
    )
    group = rec.one("azure-native:containerinstance:ContainerGroup")
    assert group.wire_inputs["identity"] == {
        "type": "SystemAssigned, UserAssigned",
        "userAssignedIdentities": [uami],
    }
    creds = group.wire_inputs["imageRegistryCredentials"]
    assert creds[0] == {"server": "fabrikamml.azurecr.io", "identity": uami}
    assert is_secret_envelope(creds[1]["password"]) and creds[1]["username"] == "bot"
    assert "imageRegistryCredentials" in group.additional_secret_outputs
    assert group.wire_inputs["tags"] == {"team": "fraud", "cost-center": "4711"}


# -- SecureAksCluster ---------------------------------------------------------------------------------


def _aks(pki, **overrides: Any) -> SecureAksCluster:
    args: dict[str, Any] = {
        "cluster_id": CLUSTER_ID,
        "workspace_name": "mlw-fraud",
        "workspace_resource_group_name": "rg-ml-ne",
        "location": "northeurope",
        "certificate": _bundle(pki),
    }
    args.update(overrides)
    return SecureAksCluster("fraud", SecureAksClusterArgs(**args))


def _ep(**overrides: Any) -> AksEndpointArgs:
    return AksEndpointArgs(**{"name": "fraud-score", "auth": "key", **overrides})


@pytest.mark.parametrize(
    ("overrides", "input_name", "fix"),
    [
        # TypeError from the SDK's Compute after the extension was registered
        ({"workspace_name": None}, "workspace_name", "workspace_name="),
        (
            {"workspace_resource_group_name": None},
            "workspace_resource_group_name",
            "workspace_resource_group_name=",
        ),
        ({"workspace_name": ""}, "workspace_name", "'mlw-"),
        # the DnsRecordBinding child refused these, under its own names, after the extension and compute
        (
            {"dns": AksDnsArgs(zone_name="example.test", resource_group_name=None, router_ip="20.50.1.2")},
            "dns.resource_group_name",
            "resource group",
        ),
        (
            {
                "dns": AksDnsArgs(
                    zone_name="example.test",
                    resource_group_name="rg-dns",
                    static_ip_resource_id=PIP_ID.replace(
                        "publicIPAddresses/azureml-fe-ip", "loadBalancers/kubernetes"
                    ),
                ),
                # a static IP only for your own ingress in front of azureml-fe (issue 15)
                "router_service_type": "ClusterIP",
            },
            "dns.static_ip_resource_id",
            "PublicIPAddress",
        ),
        (
            {
                "dns": AksDnsArgs(
                    zone_name="example.test", resource_group_name="rg-dns", static_ip_resource_id=7
                ),
                "router_service_type": "ClusterIP",
            },
            "dns.static_ip_resource_id",
            "public_ip.id",
        ),
        ({"extension_name": "Azure ML"}, "extension_name", "'azureml'"),
        ({"extension_name": None}, "extension_name", "'azureml'"),
        ({"tags": {"cost-center": 4711}}, "tags['cost-center']", "'4711'"),
        ({"endpoints": [_ep(tags={"tier": 1})]}, "endpoints[0].tags['tier']", "'1'"),
        # the code asset was dropped silently: no code configuration without a scoring script
        ({"endpoints": [_ep(code_id="azureml:fraud-code:4")]}, "endpoints[0].code_id", "scoring_script="),
        # the SDK then injects its managed-compute default 'Standard_F4s_v2', not a Kubernetes instance type
        ({"endpoints": [_ep(instance_type=None)]}, "endpoints[0].instance_type", "'defaultinstancetype'"),
        # container requests are Kubernetes quantities (strings)
        ({"endpoints": [_ep(cpu=2)]}, "endpoints[0].cpu", "'500m'"),
        ({"endpoints": [_ep(memory="4GB")]}, "endpoints[0].memory", "'1Gi'"),
        ({"endpoints": [_ep(memory="4")]}, "endpoints[0].memory", "'1Gi'"),
        ({"endpoints": [_ep(memory=4)]}, "endpoints[0].memory", "'1Gi'"),
        ({"endpoints": [_ep(cpu="two")]}, "endpoints[0].cpu", "'500m'"),
        # numbers where Azure ML takes strings (ids, paths, text)
        ({"endpoints": [_ep(model=3)]}, "endpoints[0].model", "'azureml:"),
        (
            {"endpoints": [_ep(scoring_script=1, code_id="azureml:c:1")]},
            "endpoints[0].scoring_script",
            "'score.py'",
        ),
        ({"endpoints": [_ep(description=2026)]}, "endpoints[0].description", "'"),
        (
            {"mode": "v1-attach", "load_balancer": "internal", "load_balancer_subnet": 10},
            "load_balancer_subnet",
            "'aks-ilb-subnet'",
        ),
    ],
)
def test_aks_bad_input_is_refused_before_registration(pki, overrides, input_name, fix):
    err, _ = _refused(lambda: _aks(pki, **overrides))
    assert str(err).startswith(input_name + ":"), str(err)
    assert err.fix and fix in err.fix, str(err)


@pytest.mark.parametrize(
    ("cpu", "memory"), [("500m", "1Gi"), ("1.5", "2G"), ("2", "512Mi"), (None, "2147483648")]
)
def test_aks_kubernetes_quantities_are_sent_as_given(pki, cpu, memory):
    rec, _ = _ran(lambda: _aks(pki, endpoints=[_ep(cpu=cpu, memory=memory)]))
    dep = rec.one("azure-native:machinelearningservices:OnlineDeployment")
    requests = dep.wire_inputs["properties"]["containerResourceRequirements"]["containerResourceRequests"]
    assert requests == {k: v for k, v in {"cpu": cpu, "memory": memory}.items() if v is not None}


def test_aks_code_asset_with_scoring_script_is_sent(pki):
    rec, _ = _ran(
        lambda: _aks(pki, endpoints=[_ep(scoring_script="score.py", code_id="azureml:fraud-code:4")])
    )
    dep = rec.one("azure-native:machinelearningservices:OnlineDeployment")
    code = dep.wire_inputs["properties"]["codeConfiguration"]
    assert code["scoringScript"] == "score.py"
    assert code["codeId"].endswith("/workspaces/mlw-fraud/codes/fraud-code/versions/4")


def test_aks_alias_record_to_a_static_ip_in_a_public_zone(pki):
    rec, _ = _ran(
        lambda: _aks(
            pki,
            dns=AksDnsArgs(
                zone_name="example.test", resource_group_name="rg-dns", static_ip_resource_id=PIP_ID
            ),
            # the static IP of your own ingress in front of azureml-fe (issue 15)
            router_service_type="ClusterIP",
        )
    )
    record = rec.one("azure-native:dns:RecordSet")
    assert record.wire_inputs["targetResource"] == {"id": PIP_ID}
    assert record.wire_inputs["relativeRecordSetName"] == "scoring"


# -- DnsRecordBinding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "input_name", "fix"),
    [
        ({"target_resource_id": 12}, "target_resource_id", "public_ip.id"),
        ({"target_ip": "20.50.1.2", "metadata": {"ttl-reason": 60}}, "metadata['ttl-reason']", "'60'"),
        ({"target_ip": "20.50.1.2", "resource_group_name": 5}, "resource_group_name", "'rg-dns'"),
    ],
)
def test_dns_bad_input_is_refused_before_registration(overrides, input_name, fix):
    args: dict[str, Any] = {
        "zone_name": "example.test",
        "resource_group_name": "rg-dns",
        "relative_name": "scoring",
    }
    args.update(overrides)
    err, _ = _refused(lambda: DnsRecordBinding("rec", DnsRecordBindingArgs(**args)))
    assert str(err).startswith(input_name + ":"), str(err)
    assert err.fix and fix in err.fix, str(err)


# -- auth flags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["key_auth_enabled", "token_auth_enabled"])
def test_a_non_bool_sdk_v1_flag_is_named_as_the_endpoint_argument(pki, flag):
    # it was reported as 'endpoints[1].auth.token_auth_enabled', an argument that does not exist
    endpoints = [_ep(name="churn-key"), AksEndpointArgs(name="fraud-token", **{flag: "false"})]
    err, _ = _refused(lambda: _aks(pki, mode="v1-attach", endpoints=endpoints))
    assert err.input_name == f"endpoints[1].{flag}", str(err)


def test_a_non_bool_flag_of_the_plain_resolver_keeps_its_own_name():
    from secure_scoring.components.keys import resolve_auth_mode

    with pytest.raises(ConfigurationError) as info:
        resolve_auth_mode(None, platform="aks", token_auth_enabled="yes")
    assert info.value.input_name == "token_auth_enabled"
    with pytest.raises(ConfigurationError) as info:
        resolve_auth_mode(None, platform="aks", input_name="webservice", key_auth_enabled=1)
    assert info.value.input_name == "webservice.key_auth_enabled"


# -- DNS zones Azure cannot host ------------------------------------------------------------------------


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize(("zone", "relative"), [("test", "scoring.example"), ("io", "fabrikam")])
def test_a_single_label_zone_is_refused(zone, relative, private):
    # Azure DNS zones (public and private) have 2 to 34 labels: a record "in" the zone 'test' was
    # accepted and failed at deployment (the zone cannot exist)
    target = (
        {"target_ip": "10.20.0.50"} if private else {"target_fqdn": "fraud.northeurope.azurecontainer.io"}
    )
    err, _ = _refused(
        lambda: DnsRecordBinding(
            "rec",
            DnsRecordBindingArgs(
                zone_name=zone,
                resource_group_name="rg-dns",
                relative_name=relative,
                private=private,
                **target,
            ),
        )
    )
    assert err.input_name == "zone_name" and "2 to 34" in str(err), str(err)


def test_a_zone_of_35_labels_is_refused():
    zone = ".".join(["a"] * 34) + ".test"
    err, _ = _refused(
        lambda: DnsRecordBinding(
            "rec",
            DnsRecordBindingArgs(
                zone_name=zone, resource_group_name="rg", relative_name="x", target_ip="20.50.1.2"
            ),
        )
    )
    assert err.input_name == "zone_name", str(err)


# -- private registries ---------------------------------------------------------------------------------


def _warnings(rec) -> list[str]:
    return [msg for level, msg in rec.logs if level == "warning"]


def test_an_acr_image_without_a_credential_warns_that_the_pull_will_be_refused(pki):
    rec, _ = _ran(lambda: _aci(pki))  # fabrikamml.azurecr.io/fraud/scorer:3.1.4, no credentials
    (warning,) = [w for w in _warnings(rec) if "azurecr.io" in w]
    assert (
        warning.startswith("image: fabrikamml.azurecr.io")
        and "RegistryCredential(server='fabrikamml.azurecr.io'" in warning
    )


def test_an_acr_gateway_image_without_a_credential_warns_too(pki):
    creds = [RegistryCredential(server="fabrikamml.azurecr.io", username="pull", password="pw")]
    rec, _ = _ran(
        lambda: _aci(
            pki, gateway_image="mirror.azurecr.io/nginx:1.27-alpine", image_registry_credentials=creds
        )
    )
    assert [w.split(":")[0] for w in _warnings(rec) if "azurecr.io" in w] == ["gateway_image"]


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "image_registry_credentials": [
                RegistryCredential(server="FabrikamML.azurecr.io", username="u", password="p")
            ]
        },
        {"image": "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"},
        {"image": "ghcr.io/fabrikam/scorer:1"},
    ],
)
def test_no_pull_warning_when_the_registry_is_covered_or_not_an_acr(pki, overrides):
    rec, _ = _ran(lambda: _aci(pki, **overrides))
    assert [w for w in _warnings(rec) if "azurecr.io" in w] == []
