"""The gate as a new user meets it: hand-written Pulumi programs outside this repository.

Each test is a case found by writing such programs: versioned azure-native type tokens, a
production key given as a ``secure:`` value, the messages of single-auth-mode and of AKS v1
``sslConfiguration``, and the wording of stack-rule notes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secure_scoring import gate, rules
from secure_scoring.cli import main as cli_main
from secure_scoring.facts import UNKNOWN
from secure_scoring.policy.pack import evaluate
from support.gate_programs import SELF_SIGNED, write_project

SECRET = "TOPSECRET-Zq8v"


def mandatory(report) -> list[tuple[str, str]]:
    return sorted((f.rule, f.resource_name) for f in report.mandatory)


# --------------------------------------------------------------------------------------------- versioned tokens
VERSIONED = """\
import pulumi

pulumi.CustomResource("azure-native:containerinstance/v20230501:ContainerGroup", "web", {
    "resourceGroupName": "rg",
    "osType": "Linux",
    "containers": [{"name": "app", "image": "myorg/scorer:1", "ports": [{"port": 80}],
                    "resources": {"requests": {"cpu": 1, "memoryInGB": 1}}}],
    "ipAddress": {"type": "Public", "ports": [{"port": 80, "protocol": "TCP"}]},
})
pulumi.CustomResource("azure-native:machinelearningservices/v20240401:OnlineEndpoint", "ep", {
    "resourceGroupName": "rg",
    "workspaceName": "ws",
    "properties": {"authMode": "Key", "keyAuthEnabled": True, "tokenAuthEnabled": True},
})
"""


def test_explicit_api_version_tokens_are_judged_like_the_default_ones(tmp_path):
    """`azure-native:<module>/v<date>:<Type>` (SDK v2 version modules, the provider's aliases) is
    the same resource: a raw port-80 group and a key+token endpoint must not pass the gate."""
    root = write_project(tmp_path / "p", VERSIONED, {"prod": "config: {}\n"})
    report = gate.check(root, "prod")
    assert report.exit_code == 1
    assert mandatory(report) == [("single-auth-mode", "ep"), ("tls-required", "web")]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("azure-native:containerinstance/v20230501:ContainerGroup", rules.CONTAINER_GROUP),
        ("azure-native:machinelearningservices/v20240101preview:Compute", rules.ML_COMPUTE),
        ("azure-native:kubernetesconfiguration/v20230501:Extension", rules.K8S_EXTENSION),
        ("azure-native:network/v20180501:RecordSet", "azure-native:network:RecordSet"),
        ("azure-native:dns/v20230701preview:RecordSet", "azure-native:dns:RecordSet"),
        (rules.CONTAINER_GROUP, rules.CONTAINER_GROUP),
        (rules.TLS_SELF_SIGNED, rules.TLS_SELF_SIGNED),
        (rules.ACI_SERVICE, rules.ACI_SERVICE),
        (
            "azure-native:containerinstance/latest:ContainerGroup",
            "azure-native:containerinstance/latest:ContainerGroup",
        ),
    ],
)
def test_canonical_type(token, expected):
    assert rules.canonical_type(token) == expected


@pytest.mark.parametrize(
    "token",
    [
        "azure-native:containerinstance:ContainerGroupProfile",
        "azure-native:containerinstance:CGProfile",
        "azure-native:containerinstance/v20250901:CGProfile",
    ],
)
def test_container_group_profiles_are_judged_as_container_groups(token):
    assert rules.canonical_type(token) == rules.CONTAINER_GROUP


PROFILES = """from pulumi_azure_native import containerinstance as ci

for cls, name in ((ci.ContainerGroupProfile, "profile"), (ci.CGProfile, "cgprofile")):
    cls(
        name,
        resource_group_name="rg",
        os_type="Linux",
        containers=[ci.ContainerArgs(
            name="scorer", image="myorg/scorer:1", ports=[ci.ContainerPortArgs(port=80)],
            resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1)),
        )],
        ip_address=ci.IpAddressArgs(type="Public", ports=[ci.PortArgs(port=80, protocol="TCP")]),
    )
"""


def test_a_container_group_profile_serving_plain_http_is_rejected(tmp_path):
    """NGroups create container groups from a profile: a profile exposing port 80 makes every group
    it spawns serve plain HTTP, so it fails the gate like the container group itself would."""
    root = write_project(tmp_path / "p", PROFILES, {"prod": "config: {}\n"})
    report = gate.check(root, "prod")
    assert report.exit_code == 1
    assert mandatory(report) == [("tls-required", "cgprofile"), ("tls-required", "profile")]


def test_versioned_tokens_reach_the_stack_rules():
    """A versioned DNS record pointing at a versioned container group's FQDN is judged by
    cert-hostname-match (the stack has no certificate covering it)."""
    group = "azure-native:containerinstance/v20230501:ContainerGroup"
    record = "azure-native:network/v20180501:RecordSet"
    resources = [
        {
            "type": group,
            "name": "cg",
            "urn": f"urn:pulumi:prod::p::{group}::cg",
            "props": {"ipAddress": {"type": "Public", "ports": [{"port": 443.0}]}},
            "outputs": {"ipAddress": {"fqdn": "scoring.westeurope.azurecontainer.io", "ip": "20.1.2.3"}},
        },
        {
            "type": record,
            "name": "api",
            "urn": f"urn:pulumi:prod::p::{record}::api",
            "props": {},
            "outputs": {
                "fqdn": "api.contoso.test.",
                "type": "Microsoft.Network/dnszones/CNAME",
                "cnameRecord": {"cname": "scoring.westeurope.azurecontainer.io"},
            },
        },
    ]
    diags = evaluate(resources, stack="prod", project="p", config={})
    assert ("cert-hostname-match", "api") in {(d.rule, d.name) for d in diags if d.judged}


# --------------------------------------------------------------------------------------------- production keys unknown


@pytest.mark.parametrize("key", ["environment", "productionStacks"])
def test_secure_production_key_fails_closed(tmp_path, capsys, key):
    """`secure-scoring:environment` (or productionStacks) as a `secure:` value cannot be read
    offline; a stack that may be production must not pass as non-production."""
    stack = f"config:\n  secure-scoring:{key}:\n    secure: v1:abc:{SECRET}\n"
    root = write_project(tmp_path / "p", SELF_SIGNED, {"live": stack})
    report = gate.check(root, "live")
    assert mandatory(report) == [("no-self-signed-in-production", "c")]
    (finding,) = report.mandatory
    assert "treated as production" in finding.message and f"secure-scoring:{key}" in finding.message
    assert cli_main(["check", str(root), "--stack", "live"]) == 1
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err


@pytest.mark.parametrize(
    ("stack", "config", "expected"),
    [
        ("dev", {"secure-scoring:environment": UNKNOWN}, None),
        ("dev", {"secure-scoring:productionStacks": UNKNOWN}, None),
        ("production", {"secure-scoring:environment": UNKNOWN}, True),
        (
            "dev",
            {"secure-scoring:environment": "production", "secure-scoring:productionStacks": UNKNOWN},
            True,
        ),
        ("dev", {"secure-scoring:environment": "dev"}, False),
    ],
)
def test_unknown_production_keys_in_the_rule_context(stack, config, expected):
    ctx = rules.RuleContext(stack=stack, stack_config=config)
    assert ctx.stack_production() is expected
    assert ctx.is_production() is (expected is not False)


def test_known_environment_still_decides(tmp_path):
    root = write_project(
        tmp_path / "p", SELF_SIGNED, {"live": "config:\n  secure-scoring:environment: dev\n"}
    )
    report = gate.check(root, "live")
    assert report.exit_code == 0 and [f.rule for f in report.advisory] == ["no-self-signed-in-production"]


# --------------------------------------------------------------------------------------------- messages
def _check(rule: str, rtype: str, props: dict) -> list[rules.RuleViolation]:
    ctx = rules.RuleContext(stack="production").for_rule(rules.RULES_BY_NAME[rule], None)
    return [v for v in rules.RULES_BY_NAME[rule].check(rtype, props, ctx) if v.judged]


def test_single_auth_mode_does_not_quote_the_auth_mode_value():
    (v,) = _check(
        "single-auth-mode", rules.ONLINE_ENDPOINT, {"properties": {"authMode": SECRET + "AndToken"}}
    )
    assert SECRET not in v.message and "combines two authentication modes" in v.message


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        ({"keyAuthEnabled": True, "tokenAuthEnabled": True}, "properties.keyAuthEnabled"),
        ({"authEnabled": True, "tokenAuthEnabled": True}, "properties.authEnabled"),
        # an explicit authEnabled false does not hide keyAuthEnabled true
        (
            {"authEnabled": False, "keyAuthEnabled": True, "tokenAuthEnabled": True},
            "properties.keyAuthEnabled",
        ),
    ],
)
def test_single_auth_mode_names_the_flag_that_is_set(flags, named):
    (v,) = _check("single-auth-mode", rules.ONLINE_ENDPOINT, {"properties": {"authMode": "Key", **flags}})
    assert v.message == f"{named} and properties.tokenAuthEnabled are both true"


@pytest.mark.parametrize("status", ["Enabeld", "On", True])
def test_aks_compute_unknown_ssl_status_is_not_accepted(status):
    props = {
        "properties": {
            "computeType": "AKS",
            "properties": {
                "sslConfiguration": {
                    "status": status,
                    "cert": "PEM",
                    "key": SECRET,
                    "cname": "a.contoso.test",
                }
            },
        }
    }
    (v,) = _check("tls-required", rules.ML_COMPUTE, props)
    assert "not Enabled or Auto" in v.message and str(status) not in v.message


def test_unreadable_certificate_note_reads_as_a_sentence(tmp_path):
    main = """\
    import pulumi_azure_native.machinelearningservices as ml

    ml.Compute("aks", resource_group_name="rg", workspace_name="ws", properties={
        "computeType": "AKS",
        "properties": {"sslConfiguration": {"status": "Enabled", "cert": "not a pem", "key": "k",
                                            "cname": "a.contoso.test"}}})
    """
    root = write_project(tmp_path / "p", main, {"dev": "config: {}\n"})
    report = gate.check(root, "dev")
    notes = [n.message for n in report.notes if "cert-hostname-match" in n.message]
    assert notes == [
        "cert-hostname-match: could not judge: sslConfiguration.cert of 'aks' is not readable PEM"
    ]
    assert json.loads(gate.render_json(report))["exitCode"] == 0


# --------------------------------------------------------------------------------------------- errors while Pulumi prepares inputs


def test_min_tls_fix_matches_the_configured_min_version():
    root = Path(__file__).resolve().parents[1] / "examples" / "insecure" / "old-tls"
    report = gate.check(root, "production", policy_config={"min-tls-1-2": {"minVersion": "1.3"}})
    found = [f for f in report.findings if f.rule == "min-tls-1-2"]
    assert found, [f.rule for f in report.findings]
    for f in found:
        assert "below TLS 1.3" in f.message, f.message
        assert "'1.3' when minVersion is 1.3" in f.remediation  # not only "set '1.2' (the default)"


# --------------------------------------------------------------------------------------------- a user's own CA
OWN_CA = """\
import pulumi
import pulumi_tls as tls
from secure_scoring import CertificateBundle, CertificateBundleArgs, SecureAciService, SecureAciServiceArgs

ca_key = tls.PrivateKey("ca-key", algorithm="ECDSA", ecdsa_curve="P256")
ca = tls.SelfSignedCert("ca", private_key_pem=ca_key.private_key_pem, is_ca_certificate=True,
    validity_period_hours=8760, allowed_uses=["cert_signing", "crl_signing"], subject={"common_name": "my ca"})
key = tls.PrivateKey("leaf-key", algorithm="ECDSA", ecdsa_curve="P256")
csr = tls.CertRequest("csr", private_key_pem=key.private_key_pem, dns_names=["scoring.example.com"])
leaf = tls.LocallySignedCert("leaf", cert_request_pem=csr.cert_request_pem, ca_private_key_pem=ca_key.private_key_pem,
    ca_cert_pem=ca.cert_pem, validity_period_hours=2000, allowed_uses=["digital_signature", "server_auth"])
cert = CertificateBundle("tls", CertificateBundleArgs(cert_pem=pulumi.Output.concat(leaf.cert_pem, ca.cert_pem),
    key_pem=key.private_key_pem, hostnames=["scoring.example.com"]))
SecureAciService("svc", SecureAciServiceArgs(resource_group_name="rg", certificate=cert,
    hostname="scoring.example.com", dns_name_label="contoso-scoring"))
"""


def test_a_bundle_from_the_user_s_own_pulumi_tls_ca_passes_in_dev(tmp_path, real_trust_store):
    """The gate's pulumi-tls certificates carry the key identifiers the provider gives them: a user's
    own CA + leaf was exit 2 ([aki-missing]) on a valid dev program. ``real_trust_store``: the bundle
    declares no CA, as the user's does (with the session's test roots declared, an undeclared root is
    an error, so the test failed after any test that made a root)."""
    root = write_project(tmp_path / "p", OWN_CA, {"dev": "config: {}\n"})
    report = gate.check(root, "dev")
    assert report.exit_code == 0, gate.render_text(report)
    assert "aki-missing" not in gate.render_text(report)
