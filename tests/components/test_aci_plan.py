"""SecureAciService's plan steps, each alone (no Pulumi run): components/aci/plan.py."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from secure_scoring.components.aci import plan as p
from secure_scoring.components.aci.args import (
    DEFAULT_SCORER_IMAGE,
    INFERENCE_LOCALHOST,
    RegistryCredential,
    SecureAciServiceArgs,
)
from secure_scoring.errors import ConfigurationError

HOST = "scoring.example.test"


def fake_cert(source: str = "pem", hostnames: tuple[str, ...] = (HOST,), environment: str = "dev") -> Any:
    return SimpleNamespace(
        source=source,
        cert_pem="CERT",
        key_pem="KEY",
        hostname_list=list(hostnames),
        covers=lambda h: h in hostnames,
        environment=environment,
        is_self_signed=source in ("self_signed", "dev_ca"),
    )


def args(**overrides: Any) -> SecureAciServiceArgs:
    base: dict[str, Any] = {
        "resource_group_name": "rg",
        "certificate": fake_cert(),
        "hostname": HOST,
        "dns_name_label": "contoso-scoring",
    }
    return SecureAciServiceArgs(**{**base, **overrides})


def refused(fn, *a: Any, **kw: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        fn(*a, **kw)
    return str(info.value)


def test_plan_is_frozen_and_reads_the_tls_floor_from_the_gateway_settings():
    plan = p.plan_aci_service("svc", args(gateway_options={"min_tls_version": "1.3"}))
    assert plan.min_tls_version == plan.settings.min_tls_version == "1.3"
    assert plan.scoring_uri == f"https://{HOST}/score"
    with pytest.raises(AttributeError):
        plan.hostname = "x"  # type: ignore[misc]
    assert p.plan_aci_service("svc", args()).min_tls_version == "1.2"


def test_check_args():
    assert refused(p.check_args, object()).startswith("args:")
    import pulumi

    assert refused(p.check_args, args(auth=pulumi.Output.from_input("key"))).startswith("auth:")
    assert refused(p.check_args, args(resource_group_name="")).startswith("resource_group_name:")
    assert refused(p.check_args, args(tags={"a": 1})).startswith("tags['a']:")
    p.check_args(args())


def test_resolve_certificate():
    assert "TLS is always on" in refused(p.resolve_certificate, None)
    assert "expected a CertificateBundle" in refused(p.resolve_certificate, object())
    assert "only for AKS" in refused(p.resolve_certificate, fake_cert("microsoft_managed"))
    cert = fake_cert()
    assert p.resolve_certificate(cert) is cert


def test_resolve_hostname_uses_names():
    cert = fake_cert(hostnames=("xn--bcher-kva.example.test",))
    assert p.resolve_hostname("Bücher.Example.test.", cert) == "xn--bcher-kva.example.test"
    assert "IP address" in refused(p.resolve_hostname, "192.0.2.1", cert)
    assert "empty label" in refused(p.resolve_hostname, "xn--bcher-kva.example.test..", cert)
    assert "does not cover" in refused(p.resolve_hostname, "other.example.test", cert)


def test_resolve_dns_label():
    assert p.resolve_dns_label("Contoso-Scoring", "subscription_reuse") == (
        "contoso-scoring",
        "SubscriptionReuse",
    )
    assert "5-63" in refused(p.resolve_dns_label, "abcd", "TenantReuse")
    assert "take over" in refused(p.resolve_dns_label, "contoso-scoring", "Unsecure")
    assert "unknown scope" in refused(p.resolve_dns_label, "contoso-scoring", "Everyone")


def test_resolve_auth():
    auth = p.resolve_auth(args(auth="none", primary_key_version=2.0))
    assert auth.mode == "none" and auth.primary_version == "2"
    assert refused(p.resolve_auth, args(auth="token")).startswith("auth:")


def test_container_resources():
    r = p.container_resources(args(cpu=2, memory_gb=4))
    assert (r.cpu, r.memory_gb, r.gateway_cpu, r.gateway_memory_gb) == (2.0, 4.0, 0.25, 0.5)
    assert "at most 4 and 16" in refused(p.container_resources, args(cpu=4))
    assert refused(p.container_resources, args(memory_gb=True)).startswith("memory_gb:")


def test_check_images():
    assert refused(p.check_images, args(image="a b")).startswith("image:")
    assert refused(p.check_images, args(gateway_image="")).startswith("gateway_image:")


def test_scorer_environment():
    env, secure = p.scorer_environment(
        args(worker_count=2.0, environment_variables={"LOG": "info"}, secure_environment_variables={"S": "x"})
    )
    assert env["WORKER_COUNT"] == "2" and env["AML_APP_ROOT"] == "/var/azureml-app" and env["LOG"] == "info"
    assert secure == {"S": "x"}
    assert "set by the component" in refused(
        p.scorer_environment, args(environment_variables={"AZUREML_MODEL_DIR": "/m"})
    )
    assert "also given as a plain variable" in refused(
        p.scorer_environment, args(environment_variables={"A": "1"}, secure_environment_variables={"A": "2"})
    )


def test_scorer_command():
    default = p.scorer_command(args(), {})
    assert default is not None and default[:3] == ("python", "-c", INFERENCE_LOCALHOST)
    assert p.scorer_command(args(image="example.azurecr.io/s:1"), {}) is None
    assert p.scorer_command(args(scorer_command=["python", "s.py"]), {}) == ("python", "s.py")
    assert "single characters" in refused(p.scorer_command, args(scorer_command="python s.py"), {})
    assert args().image == DEFAULT_SCORER_IMAGE


def test_gateway_settings():
    settings = p.gateway_settings({"min_tls_version": "1.3"}, fake_cert("dev_ca"), HOST, "key")
    assert settings.min_tls_version == "1.3" and settings.private_ca is True and settings.hostnames == (HOST,)
    assert "set by SecureAciService" in refused(
        p.gateway_settings, {"hostnames": ["x"]}, fake_cert(), HOST, "key"
    )
    assert "not a gateway setting" in refused(p.gateway_settings, {"nope": 1}, fake_cert(), HOST, "key")
    assert "expected a mapping" in refused(p.gateway_settings, ["x"], fake_cert(), HOST, "key")


def test_resolve_identity():
    assert p.resolve_identity(None, False) == p.Identity(type=None, ids=())
    assert p.resolve_identity(["/id"], True).type == "SystemAssigned, UserAssigned"
    assert p.resolve_identity(["/id"], False).type == "UserAssigned"
    assert "one string" in refused(p.resolve_identity, "/id", False)
    assert refused(p.resolve_identity, None, "yes").startswith("system_assigned_identity:")


def test_resolve_registries():
    ids = p.Identity(type="UserAssigned", ids=("/id",))
    ok = RegistryCredential(server="r.azurecr.io", identity="/id")
    assert p.resolve_registries([ok], ids) == (ok,)
    assert "wrap it in a list" in refused(p.resolve_registries, ok, ids)
    assert "listed twice" in refused(p.resolve_registries, [ok, ok], ids)
    assert "does not have" in refused(
        p.resolve_registries, [RegistryCredential(server="r", identity="/x")], ids
    )
    assert "no username" in refused(p.resolve_registries, [RegistryCredential(server="r", password="p")], ids)


def test_resolve_environment():
    assert p.resolve_environment(None, fake_cert(environment="staging")) == "staging"
    assert "no client trusts" in refused(p.resolve_environment, "production", fake_cert("self_signed"))


def test_check_group_name():
    p.check_group_name("svc", None)
    p.check_group_name("Scoring_Prod", "scoring-prod")
    assert "auto-named" in refused(p.check_group_name, "Scoring", None)
    assert "not a container group name" in refused(p.check_group_name, "svc", "sc--oring")
