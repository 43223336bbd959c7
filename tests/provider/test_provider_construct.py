"""Construct over gRPC: the provider registers the same children with the same inputs as the Python
program does under the same mocks.

One deployment written twice: as a Python program (run under ``support.registrations``' golden
mocks and recording monitor, as ``tests/test_golden.py`` runs the stacks) and as the Construct calls
another language's SDK makes (inputs camelCase in a protobuf Struct, so every number a float;
nested Args as maps; the certificate as a resource reference; ``target_fqdn`` as the value of the
service's output with a dependency on it). Every registration (type, name, parent, inputs, the
options that change what Azure gets) and every ``register_outputs`` must be equal.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import grpc
import pulumi
import pytest
from google.protobuf import json_format, struct_pb2
from provider_host import PROJECT, ROOT, STACK, STACK_URN
from pulumi.runtime.proto import provider_pb2

from secure_scoring.components.aci import SecureAciServiceArgs
from secure_scoring.errors import ConfigurationError
from support.registrations import Normaliser, run_program

RESOURCE_SIG = {"4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e"}
SECRET_SIG = "4dabf18193072939515e22adb298388d"
HOST = "scoring.example.test"
AKS_HOST = "aks.example.test"
CLUSTER_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks/providers/"
    "Microsoft.ContainerService/managedClusters/aks1"
)

PROGRAM = textwrap.dedent(
    f'''
    import pulumi
    from secure_scoring import CertificateBundle, DnsRecordBinding, SecureAciService, SecureAksCluster
    from secure_scoring.components.aci import RegistryCredential, SecureAciServiceArgs
    from secure_scoring.components.aks import AksDnsArgs, AksEndpointArgs, SecureAksClusterArgs
    from secure_scoring.components.certificate_bundle import CertificateBundleArgs
    from secure_scoring.components.dns_binding import DnsRecordBindingArgs

    cert = CertificateBundle("cert", CertificateBundleArgs(
        source="self_signed", hostnames=["{HOST}", "{AKS_HOST}"], environment="dev", validity_days=90,
    ))
    svc = SecureAciService("svc", SecureAciServiceArgs(
        resource_group_name="rg-scoring", location="westeurope", certificate=cert,
        hostname="{HOST}", dns_name_label="crosslang-scoring", worker_count=2, cpu=1.0,
        primary_key_version=2,
        image_registry_credentials=[RegistryCredential(server="myacr.azurecr.io", username="puller",
                                                       password="pull-secret")],
        tags={{"team": "ml"}},
    ))
    DnsRecordBinding("dns", DnsRecordBindingArgs(
        zone_name="example.test", resource_group_name="rg-dns", relative_name="scoring",
        target_fqdn=svc.fqdn, certificate=cert, ttl=600,
    ))
    SecureAksCluster("aks", SecureAksClusterArgs(
        cluster_id="{CLUSTER_ID}", workspace_name="ws", workspace_resource_group_name="rg-ml",
        location="westeurope", certificate=cert, hostname="{AKS_HOST}",
        endpoints=[AksEndpointArgs(name="ep1", auth="key", min_instances=1, max_instances=3, target_utilization_percentage=70,
                                   model="azureml:model:1")],
        dns=AksDnsArgs(zone_name="example.test", resource_group_name="rg-dns", router_ip="20.50.2.3"),
    ))
    '''
)


def ref(urn: str) -> dict:
    return {**RESOURCE_SIG, "urn": urn, "packageVersion": ""}


# the same deployment as another language's SDK sends it: (type, name, inputs, dependencies)
def wire_calls(urns: dict[str, str], state: dict[str, dict]) -> list[tuple[str, str, dict, dict]]:
    return [
        (
            "CertificateBundle",
            "cert",
            {
                "source": "self_signed",
                "hostnames": [HOST, AKS_HOST],
                "environment": "dev",
                "validityDays": 90,
            },
            {},
        ),
        (
            "SecureAciService",
            "svc",
            {
                "resourceGroupName": "rg-scoring",
                "location": "westeurope",
                "certificate": ref(urns.get("cert", "")),
                "hostname": HOST,
                "dnsNameLabel": "crosslang-scoring",
                "workerCount": 2,
                "cpu": 1,
                "primaryKeyVersion": 2,
                "imageRegistryCredentials": [
                    {"server": "myacr.azurecr.io", "username": "puller", "password": "pull-secret"}
                ],
                "tags": {"team": "ml"},
            },
            {"certificate": [urns.get("cert", "")]},
        ),
        (
            "DnsRecordBinding",
            "dns",
            {
                "zoneName": "example.test",
                "resourceGroupName": "rg-dns",
                "relativeName": "scoring",
                "targetFqdn": state.get("svc", {}).get("fqdn"),
                "certificate": ref(urns.get("cert", "")),
                "ttl": 600,
            },
            {"targetFqdn": [urns.get("svc", "")], "certificate": [urns.get("cert", "")]},
        ),
        (
            "SecureAksCluster",
            "aks",
            {
                "clusterId": CLUSTER_ID,
                "workspaceName": "ws",
                "workspaceResourceGroupName": "rg-ml",
                "location": "westeurope",
                "certificate": ref(urns.get("cert", "")),
                "hostname": AKS_HOST,
                "endpoints": [
                    {
                        "name": "ep1",
                        "auth": "key",
                        "minInstances": 1,
                        "maxInstances": 3,
                        "targetUtilizationPercentage": 70,
                        "model": "azureml:model:1",
                    }
                ],
                "dns": {"zoneName": "example.test", "resourceGroupName": "rg-dns", "routerIp": "20.50.2.3"},
            },
            {"certificate": [urns.get("cert", "")]},
        ),
    ]


def construct(provider, servers, typ: str, name: str, inputs: dict, deps: dict):
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return provider.Construct(
        provider_pb2.ConstructRequest(
            project=PROJECT,
            stack=STACK,
            organization="organization",
            monitorEndpoint=servers.address,
            type="secure-scoring:index:" + typ,
            name=name,
            parent=STACK_URN,
            inputs=struct,
            inputDependencies={
                k: provider_pb2.ConstructRequest.PropertyDependencies(urns=v) for k, v in deps.items()
            },
            dryRun=False,
            accepts_output_values=False,
        ),
        timeout=120,
    )


def plain(value):
    """A state value without its secret envelope."""
    if isinstance(value, dict) and value.get(SECRET_SIG):
        return plain(value.get("value"))
    return value


# options that change what the engine and Azure get (the rest carry per-run callbacks, or
# dependencies, which for a remote component point at the component instead of inside it)
OPTIONS = ("additionalSecretOutputs", "replaceOnChanges", "deleteBeforeReplace", "protect", "ignoreChanges")


def comparable(registrations, outputs) -> dict:
    norm = Normaliser(ROOT)
    found = {}
    for reg in registrations:
        if reg["type"] == "pulumi:pulumi:Stack":
            continue
        reg = norm(reg)
        found[reg["urn"]] = {
            "type": reg["type"],
            "parent": reg["parent"],
            "custom": reg["custom"],
            "props": reg["props"],
            "options": {k: reg["options"][k] for k in OPTIONS if reg["options"].get(k)},
            "outputs": norm(outputs.get(reg["urn"], [])),
        }
    return found


@pytest.fixture(scope="module")
def python_run(tmp_path_factory) -> dict:
    program = tmp_path_factory.mktemp("python-program")
    (program / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n")
    (program / f"Pulumi.{STACK}.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text(PROGRAM)
    monitor, _ = run_program(program, STACK)
    return comparable(monitor.registrations, monitor.outputs)


@pytest.fixture(scope="module")
def provider_run(provider, servers) -> tuple[dict, dict[str, dict]]:
    servers.reset()
    urns: dict[str, str] = {}
    state: dict[str, dict] = {}
    for i in range(4):
        typ, name, inputs, deps = wire_calls(urns, state)[i]
        response = construct(provider, servers, typ, name, inputs, deps)
        urns[name] = response.urn
        state[name] = {k: plain(v) for k, v in json_format.MessageToDict(response.state).items()}
        state[name]["__raw__"] = json_format.MessageToDict(response.state)
    recording = servers.monitor.recording
    # Construct returns once the component's URN is known; its register_outputs (and its
    # children's) may still be on the wire
    components = [
        r["urn"]
        for r in recording.registrations
        if not r["custom"] and "::pulumi:pulumi:Stack::" not in r["urn"]
    ]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(u in recording.outputs for u in components):
        time.sleep(0.05)
    return comparable(recording.registrations, recording.outputs), state


def test_same_registrations_as_the_python_program(python_run, provider_run):
    registered, _ = provider_run
    types = {r["type"] for r in python_run.values()}
    assert {
        "secure-scoring:index:CertificateBundle",
        "secure-scoring:index:SecureAciService",
        "secure-scoring:index:SecureAksCluster",
        "secure-scoring:index:DnsRecordBinding",
        "azure-native:containerinstance:ContainerGroup",
        "azure-native:dns:RecordSet",
        "azure-native:kubernetesconfiguration:Extension",
        "azure-native:machinelearningservices:OnlineEndpoint",
    } <= types
    assert sorted(registered) == sorted(python_run)
    for urn in python_run:
        assert registered[urn] == python_run[urn], urn


def test_state_is_the_registered_outputs_in_camel_case(provider_run):
    _, state = provider_run
    svc = state["svc"]
    assert svc["scoringUri"] == f"https://{HOST}/score"
    assert svc["exposedPorts"] == [443]
    assert svc["endpoints"] == []
    # secrets stay secrets on the wire
    assert svc["__raw__"]["primaryKey"][SECRET_SIG] and svc["__raw__"]["secondaryKey"][SECRET_SIG]
    assert state["cert"]["__raw__"]["keyPem"][SECRET_SIG]
    aks = state["aks"]
    assert aks["endpoints"] == [
        {"name": "ep1", "authMode": "key", "keyAuthEnabled": True, "tokenAuthEnabled": False}
    ]
    assert aks["__raw__"]["endpointKeys"][SECRET_SIG]
    assert state["dns"]["ttl"] == 600 and state["dns"]["fqdn"] == HOST


def test_required_outputs_are_in_the_state(provider_run):
    from secure_scoring.provider import schema

    spec = schema()
    _, state = provider_run
    for name, typ in (
        ("cert", "CertificateBundle"),
        ("svc", "SecureAciService"),
        ("aks", "SecureAksCluster"),
    ):
        required = spec["resources"]["secure-scoring:index:" + typ]["required"]
        assert set(required) <= set(state[name]), (typ, set(required) - set(state[name]))


def _error(provider, servers, typ, name, inputs, deps=None) -> str:
    with pytest.raises(grpc.RpcError) as caught:
        construct(provider, servers, typ, name, inputs, deps or {})
    return caught.value.details()


def _python_error(args) -> str:
    from secure_scoring.components.aci.plan import plan_aci_service

    with pytest.raises(ConfigurationError) as caught:
        plan_aci_service("bad", args)
    return str(caught.value)


def test_errors_read_the_same_as_in_python(provider, servers, provider_run):
    cert_urn = next(u for u in provider_run[0] if u.endswith("::cert"))
    base = {
        "resourceGroupName": "rg",
        "certificate": ref(cert_urn),
        "hostname": HOST,
        "dnsNameLabel": "crosslang-bad",
    }
    for extra, python_kwargs in (
        ({"auth": "token"}, {"auth": "token"}),  # refused: token auth is AKS only
        ({"workerCount": 2.5}, {"worker_count": 2.5}),  # a fraction is not a worker count
        ({"workerCount": "two"}, {"worker_count": "two"}),  # nor a string (the SDK's int() raised)
    ):
        details = _error(
            provider, servers, "SecureAciService", "bad", {**base, **extra}, {"certificate": [cert_urn]}
        )
        expected = _python_error(
            SecureAciServiceArgs(
                resource_group_name="rg",
                certificate=_python_cert(),
                hostname=HOST,
                dns_name_label="crosslang-bad",
                **python_kwargs,
            )
        )
        assert expected in details, (expected, details)


def test_a_reference_to_an_unknown_certificate_is_refused(provider, servers):
    urn = f"urn:pulumi:{STACK}::{PROJECT}::secure-scoring:index:CertificateBundle::elsewhere"
    details = _error(
        provider,
        servers,
        "SecureAciService",
        "orphan",
        {"resourceGroupName": "rg", "certificate": ref(urn), "hostname": HOST, "dnsNameLabel": "x-orphan"},
        {"certificate": [urn]},
    )
    # the reference arrives as an output of its URN (it has a dependency): not a CertificateBundle
    assert "certificate: the resource reference is not a CertificateBundle of this program" in details


def _python_cert():
    """The certificate of the Python program, under mocks, for the Python side of an error."""
    from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs

    pulumi.runtime.set_mocks(_Mocks(), project=PROJECT, stack=STACK, preview=False)
    return CertificateBundle(
        "cert-py", CertificateBundleArgs(source="self_signed", hostnames=[HOST, AKS_HOST], environment="dev")
    )


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return f"{args.name}_id", dict(args.inputs)

    def call(self, args):
        return {}, []


def test_python_program_text_is_valid():
    compile(PROGRAM, "program", "exec")
    assert json.dumps(wire_calls({}, {}))  # the wire inputs are JSON
    assert Path(ROOT / "__main__.py").is_file()
