"""The catalogue: stable rule names and order, metadata, routing by type, the old import paths, the pack's
version, and rules that import no Pulumi."""

from __future__ import annotations

import subprocess
import sys

import pytest

from support.policy_rules import R


# --------------------------------------------------------------------------------------------- purity
def test_rules_module_imports_nothing_from_pulumi():
    code = "import sys, secure_scoring.policy.rules; print([m for m in sys.modules if m.split('.')[0] in ('pulumi','pulumi_policy','grpc','cryptography')])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


def test_catalogue_names_and_metadata():
    assert R.RULE_NAMES == (
        "tls-required",
        "no-self-signed-in-production",
        "single-auth-mode",
        "auth-required",
        "token-auth-aks-only",
        "min-tls-1-2",
        "cert-hostname-match",
        "cert-expiry",
    )
    for rule in R.RULES:
        assert rule.description and rule.remediation and rule.severity in R.SEVERITIES
        assert rule.kind in ("resource", "stack") and rule.default_enforcement == "mandatory"
        assert "enforcementLevel" not in rule.config_schema
    assert {r.name for r in R.RULES if r.production_only} == {"no-self-signed-in-production", "auth-required"}
    assert R.RULES_BY_NAME["cert-expiry"].defaults() == {"minDays": 30}


def test_each_rule_module_declares_its_rule_and_the_catalogue_keeps_the_order():
    import importlib

    from secure_scoring.policy import catalogue

    for rule in catalogue.RULES:
        module = importlib.import_module(f"secure_scoring.policy.rules.{rule.name.replace('-', '_')}")
        assert module.RULE is rule
    assert [r.name for r in catalogue.RESOURCE_RULES] == [
        r.name for r in catalogue.RULES if r.kind == "resource"
    ]


def test_the_pack_routes_each_type_to_the_rules_that_judge_it():
    from secure_scoring.policy import catalogue

    assert catalogue.resource_rules_for(R.CONTAINER_GROUP) == (
        "tls-required",
        "no-self-signed-in-production",
        "auth-required",
        "min-tls-1-2",
    )
    assert catalogue.resource_rules_for(R.ONLINE_ENDPOINT) == ("single-auth-mode", "auth-required")
    assert catalogue.resource_rules_for(R.ACI_SERVICE) == (
        "tls-required",
        "no-self-signed-in-production",
        "single-auth-mode",
        "auth-required",
        "token-auth-aks-only",
        "min-tls-1-2",
    )
    assert catalogue.resource_rules_for(R.PUBLIC_IP) == ()
    assert R.PUBLIC_IP in catalogue.STACK_TYPES and R.PUBLIC_IP not in catalogue.RESOURCE_TYPES


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("azure-native:containerinstance/v20230501:ContainerGroup", R.CONTAINER_GROUP),
        ("azure-native:containerinstance:ContainerGroupProfile", R.CONTAINER_GROUP),
        ("azure-native:containerinstance:CGProfile", R.CONTAINER_GROUP),
        ("azure-native:machinelearningservices/v20240101preview:Compute", R.ML_COMPUTE),
        (R.ACI_SERVICE, R.ACI_SERVICE),
    ],
)
def test_canonical_type(token, expected):
    assert R.canonical_type(token) == expected


def test_the_old_import_paths_keep_the_public_names():
    import secure_scoring.policy_pack as old_pack
    import secure_scoring.rules as old_rules
    from secure_scoring.policy import pack

    assert old_pack is pack and old_rules is R
    for name in (
        "RULES",
        "RULES_BY_NAME",
        "RULE_NAMES",
        "RULE_TYPES",
        "RuleContext",
        "StackResource",
        "canonical_type",
    ):
        assert getattr(old_rules, name) is not None


def test_pack_version_has_one_source():
    import tomllib
    from pathlib import Path

    import yaml

    from secure_scoring.policy import pack

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    policy_yaml = yaml.safe_load((root / "policies" / "PulumiPolicy.yaml").read_text())["version"]
    assert pack.PACK_VERSION == project == policy_yaml
