"""The gate as a new user meets it: hand-written Pulumi programs outside this repository.

Each test is a case found by writing such programs: versioned azure-native type tokens, a
production key given as a ``secure:`` value, the messages of single-auth-mode and of AKS v1
``sslConfiguration``, and the wording of stack-rule notes.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from secure_scoring import gate, rules
from secure_scoring.cli import main as cli_main
from secure_scoring.errors import UsageError
from secure_scoring.facts import UNKNOWN
from secure_scoring.policy.pack import evaluate

SECRET = "TOPSECRET-Zq8v"


def project(root: Path, main: str, stacks: dict[str, str], name: str = "newuser") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (root / "__main__.py").write_text(textwrap.dedent(main))
    for stack, body in stacks.items():
        (root / f"Pulumi.{stack}.yaml").write_text(textwrap.dedent(body))
    return root


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
    root = project(tmp_path / "p", VERSIONED, {"prod": "config: {}\n"})
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
    root = project(tmp_path / "p", PROFILES, {"prod": "config: {}\n"})
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
SELF_SIGNED = """\
import pulumi_tls as tls

key = tls.PrivateKey("k", algorithm="ECDSA", ecdsa_curve="P256")
tls.SelfSignedCert("c", private_key_pem=key.private_key_pem, validity_period_hours=8760,
                   allowed_uses=["server_auth"], dns_names=["x.contoso.test"])
"""


@pytest.mark.parametrize("key", ["environment", "productionStacks"])
def test_secure_production_key_fails_closed(tmp_path, capsys, key):
    """`secure-scoring:environment` (or productionStacks) as a `secure:` value cannot be read
    offline; a stack that may be production must not pass as non-production."""
    stack = f"config:\n  secure-scoring:{key}:\n    secure: v1:abc:{SECRET}\n"
    root = project(tmp_path / "p", SELF_SIGNED, {"live": stack})
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
    root = project(tmp_path / "p", SELF_SIGNED, {"live": "config:\n  secure-scoring:environment: dev\n"})
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
    root = project(tmp_path / "p", main, {"dev": "config: {}\n"})
    report = gate.check(root, "dev")
    notes = [n.message for n in report.notes if "cert-hostname-match" in n.message]
    assert notes == [
        "cert-hostname-match: could not judge: sslConfiguration.cert of 'aks' is not readable PEM"
    ]
    assert json.loads(gate.render_json(report))["exitCode"] == 0


# --------------------------------------------------------------------------------------------- locations
DIRECT = """\
import pulumi


class Foreign(pulumi.ComponentResource):
    pass


def group(name):
    return pulumi.CustomResource(  # line 9
        "azure-native:containerinstance:ContainerGroup",
        name,
        {"ipAddress": {"type": "Public", "ports": [{"port": 80, "protocol": "TCP"}]}, "containers": []},
    )


group("web")
pulumi.ComponentResource("secure-scoring:index:SecureAciService", "svc", {  # line 17
    "platform": "aci", "tlsEnabled": False, "authMode": "key", "keyAuthEnabled": True,
    "tokenAuthEnabled": False, "minTlsVersion": "1.2", "environment": "production"})
"""


def test_resources_created_with_the_base_classes_are_located_at_their_line(tmp_path):
    """`pulumi.CustomResource(...)` / `pulumi.ComponentResource(...)` directly: the SDK sends no stack
    trace for them (it expects a subclass); the finding still points at the program's line, not at
    `__main__.py:1`."""
    root = project(tmp_path / "p", DIRECT, {"prod": "config: {}\n"})
    report = gate.check(root, "prod")
    where = {f.resource_name: (f.location.path.name, f.location.line) for f in report.mandatory}
    assert where == {"web": ("__main__.py", 9), "svc": ("__main__.py", 17)}
    sarif = json.loads(gate.render_sarif(report))
    lines = sorted(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]
    )
    assert lines == [9, 17]


# --------------------------------------------------------------------------------------------- CLI errors
@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--policy-config", "{root}/missing.json"], "--policy-config"),
        (["--format", "json", "--output", "{root}/no-such-dir/report.json"], "--output"),
    ],
)
def test_unreadable_or_unwritable_files_get_a_fix(tmp_path, capsys, extra, named):
    root = project(tmp_path / "p", SELF_SIGNED, {"dev": "config: {}\n"})
    code = cli_main(["check", str(root), "--stack", "dev", *[a.format(root=root) for a in extra]])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    line = next(x for x in err.splitlines() if f"error: {named}:" in x)
    assert "No such file or directory. Fix: " in line


@pytest.mark.parametrize("which", ["Pulumi.yaml", "Pulumi.dev.yaml"])
def test_a_file_that_is_not_utf8_is_a_usage_error(tmp_path, capsys, which):
    root = project(tmp_path / "p", "import pulumi\n", {"dev": "config: {}\n"})
    (root / which).write_bytes(b"name: \xff\xfe\n")
    code = cli_main(["check", str(root), "--stack", "dev"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "UnicodeDecodeError" not in err
    assert f"{which}: the " in err and "is not UTF-8 text" in err and "Fix: save it as UTF-8 YAML" in err


@pytest.mark.parametrize("which", ["project", "stack"])
def test_config_that_is_not_a_mapping_says_how_to_write_it(tmp_path, which):
    stacks = {"dev": "config: [1, 2]\n" if which == "stack" else "config: {}\n"}
    root = project(tmp_path / "p", "import pulumi\n", stacks)
    if which == "project":
        (root / "Pulumi.yaml").write_text("name: p\nruntime: python\nconfig: [1, 2]\n")
    with pytest.raises(UsageError) as info:
        gate.check(root, "dev")
    assert "must be a mapping" in info.value.problem and info.value.fix


def test_program_with_null_bytes_is_located_in_the_program(tmp_path, capsys):
    """compile() refuses null bytes with a SyntaxError that has no file name; the location must be
    the program's file, not runpy's `<frozen runpy>` made to look like a program file."""
    root = project(tmp_path / "p", "", {"dev": "config: {}\n"})
    (root / "__main__.py").write_bytes(b"import pulumi\n\x00\n")
    with pytest.raises(gate.ProgramError) as info:
        gate.check(root, "dev")
    assert info.value.location is not None
    assert info.value.location.path == (root / "__main__.py").resolve()
    assert "<" not in str(info.value.location.path)


# --------------------------------------------------------------------------------------------- secrets in program errors
KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKeyMaterialThatMustNeverBeShown0123456789abcdef\n-----END EC PRIVATE KEY-----\n"
KEY_LINE = "MHcCAQEEIKeyMaterialThatMustNeverBeShown"


@pytest.mark.parametrize(
    "statement",
    [
        "int(KEY)",  # ValueError quoting a cut-off repr, newlines escaped, no END line
        "raise ValueError('bad key: ' + KEY + ' (after)')",  # the whole block, real newlines
        "raise ValueError(f'bad key {KEY!r} (after)')",  # the whole block, escaped newlines
        "pulumi.log.error('cannot use ' + KEY)",
    ],
)
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_private_keys_in_the_programs_error_are_redacted(tmp_path, capsys, statement, fmt):
    main = f"import pulumi\nKEY = {KEY_PEM!r}\n{statement}\n"
    root = project(tmp_path / "p", main, {"dev": "config: {}\n"})
    out_file = tmp_path / "report.out"
    code = cli_main(["check", str(root), "--stack", "dev", "--format", fmt, "--output", str(out_file)])
    captured = capsys.readouterr()
    everything = captured.out + captured.err + out_file.read_text()
    assert code == 2
    assert KEY_LINE not in everything and "BEGIN EC PRIVATE KEY" not in everything
    assert "<EC PRIVATE KEY redacted>" in everything
    if "(after)" in statement:
        assert "(after)" in everything  # only the key is cut out


def test_private_keys_in_program_warnings_are_redacted(tmp_path):
    main = f"import pulumi\npulumi.log.warn('rotating ' + {KEY_PEM!r})\n"
    root = project(tmp_path / "p", main, {"dev": "config: {}\n"})
    report = gate.check(root, "dev")
    (note,) = [n for n in report.notes if n.kind == "program-warning"]
    assert KEY_LINE not in note.message and note.message.startswith("rotating <EC PRIVATE KEY redacted>")
    assert KEY_LINE not in gate.render_sarif(report) + gate.render_json(report) + gate.render_text(report)


def test_redact_leaves_certificates_and_plain_text():
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    assert gate.redact(f"chain {cert} ok") == f"chain {cert} ok"
    assert gate.redact("RSA PRIVATE KEY is a phrase") == "RSA PRIVATE KEY is a phrase"


# --------------------------------------------------------------------------------------------- errors while Pulumi prepares inputs
APPLY_VALUE_ERROR = """\
import pulumi
import pulumi_azure_native.containerinstance as ci


def port_of(v):
    return int("not-a-port")  # line 6


port = pulumi.Output.from_input("443").apply(port_of)
ci.ContainerGroup("g", resource_group_name="rg", os_type="Linux", containers=[],
                  ip_address=ci.IpAddressArgs(type="Public", ports=[ci.PortArgs(port=port)]))
"""

BUNDLE_FROM_OUTPUTS = """\
import pulumi_tls as tls
from secure_scoring import CertificateBundle, CertificateBundleArgs

key = tls.PrivateKey("k", algorithm="ECDSA", ecdsa_curve="P256")
cert = tls.SelfSignedCert("c", private_key_pem=key.private_key_pem, validity_period_hours=8760,
                          allowed_uses=["server_auth"], dns_names=["api.contoso.test"],
                          subject=tls.SelfSignedCertSubjectArgs(common_name="api"))
CertificateBundle("tls", CertificateBundleArgs(  # line 8
    source="pem", cert_pem=cert.cert_pem, key_pem=key.private_key_pem,
    hostnames=["api.contoso.test"], environment="production"))
"""


@pytest.mark.parametrize(
    ("main", "line", "kind", "message"),
    [
        (APPLY_VALUE_ERROR, 6, "ValueError", "invalid literal for int() with base 10: 'not-a-port'"),
        (BUNDLE_FROM_OUTPUTS, 8, "CertificateBundleError", "CertificateBundle('tls') [cert_pem/key_pem]"),
    ],
)
def test_errors_raised_while_pulumi_prepares_inputs_are_the_programs_own(tmp_path, main, line, kind, message):
    """The SDK wraps a ValueError from an input's apply in "While processing resource ... ValueError
    has risen: While processing input ... value <Output object at 0x...>"; the gate shows the
    original error, at the program's line (the apply's, else the line that created the resource)."""
    root = project(tmp_path / "p", main, {"prod": "config: {}\n"})
    with pytest.raises(gate.ProgramError) as info:
        gate.check(root, "prod")
    err = info.value
    assert (err.kind, err.location.path.name, err.location.line) == (kind, "__main__.py", line)
    assert err.message.startswith(message)
    assert "While processing" not in err.message and "object at 0x" not in err.message


def test_a_failed_run_leaves_nothing_that_reports_later(tmp_path, capsys):
    """The failed run's futures are finalized by the gate, quietly: a later run or garbage collection
    in the same process prints no "Future exception was never retrieved" tracebacks (and, on
    CPython 3.11, no finalizer runs inside a later compile(): "AST constructor recursion depth")."""
    import gc

    failing = project(tmp_path / "bad", BUNDLE_FROM_OUTPUTS, {"prod": "config: {}\n"})
    ok = project(tmp_path / "ok", DIRECT, {"prod": "config: {}\n"})
    for _ in range(2):
        with pytest.raises(gate.ProgramError):
            gate.check(failing, "prod")
        assert gate.check(ok, "prod").exit_code == 1
        gc.collect()
    err = capsys.readouterr().err
    assert "never retrieved" not in err and "Traceback" not in err
    import asyncio

    unreported = [
        o
        for o in gc.get_objects()
        if isinstance(o, asyncio.Future) and o.done() and not o.cancelled() and o._log_traceback
    ]
    assert unreported == []  # none left to print "exception was never retrieved" later


@pytest.mark.parametrize("given", ["Pulumi.prod.yaml", "Pulumi.prod.yml", "stacks/Pulumi.prod.yaml"])
def test_a_stack_file_name_given_as_the_stack_is_refused(tmp_path, capsys, given):
    """`--stack Pulumi.prod.yaml` used to run a stack named "Pulumi.prod.yaml" with no config (and
    pass, not being production) next to the Pulumi.prod.yaml it meant."""
    root = project(tmp_path / "p", SELF_SIGNED, {"prod": "config: {}\n"})
    assert cli_main(["check", str(root), "--stack", given]) == 2
    err = capsys.readouterr().err
    assert "is a stack file name, not a stack name. Fix: use --stack prod" in err


def test_min_tls_fix_matches_the_configured_min_version():
    root = Path(__file__).resolve().parents[1] / "examples" / "insecure" / "old-tls"
    report = gate.check(root, "production", policy_config={"min-tls-1-2": {"minVersion": "1.3"}})
    found = [f for f in report.findings if f.rule == "min-tls-1-2"]
    assert found, [f.rule for f in report.findings]
    for f in found:
        assert "below TLS 1.3" in f.message, f.message
        assert "'1.3' when minVersion is 1.3" in f.remediation  # not only "set '1.2' (the default)"


def test_redact_keeps_messages_that_only_name_the_pem_markers(tmp_path):
    """A mislabelled key file's error names both markers ("begins with '-----BEGIN RSA PRIVATE
    KEY-----' but ends with '-----END PRIVATE KEY-----'"): no key material, so the text stays (the
    span between the markers was replaced, hiding what is wrong with the file)."""
    certs = Path(__file__).resolve().parents[1] / "stacks" / "certs"
    bad_key = tmp_path / "bad.key"
    bad_key.write_text(
        (certs / "production.key").read_text().replace("BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE KEY", 1)
    )
    main = textwrap.dedent(
        f"""\
        from secure_scoring import CertificateBundle
        CertificateBundle.from_files(
            "tls", {str(certs / "production-fullchain.pem")!r}, {str(bad_key)!r},
            hostnames=["scoring.example.com"], environment="production",
        )
        """
    )
    root = project(tmp_path / "p", main, {"dev": "config: {}\n"})
    with pytest.raises(gate.ProgramError) as info:
        gate.check(root, "dev")
    assert "begins with '-----BEGIN RSA PRIVATE KEY-----' but ends with '-----END PRIVATE KEY-----'" in (
        info.value.message
    )
    body = (certs / "production.key").read_text().splitlines()[1]
    assert body[:20] not in info.value.message


@pytest.mark.parametrize(
    "label, headers",
    [
        ("RSA PRIVATE KEY", ""),  # PKCS#1
        (
            "RSA PRIVATE KEY",
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0A1B2C3D4E5F60718293A4B5C6D7E8F9\n\n",
        ),
        ("EC PRIVATE KEY", ""),
        ("ENCRYPTED PRIVATE KEY", ""),
        ("PRIVATE KEY", ""),
        ("OPENSSH PRIVATE KEY", ""),
    ],
)
def test_redact_still_hides_every_key_form(label, headers):
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
    pem = f"-----BEGIN {label}-----\n{headers}{body}\n{body}\n-----END {label}-----\n"
    for text in (
        f"bad {pem} (after)",
        f"bad {pem!r} (after)",
        repr(pem.splitlines()),
        f"cut {pem[: pem.index(body) + 30]}",
    ):
        out = gate.redact(text)
        assert body[:16] not in out and f"<{label} redacted>" in out, text
        if "(after)" in text:
            assert out.endswith("(after)")
