"""GetSchema of the component provider, started as the Pulumi CLI starts it.

The schema must be a valid Pulumi package schema (Pulumi's own metaschema, ``pkg/codegen/schema/
pulumi.json``, kept in ``data/``, plus the rules codegen checks that a JSON schema cannot say: every
``$ref`` resolves, required names exist), describe the four components under their Python type
tokens with the Python inputs and outputs, mark secrets, and carry the docstrings.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from pulumi.runtime.proto import provider_pb2

from secure_scoring.components.aci import RegistryCredential, SecureAciServiceArgs
from secure_scoring.components.aks import AksDnsArgs, AksEndpointArgs, SecureAksClusterArgs
from secure_scoring.components.certificate_bundle import CertificateBundleArgs
from secure_scoring.components.dns_binding import DnsRecordBindingArgs
from secure_scoring.facts import version

DATA = Path(__file__).resolve().parent / "data"
PREFIX = "secure-scoring:index:"
COMPONENT_ARGS = {
    "CertificateBundle": CertificateBundleArgs,
    "SecureAciService": SecureAciServiceArgs,
    "SecureAksCluster": SecureAksClusterArgs,
    "DnsRecordBinding": DnsRecordBindingArgs,
}
NESTED_ARGS = {
    "RegistryCredential": RegistryCredential,
    "AksEndpointArgs": AksEndpointArgs,
    "AksDnsArgs": AksDnsArgs,
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


@pytest.fixture(scope="module")
def spec(provider) -> dict:
    response = provider.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
    return json.loads(response.schema)


def test_schema_is_valid_under_pulumis_metaschema(spec):
    import jsonschema  # the test extra; never skipped (a missing validator must fail, not hide)

    text = (DATA / "pulumi-package-metaschema.json").read_text()
    # the metaschema's patterns use ECMA named groups (?<name>...); Python's re spells them (?P<name>...)
    metaschema = json.loads(text.replace("(?<", "(?P<"))
    validator = jsonschema.Draft202012Validator(metaschema)
    errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])


def _properties(spec):
    for token, resource in spec["resources"].items():
        yield token, "inputProperties", resource["inputProperties"], resource["requiredInputs"]
        yield token, "properties", resource["properties"], resource["required"]
    for token, typ in spec["types"].items():
        yield token, "properties", typ.get("properties", {}), typ.get("required", [])


def _refs(prop: dict):
    if "$ref" in prop:
        yield prop["$ref"]
    for key in ("items", "additionalProperties"):
        if key in prop:
            yield from _refs(prop[key])


def test_every_ref_resolves_and_required_names_exist(spec):
    assert spec["name"] == "secure-scoring" and spec["version"] == version()
    for token, where, props, required in _properties(spec):
        assert set(required) <= set(props), (token, where)
        for name, prop in props.items():
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", name), (token, name)
            assert "type" in prop or "$ref" in prop, (token, name)
            for ref in _refs(prop):
                if ref.startswith("#/types/"):
                    assert ref.removeprefix("#/types/") in spec["types"], (token, name, ref)
                elif ref.startswith("#/resources/"):
                    assert ref.removeprefix("#/resources/") in spec["resources"], (token, name, ref)
                else:
                    assert ref == "pulumi.json#/Any", (token, name, ref)


def test_the_four_components_with_the_python_tokens(spec):
    assert sorted(spec["resources"]) == sorted(PREFIX + c for c in COMPONENT_ARGS)
    assert all(r["isComponent"] for r in spec["resources"].values())
    assert not spec.get("dependencies")  # no self-reference as an external package


@pytest.mark.parametrize("component", sorted(COMPONENT_ARGS))
def test_inputs_are_the_args_fields(spec, component):
    args = COMPONENT_ARGS[component]
    resource = spec["resources"][PREFIX + component]
    fields = dataclasses.fields(args)
    assert list(resource["inputProperties"]) == [camel(f.name) for f in fields]
    required = {
        camel(f.name)
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    assert set(resource["requiredInputs"]) == required


@pytest.mark.parametrize("name", sorted(NESTED_ARGS))
def test_nested_args_are_object_types(spec, name):
    typ = spec["types"][PREFIX + name]
    assert typ["type"] == "object"
    assert list(typ["properties"]) == [camel(f.name) for f in dataclasses.fields(NESTED_ARGS[name])]


def test_plain_inputs_decide_structure_inputs_flow(spec):
    aci = spec["resources"][PREFIX + "SecureAciService"]["inputProperties"]
    assert aci["hostname"].get("plain") is True  # validated against the certificate at construction
    assert aci["auth"].get("plain") is True
    assert not aci["resourceGroupName"].get("plain")  # pulumi.Input[str]
    assert aci["workerCount"]["type"] == "integer" and aci["cpu"]["type"] == "number"
    # int | str rotation keepers: the schema has no unions
    assert aci["primaryKeyVersion"]["$ref"] == "pulumi.json#/Any"


def test_certificate_is_a_reference_to_the_certificate_bundle_resource(spec):
    ref = "#/resources/secure-scoring:index:CertificateBundle"
    for component in ("SecureAciService", "SecureAksCluster", "DnsRecordBinding"):
        prop = spec["resources"][PREFIX + component]["inputProperties"]["certificate"]
        assert prop["$ref"] == ref and "plain" not in prop, component


def test_secrets_are_marked(spec):
    def secret(token, where):
        return {n for n, p in spec_part(token, where).items() if p.get("secret")}

    def spec_part(token, where):
        node = spec["resources"].get(PREFIX + token) or spec["types"][PREFIX + token]
        return node[where]

    assert secret("CertificateBundle", "inputProperties") == {"keyPem"}
    assert secret("CertificateBundle", "properties") == {"keyPem"}
    assert secret("SecureAciService", "inputProperties") == {"secureEnvironmentVariables"}
    assert secret("SecureAciService", "properties") == {"primaryKey", "secondaryKey"}
    assert secret("SecureAksCluster", "properties") == {"endpointKeys", "endpointTokens"}
    assert secret("RegistryCredential", "properties") == {"password"}
    assert secret("DnsRecordBinding", "properties") == set()


def test_descriptions_come_from_the_docstrings(spec):
    aci = spec["resources"][PREFIX + "SecureAciService"]
    assert aci["description"].startswith("An Azure ML scoring service on ACI behind a TLS/auth gateway")
    assert aci["inputProperties"]["dnsNameLabel"]["description"].startswith("Azure DNS label of the group")
    assert aci["properties"]["scoringUri"]["description"] == "``https://<hostname>/score``."
    # field docs given as ``- ``field``: text`` bullets of the class docstring (AKS)
    aks = spec["resources"][PREFIX + "SecureAksCluster"]["inputProperties"]
    assert aks["clusterId"]["description"].startswith("ARM id of the existing AKS cluster")
    # no docstring indentation left
    assert "\n    " not in json.dumps(spec)
    missing = [
        (token, name)
        for token, where, props, _ in _properties(spec)
        if where == "properties" and token.split(":")[-1] in COMPONENT_ARGS
        for name, prop in props.items()
        if not prop.get("description")
    ]
    assert not missing  # every output is described
