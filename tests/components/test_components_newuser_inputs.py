"""A new user's own programs: numbers read from stack config, local paths where Azure wants assets.

Each input below is what someone writes first (``pulumi.Config().get("cpu")`` returns a string; the
az ml CLI takes ``model: ./model``). The component must refuse it at construction, registering
nothing of itself, with a message that names the input and a fix that can be followed.
"""

from __future__ import annotations

from typing import Any

import pytest

from secure_scoring.components.aci import SecureAciService, SecureAciServiceArgs
from secure_scoring.components.aks import AksEndpointArgs, SecureAksCluster, SecureAksClusterArgs
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs
from secure_scoring.gate.mocking import run_with_mocks
from support.refusals import refused

HOST = "scoring.example.test"
CLUSTER_ID = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aks-ne/providers/"
    "Microsoft.ContainerService/managedClusters/aks-inference-ne"
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
            cert_pem=pki.leaf.chain_pem(),
            key_pem=pki.leaf.key_pem,
            hostnames=[HOST],
            environment="production",
        ),
    )


def _refused(build):
    err, rec = refused(build)
    leaked = [r.type for r in rec.resources if r.type in DEPLOYED or not r.type.startswith("secure-scoring")]
    assert leaked == [], leaked
    return err


def _aci(pki, **overrides: Any) -> SecureAciService:
    args: dict[str, Any] = {
        "resource_group_name": "rg-fraud-ne",
        "hostname": HOST,
        "dns_name_label": "fabrikam-fraud",
    }
    args.update(overrides)
    if "certificate" not in args:
        args["certificate"] = _bundle(pki)
    return SecureAciService("fraud", SecureAciServiceArgs(**args))


def _aks(pki, certificate: CertificateBundle | None = None, environment: str | None = None, **endpoint: Any):
    return SecureAksCluster(
        "fraud",
        SecureAksClusterArgs(
            cluster_id=CLUSTER_ID,
            workspace_name="mlw-fraud",
            workspace_resource_group_name="rg-ml-ne",
            location="northeurope",
            certificate=certificate or _bundle(pki),
            environment=environment,
            endpoints=[AksEndpointArgs(**{"name": "fraud-score", "auth": "key", **endpoint})],
        ),
    )


# -- numbers from pulumi.Config().get(): strings ------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "input_name", "reader"),
    [
        (lambda pki: _aci(pki, cpu="1.5"), "cpu", "require_float"),
        (lambda pki: _aci(pki, memory_gb="2"), "memory_gb", "require_float"),
        (
            lambda pki: _aks(pki, min_instances="2", max_instances=2),
            "endpoints[0].min_instances",
            "require_int",
        ),
        (
            lambda pki: DnsRecordBinding(
                "fraud-dns",
                DnsRecordBindingArgs(
                    zone_name="example.test",
                    resource_group_name="rg-dns",
                    relative_name="scoring",
                    target_ip="20.50.1.2",
                    certificate_hostnames=[HOST],
                    ttl="300",
                ),
            ),
            "ttl",
            "require_int",
        ),
    ],
)
def test_a_number_read_as_a_config_string_names_the_typed_reader(pki, build, input_name, reader):
    # was "cpu: '1.5' is not a number. Fix: give vCPUs between 0 and 4", which 1.5 is
    err = _refused(lambda: build(pki))
    assert str(err).startswith(input_name + ":"), str(err)
    assert "string" in err.problem, str(err)
    assert err.fix and reader in err.fix, str(err)


def test_a_number_out_of_range_keeps_its_message(pki):
    err = _refused(lambda: _aci(pki, cpu=-1))
    assert str(err) == "cpu: -1 is outside (0, 4]. Fix: give vCPUs between 0 and 4"


# -- local paths --------------------------------------------------------------------------------------


def test_aci_model_dir_example_is_a_model_directory(pki):
    # the fix proposed the entry script's path '/var/azureml-app/score.py' as the model directory
    err = _refused(lambda: _aci(pki, model_dir="./model"))
    assert str(err).startswith("model_dir:"), str(err)
    assert "'/var/azureml-app/azureml-models'" in err.fix and "score.py" not in err.fix, str(err)


@pytest.mark.parametrize(
    ("field", "value", "command"),
    [
        ("model", "./model", "az ml model create"),
        ("model", "models/fraud", "az ml model create"),
        ("code_id", "./src", "az ml code create"),
        ("environment_id", "~/envs/sklearn", "az ml environment create"),
    ],
)
def test_aks_local_path_for_an_asset_is_refused(pki, field, value, command):
    # was sent as is ("model": "./model"): Azure ML refuses the deployment, after the extension and
    # the compute were created
    extra = {"scoring_script": "score.py"} if field == "code_id" else {}
    err = _refused(lambda: _aks(pki, **{field: value}, **extra))
    assert str(err).startswith(f"endpoints[0].{field}:"), str(err)
    assert "local path" in err.problem and command in err.fix and "azureml:<name>:<version>" in err.fix


def test_aks_local_directory_given_by_absolute_path_is_refused(pki, tmp_path):
    err = _refused(lambda: _aks(pki, model=str(tmp_path)))
    assert str(err).startswith("endpoints[0].model:"), str(err)


@pytest.mark.parametrize(
    "model",
    [
        "azureml:fraud-model:3",
        "azureml://registries/azureml/models/fraud/versions/3",
        "/subscriptions/0/resourceGroups/rg-ml-ne/providers/Microsoft.MachineLearningServices/"
        "workspaces/mlw-fraud/models/fraud/versions/3",
    ],
)
def test_aks_asset_ids_still_pass(pki, model):
    rec = run_with_mocks(lambda: _aks(pki, model=model), stack="production")
    deployment = rec.one("azure-native:machinelearningservices:OnlineDeployment")
    assert deployment.wire_inputs["properties"]["model"].endswith("versions/3")


# -- a production service, a bundle left at its default environment ('dev') ---------------------------


def _dev_bundle(pki, **extra: Any) -> CertificateBundle:
    # the bundle's environment is left out (default 'dev'): an undeclared issuer is only a warning there
    return CertificateBundle(
        "cert",
        CertificateBundleArgs(
            cert_pem=pki.leaf.chain_pem(), key_pem=pki.leaf.key_pem, hostnames=[HOST], **extra
        ),
    )


@pytest.mark.parametrize("platform", ["aci", "aks"])
def test_production_service_refuses_a_chain_nobody_declared(pki, real_trust_store, platform):
    # was accepted: the service declared production, the bundle (dev) only warned [issuer-unknown], and
    # the pack judges the service's facts (no chain trust there) and the bundle by its own environment
    if platform == "aci":
        build = lambda: _aci(pki, certificate=_dev_bundle(pki), environment="production")  # noqa: E731
    else:
        build = lambda: _aks(pki, certificate=_dev_bundle(pki), environment="production")  # noqa: E731
    err, rec = refused(build, stack="dev")
    assert [
        r.type for r in rec.resources if r.type in DEPLOYED or not r.type.startswith("secure-scoring")
    ] == []
    assert getattr(err, "rule", None) == "no-self-signed-in-production"
    assert str(err).startswith("certificate:") and "does not verify to a public root or a declared CA" in str(
        err
    )
    assert "ca_bundle_pem=" in err.fix and "ca_bundle_file=" in err.fix


def test_production_service_accepts_the_chain_once_its_ca_is_declared(pki, real_trust_store):
    root = pki.ca_bundle_path.read_text()
    rec = run_with_mocks(
        lambda: _aci(pki, certificate=_dev_bundle(pki, ca_bundle_pem=root), environment="production"),
        stack="dev",
    )
    assert rec.one("azure-native:containerinstance:ContainerGroup")


def test_undeclared_issuer_warning_says_how_to_declare_it_on_the_bundle(pki, real_trust_store):
    # the warning's fix named only cert check's --ca-bundle FILE, which a program cannot pass
    rec = run_with_mocks(lambda: _dev_bundle(pki), stack="dev")
    warnings = [m for level, m in rec.logs if level == "warning" and "[issuer-unknown]" in m]
    assert warnings and all("ca_bundle_pem=" in w and "ca_bundle_file=" in w for w in warnings), warnings
