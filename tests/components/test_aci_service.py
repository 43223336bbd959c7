"""SecureAciService under mocks: exact children, the ContainerGroup as Azure would receive it, the
gateway files in the secret volume, refusals, key rotation and the facts the policy pack reads."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from secure_scoring.components.aci import (
    DEFAULT_GATEWAY_IMAGE,
    DEFAULT_SCORER_IMAGE,
    RegistryCredential,
    SecureAciService,
    SecureAciServiceArgs,
)
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.dataplane.gateway import (
    CONTAINER_CONFIG_DIR,
    SECRET_FILES,
    GatewaySettings,
    render_keys_disabled,
    render_keys_map,
    render_nginx_config,
)
from secure_scoring.errors import ConfigurationError
from secure_scoring.gate.mocking import (
    is_secret_envelope,
    output_is_secret,
    output_value,
    run_with_mocks,
    unwrap_secrets,
)

GROUP = "azure-native:containerinstance:ContainerGroup"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
SERVICE = "secure-scoring:index:SecureAciService"
HOST = "scoring.example.test"


@pytest.fixture(scope="module")
def pem_files(pki, tmp_path_factory):
    """The shared PKI's leaf as files: full chain (leaf + intermediate) and key."""
    d = tmp_path_factory.mktemp("aci-pem")
    chain = pki.leaf.write_chain(d / "chain.pem")
    return chain, pki.leaf.key_path, chain.read_text(), pki.leaf.key_pem


def deploy(pem_files, cert: str = "pem", expect_error: bool = False, **overrides: Any):
    """Run one SecureAciService (named ``svc``) under mocks; return (recording, service or error)."""
    chain, key, _, _ = pem_files
    box: dict[str, Any] = {}

    def program():
        if cert == "pem":
            bundle = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST])
        elif cert in ("self_signed", "dev_ca"):
            bundle = CertificateBundle(
                "cert", CertificateBundleArgs(source=cert, hostnames=[HOST], environment="dev")
            )
        else:
            bundle = CertificateBundle(
                "cert",
                CertificateBundleArgs(
                    source="microsoft_managed", leaf_domain_label="scoring", location="westeurope"
                ),
            )
        args = {
            "resource_group_name": "rg-scoring",
            "certificate": bundle,
            "hostname": HOST,
            "dns_name_label": "contoso-scoring",
            **overrides,
        }
        try:
            box["svc"] = SecureAciService("svc", SecureAciServiceArgs(**args))
        except ConfigurationError as exc:
            if not expect_error:
                raise
            box["error"] = exc

    rec = run_with_mocks(program)
    if expect_error:
        assert "error" in box, "expected a ConfigurationError"
        # refused before anything of the service was registered
        assert [r for r in rec.resources if r.type in (SERVICE, GROUP, RANDOM_PASSWORD)] == []
        return rec, box["error"]
    return rec, box["svc"]


def service_record(rec):
    return rec.one(SERVICE)


def volume_files(group) -> dict[str, str]:
    (volume,) = group.wire_inputs["volumes"]
    assert volume["name"] == "gateway-config"
    return {k: base64.b64decode(v).decode() for k, v in unwrap_secrets(volume["secret"]).items()}


def container(group, name: str) -> dict[str, Any]:
    return next(c for c in group.wire_inputs["containers"] if c["name"] == name)


def settings_for(auth: str, private_ca: bool = False) -> GatewaySettings:
    return GatewaySettings(
        hostnames=(HOST,),
        auth_mode=auth,
        upstream="127.0.0.1:5001",
        listen_port=443,
        config_dir=CONTAINER_CONFIG_DIR,
        private_ca=private_ca,
        # stapling needs a resolver: ACI's gateway uses Azure's platform DNS (issue 15)
        resolver=None if private_ca else "168.63.129.16",
    )


@pytest.fixture(scope="module")
def key_run(pem_files):
    return deploy(pem_files)


@pytest.fixture(scope="module")
def none_run(pem_files):
    return deploy(pem_files, auth="none")


# -- structure -----------------------------------------------------------------------------------------


def test_key_auth_children_are_exact(key_run):
    rec, svc = key_run
    comp = service_record(rec)
    children = rec.children_of(comp.urn)
    assert sorted((c.type, c.name, c.custom) for c in children) == [
        (GROUP, "svc-group", True),
        (RANDOM_PASSWORD, "svc-primary-key", True),
        (RANDOM_PASSWORD, "svc-secondary-key", True),
    ]
    # nothing else of the service anywhere in the program
    assert len(rec.by_type(GROUP)) == 1 and len(rec.by_type(RANDOM_PASSWORD)) == 2
    for pw in rec.by_type(RANDOM_PASSWORD):
        assert pw.inputs["special"] is False and pw.inputs["length"] == 48
        assert "result" in pw.additional_secret_outputs


def test_none_auth_has_only_the_group(none_run):
    rec, svc = none_run
    children = rec.children_of(service_record(rec).urn)
    assert [(c.type, c.name) for c in children] == [(GROUP, "svc-group")]
    assert svc.primary_key is None and svc.secondary_key is None
    outputs = service_record(rec).outputs
    assert outputs["auth_mode"] == "none" and outputs["key_auth_enabled"] is False
    assert outputs.get("primary_key") is None and outputs.get("secondary_key") is None


# -- the ContainerGroup as Azure receives it --------------------------------------------------------------


def test_group_exposes_only_443_with_a_secure_label_scope(key_run):
    rec, _ = key_run
    g = rec.one(GROUP).wire_inputs
    assert g["ipAddress"] == {
        "type": "Public",
        "ports": [{"port": 443.0, "protocol": "TCP"}],
        "dnsNameLabel": "contoso-scoring",
        "autoGeneratedDomainNameLabelScope": "TenantReuse",
    }
    assert g["osType"] == "Linux" and g["restartPolicy"] == "Always" and g["sku"] == "Standard"
    assert g["resourceGroupName"] == "rg-scoring"
    assert [c["name"] for c in g["containers"]] == ["scorer", "gateway"]
    # container ports: the scorer's 5001 is declared on its container (ACI's sidecar pattern, issue
    # 15), the group's IP (above) exposes 443 only
    ports = [(c["name"], p["port"]) for c in g["containers"] for p in c.get("ports", [])]
    assert ports == [("scorer", 5001.0), ("gateway", 443.0)]


def test_scorer_listens_on_localhost_and_gets_no_gateway_files(key_run):
    rec, _ = key_run
    scorer = container(rec.one(GROUP), "scorer")
    assert scorer["ports"] == [{"port": 5001.0, "protocol": "TCP"}] and "volumeMounts" not in scorer
    assert scorer["image"] == DEFAULT_SCORER_IMAGE
    cmd = scorer["command"]
    assert cmd[:2] == ["python", "-c"] and "DEFAULT_HOST = '127.0.0.1'" in cmd[2]
    assert cmd[3:] == [
        "--entry_script",
        "/var/azureml-app/score.py",
        "--model_dir",
        "/var/azureml-app/azureml-models",
        "--port",
        "5001",
    ]
    env = {e["name"]: e.get("value") for e in scorer["environmentVariables"]}
    assert env == {
        "AZUREML_ENTRY_SCRIPT": "/var/azureml-app/score.py",
        "AZUREML_MODEL_DIR": "/var/azureml-app/azureml-models",
        "AML_APP_ROOT": "/var/azureml-app",
    }
    assert scorer["resources"] == {
        "requests": {"cpu": 1.0, "memoryInGB": 1.5},
        "limits": {"cpu": 1.0, "memoryInGB": 1.5},
    }


def test_scorer_liveness_probe_checks_the_scorer_from_inside(key_run):
    rec, _ = key_run
    probe = container(rec.one(GROUP), "scorer")["livenessProbe"]
    command = probe["exec"]["command"]
    assert command[:2] == ["python", "-c"] and "http://127.0.0.1:5001/" in command[2]
    # Azure ML's liveness defaults: 30 failures 10 s apart before a restart (room for init())
    assert (probe["periodSeconds"], probe["failureThreshold"]) == (10, 30)
    assert "httpGet" not in probe  # an httpGet probe goes to the container IP, not 127.0.0.1


def test_scorer_liveness_probe_is_a_real_check(key_run):
    # the probe's program exits 0 against a server that answers GET /, non-zero when nothing listens
    import http.server
    import socket
    import subprocess
    import sys
    import threading

    rec, _ = key_run
    code = container(rec.one(GROUP), "scorer")["livenessProbe"]["exec"]["command"][2]

    class Healthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"Healthy")

        def log_message(self, *args):
            pass

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    local = code.replace("127.0.0.1:5001", f"127.0.0.1:{port}")
    assert subprocess.run([sys.executable, "-c", local], capture_output=True, timeout=30).returncode != 0
    server = http.server.HTTPServer(("127.0.0.1", port), Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert subprocess.run([sys.executable, "-c", local], capture_output=True, timeout=30).returncode == 0
    finally:
        server.shutdown()
        server.server_close()


def test_custom_scorer_image_gets_no_scorer_probe(pem_files):
    rec, _ = deploy(pem_files, image="contoso.azurecr.io/scorer:1")
    assert "livenessProbe" not in container(rec.one(GROUP), "scorer")


def test_gateway_container_runs_nginx_on_the_mounted_config_with_https_probes(key_run):
    rec, _ = key_run
    gw = container(rec.one(GROUP), "gateway")
    assert gw["image"] == DEFAULT_GATEWAY_IMAGE
    assert gw["command"] == ["nginx", "-e", "stderr", "-c", f"{CONTAINER_CONFIG_DIR}/nginx.conf"]
    assert gw["ports"] == [{"port": 443.0, "protocol": "TCP"}]
    assert gw["volumeMounts"] == [
        {"name": "gateway-config", "mountPath": CONTAINER_CONFIG_DIR, "readOnly": True}
    ]
    http = gw["readinessProbe"]["httpGet"]
    assert http["scheme"] == "https" and http["port"] == 443.0 and http["path"] == "/"
    assert http["httpHeaders"] == [{"name": "Host", "value": HOST}]
    # GET / is proxied to the scorer: a liveness probe here would restart nginx for a slow or stuck
    # scorer (and restart-loop the gateway while a large model loads); the scorer has its own.
    assert "livenessProbe" not in gw
    assert gw["resources"]["requests"] == gw["resources"]["limits"] == {"cpu": 0.25, "memoryInGB": 0.5}


def test_secret_volume_holds_the_rendered_gateway_files(key_run, pem_files):
    rec, svc = key_run
    group = rec.one(GROUP)
    (volume,) = group.wire_inputs["volumes"]
    assert is_secret_envelope(volume["secret"]), "the whole secret dict must be a Pulumi secret"
    files = volume_files(group)
    assert sorted(files) == sorted(SECRET_FILES)
    assert files["nginx.conf"] == render_nginx_config(settings_for("key")) == svc.nginx_conf
    assert files["tls.crt"] == pem_files[2]  # the full chain, leaf first
    assert files["tls.crt"].count("BEGIN CERTIFICATE") == 2
    assert files["tls.key"] == pem_files[3]
    primary, secondary = output_value(svc.primary_key), output_value(svc.secondary_key)
    assert files["keys.conf"] == render_keys_map(primary, secondary)
    assert "volumes" in group.additional_secret_outputs


def test_keys_appear_only_in_keys_conf(key_run):
    rec, svc = key_run
    primary, secondary = output_value(svc.primary_key), output_value(svc.secondary_key)
    group = rec.one(GROUP)
    files = volume_files(group)
    for name, text in files.items():
        if name != "keys.conf":
            assert primary not in text and secondary not in text, name
    assert primary in files["keys.conf"] and secondary in files["keys.conf"]
    # nowhere else in what the engine sees, nor in the component's props/outputs, nor in logs
    without_volume = {k: v for k, v in group.wire_inputs.items() if k != "volumes"}
    visible = json.dumps([without_volume, service_record(rec).wire_inputs, rec.logs])
    assert primary not in visible and secondary not in visible


def test_none_auth_volume_has_no_key_check(none_run):
    rec, _ = none_run
    files = volume_files(rec.one(GROUP))
    assert files["nginx.conf"] == render_nginx_config(settings_for("none"))
    assert files["keys.conf"] == render_keys_disabled()
    assert "keys.conf" not in files["nginx.conf"].split("# auth_mode none")[0].split("http {")[1]


@pytest.mark.parametrize("source", ["self_signed", "dev_ca"])
def test_generated_certificates_render_the_gateway_with_private_ca(pem_files, source):
    """self_signed and dev_ca have no public OCSP responder: the gateway gets private_ca=True
    (stapling off); a PEM certificate keeps stapling on."""
    rec, svc = deploy(pem_files, cert=source)
    files = volume_files(rec.one(GROUP))
    assert files["nginx.conf"] == render_nginx_config(settings_for("key", private_ca=True)) == svc.nginx_conf
    assert "ssl_stapling off;" in files["nginx.conf"] and "ssl_stapling on;" not in files["nginx.conf"]
    assert service_record(rec).inputs["certificateSource"] == source


def test_pem_certificate_keeps_ocsp_stapling_on(key_run):
    rec, svc = key_run
    conf = volume_files(rec.one(GROUP))["nginx.conf"]
    assert "ssl_stapling on;" in conf and "ssl_stapling_verify on;" in conf
    assert "ssl_stapling off;" not in conf


def test_gateway_options_can_still_set_private_ca(pem_files):
    rec, _ = deploy(pem_files, gateway_options={"private_ca": True})
    assert "ssl_stapling off;" in volume_files(rec.one(GROUP))["nginx.conf"]


def test_self_signed_certificate_turns_ocsp_stapling_off(pem_files):
    rec, _ = deploy(pem_files, cert="self_signed")
    files = volume_files(rec.one(GROUP))
    assert files["nginx.conf"] == render_nginx_config(settings_for("key", private_ca=True))
    assert "ssl_stapling off;" in files["nginx.conf"]
    props = service_record(rec).inputs
    assert props["selfSigned"] is True and props["certificateSource"] == "self_signed"


# -- secrets -------------------------------------------------------------------------------------------


def test_keys_are_secret_outputs(key_run):
    rec, svc = key_run
    assert output_is_secret(svc.primary_key) and output_is_secret(svc.secondary_key)
    outputs = service_record(rec).outputs
    assert is_secret_envelope(outputs["primary_key"]) and is_secret_envelope(outputs["secondary_key"])


def test_secure_env_and_registry_password_are_secret(pem_files):
    rec, _ = deploy(
        pem_files,
        environment_variables={"LOG_LEVEL": "info"},
        secure_environment_variables={"STORAGE_KEY": "s3cr3t-value"},
        image="contoso.azurecr.io/scorer:1.4",
        image_registry_credentials=[
            RegistryCredential(server="contoso.azurecr.io", username="pull", password="pw-123")
        ],
    )
    group = rec.one(GROUP)
    scorer = container(group, "scorer")
    env = {e["name"]: e for e in scorer["environmentVariables"]}
    assert env["LOG_LEVEL"] == {"name": "LOG_LEVEL", "value": "info"}
    assert is_secret_envelope(env["STORAGE_KEY"]["secureValue"]) and "value" not in env["STORAGE_KEY"]
    (cred,) = group.wire_inputs["imageRegistryCredentials"]
    assert cred["server"] == "contoso.azurecr.io" and cred["username"] == "pull"
    assert is_secret_envelope(cred["password"])
    assert set(group.additional_secret_outputs) == {"volumes", "containers", "imageRegistryCredentials"}
    # a user image keeps its own entrypoint (it must listen on 127.0.0.1:5001)
    assert "command" not in scorer


def test_secret_output_given_as_a_plain_variable_is_sent_as_secure_value(pem_files):
    # ACI shows a `value` in the portal and in every GET of the group; a Pulumi secret passed in
    # environment_variables must travel as `secureValue`, a non-secret Output stays a `value`.
    import pulumi

    def overrides():
        return {
            "environment_variables": {
                "DB_PASSWORD": pulumi.Output.secret("pw-from-config"),
                "STORAGE_ACCOUNT": pulumi.Output.from_input("contosostore"),
                "LOG_LEVEL": "info",
            }
        }

    chain, key, _, _ = pem_files
    box: dict[str, Any] = {}

    def program():
        bundle = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST])
        box["svc"] = SecureAciService(
            "svc",
            SecureAciServiceArgs(
                resource_group_name="rg-scoring",
                certificate=bundle,
                hostname=HOST,
                dns_name_label="contoso-scoring",
                **overrides(),
            ),
        )

    rec = run_with_mocks(program)
    group = rec.one(GROUP)
    env = {}
    for entry in container(group, "scorer")["environmentVariables"]:
        entry = unwrap_secrets(entry) if is_secret_envelope(entry) else entry
        env[entry["name"]] = entry
    assert "value" not in env["DB_PASSWORD"]
    assert unwrap_secrets(env["DB_PASSWORD"]["secureValue"]) == "pw-from-config"
    assert env["STORAGE_ACCOUNT"] == {"name": "STORAGE_ACCOUNT", "value": "contosostore"}
    assert env["LOG_LEVEL"] == {"name": "LOG_LEVEL", "value": "info"}
    assert "containers" in group.additional_secret_outputs


# -- refusals ------------------------------------------------------------------------------------------


def test_token_auth_is_refused_with_the_reason(pem_files):
    _, err = deploy(pem_files, expect_error=True, auth="token")
    assert str(err).startswith("auth:") and "AKS" in str(err)


@pytest.mark.parametrize("scope", ["Unsecure", "unsecure"])
def test_unsecure_label_scope_is_refused(pem_files, scope):
    _, err = deploy(pem_files, expect_error=True, dns_name_label_scope=scope)
    assert str(err).startswith("dns_name_label_scope:") and "TenantReuse" in str(err)


@pytest.mark.parametrize(
    ("given", "sent"),
    [("NoReuse", "Noreuse"), ("Noreuse", "Noreuse"), ("SubscriptionReuse", "SubscriptionReuse")],
)
def test_label_scopes_use_the_aci_spelling(pem_files, given, sent):
    rec, _ = deploy(pem_files, dns_name_label_scope=given)
    assert rec.one(GROUP).wire_inputs["ipAddress"]["autoGeneratedDomainNameLabelScope"] == sent


def test_hostname_not_covered_by_the_certificate_is_refused(pem_files):
    _, err = deploy(pem_files, expect_error=True, hostname="other.example.com")
    assert str(err).startswith("hostname:") and "does not cover other.example.com" in str(err)


@pytest.mark.parametrize("label", ["contoso_scoring", "-contoso", "contoso-", "a" * 64, "caf\u00e9!", ""])
def test_bad_dns_label_is_refused(pem_files, label):
    _, err = deploy(pem_files, expect_error=True, dns_name_label=label)
    assert str(err).startswith("dns_name_label:")


@pytest.mark.parametrize("label", ["abcd", "1scoring", "9-contoso"])
def test_dns_label_outside_aci_rules_is_refused(pem_files, label):
    # ACI refuses a DNS name label that is shorter than 5 characters or does not start with a letter
    # ("It can contain only lowercase letters, numbers and hyphens. The first character must be a
    # letter. The last character must be a letter or number. The value must be between 5 and 63
    # characters long."), although it is a valid host name label.
    _, err = deploy(pem_files, expect_error=True, dns_name_label=label)
    assert str(err).startswith("dns_name_label:")
    assert "5-63" in str(err) and "start with a letter" in str(err)


def test_upper_case_dns_label_is_sent_lower_case(pem_files):
    rec, svc = deploy(pem_files, dns_name_label="Contoso-Scoring")
    assert rec.one(GROUP).wire_inputs["ipAddress"]["dnsNameLabel"] == "contoso-scoring"
    assert svc.dns_name_label == "contoso-scoring"


def test_microsoft_managed_certificate_is_refused_on_aci(pem_files):
    _, err = deploy(pem_files, cert="microsoft_managed", expect_error=True)
    assert str(err).startswith("certificate:") and "only for AKS" in str(err)


@pytest.mark.parametrize(
    ("overrides", "input_name"),
    [
        ({"cpu": 0}, "cpu"),
        ({"memory_gb": "2"}, "memory_gb"),
        ({"cpu": 3.9, "gateway_cpu": 0.5}, "cpu"),
        ({"gateway_options": {"listen_port": 8443}}, "gateway_options"),
        ({"gateway_options": {"no_such_setting": 1}}, "gateway_options"),
        ({"gateway_options": {"max_body_size": "10m; evil"}}, "gateway.max_body_size"),
        ({"entry_script": "score.py"}, "entry_script"),
        ({"environment_variables": {"BAD-NAME": "x"}}, "environment_variables"),
        ({"primary_key_version": 1.5}, "primary_key_version"),
        (
            {"image_registry_credentials": [RegistryCredential(server="r.example")]},
            "image_registry_credentials",
        ),
        (
            {
                "image_registry_credentials": [
                    RegistryCredential(server="r.example", identity="/subscriptions/0/x/id")
                ]
            },
            "image_registry_credentials",
        ),
        ({"hostname": "127.0.0.1"}, "hostname"),
        # wrong types: a named refusal, not a traceback and not a silently wrong group
        (
            {
                "image_registry_credentials": RegistryCredential(
                    server="r.example", username="u", password="p"
                )
            },
            "image_registry_credentials",
        ),
        ({"environment_variables": [("LOG_LEVEL", "info")]}, "environment_variables"),
        ({"environment_variables": {"WORKERS": 2}}, "environment_variables['WORKERS']"),
        ({"secure_environment_variables": {"TOKEN": None}}, "secure_environment_variables['TOKEN']"),
        ({"scorer_command": "python score.py"}, "scorer_command"),
        ({"tags": ["team-ml"]}, "tags"),
        ({"hostname": [HOST]}, "hostname"),
        ({"gateway_options": ["max_body_size"]}, "gateway_options"),
        ({"system_assigned_identity": "yes"}, "system_assigned_identity"),
        ({"identity_ids": [5]}, "identity_ids[0]"),
    ],
)
def test_bad_arguments_are_refused_naming_the_input(pem_files, overrides, input_name):
    _, err = deploy(pem_files, expect_error=True, **overrides)
    assert str(err).startswith(input_name + ":"), str(err)


@pytest.mark.parametrize(
    ("field_name", "value"),
    [
        ("hostname", HOST),
        ("dns_name_label", "contoso-scoring"),
        ("image", DEFAULT_SCORER_IMAGE),
        ("auth", "key"),
    ],
)
def test_an_output_where_a_plain_value_is_required_is_refused_by_name(pem_files, field_name, value):
    import pulumi

    box: dict[str, Any] = {}
    chain, key, _, _ = pem_files

    def program():
        bundle = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST])
        args = {
            "resource_group_name": "rg",
            "certificate": bundle,
            "hostname": HOST,
            "dns_name_label": "contoso-scoring",
        }
        args[field_name] = pulumi.Output.from_input(value)  # made inside the program run
        try:
            SecureAciService("svc", SecureAciServiceArgs(**args))
        except ConfigurationError as exc:
            box["e"] = str(exc)

    rec = run_with_mocks(program)
    assert box["e"].startswith(field_name + ":"), box["e"]
    assert "pulumi Output" in box["e"] and "Fix:" in box["e"] and "object at 0x" not in box["e"]
    assert not rec.by_type(GROUP) and not rec.by_type(SERVICE)


@pytest.mark.parametrize("source", ["self_signed", "dev_ca"])
@pytest.mark.parametrize("environment", ["production", "Production", "PROD"])
def test_a_development_certificate_is_refused_when_the_service_declares_production(
    pem_files, source, environment
):
    _, err = deploy(pem_files, cert=source, expect_error=True, environment=environment)
    assert str(err).startswith("certificate:"), str(err)
    assert f"environment {environment!r} is production" in str(err) and source in str(err)
    _, err = deploy(pem_files, cert=source, expect_error=True, environment=1)
    assert str(err).startswith("environment:") and "got int" in str(err)
    deploy(pem_files, cert=source, environment="staging")  # not production: allowed


# -- rotation -------------------------------------------------------------------------------------------


def test_changing_the_secondary_version_changes_only_the_secondary_keeper(pem_files, key_run):
    before, _ = key_run
    after, _ = deploy(pem_files, primary_key_version=1, secondary_key_version=2.0)

    def keepers(rec):
        return {r.name: r.inputs["keepers"] for r in rec.by_type(RANDOM_PASSWORD)}

    assert keepers(before) == {"svc-primary-key": {"rotation": "1"}, "svc-secondary-key": {"rotation": "1"}}
    assert keepers(after) == {"svc-primary-key": {"rotation": "1"}, "svc-secondary-key": {"rotation": "2"}}


# -- options ---------------------------------------------------------------------------------------------


def test_identity_tags_location_and_sizes(pem_files):
    uami = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scorer"
    rec, _ = deploy(
        pem_files,
        identity_ids=[uami],
        system_assigned_identity=True,
        tags={"env": "dev"},
        location="northeurope",
        cpu=2,
        memory_gb=4,
        worker_count=2.0,
        gateway_options={"max_body_size": "50m"},
    )
    g = rec.one(GROUP).wire_inputs
    assert g["identity"] == {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": [uami]}
    assert g["tags"] == {"env": "dev"} and g["location"] == "northeurope"
    scorer = container(rec.one(GROUP), "scorer")
    assert scorer["resources"]["requests"] == {"cpu": 2.0, "memoryInGB": 4.0}
    assert scorer["command"][-2:] == ["--worker_count", "2"]
    assert "client_max_body_size 50m;" in volume_files(rec.one(GROUP))["nginx.conf"]


def test_user_assigned_identity_pulls_the_image(pem_files):
    uami = "/subscriptions/0/x/userAssignedIdentities/a"
    rec, _ = deploy(
        pem_files,
        identity_ids=[uami],
        image="contoso.azurecr.io/scorer:1",
        image_registry_credentials=[RegistryCredential(server="contoso.azurecr.io", identity=uami)],
    )
    g = rec.one(GROUP)
    assert g.wire_inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [uami]}
    assert g.wire_inputs["imageRegistryCredentials"] == [{"server": "contoso.azurecr.io", "identity": uami}]
    assert "imageRegistryCredentials" not in g.additional_secret_outputs  # no password to hide


# -- outputs and the facts the policy pack reads --------------------------------------------------------------


def test_outputs(key_run):
    rec, svc = key_run
    assert svc.scoring_uri == f"https://{HOST}/score"
    assert output_value(svc.fqdn) == "contoso-scoring.westeurope.azurecontainer.io"
    assert output_value(svc.ip_address) == rec.one(GROUP).state["ipAddress"]["ip"]
    assert output_value(svc.container_group_id).endswith(
        "/providers/Microsoft.ContainerInstance/containerGroups/svc-group"
    )
    assert svc.dns_target()[0] == "CNAME"


def test_props_and_registered_outputs_for_the_policy_pack(key_run, pki):
    rec, _ = key_run
    comp = service_record(rec)
    props = comp.inputs
    expected = {
        "platform": "aci",
        "tlsEnabled": True,
        "certificateSource": "pem",
        "selfSigned": False,
        "authMode": "key",
        "keyAuthEnabled": True,
        "tokenAuthEnabled": False,
        "minTlsVersion": "1.2",
        "environment": "dev",
        "hostname": HOST,
        "scoringUri": f"https://{HOST}/score",
        "dnsNameLabel": "contoso-scoring",
        "dnsNameLabelScope": "TenantReuse",
        "exposedPorts": [443.0],
    }
    assert {k: props[k] for k in expected} == expected
    assert HOST in props["certificateHostnames"]
    assert props["certificateNotAfter"][:4].isdigit()  # ISO 8601 from the real certificate
    out = comp.outputs
    assert out["platform"] == "aci" and out["tls_enabled"] is True and out["token_auth_enabled"] is False
    assert out["scoring_uri"] == f"https://{HOST}/score" and out["hostname"] == HOST
    assert out["fqdn"] == "contoso-scoring.westeurope.azurecontainer.io"
    assert out["exposed_ports"] == [443.0]


# -- the deployed bytes with the real parts ---------------------------------------------------------------


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _wait_http_ok(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback only)
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered 200:\n{log.read_text()[-3000:]}")


@pytest.mark.dataplane
def test_deployed_container_group_runs_with_the_real_inference_server_and_nginx(pem_files, pki):
    """Run the group's own scorer command and gateway files: only ports and paths are localised."""
    from secure_scoring.dataplane.local import free_port, listening_addresses
    from support.fixtures_dataplane import SCORING_APP, https_request
    from support.requirements import inference_python, require_binary

    python = inference_python()
    nginx = require_binary("nginx")
    rec, svc = deploy(
        pem_files, entry_script=str(SCORING_APP / "score.py"), model_dir=str(SCORING_APP / "model")
    )
    group = rec.one(GROUP)
    primary, secondary = output_value(svc.primary_key), output_value(svc.secondary_key)
    work = Path(tempfile.mkdtemp(prefix="aci-dataplane-"))
    procs: list[subprocess.Popen] = []
    try:
        # 1. the scorer exactly as the group starts it (its python is the inference venv's)
        scorer = container(group, "scorer")
        scorer_port = free_port()
        command = [python if c == "python" else c for c in scorer["command"]]
        command[command.index("--port") + 1] = str(scorer_port)
        env = {**os.environ, **{e["name"]: e["value"] for e in scorer["environmentVariables"]}}
        # gunicorn >= 25.1 opens a control socket in $XDG_RUNTIME_DIR or ~/.gunicorn: alone in a
        # container, but shared by every gunicorn on this machine; keep this one in the test's dir
        env["XDG_RUNTIME_DIR"] = str(work)
        scorer_log = work / "scorer.log"
        with open(scorer_log, "wb") as out:
            procs.append(
                subprocess.Popen(
                    command, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        _wait_http_ok(f"http://127.0.0.1:{scorer_port}/", procs[-1], scorer_log)
        assert listening_addresses(scorer_port) == {"127.0.0.1"}, "the scorer must listen on loopback only"

        # 2. the gateway's secret volume, as mounted, with container paths and ports localised
        os.chmod(work, 0o711)  # noqa: S103 (nginx workers traverse to their temp dirs)
        conf_dir, run_dir = work / "conf", work / "run"
        conf_dir.mkdir(mode=0o700)
        run_dir.mkdir(mode=0o711)
        gateway_port = free_port()
        files = volume_files(group)
        conf = files["nginx.conf"]
        for old, new in (
            (" /tmp/secure-scoring-", f" {run_dir}/secure-scoring-"),
            (f"{CONTAINER_CONFIG_DIR}/", f"{conf_dir}/"),
            ("listen 443 ssl", f"listen 127.0.0.1:{gateway_port} ssl"),
            ("server 127.0.0.1:5001;", f"server 127.0.0.1:{scorer_port};"),
        ):
            assert old in conf, old
            conf = conf.replace(old, new)
        for name, text in {**files, "nginx.conf": conf}.items():
            (conf_dir / name).write_text(text)
        nginx_log = work / "nginx.log"
        args = [nginx, "-e", str(nginx_log), "-p", str(work), "-c", str(conf_dir / "nginx.conf")]
        tested = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True, check=False)
        assert tested.returncode == 0, (
            tested.stderr + nginx_log.read_text() if nginx_log.exists() else tested.stderr
        )
        with open(work / "nginx.out", "wb") as out:
            procs.append(subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))

        def call(headers=None, method="POST", path="/score"):
            deadline = time.monotonic() + 15
            while True:
                try:
                    return https_request(
                        gateway_port,
                        method,
                        path,
                        ca_bundle=pki.ca_bundle_path,
                        hostname=HOST,
                        headers={"Content-Type": "application/json", **(headers or {})},
                        body=None if method == "GET" else json.dumps({"x": 1}),
                    )
                except ConnectionRefusedError:
                    assert procs[-1].poll() is None, (work / "nginx.out").read_text()
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

        assert call(method="GET", path="/").status == 200  # health needs no key
        for key in (primary, secondary):
            ok = call({"Authorization": f"Bearer {key}"})
            assert ok.status == 200, ok.body
            assert ok.json()["echo"] == {"x": 1} and ok.json()["authorization_seen"] is False
            assert ok.tls_version in ("TLSv1.2", "TLSv1.3")
        for bad in (None, f"bearer {primary}", f"Bearer {primary}x", f"Bearer {secondary.lower()}"):
            denied = call({"Authorization": bad} if bad else None)
            assert denied.status == 401, bad
            assert denied.headers["WWW-Authenticate"].startswith("Bearer")
    finally:
        for proc in reversed(procs):
            _stop(proc)
        shutil.rmtree(work, ignore_errors=True)


# -- the policy pack on what the component registers ---------------------------------------------------


def _judged(
    pem_files, stack: str, environment: str, policy_config: Any = None, **overrides: Any
) -> set[tuple[str, str, str]]:
    from secure_scoring.policy import pack as policy_pack

    chain, key, _, _ = pem_files

    def program():
        cert = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST], environment=environment)
        args = {
            "resource_group_name": "rg",
            "certificate": cert,
            "hostname": HOST,
            "dns_name_label": "contoso-lbl",
        }
        SecureAciService("svc", SecureAciServiceArgs(**{**args, **overrides}))

    rec = run_with_mocks(program, stack=stack)
    found = policy_pack.evaluate(rec.resources, stack=stack, project="project", policy_config=policy_config)
    return {(d.rule, d.resource_type, d.enforcement) for d in found if d.judged}


def test_policy_pack_passes_the_default_service_in_production(pem_files):
    assert _judged(pem_files, "production", "production") == set()


def test_policy_pack_rejects_auth_none_in_production_and_only_advises_in_dev(pem_files):
    assert _judged(pem_files, "production", "production", auth="none") == {
        ("auth-required", SERVICE, "mandatory")
    }
    dev = _judged(pem_files, "dev", "dev", auth="none")
    assert {enforcement for _, _, enforcement in dev} <= {"advisory"}
    assert ("auth-required", SERVICE, "advisory") in dev


def test_the_tls_floor_the_gateway_renders_is_the_fact_the_pack_reads(pem_files):
    """Issue 11: gateway_options min_tls_version "1.3" rendered TLSv1.3 but registered the fact "1.2"."""
    rec, svc = deploy(pem_files, gateway_options={"min_tls_version": "1.3"})
    service = rec.one(SERVICE)
    assert service.inputs["minTlsVersion"] == "1.3"
    assert service.outputs["min_tls_version"] == "1.3"
    assert svc.gateway_settings.min_tls_version == "1.3"
    conf = volume_files(rec.one(GROUP))["nginx.conf"]
    assert conf == svc.nginx_conf and "ssl_protocols TLSv1.3;" in conf
    strict = {"min-tls-1-2": {"minVersion": "1.3"}}
    judged = _judged(
        pem_files, "production", "production", strict, gateway_options={"min_tls_version": "1.3"}
    )
    assert not {rule for rule, _, _ in judged} & {"min-tls-1-2"}, judged
    default = _judged(pem_files, "production", "production", strict)
    assert ("min-tls-1-2", SERVICE, "mandatory") in default, default


# -- container group name (ARM: 1-63 lower-case letters, digits, hyphens; no edge or double hyphen) ---


def _deploy_named(pem_files, name: str, **overrides: Any):
    chain, key, _, _ = pem_files
    box: dict[str, Any] = {}

    def program():
        bundle = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST])
        args = {
            "resource_group_name": "rg-scoring",
            "certificate": bundle,
            "hostname": HOST,
            "dns_name_label": "contoso-scoring",
            **overrides,
        }
        try:
            box["svc"] = SecureAciService(name, SecureAciServiceArgs(**args))
        except ConfigurationError as exc:
            box["error"] = exc

    rec = run_with_mocks(program)
    return rec, box


@pytest.mark.parametrize("name", ["Scoring", "scoring_prod", "scoring--prod", "s" * 50])
def test_component_name_that_auto_names_an_invalid_group_is_refused(pem_files, name):
    rec, box = _deploy_named(pem_files, name)
    assert str(box["error"]).startswith("container_group_name:")
    assert [r for r in rec.resources if r.type in (SERVICE, GROUP)] == []


def test_component_name_does_not_matter_with_an_explicit_group_name(pem_files):
    rec, box = _deploy_named(pem_files, "Scoring_Prod", container_group_name="scoring-prod")
    assert "error" not in box
    assert rec.one(GROUP).wire_inputs["containerGroupName"] == "scoring-prod"


@pytest.mark.parametrize(
    "group_name", ["Scoring", "-scoring", "scoring-", "sc--oring", "s" * 64, "scoring.prod"]
)
def test_invalid_container_group_name_is_refused(pem_files, group_name):
    rec, box = _deploy_named(pem_files, "svc", container_group_name=group_name)
    assert str(box["error"]).startswith("container_group_name:")
    assert [r for r in rec.resources if r.type in (SERVICE, GROUP)] == []
