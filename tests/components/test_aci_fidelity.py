"""What the first real ``pulumi up`` of a SecureAciService would hit (issue 15): changes ACI cannot
apply in place, current images, the scorer's localhost binding whatever the inference server's
version, the scorer's port on its container, and OCSP stapling that can work."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from secure_scoring.components.aci import (
    DEFAULT_GATEWAY_IMAGE,
    DEFAULT_SCORER_IMAGE,
    REPLACE_ON_CHANGES,
    RegistryCredential,
    SecureAciService,
    SecureAciServiceArgs,
)
from secure_scoring.components.aci.args import INFERENCE_LOCALHOST_GUARD, is_inference_image
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.gate.mocking import run_with_mocks, unwrap_secrets

GROUP = "azure-native:containerinstance:ContainerGroup"
HOST = "scoring.example.test"
ROOT = Path(__file__).resolve().parents[2]
INFERENCE_PYTHON = ROOT / ".venv-inference" / "bin" / "python"


@pytest.fixture(scope="module")
def pem(pki, tmp_path_factory):
    d = tmp_path_factory.mktemp("aci-fidelity")
    return pki.leaf.write_chain(d / "chain.pem"), pki.leaf.key_path


def group_of(pem, cert: str = "pem", **overrides: Any):
    chain, key = pem

    def program():
        if cert == "pem":
            bundle = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST])
        else:
            bundle = CertificateBundle(
                "cert", CertificateBundleArgs(source=cert, hostnames=[HOST], environment="dev")
            )
        args = {
            "resource_group_name": "rg-scoring",
            "certificate": bundle,
            "hostname": HOST,
            "dns_name_label": "contoso-scoring",
            **overrides,
        }
        SecureAciService("svc", SecureAciServiceArgs(**args))

    return run_with_mocks(program).one(GROUP)


def container(group, name: str) -> dict[str, Any]:
    return next(c for c in group.wire_inputs["containers"] if c["name"] == name)


def nginx_conf(group) -> str:
    (volume,) = group.wire_inputs["volumes"]
    return base64.b64decode(unwrap_secrets(volume["secret"])["nginx.conf"]).decode()


def camel(snake: str) -> str:
    head, *rest = snake.rstrip("_").split("_")
    return head + "".join(w.title() for w in rest)


# -- changes ACI cannot apply in place ---------------------------------------------------------------
def test_group_replaces_deleting_first_on_changes_aci_cannot_apply(pem):
    group = group_of(pem)
    assert group.replace_on_changes == ["containers[*].resources", "osType", "restartPolicy"]
    # the new group takes the same DNS label only once the old one is gone
    assert group.delete_before_replace is True


def test_replace_paths_are_azure_natives_property_names():
    """Each path names an input of azure-native's ContainerGroup (camelCase, as the engine diffs)."""
    import inspect

    from pulumi_azure_native import containerinstance as ci

    group_inputs = {camel(n) for n in inspect.signature(ci.ContainerGroupArgs.__init__).parameters}
    container_inputs = {camel(n) for n in inspect.signature(ci.ContainerArgs.__init__).parameters}
    for path in REPLACE_ON_CHANGES:
        if path.startswith("containers[*]."):
            assert "containers" in group_inputs
            assert path.removeprefix("containers[*].") in container_inputs, path
        else:
            assert path in group_inputs, path


@pytest.mark.parametrize(
    "change",
    [{"cpu": 2.0}, {"memory_gb": 3.0}, {"gateway_cpu": 0.5}, {"gateway_memory_gb": 1.0}],
)
def test_each_resource_input_lands_under_a_replacing_path(pem, change):
    """cpu, memory_gb, gateway_cpu and gateway_memory_gb change only containers[*].resources."""
    before, after = group_of(pem), group_of(pem, **change)
    changed = {
        key
        for key in set(before.wire_inputs) | set(after.wire_inputs)
        # the secret volume holds keys the mocks generate anew in each run
        if key != "volumes" and before.wire_inputs.get(key) != after.wire_inputs.get(key)
    }
    assert changed == {"containers"}
    diff = [
        field
        for b, a in zip(before.wire_inputs["containers"], after.wire_inputs["containers"], strict=True)
        for field in set(b) | set(a)
        if b.get(field) != a.get(field)
    ]
    assert diff == ["resources"]


# -- the scorer's port ---------------------------------------------------------------------------
def test_scorer_port_is_declared_on_its_container_not_on_the_group_ip(pem):
    group = group_of(pem)
    assert container(group, "scorer")["ports"] == [{"port": 5001.0, "protocol": "TCP"}]
    assert group.wire_inputs["ipAddress"]["ports"] == [{"port": 443.0, "protocol": "TCP"}]


# -- images --------------------------------------------------------------------------------------
def test_default_images_are_current_and_pinned():
    # Azure ML's minimal inference image of Python 3.11, not the superseded 3.9 one, pinned by tag
    assert re.fullmatch(
        r"mcr\.microsoft\.com/azureml/curated/minimal-py3(1[1-9])-inference:\d+", DEFAULT_SCORER_IMAGE
    )
    # nginx of the 1.30 stable line, not Docker Hub's anonymous (rate-limited) short name
    host = DEFAULT_GATEWAY_IMAGE.split("/", 1)[0]
    assert "." in host and host != "docker.io"
    assert re.search(r"/nginx:1\.(3\d)-alpine$", DEFAULT_GATEWAY_IMAGE)
    for image in (DEFAULT_SCORER_IMAGE, DEFAULT_GATEWAY_IMAGE):
        assert not image.endswith(":latest")


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (DEFAULT_SCORER_IMAGE, True),
        ("contoso.azurecr.io/azureml/curated/minimal-py311-inference:59", True),
        ("contoso.azurecr.io/minimal-py312-inference@sha256:" + "a" * 64, True),
        ("mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest", True),
        ("contoso.azurecr.io/scorer:1", False),
        ("contoso.azurecr.io/minimal-inference-tools:1", False),
    ],
)
def test_inference_image_is_recognised_in_any_registry(image, expected):
    assert is_inference_image(image) is expected


def test_a_copy_in_your_acr_runs_the_localhost_bound_server(pem):
    image = "contoso.azurecr.io/azureml/curated/minimal-py311-inference:59"
    cred = RegistryCredential(server="contoso.azurecr.io", username="contoso", password="s3cret")
    group = group_of(pem, image=image, image_registry_credentials=[cred])
    scorer = container(group, "scorer")
    assert scorer["image"] == image
    assert scorer["command"][:2] == ["python", "-c"]
    assert "livenessProbe" in scorer
    assert group.wire_inputs["imageRegistryCredentials"][0]["server"] == "contoso.azurecr.io"


def test_gateway_image_can_come_from_your_registry(pem):
    image = "contoso.azurecr.io/nginx:1.30-alpine"
    cred = RegistryCredential(server="contoso.azurecr.io", username="contoso", password="s3cret")
    group = group_of(pem, gateway_image=image, image_registry_credentials=[cred])
    assert container(group, "gateway")["image"] == image


def test_inference_server_false_uses_the_images_entrypoint(pem):
    scorer = container(group_of(pem, inference_server=False), "scorer")
    assert "command" not in scorer and "livenessProbe" not in scorer


def test_inference_server_true_for_your_own_image(pem):
    scorer = container(group_of(pem, image="contoso.azurecr.io/scorer:1", inference_server=True), "scorer")
    assert scorer["command"][:2] == ["python", "-c"] and "livenessProbe" in scorer


@pytest.mark.skipif(not INFERENCE_PYTHON.exists(), reason="needs .venv-inference (make setup)")
def test_localhost_guard_rebinds_whatever_host_the_server_passes_to_gunicorn():
    """Independent of the server's module globals: a version that passes 0.0.0.0 (or anything) to
    gunicorn ends up bound to 127.0.0.1, each port kept."""
    probe = (
        INFERENCE_LOCALHOST_GUARD
        + "import sys, gunicorn.app.wsgiapp as w\n"
        + "sys.argv = ['azmlinfsrv', '-b', '0.0.0.0:5001', '-b', '[::]:5002', 'app:app']\n"
        + "print(w.WSGIApplication('%(prog)s').cfg.bind)\n"
    )
    out = subprocess.run([str(INFERENCE_PYTHON), "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['127.0.0.1:5001', '127.0.0.1:5002']"


@pytest.mark.skipif(not INFERENCE_PYTHON.exists(), reason="needs .venv-inference (make setup)")
def test_inference_localhost_finds_the_server_through_its_console_script():
    """The command starts azmlinfsrv's entry point (whatever module holds it in that version)."""
    out = subprocess.run(
        [
            str(INFERENCE_PYTHON),
            "-c",
            "import importlib.metadata as m; (s,) = m.entry_points(group='console_scripts', name='azmlinfsrv'); print(s.value)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.strip().startswith("azureml_inference_server_http")


def test_inference_localhost_compiles():
    from secure_scoring.components.aci import INFERENCE_LOCALHOST

    compile(INFERENCE_LOCALHOST, "<scorer command>", "exec")
    assert sys.version_info >= (3, 10)  # entry_points(group=, name=) as the image's Python has it


# -- OCSP stapling -----------------------------------------------------------------------------------
def test_stapling_has_azures_resolver_for_a_ca_certificate(pem):
    conf = nginx_conf(group_of(pem))
    assert "ssl_stapling on;" in conf
    assert "resolver 168.63.129.16 " in conf


def test_stapling_is_off_without_a_resolver_for_a_dev_certificate(pem):
    conf = nginx_conf(group_of(pem, cert="dev_ca"))
    assert "ssl_stapling off;" in conf and "resolver " not in conf


def test_a_given_resolver_wins(pem):
    conf = nginx_conf(group_of(pem, gateway_options={"resolver": "10.0.0.10"}))
    assert "resolver 10.0.0.10 " in conf and "168.63.129.16" not in conf
