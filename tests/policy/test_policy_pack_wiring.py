"""The pack through pulumi_policy's own analyzer servicer (the code its gRPC server runs): enforcement
levels (advisory outside production, fail closed on an unknown stack), not_applicable, unknown
values as advisory notes, the CLI's config merge (and the trap it avoids), props as proxies, and a
whole mock-run program evaluated with :func:`secure_scoring.policy.pack.evaluate`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

import pulumi_tls as tls
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_azure_native import containerinstance as ci
from pulumi_azure_native import machinelearningservices as ml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from secure_scoring.gate.mocking import run_with_mocks
from secure_scoring.policy import pack as policy_pack
from secure_scoring.policy import rules
from secure_scoring.policy.pack import PolicyConfigError, evaluate, has_mandatory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

INSECURE_GROUP = {
    "ipAddress": {"type": "Public", "ports": [{"port": 80.0, "protocol": "TCP"}]},
    "containers": [{"name": "scorer", "image": "scorer:1", "ports": [{"port": 80.0}]}],
}


def res(type_, name, props, outputs=None, stack="production"):
    return {
        "type": type_,
        "name": name,
        "urn": f"urn:pulumi:{stack}::proj::{type_}::{name}",
        "props": props,
        "outputs": outputs,
    }


def summary(diags):
    return sorted((d.rule, d.name, d.enforcement, d.judged) for d in diags)


SAMPLE = [
    res(rules.CONTAINER_GROUP, "cg", INSECURE_GROUP),
    res(rules.TLS_SELF_SIGNED, "cert", {"validityPeriodHours": 8760.0, "allowedUses": ["server_auth"]}),
    res(
        rules.ACI_SERVICE,
        "svc",
        {
            "platform": "aci",
            "tlsEnabled": True,
            "authMode": "none",
            "keyAuthEnabled": False,
            "tokenAuthEnabled": False,
            "minTlsVersion": "1.2",
        },
        outputs={"tls_enabled": True},
    ),
]


# --------------------------------------------------------------------------------------------- levels
def test_production_stack_everything_mandatory():
    diags = evaluate(SAMPLE, stack="production")
    assert summary(diags) == [
        ("auth-required", "svc", "mandatory", True),
        ("no-self-signed-in-production", "cert", "mandatory", True),
        ("tls-required", "cg", "mandatory", True),
    ]
    assert has_mandatory(diags)
    cg = [d for d in diags if d.name == "cg"]
    assert {d.urn for d in cg} == {
        "urn:pulumi:production::proj::azure-native:containerinstance:ContainerGroup::cg"
    }
    assert all(d.resource_type == rules.CONTAINER_GROUP and d.stage == "resource" for d in cg)
    first = cg[0]
    rule = rules.RULES_BY_NAME["tls-required"]
    assert (
        first.message == f"public port 80 is exposed; only HTTPS on 443 is allowed. Fix: {rule.remediation}"
    )
    assert first.description == rule.description and first.severity == "critical"


def test_production_only_rules_are_advisory_in_a_known_non_production_stack():
    diags = evaluate(SAMPLE, stack="dev")
    assert summary(diags) == [
        ("auth-required", "svc", "advisory", True),
        ("no-self-signed-in-production", "cert", "advisory", True),
        ("tls-required", "cg", "mandatory", True),
    ]


@pytest.mark.parametrize("stack", ["stack", None, ""])
def test_unknown_stack_fails_closed(stack):
    levels = {d.rule: d.enforcement for d in evaluate(SAMPLE, stack=stack)}
    assert levels["auth-required"] == levels["no-self-signed-in-production"] == "mandatory"


def test_stack_config_decides_production():
    diags = evaluate(SAMPLE, stack="dev", config={"secure-scoring:environment": "production"})
    assert {d.enforcement for d in diags} == {"mandatory"}
    diags = evaluate(SAMPLE, stack="live", config={"secure-scoring:productionStacks": '["live"]'})
    assert {d.enforcement for d in diags} == {"mandatory"}
    # productionStacks adds names: it never turns `production` into a non-production stack
    diags = evaluate(SAMPLE, stack="production", config={"secure-scoring:productionStacks": "live"})
    assert {d.enforcement for d in diags} == {"mandatory"}
    diags = evaluate(SAMPLE, stack="staging", config={"secure-scoring:productionStacks": "live"})
    assert {d.rule for d in diags if d.enforcement == "advisory"} == {
        "auth-required",
        "no-self-signed-in-production",
    }


def test_clean_resources_give_no_diagnostics():
    ok = [
        res(
            rules.ACI_SERVICE,
            "svc",
            {
                "platform": "aci",
                "tlsEnabled": True,
                "certificateSource": "pem",
                "selfSigned": False,
                "authMode": "key",
                "keyAuthEnabled": True,
                "tokenAuthEnabled": False,
                "minTlsVersion": "1.2",
            },
        ),
        res(rules.ONLINE_ENDPOINT, "ep", {"properties": {"authMode": "Key"}}),
        res("azure-native:storage:StorageAccount", "sa", {"kind": "StorageV2"}),
    ]
    assert evaluate(ok, stack="production") == []


# --------------------------------------------------------------------------------------------- servicer details
def servicer(stack="production"):
    return _PolicyAnalyzerServicer(
        policy_pack.PACK_NAME,
        policy_pack.PACK_VERSION,
        policy_pack.build_policies(stack, {}),
        EnforcementLevel.MANDATORY,
    )


def struct(d):
    return json_format.ParseDict(d, struct_pb2.Struct())


def test_analyzer_info_describes_every_rule():
    info = servicer("dev").GetAnalyzerInfo(None, None)
    by_name = {p.name: p for p in info.policies}
    assert list(by_name) == list(rules.RULE_NAMES)
    assert by_name["tls-required"].policy_type == pb.POLICY_TYPE_RESOURCE
    assert by_name["cert-expiry"].policy_type == pb.POLICY_TYPE_STACK
    assert by_name["tls-required"].severity == pb.POLICY_SEVERITY_CRITICAL
    assert by_name["auth-required"].enforcementLevel == pb.ADVISORY  # dev
    assert by_name["tls-required"].enforcementLevel == pb.MANDATORY
    assert by_name["cert-expiry"].remediation_steps == rules.RULES_BY_NAME["cert-expiry"].remediation
    schema = json_format.MessageToDict(by_name["cert-expiry"].configSchema.properties)
    assert schema["minDays"]["default"] == 30


def test_not_applicable_for_other_types():
    resp = servicer().Analyze(
        pb.AnalyzeRequest(
            type="azure-native:storage:StorageAccount", properties=struct({}), urn="urn:x", name="sa"
        ),
        None,
    )
    assert not resp.diagnostics
    names = {n.policy_name for n in resp.not_applicable}
    assert names == {r.name for r in rules.RULES if r.kind == "resource"}
    assert all("does not judge azure-native:storage:StorageAccount" in n.reason for n in resp.not_applicable)


def test_unknown_values_are_advisory_notes_with_the_resource_urn():
    group = {**INSECURE_GROUP, "ipAddress": UNKNOWN_STRING_VALUE}
    diags = evaluate([res(rules.CONTAINER_GROUP, "cg", group)], stack="production")
    assert [(d.rule, d.enforcement, d.judged, d.message) for d in diags] == [
        ("tls-required", "advisory", False, "could not judge: ipAddress is not known yet"),
        (
            "cert-hostname-match",
            "advisory",
            False,
            "could not judge: ipAddress.dnsNameLabel of 'cg' not known yet",
        ),
    ]
    assert diags[0].urn.endswith("::cg")
    # the raw servicer response: pulumi_policy's unknown-value path, urn left empty
    resp = servicer().Analyze(
        pb.AnalyzeRequest(type=rules.CONTAINER_GROUP, properties=struct(group), urn="urn:cg", name="cg"), None
    )
    assert [d.enforcementLevel for d in resp.diagnostics] == [pb.ADVISORY] and resp.diagnostics[0].urn == ""


def test_stack_notes_are_reported_on_the_stack():
    diags = evaluate(
        [
            res(
                rules.TLS_SELF_SIGNED,
                "new",
                {"validityPeriodHours": UNKNOWN_STRING_VALUE, "certPem": UNKNOWN_STRING_VALUE},
            )
        ],
        stack="dev",
        project="proj",
    )
    note = [d for d in diags if d.rule == "cert-expiry"]
    assert [(d.enforcement, d.judged, d.resource_type, d.stage) for d in note] == [
        ("advisory", False, "pulumi:pulumi:Stack", "stack")
    ]


def test_props_reach_rules_as_pulumi_policy_proxies():
    seen = []

    def spy(args, report):
        seen.append(
            (type(args.props).__name__, isinstance(args.props, Mapping), isinstance(args.props, dict))
        )
        for v in rules.RULES_BY_NAME["tls-required"].check(
            args.resource_type, args.props, rules.RuleContext(stack="production")
        ):
            report(v.message)

    policy = ResourceValidationPolicy("spy", "spy", spy, EnforcementLevel.MANDATORY)
    s = _PolicyAnalyzerServicer("p", "0.0.1", [policy], EnforcementLevel.MANDATORY)
    resp = s.Analyze(
        pb.AnalyzeRequest(type=rules.CONTAINER_GROUP, properties=struct(INSECURE_GROUP), urn="u", name="cg"),
        None,
    )
    assert seen == [("_DictProxy", True, False)]
    assert "public port 80 is exposed" in resp.diagnostics[0].message


# --------------------------------------------------------------------------------------------- config
def test_the_config_merge_trap_is_avoided():
    """Configure with properties only silently downgrades a mandatory policy (proto level 0 =
    ADVISORY); the CLI-style merge always sends the level, so thresholds don't weaken enforcement."""
    s = servicer()
    trap = pb.ConfigureAnalyzerRequest()
    trap.policyConfig["tls-required"].properties.update({"allowedPorts": [443]})
    s.Configure(trap, None)
    req = pb.AnalyzeRequest(type=rules.CONTAINER_GROUP, properties=struct(INSECURE_GROUP), urn="u", name="cg")
    assert {d.enforcementLevel for d in s.Analyze(req, None).diagnostics} == {pb.ADVISORY}  # the trap

    merged = policy_pack.configure_request(
        s.GetAnalyzerInfo(None, None), {"tls-required": {"allowedPorts": [443]}}
    )
    assert merged.policyConfig["tls-required"].enforcementLevel == pb.MANDATORY
    assert set(merged.policyConfig) == set(rules.RULE_NAMES)
    assert json_format.MessageToDict(merged.policyConfig["cert-expiry"].properties) == {"minDays": 30.0}
    s.Configure(merged, None)
    assert {d.enforcementLevel for d in s.Analyze(req, None).diagnostics} == {pb.MANDATORY}


def test_thresholds_levels_all_and_disabled():
    certs = [
        res(
            rules.CERTIFICATE_BUNDLE,
            "b",
            {"notAfter": "2000-01-01T00:00:00Z"},
            outputs={"not_after": "2999-01-01T00:00:00Z"},
        )
    ]
    assert evaluate(certs, stack="production") == []
    soon = [res(rules.CERTIFICATE_BUNDLE, "b", {}, outputs={"not_after": "2099-01-01T00:00:00Z"})]
    assert evaluate(soon, stack="production") == []
    assert [
        d.rule for d in evaluate(soon, stack="production", policy_config={"cert-expiry": {"minDays": 400000}})
    ] == ["cert-expiry"]

    levels = {
        d.rule: d.enforcement for d in evaluate(SAMPLE, stack="production", policy_config={"all": "advisory"})
    }
    assert set(levels.values()) == {"advisory"}
    levels = {
        d.rule: d.enforcement
        for d in evaluate(
            SAMPLE,
            stack="dev",
            policy_config={
                "all": "advisory",
                "tls-required": "mandatory",
                "auth-required": {"enforcementLevel": "mandatory"},
            },
        )
    }
    assert levels == {
        "tls-required": "mandatory",
        "auth-required": "mandatory",
        "no-self-signed-in-production": "advisory",
    }
    rules_left = {
        d.rule for d in evaluate(SAMPLE, stack="production", policy_config={"tls-required": "disabled"})
    }
    assert rules_left == {"auth-required", "no-self-signed-in-production"}


@pytest.mark.parametrize(
    ("config", "text"),
    [
        ({"cert-expiry": {"minDays": "thirty"}}, "cert-expiry: minDays: Invalid type. Expected: integer"),
        ({"cert-expiry": {"minDays": -1}}, "minDays must be greater than or equal to 0"),
        ({"min-tls-1-2": {"minVersion": "1.1"}}, "minVersion must be one of 1.2, 1.3"),
        ({"tls-required": "strict"}, "enforcement level 'strict' is not one of"),
        ({"tls-requird": "advisory"}, "names tls-requird, which the pack does not have"),
        ({"cert-expiry": 30}, "it must be an enforcement level or an object"),
    ],
)
def test_invalid_policy_config_is_refused(config, text):
    with pytest.raises(PolicyConfigError) as exc:
        evaluate(SAMPLE, stack="production", policy_config=config)
    assert text in str(exc.value)


# --------------------------------------------------------------------------------------------- a program
def insecure_program():
    """A hand-written program: raw ContainerGroup on port 80, a SelfSignedCert, an endpoint without auth."""
    ci.ContainerGroup(
        "scoring",
        resource_group_name="rg",
        os_type="Linux",
        containers=[
            ci.ContainerArgs(
                name="scorer",
                image="myregistry.azurecr.io/scorer:1",
                ports=[ci.ContainerPortArgs(port=80)],
                resources=ci.ResourceRequirementsArgs(
                    requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=2)
                ),
            )
        ],
        ip_address=ci.IpAddressArgs(
            type="Public", ports=[ci.PortArgs(port=80, protocol="TCP")], dns_name_label="scoring-x"
        ),
    )
    key = tls.PrivateKey("key", algorithm="ECDSA", ecdsa_curve="P256")
    tls.SelfSignedCert(
        "cert",
        private_key_pem=key.private_key_pem,
        validity_period_hours=240,
        allowed_uses=["server_auth"],
        dns_names=["scoring.example.test"],
        subject=tls.SelfSignedCertSubjectArgs(common_name="scoring.example.test"),
    )
    ml.OnlineEndpoint(
        "endpoint",
        resource_group_name="rg",
        workspace_name="ws",
        properties=ml.OnlineEndpointPropertiesArgs(auth_mode="Key"),
    )


@pytest.fixture(scope="module")
def recording():
    return run_with_mocks(insecure_program, project="proj", stack="production")


EXPECTED_PROGRAM = [
    ("cert-expiry", "cert", "mandatory"),  # 10 days of validity (real PEM from the mocks)
    ("cert-hostname-match", "scoring", "mandatory"),  # dnsNameLabel with the default scope Unsecure
    ("no-self-signed-in-production", "cert", "mandatory"),
    ("tls-required", "scoring", "mandatory"),  # port 80 (and no TLS gateway)
]


def test_program_recording_evaluated(recording):
    diags = evaluate(recording.resources, stack="production", project="proj")
    assert sorted((d.rule, d.name, d.enforcement) for d in diags) == EXPECTED_PROGRAM
    expiry = next(d for d in diags if d.rule == "cert-expiry")
    assert "(certPem)" in expiry.message  # judged from the certificate itself
    dev = evaluate(recording.resources, stack="dev", project="proj")
    assert {d.enforcement for d in dev if d.rule == "no-self-signed-in-production"} == {"advisory"}


def test_build_policies_reads_the_runtime_like_the_cli_does():
    code = (
        "from secure_scoring.policy.pack import build_policies;"
        "print(sorted((p.name, p.enforcement_level.value) for p in build_policies() if p.name in ('auth-required', 'tls-required')))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    out = {}
    for stack, config in (
        ("dev", "{}"),
        ("dev", '{"secure-scoring:environment": "production"}'),
        (None, "{}"),
    ):
        e = dict(env, PULUMI_CONFIG=config, PULUMI_PROJECT="proj", PULUMI_DRY_RUN="true")
        if stack:
            e["PULUMI_STACK"] = stack
        out[(stack, config)] = subprocess.run(
            [sys.executable, "-c", code], env=e, capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.strip()
    assert out[("dev", "{}")] == "[('auth-required', 'advisory'), ('tls-required', 'mandatory')]"
    assert (
        out[("dev", '{"secure-scoring:environment": "production"}')]
        == "[('auth-required', 'mandatory'), ('tls-required', 'mandatory')]"
    )
    assert (
        out[(None, "{}")] == "[('auth-required', 'mandatory'), ('tls-required', 'mandatory')]"
    )  # unknown: fail closed


def test_a_failing_rule_fails_closed_without_echoing_values(monkeypatch):
    import dataclasses

    def boom(*_args):
        raise ValueError("s3cr3t-value-in-exception")

    patched = tuple(
        dataclasses.replace(r, validators={t: boom for t in r.validators})
        if r.name == "tls-required"
        else dataclasses.replace(r, stack_validator=boom)
        if r.name == "cert-expiry"
        else r
        for r in rules.RULES
    )
    monkeypatch.setattr(policy_pack, "RULES", patched)
    diags = evaluate([res(rules.CONTAINER_GROUP, "cg", INSECURE_GROUP)], stack="dev")
    failed = sorted(
        (d.rule, d.enforcement, d.stage) for d in diags if "failed on this input (ValueError)" in d.message
    )
    assert failed == [("cert-expiry", "mandatory", "stack"), ("tls-required", "mandatory", "resource")]
    assert all("s3cr3t" not in d.message for d in diags)


def test_rule_metadata_for_the_gate():
    default = {m["name"]: m for m in policy_pack.rule_metadata()}
    assert list(default) == list(rules.RULE_NAMES)
    assert {m["enforcement"] for m in default.values()} == {"mandatory"}
    assert default["cert-expiry"]["config_schema"]["minDays"]["default"] == 30
    dev = {m["name"]: m["enforcement"] for m in policy_pack.rule_metadata("dev")}
    assert dev["auth-required"] == dev["no-self-signed-in-production"] == "advisory"
    assert dev["tls-required"] == "mandatory"
    prod = {
        m["name"]: m["enforcement"]
        for m in policy_pack.rule_metadata("dev", {"secure-scoring:environment": "production"})
    }
    assert set(prod.values()) == {"mandatory"}
