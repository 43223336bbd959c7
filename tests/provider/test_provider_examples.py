"""The YAML and TypeScript examples use the schema as it is: every type token exists, every property
is an input of that component, every required input is given. (They are not run: no Pulumi CLI.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from secure_scoring.provider import schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> dict:
    return schema()


def _check(spec: dict, token: str, props: set[str]) -> None:
    resource = spec["resources"][token]
    assert props <= set(resource["inputProperties"]), (token, props - set(resource["inputProperties"]))
    assert set(resource["requiredInputs"]) <= props, (token, set(resource["requiredInputs"]) - props)


def test_yaml_example(spec):
    program = yaml.safe_load((ROOT / "examples/yaml/Pulumi.yaml").read_text())
    tokens = set()
    for resource in program["resources"].values():
        _check(spec, resource["type"], set(resource["properties"]))
        tokens.add(resource["type"])
    assert len(tokens) == 3
    outputs = spec["resources"]["secure-scoring:index:SecureAciService"]["properties"]
    for expr in program["outputs"].values():
        (prop,) = re.findall(r"\$\{scoring\.(\w+)\}", expr)
        assert prop in outputs


def test_typescript_example(spec):
    source = (ROOT / "examples/typescript/index.ts").read_text()
    calls = re.findall(r"new scoring\.(\w+)\(\"[^\"]+\", \{(.*?)\n\}\);", source, re.S)
    assert {c for c, _ in calls} == {"CertificateBundle", "SecureAciService", "DnsRecordBinding"}
    for component, body in calls:
        props = set(re.findall(r"^\s{4}(\w+):", body, re.M))
        _check(spec, f"secure-scoring:index:{component}", props)
    for prop in re.findall(r"svc\.(\w+)", source):
        assert prop in spec["resources"]["secure-scoring:index:SecureAciService"]["properties"]
