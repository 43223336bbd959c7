"""The offline gate (`secure-scoring check`): project/stack config loading, running the program,
program failures, report shapes (text, JSON, SARIF) and source locations.

The gate runs the real policy pack (``secure_scoring.policy.pack``); ``pack_spy`` records how the gate
calls it. tests/test_e2e_check.py runs the real stacks and the insecure examples.
"""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from pathlib import Path

import pytest

from secure_scoring import gate, rules
from secure_scoring.cli import main as cli_main
from secure_scoring.errors import UsageError
from secure_scoring.facts import UNKNOWN

CG_PROGRAM = """\
import pulumi
import pulumi_azure_native.containerinstance as ci

config = pulumi.Config()
port = config.get_int("port") or 443


def group(name, port):
    return ci.ContainerGroup(  # line 9
        name,
        resource_group_name="rg",
        os_type="Linux",
        containers=[ci.ContainerArgs(name="app", image="nginx",
            resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1)))],
        ip_address=ci.IpAddressArgs(type="Public", ports=[ci.PortArgs(port=port, protocol="TCP")]),
    )


web = group("web", port)
"""


def write_program(
    root: Path,
    main: str,
    *,
    project: str = "demo",
    stacks: dict[str, str] | None = None,
    project_yaml: str | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(project_yaml or f"name: {project}\nruntime: python\n")
    (root / "__main__.py").write_text(textwrap.dedent(main))
    for stack, body in (stacks or {"dev": "config: {}\n"}).items():
        (root / f"Pulumi.{stack}.yaml").write_text(textwrap.dedent(body))
    return root


@pytest.fixture
def pack_spy(monkeypatch):
    """The real policy pack, with its ``evaluate`` wrapped to record how the gate called it."""
    import os

    from secure_scoring.policy import pack as policy_pack

    real = policy_pack.evaluate
    calls: list[dict] = []

    def spy(resources, **kwargs):
        calls.append(
            {
                **kwargs,
                "env_stack": os.environ.get("PULUMI_STACK"),
                "env_project": os.environ.get("PULUMI_PROJECT"),
                "env_config": json.loads(os.environ.get("PULUMI_CONFIG", "{}")),
                "env_dry_run": os.environ.get("PULUMI_DRY_RUN"),
                "types": [r.type for r in resources],
            }
        )
        return real(resources, **kwargs)

    monkeypatch.setattr(policy_pack, "evaluate", spy)
    return calls


# ----------------------------------------------------------------------------------------------
# project and stack config
# ----------------------------------------------------------------------------------------------
def test_stack_config_namespaces_json_encoding_and_secure_values(tmp_path):
    root = write_program(
        tmp_path / "p",
        "",
        project_yaml=textwrap.dedent(
            """\
            name: demo
            runtime:
              name: python
              options: {toolchain: pip, virtualenv: .venv}
            config:
              region:
                type: string
                default: westeurope
              size: small
            """
        ),
        stacks={
            "dev": """\
            config:
              size: large
              demo:count: 3
              ratio: 1.5
              flag: true
              obj: {a: 1, b: [x, y]}
              other:key: plain
              aws:config:region: us-east-1
              apiKey:
                secure: AAABAKxyz
              nested:
                user: me
                password:
                  secure: AAABAzz
            """
        },
    )
    project = gate.load_project(root)
    cfg = gate.load_stack_config(project, "dev")
    assert cfg.values == {
        "demo:region": "westeurope",  # project default
        "demo:size": "large",  # stack overrides project
        "demo:count": "3",
        "demo:ratio": "1.5",
        "demo:flag": "true",
        "demo:obj": '{"a":1,"b":["x","y"]}',
        "other:key": "plain",
        "aws:region": "us-east-1",  # legacy ns:config:key
        "demo:apiKey": UNKNOWN,
        "demo:nested": json.dumps({"user": "me", "password": UNKNOWN}, separators=(",", ":")),
    }
    assert cfg.secret_keys == ["demo:apiKey", "demo:nested"]
    assert cfg.undecryptable == ["demo:apiKey", "demo:nested"]


def test_stack_config_dir_and_main_are_respected(tmp_path):
    root = tmp_path / "repo"
    (root / "prog").mkdir(parents=True)
    (root / "envs").mkdir()
    (root / "Pulumi.yaml").write_text("name: x\nruntime: python\nmain: prog/\nstackConfigDir: envs\n")
    (root / "prog" / "__main__.py").write_text("")
    (root / "envs" / "Pulumi.prod.yaml").write_text("config:\n  a: b\n")
    project = gate.load_project(root)
    assert project.main_file == (root / "prog" / "__main__.py").resolve()
    # like the Pulumi CLI, a directory without Pulumi.yaml uses the nearest parent's project
    assert gate.load_project(root / "prog").file == (root / "Pulumi.yaml").resolve()
    assert gate.load_stack_config(project, "prod").values == {"x:a": "b"}
    # org/project/stack names use the last part for the file
    assert gate.load_stack_config(project, "acme/x/prod").values == {"x:a": "b"}


@pytest.mark.parametrize(
    ("files", "stack", "expected"),
    [
        ({}, "dev", "no Pulumi.yaml"),
        ({"Pulumi.yaml": "name: x\nruntime: nodejs\n"}, "dev", "Python programs only"),
        ({"Pulumi.yaml": "runtime: python\n"}, "dev", "missing or invalid project name"),
        ({"Pulumi.yaml": "name: x\n"}, "dev", "runtime: missing"),
        ({"Pulumi.yaml": "name: x\nruntime: python\nmain: nope/\n"}, "dev", "'nope/' does not exist"),
        ({"Pulumi.yaml": "name: [x\n"}, "dev", "not valid YAML"),
        (
            {
                "Pulumi.yaml": "name: x\nruntime: python\n",
                "__main__.py": "",
                "Pulumi.dev.yaml": "config: [1]\n",
            },
            "dev",
            "must be a mapping",
        ),
        (
            {
                "Pulumi.yaml": "name: x\nruntime: python\n",
                "__main__.py": "",
                "Pulumi.dev.yaml": "config:\n  a:b:c: 1\n",
            },
            "dev",
            "not of the form",
        ),
        (
            {"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": ""},
            "bad stack!",
            "invalid stack name",
        ),
    ],
)
def test_bad_project_or_stack_is_a_usage_error(tmp_path, files, stack, expected):
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    with pytest.raises(UsageError) as err:
        project = gate.load_project(tmp_path)
        gate.load_stack_config(project, stack)
    assert expected in str(err.value)


def test_cli_usage_errors_exit_2_without_traceback(tmp_path, capsys):
    assert cli_main(["check", str(tmp_path / "missing"), "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    root = write_program(tmp_path / "p", "")
    (tmp_path / "pc.json").write_text("[1, 2]")
    assert cli_main(["check", str(root), "--stack", "dev", "--policy-config", str(tmp_path / "pc.json")]) == 2
    assert "must hold a JSON object" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# running the program
# ----------------------------------------------------------------------------------------------
def test_program_sees_config_secret_placeholder_and_runs_in_its_directory(tmp_path, pack_spy):
    root = write_program(
        tmp_path / "p",
        """\
        import os
        import pulumi
        import helper  # a module next to __main__.py, importable like under the language host

        c = pulumi.Config()
        pulumi.export("cwd", os.getcwd())
        assert c.get_int("count") == 3 and c.get_bool("flag") is True
        assert c.get_object("obj") == {"a": [1, 2]}
        key = c.require_secret("apiKey")
        helper.make(key)
        """,
        stacks={
            "dev": "config:\n  count: 3\n  flag: true\n  obj: {a: [1, 2]}\n  apiKey:\n    secure: AAAB\n"
        },
    )
    (root / "helper.py").write_text(
        "import pulumi_azure_native.containerinstance as ci\n"
        "def make(secret):\n"
        "    return ci.ContainerGroup('g', resource_group_name='rg', os_type='Linux', containers=[ci.ContainerArgs(\n"
        "        name='a', image='i', resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1)),\n"
        "        environment_variables=[ci.EnvironmentVariableArgs(name='K', secure_value=secret)])])\n"
    )
    report = gate.check(root, "dev")
    assert report.ok and [r.type for r in report.resources] == [
        "azure-native:containerinstance:ContainerGroup"
    ]
    [call] = pack_spy
    assert call["stack"] == call["env_stack"] == "dev" and call["env_project"] == call["project"] == "demo"
    assert call["env_config"]["demo:count"] == "3" and call["config"]["demo:count"] == "3"
    assert call["dry_run"] is True and call["env_dry_run"] == "true"
    # the secure value reaches the resource as a secret holding Pulumi's unknown sentinel
    [res] = pack_spy_resources(root)
    env = res.wire_inputs["containers"][0]["environmentVariables"][0]["secureValue"]
    assert env == {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": UNKNOWN,
    }
    assert [n.message for n in report.notes] == [
        "could not judge demo:apiKey: secure value (not decrypted offline; rules that read it treat it as unknown)"
    ]
    assert "helper" not in sys.modules  # the program's own modules are forgotten afterwards


def pack_spy_resources(root):
    project = gate.load_project(root)
    return gate.run_program(project, gate.load_stack_config(project, "dev")).resources


@pytest.mark.parametrize(
    ("main", "line", "expected"),
    [
        (
            "import pulumi\n\nhost = pulumi.Config().require('hostname')\n",
            3,
            "ConfigMissingError: Missing required configuration variable 'demo:hostname'",
        ),
        (
            "import pulumi\n\n\ndef boom(v):\n    raise ValueError('bad value in apply')\n\n\npulumi.Output.from_input(1).apply(boom)\n",
            5,
            "ValueError: bad value in apply",
        ),
        ("x = (\n", 1, "SyntaxError"),
        (
            "from secure_scoring import CertificateBundle, CertificateBundleArgs\n\n"
            "CertificateBundle('tls', CertificateBundleArgs(source='self_signed', environment='production',\n"
            "                  hostnames=['scoring.example.com']))\n",
            3,
            "ConfigurationError",
        ),
    ],
)
def test_program_failure_exits_2_with_the_programs_error(tmp_path, capsys, pack_spy, main, line, expected):
    root = write_program(tmp_path / "p", main)
    rc = cli_main(["check", str(root), "--stack", "dev"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "the program failed" in err
    assert f"__main__.py:{line}: " in err
    assert expected.split(":")[0] in err and expected.split(": ", 1)[-1] in err
    assert "Traceback" not in err and "gate.py" not in err


def test_secure_value_parsed_by_program_fails_with_a_hint(tmp_path, capsys, pack_spy):
    root = write_program(
        tmp_path / "p",
        "import pulumi\nport = pulumi.Config().get_int('port')\n",
        stacks={"dev": "config:\n  port:\n    secure: AAAB\n"},
    )
    assert cli_main(["check", str(root), "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "demo:port is a secure value that the offline gate cannot decrypt" in err


def test_pulumi_log_error_fails_like_a_preview(tmp_path, capsys, pack_spy):
    root = write_program(tmp_path / "p", "import pulumi\npulumi.log.error('no region set')\n")
    assert cli_main(["check", str(root), "--stack", "dev"]) == 2
    assert "no region set" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# reports
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def failing_report(tmp_path, pack_spy, monkeypatch):
    root = write_program(tmp_path / "repo" / "prog", CG_PROGRAM, stacks={"dev": "config:\n  port: 80\n"})
    monkeypatch.chdir(tmp_path / "repo")
    return root, gate.check(root, "dev")


def test_findings_are_located_at_the_program_line(failing_report):
    root, report = failing_report
    assert report.findings and {(f.rule, f.level) for f in report.findings} == {("tls-required", "mandatory")}
    for finding in report.findings:
        assert finding.location.path == (root / "__main__.py").resolve()
        assert finding.location.line == 9  # where the resource is constructed (Pulumi's sourcePosition)
    assert report.exit_code == 1


def test_text_report(failing_report):
    _root, report = failing_report
    text = gate.render_text(report)
    assert "azure-native:containerinstance:ContainerGroup  web  (prog/__main__.py:9)" in text
    assert (
        "\n  [mandatory] tls-required (critical): public port 80 is exposed; only HTTPS on 443 is allowed.\n"
        in text
    )
    assert text.count("[mandatory] tls-required (critical): ") == len(report.findings)
    assert text.count("      fix: Use SecureAciService/SecureAksCluster with a certificate;") == 1
    assert "Fix: " not in text  # the pack's ". Fix: ..." suffix is shown once, as the fix line
    n = len(report.findings)
    assert text.rstrip().endswith(
        f"FAIL: stack dev of demo: 1 resources, {n} mandatory violation{'s' if n > 1 else ''}, 0 advisories, 0 notes"
    )


def test_json_report_schema(failing_report):
    root, report = failing_report
    doc = json.loads(gate.render_json(report))
    assert set(doc) == {
        "schemaVersion",
        "tool",
        "project",
        "stack",
        "programDir",
        "preview",
        "ok",
        "exitCode",
        "summary",
        "findings",
        "notes",
        "resources",
    }
    assert (
        doc["schemaVersion"] == 1 and doc["ok"] is False and doc["exitCode"] == 1 and doc["preview"] is True
    )
    assert doc["summary"] == {"resources": 1, "mandatory": len(report.findings), "advisory": 0, "notes": 0}
    f = doc["findings"][0]
    assert f == {
        "rule": "tls-required",
        "level": "mandatory",
        "severity": "critical",
        "urn": "urn:pulumi:dev::demo::azure-native:containerinstance:ContainerGroup::web",  # the engine form
        "resourceType": "azure-native:containerinstance:ContainerGroup",
        "resourceName": "web",
        "message": "public port 80 is exposed; only HTTPS on 443 is allowed.",
        "remediation": rules.RULES_BY_NAME["tls-required"].remediation,
        "location": {"path": "__main__.py", "line": 9},
    }
    assert doc["resources"][0]["location"] == {"path": "__main__.py", "line": 9}


def test_sarif_has_what_github_code_scanning_requires(failing_report):
    _root, report = failing_report
    doc = json.loads(gate.render_sarif(report))
    assert doc["$schema"].endswith("sarif-2.1.0.json") and doc["version"] == "2.1.0"
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "secure-scoring" and driver["semanticVersion"]
    assert driver["informationUri"].endswith("docs/check.md")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(ids) and {"tls-required", "auth-required"} <= set(ids)
    for rule in driver["rules"]:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"].strip()
        assert rule["help"]["markdown"].strip()
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
        assert 0.1 <= float(rule["properties"]["security-severity"]) <= 10.0
        assert "security" in rule["properties"]["tags"]
    tls = driver["rules"][ids.index("tls-required")]
    assert tls["shortDescription"]["text"] == rules.RULES_BY_NAME["tls-required"].description
    assert tls["defaultConfiguration"]["level"] == "error" and tls["properties"]["security-severity"] == "9.5"
    assert tls["help"]["text"].endswith("Fix: " + rules.RULES_BY_NAME["tls-required"].remediation)
    # auth-required is production-only: its default level in a dev stack is advisory
    auth = driver["rules"][ids.index("auth-required")]
    assert auth["defaultConfiguration"]["level"] == "warning"
    assert run["automationDetails"]["id"] == "secure-scoring/dev/"
    [result] = run["results"]
    assert result["ruleId"] == "tls-required" and driver["rules"][result["ruleIndex"]]["id"] == "tls-required"
    assert result["level"] == "error"
    urn = report.findings[0].urn
    # one result per resource and rule (the fingerprint's identity); its messages joined
    text = result["message"]["text"]
    assert urn in text and all(f.message in text for f in report.findings)
    assert "public port 80 is exposed" in text
    assert "Fix:" not in text
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "prog/__main__.py"  # repo-relative: relative to cwd
    assert loc["region"]["startLine"] == 9
    assert result["partialFingerprints"] == {
        "pulumiUrn/v1": hashlib.sha256((urn + "tls-required").encode()).hexdigest()
    }


def test_sarif_paths_fall_back_to_program_dir_and_advisories_are_warnings(tmp_path, pack_spy, monkeypatch):
    root = write_program(
        tmp_path / "prog",
        "import pulumi_tls as tls\n\n"
        "key = tls.PrivateKey('key', algorithm='ECDSA', ecdsa_curve='P256')\n"
        "cert = tls.SelfSignedCert(\n"
        "    'cert', private_key_pem=key.private_key_pem, validity_period_hours=24 * 365,\n"
        "    allowed_uses=['server_auth'], dns_names=['dev.example.test'])\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the program is not under the working directory
    report = gate.check(root, "dev")
    assert report.ok
    assert [(f.rule, f.level, f.resource_name) for f in report.findings] == [
        ("no-self-signed-in-production", "advisory", "cert")
    ]
    [result] = json.loads(gate.render_sarif(report))["runs"][0]["results"]
    assert result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "__main__.py"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4


def test_children_of_a_library_component_point_at_the_line_that_created_it(tmp_path, pack_spy):
    root = write_program(
        tmp_path / "p",
        "from secure_scoring import CertificateBundle, CertificateBundleArgs\n\n\n"
        "bundle = CertificateBundle('tls', CertificateBundleArgs(source='self_signed',\n"
        "    hostnames=['scoring.dev.example.test']))\n",
    )
    report = gate.check(root, "dev")
    children = [r for r in report.resources if r.parent and r.type.startswith("tls:")]
    assert children, "the bundle registers pulumi-tls children"
    for r in report.resources:
        assert (r.location.path.name, r.location.line) == ("__main__.py", 4), r.type


def test_cli_writes_reports_to_a_file_and_prints_the_verdict(failing_report, pack_spy, tmp_path, capsys):
    root, _ = failing_report
    out = tmp_path / "r.sarif"
    assert cli_main(["check", str(root), "--stack", "dev", "--format", "sarif", "--output", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "FAIL: stack dev of demo" in captured.err
    assert json.loads(out.read_text())["version"] == "2.1.0"
    pc = tmp_path / "pc.json"
    pc.write_text('{"all": "advisory"}')
    cli_main(["check", str(root), "--stack", "dev", "--format", "json", "--policy-config", str(pc)])
    assert pack_spy[-1]["policy_config"] == {"all": "advisory"}
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["summary"]["mandatory"] == 0 and doc["summary"]["advisory"] >= 1
    assert {f["level"] for f in doc["findings"]} == {"advisory"}


def test_values_unknown_during_preview_become_notes_not_violations(tmp_path, pack_spy):
    # RandomInteger.result is not faked by the mocks: in preview it stays unknown, as in a real
    # `pulumi preview` of a new stack, and the rule that needs it says it could not judge it
    root = write_program(
        tmp_path / "p",
        "import pulumi_random as random\n"
        "import pulumi_azure_native.containerinstance as ci\n\n"
        "port = random.RandomInteger('port', min=440, max=450)\n"
        "ci.ContainerGroup('g', resource_group_name='rg', os_type='Linux', containers=[ci.ContainerArgs(\n"
        "    name='a', image='i', resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1)))],\n"
        "    ip_address=ci.IpAddressArgs(type='Public', ports=[ci.PortArgs(port=port.result)]))\n",
        stacks={"production": "config: {}\n"},
    )
    report = gate.check(root, "production")
    assert report.ok and report.findings == []
    [note] = [n for n in report.notes if n.kind == "unknown-value"]
    assert note.message.startswith("tls-required: could not judge: ")
    assert "ipAddress.ports[0]" in note.message and note.urn.endswith("ContainerGroup::g")
    assert "could not judge" in gate.render_text(report)
    sarif = json.loads(gate.render_sarif(report))
    assert sarif["runs"][0]["results"] == []
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["level"] == "note"


# Property names the SARIF 2.1.0 JSON schema allows for each object the gate emits (the schema sets
# "additionalProperties": false on all of them), with the required ones. Transcribed from the OASIS
# schema (sarif-schema-2.1.0.json, definitions.*.properties / required).
SARIF_OBJECTS = {
    "sarifLog": (
        {"$schema", "inlineExternalProperties", "properties", "runs", "version"},
        {"version", "runs"},
    ),
    "run": (
        {
            "addresses",
            "artifacts",
            "automationDetails",
            "baselineGuid",
            "columnKind",
            "conversion",
            "defaultEncoding",
            "defaultSourceLanguage",
            "externalPropertyFileReferences",
            "graphs",
            "invocations",
            "language",
            "logicalLocations",
            "newlineSequences",
            "originalUriBaseIds",
            "policies",
            "properties",
            "redactionTokens",
            "results",
            "runAggregates",
            "specialLocations",
            "taxonomies",
            "threadFlowLocations",
            "tool",
            "translations",
            "versionControlProvenance",
            "webRequests",
            "webResponses",
        },
        {"tool"},
    ),
    "tool": ({"driver", "extensions", "properties"}, {"driver"}),
    "toolComponent": (
        {
            "associatedComponent",
            "contents",
            "dottedQuadFileVersion",
            "downloadUri",
            "fullDescription",
            "fullName",
            "globalMessageStrings",
            "guid",
            "informationUri",
            "isComprehensive",
            "language",
            "localizedDataSemanticVersion",
            "locations",
            "minimumRequiredLocalizedDataSemanticVersion",
            "name",
            "notifications",
            "organization",
            "product",
            "productSuite",
            "properties",
            "releaseDateUtc",
            "rules",
            "semanticVersion",
            "shortDescription",
            "supportedTaxonomies",
            "taxa",
            "translationMetadata",
            "version",
        },
        {"name"},
    ),
    "reportingDescriptor": (
        {
            "defaultConfiguration",
            "deprecatedGuids",
            "deprecatedIds",
            "deprecatedNames",
            "fullDescription",
            "guid",
            "help",
            "helpUri",
            "id",
            "messageStrings",
            "name",
            "properties",
            "relationships",
            "shortDescription",
        },
        {"id"},
    ),
    "multiformatMessageString": ({"markdown", "properties", "text"}, {"text"}),
    "reportingConfiguration": ({"enabled", "level", "parameters", "properties", "rank"}, set()),
    "result": (
        {
            "analysisTarget",
            "attachments",
            "baselineState",
            "codeFlows",
            "correlationGuid",
            "fingerprints",
            "fixes",
            "graphTraversals",
            "graphs",
            "guid",
            "hostedViewerUri",
            "kind",
            "level",
            "locations",
            "message",
            "occurrenceCount",
            "partialFingerprints",
            "properties",
            "provenance",
            "rank",
            "relatedLocations",
            "rule",
            "ruleId",
            "ruleIndex",
            "stacks",
            "suppressions",
            "taxa",
            "webRequest",
            "webResponse",
            "workItemUris",
        },
        {"message"},
    ),
    "message": ({"arguments", "id", "markdown", "properties", "text"}, set()),
    "location": (
        {
            "annotations",
            "id",
            "logicalLocations",
            "message",
            "physicalLocation",
            "properties",
            "relationships",
        },
        set(),
    ),
    "physicalLocation": ({"address", "artifactLocation", "contextRegion", "properties", "region"}, set()),
    "artifactLocation": ({"description", "index", "properties", "uri", "uriBaseId"}, set()),
    "region": (
        {
            "byteLength",
            "byteOffset",
            "charLength",
            "charOffset",
            "endColumn",
            "endLine",
            "message",
            "properties",
            "snippet",
            "sourceLanguage",
            "startColumn",
            "startLine",
        },
        set(),
    ),
    "logicalLocation": (
        {"decoratedName", "fullyQualifiedName", "index", "kind", "name", "parentIndex", "properties"},
        set(),
    ),
    "runAutomationDetails": ({"correlationGuid", "description", "guid", "id", "properties"}, set()),
    "invocation": (
        {
            "account",
            "arguments",
            "commandLine",
            "endTimeUtc",
            "environmentVariables",
            "executableLocation",
            "executionSuccessful",
            "exitCode",
            "exitCodeDescription",
            "exitSignalName",
            "exitSignalNumber",
            "machine",
            "notificationConfigurationOverrides",
            "processId",
            "processStartFailureMessage",
            "properties",
            "responseFiles",
            "ruleConfigurationOverrides",
            "startTimeUtc",
            "stderr",
            "stdin",
            "stdout",
            "stdoutStderr",
            "toolConfigurationNotifications",
            "toolExecutionNotifications",
            "workingDirectory",
        },
        {"executionSuccessful"},
    ),
    "notification": (
        {
            "associatedRule",
            "descriptor",
            "exception",
            "level",
            "locations",
            "message",
            "properties",
            "threadId",
            "timeUtc",
        },
        {"message"},
    ),
}
SARIF_LEVELS = {"none", "note", "warning", "error"}


def _sarif_conforms(obj, kind, path="$"):
    allowed, required = SARIF_OBJECTS[kind]
    assert isinstance(obj, dict), path
    assert set(obj) <= allowed, f"{path}: not allowed by the SARIF 2.1.0 schema: {set(obj) - allowed}"
    assert required <= set(obj), f"{path}: missing {required - set(obj)}"
    children = {
        "sarifLog": {"runs": ("run", True)},
        "run": {
            "tool": ("tool", False),
            "results": ("result", True),
            "automationDetails": ("runAutomationDetails", False),
            "invocations": ("invocation", True),
        },
        "tool": {"driver": ("toolComponent", False)},
        "toolComponent": {"rules": ("reportingDescriptor", True)},
        "reportingDescriptor": {
            "shortDescription": ("multiformatMessageString", False),
            "fullDescription": ("multiformatMessageString", False),
            "help": ("multiformatMessageString", False),
            "defaultConfiguration": ("reportingConfiguration", False),
        },
        "result": {"message": ("message", False), "locations": ("location", True)},
        "location": {
            "physicalLocation": ("physicalLocation", False),
            "logicalLocations": ("logicalLocation", True),
        },
        "physicalLocation": {"artifactLocation": ("artifactLocation", False), "region": ("region", False)},
        "invocation": {"toolExecutionNotifications": ("notification", True)},
        "notification": {"message": ("message", False)},
    }.get(kind, {})
    for key, (child, is_list) in children.items():
        if key in obj:
            for i, item in enumerate(obj[key] if is_list else [obj[key]]):
                _sarif_conforms(item, child, f"{path}.{key}" + (f"[{i}]" if is_list else ""))
    if "level" in obj and kind in ("result", "reportingConfiguration", "notification"):
        assert obj["level"] in SARIF_LEVELS, path
    if kind == "region":
        assert isinstance(obj["startLine"], int) and obj["startLine"] >= 1
    if kind == "result":
        assert isinstance(obj["ruleIndex"], int) and obj["ruleIndex"] >= 0
        assert all(isinstance(v, str) for v in obj["partialFingerprints"].values())


def test_sarif_uses_only_what_the_sarif_2_1_0_schema_allows(failing_report, tmp_path, pack_spy):
    _root, report = failing_report
    _sarif_conforms(json.loads(gate.render_sarif(report)), "sarifLog")
    # also with notes (secure values) and advisories
    root = write_program(
        tmp_path / "n",
        "import pulumi_tls as tls\nk = tls.PrivateKey('k', algorithm='ECDSA', ecdsa_curve='P256')\n"
        "tls.SelfSignedCert('c', private_key_pem=k.private_key_pem, validity_period_hours=8760,\n"
        "    allowed_uses=['server_auth'], dns_names=['a.example.test'])\n",
        stacks={"dev": "config:\n  token:\n    secure: AAAB\n"},
    )
    doc = json.loads(gate.render_sarif(gate.check(root, "dev")))
    _sarif_conforms(doc, "sarifLog")
    assert doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert doc["runs"][0]["results"][0]["level"] == "warning"


def test_secure_key_in_config_is_unknown_to_the_program_not_a_broken_pem(tmp_path, pack_spy):
    # A production key kept as a secure config value: offline it cannot be decrypted. The program
    # gets an *unknown* secret Output (as in a preview), so the certificate component does not fail
    # on a placeholder; the gate passes and says what it could not judge.
    chain = (
        Path(__file__).resolve().parents[1] / "stacks" / "certs" / "production-fullchain.pem"
    ).read_text()
    indented = "".join(f"    {line}\n" for line in chain.splitlines())
    root = write_program(
        tmp_path / "p",
        "import pulumi\n"
        "from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs\n\n"
        "c = pulumi.Config()\n"
        "key = c.require_secret('tlsKeyPem')\n"
        "key.apply(lambda k: (_ for _ in ()).throw(RuntimeError('apply ran on ' + k)))\n"
        "CertificateBundle('tls', CertificateBundleArgs(source='pem', cert_pem=c.require('certPem'),\n"
        "    key_pem=key, hostnames=['scoring.example.com'], environment='production'))\n",
        stacks={"production": f"config:\n  tlsKeyPem:\n    secure: v1:AAAAB\n  certPem: |\n{indented}"},
    )
    report = gate.check(root, "production")
    assert report.ok and report.findings == []
    kinds = [n.kind for n in report.notes]
    assert (
        kinds[0] == "secure-config"
        and "could not judge demo:tlsKeyPem: secure value" in report.notes[0].message
    )
    # the certificate itself is plain config: it is judged offline (self-signed, expiry, names),
    # only the key check waits for the key
    assert "unknown-value" not in kinds, [n.message for n in report.notes]
    assert all("could not judge: could not judge" not in n.message for n in report.notes)


def test_self_signed_certificate_with_a_secure_key_is_refused_in_production(tmp_path, capsys, pack_spy):
    # The stacks' recommended layout (certPem plain, tlsKeyPem secure) must not hide a self-signed
    # certificate from the offline gate just because the key cannot be decrypted there.
    from support.certs import CertFactory

    leaf = CertFactory(tmp_path / "pki").self_signed(["scoring.example.com"])
    indented = "".join(f"    {line}\n" for line in leaf.chain_pem().splitlines())
    main = (
        "import pulumi\n"
        "from secure_scoring import CertificateBundle, CertificateBundleArgs, SecureAciService, SecureAciServiceArgs\n\n"
        "c = pulumi.Config()\n"
        "cert = CertificateBundle('tls', CertificateBundleArgs(source='pem', cert_pem=c.require('certPem'),\n"
        "    key_pem=c.require_secret('tlsKeyPem'), hostnames=['scoring.example.com']))\n"
        "SecureAciService('svc', SecureAciServiceArgs(resource_group_name='rg', certificate=cert,\n"
        "    hostname='scoring.example.com', dns_name_label='contoso-scoring'))\n"
    )
    stack = f"config:\n  tlsKeyPem:\n    secure: v1:AAAAB\n  certPem: |\n{indented}"
    root = write_program(tmp_path / "p", main, stacks={"production": stack, "dev": stack})
    assert cli_main(["check", str(root), "--stack", "production"]) != 0
    out = capsys.readouterr()
    assert "self-signed" in (out.out + out.err)
    assert "PRIVATE KEY" not in out.out + out.err
    # in dev the same certificate is allowed, and the service records it as self-signed (not a guess)
    report = gate.check(root, "dev")
    assert report.ok


def test_duplicate_resource_names_fail_like_the_engine(tmp_path, capsys, pack_spy):
    root = write_program(
        tmp_path / "p",
        "import pulumi_tls as tls\n\nfor algorithm in ('RSA', 'ECDSA'):\n"
        "    tls.PrivateKey('key', algorithm=algorithm)\n",
    )
    assert cli_main(["check", str(root), "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "__main__.py:4: ResourceError: Duplicate resource URN" in err and "::key'" in err


def test_reports_use_the_engines_urns(tmp_path, pack_spy):
    # the engine's URN: the parent's whole type chain, no `pulumi:pulumi:Stack` (the mock differs)
    root = write_program(
        tmp_path / "p",
        "import pulumi\nimport pulumi_tls as tls\n\n"
        "class Inner(pulumi.ComponentResource):\n"
        "    def __init__(self, name, opts=None):\n"
        "        super().__init__('x:index:Inner', name, {}, opts)\n"
        "        tls.PrivateKey(f'{name}-key', algorithm='ECDSA', ecdsa_curve='P256',\n"
        "                       opts=pulumi.ResourceOptions(parent=self))\n\n"
        "class Outer(pulumi.ComponentResource):\n"
        "    def __init__(self, name):\n"
        "        super().__init__('x:index:Outer', name, {}, None)\n"
        "        Inner(f'{name}-inner', pulumi.ResourceOptions(parent=self))\n\n"
        "Outer('o')\n",
    )
    report = gate.check(root, "dev")
    assert [(r.urn, r.parent) for r in report.resources] == [
        ("urn:pulumi:dev::demo::x:index:Outer::o", "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev"),
        (
            "urn:pulumi:dev::demo::x:index:Outer$x:index:Inner::o-inner",
            "urn:pulumi:dev::demo::x:index:Outer::o",
        ),
        (
            "urn:pulumi:dev::demo::x:index:Outer$x:index:Inner$tls:index/privateKey:PrivateKey::o-inner-key",
            "urn:pulumi:dev::demo::x:index:Outer$x:index:Inner::o-inner",
        ),
    ]


# ----------------------------------------------------------------------------------------------
# new-user findings: missing stack file, config keys, failed runs in JSON/SARIF, log.error lines,
# one finding per dev certificate
# ----------------------------------------------------------------------------------------------
def test_missing_stack_file_is_empty_config_like_the_cli(tmp_path, pack_spy):
    root = write_program(
        tmp_path / "p",
        "import pulumi\nassert pulumi.Config().get('region') == 'westeurope'\n",
        project_yaml="name: demo\nruntime: python\nconfig:\n  region: westeurope\n",
        stacks={"prod": "config: {}\n"},
    )
    project = gate.load_project(root)
    cfg = gate.load_stack_config(project, "qa", allow_missing_stack_file=True)
    assert cfg.values == {"demo:region": "westeurope"}  # project defaults only
    assert cfg.notes == [
        "no Pulumi.qa.yaml: running with project defaults only (the Pulumi CLI treats a missing stack "
        "config file as empty config); stack files found: Pulumi.prod.yaml"
    ]
    report = gate.check(root, "qa", allow_missing_stack_file=True)
    assert report.ok and [n.kind for n in report.notes] == ["environment"]
    # an invalid stack name is still a usage error
    with pytest.raises(UsageError, match="invalid stack name"):
        gate.load_stack_config(project, "no good")


def test_missing_stack_file_beside_other_stack_files_is_refused_as_a_likely_typo(tmp_path, capsys, pack_spy):
    # 'prodution' would run without the production rules and pass: refuse it, naming the stacks
    root = write_program(
        tmp_path / "p",
        "from secure_scoring import CertificateBundle, CertificateBundleArgs\n\n"
        "CertificateBundle('tls', CertificateBundleArgs(source='self_signed', hostnames=['a.example.test']))\n",
        stacks={"production": "config: {}\n", "dev": "config: {}\n"},
    )
    with pytest.raises(UsageError) as caught:
        gate.check(root, "prodution")
    text = str(caught.value)
    assert caught.value.input_name == "--stack"
    assert "no Pulumi.prodution.yaml" in text and "dev, production" in text
    assert "--allow-missing-stack-file" in text
    assert cli_main(["check", str(root), "--stack", "prodution"]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.prodution.yaml" in err and "Traceback" not in err
    # the opt-out runs it on the project's config, with the note
    assert cli_main(["check", str(root), "--stack", "prodution", "--allow-missing-stack-file"]) == 0
    out = capsys.readouterr()
    assert "no Pulumi.prodution.yaml" in out.out + out.err


def test_a_project_without_any_stack_file_runs_on_its_config(tmp_path, pack_spy):
    root = write_program(tmp_path / "p", "import pulumi\n")
    (root / "Pulumi.dev.yaml").unlink()
    report = gate.check(root, "dev")
    assert report.ok
    assert any("no Pulumi.dev.yaml" in n.message for n in report.notes)


def test_project_namespace_environment_gets_a_note(tmp_path):
    root = write_program(
        tmp_path / "p",
        "",
        stacks={
            "dev": "config:\n  demo:environment: production\n",
            "ok": "config:\n  demo:environment: production\n  secure-scoring:environment: production\n",
        },
    )
    project = gate.load_project(root)
    assert gate.load_stack_config(project, "dev").notes == [
        "demo:environment is set but the policy pack reads secure-scoring:environment: the project-namespace "
        "key is ignored when judging production; set `secure-scoring:environment: ...` in Pulumi.dev.yaml instead"
    ]
    assert gate.load_stack_config(project, "ok").notes == []


def test_pulumi_log_error_is_located_at_the_call(tmp_path, capsys, pack_spy):
    root = write_program(tmp_path / "p", "import pulumi\nimport checks\n\nchecks.verify()\n")
    (root / "checks.py").write_text(
        "import pulumi\n\n\ndef verify():\n    pulumi.log.warn('fine')\n    pulumi.log.error('no region set')\n"
    )
    assert cli_main(["check", str(root), "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "checks.py:6: pulumi.log.error: no region set" in err, err
    import pulumi

    assert pulumi.log.error.__module__ == "pulumi.log"  # the wrapper is removed after the run


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_failed_run_still_writes_a_machine_readable_report(tmp_path, capsys, pack_spy, fmt, monkeypatch):
    root = write_program(
        tmp_path / "repo" / "p", "import pulumi\n\nx = pulumi.Config().require('hostname')\n"
    )
    monkeypatch.chdir(tmp_path / "repo")
    # stdout
    assert cli_main(["check", str(root), "--stack", "dev", "--format", fmt]) == 2
    captured = capsys.readouterr()
    assert "the program failed" in captured.err and "p/__main__.py:3" in captured.err  # text as before
    doc = json.loads(captured.out)
    # --output: an old report from an earlier run is replaced, never left for CI to upload
    out = tmp_path / f"report.{fmt}"
    out.write_text('{"stale": true}')
    assert cli_main(["check", str(root), "--stack", "dev", "--format", fmt, "--output", str(out)]) == 2
    assert json.loads(out.read_text()) == doc
    if fmt == "json":
        assert doc["ok"] is False and doc["exitCode"] == 2 and doc["stack"] == "dev"
        err = doc["error"]
        assert (err["kind"], err["file"], err["line"]) == ("ConfigMissingError", "__main__.py", 3)
        assert "demo:hostname" in doc["error"]["message"]
    else:
        _sarif_conforms(doc, "sarifLog")
        [run] = doc["runs"]
        assert run["results"] == []
        [inv] = run["invocations"]
        assert inv["executionSuccessful"] is False
        [note] = inv["toolExecutionNotifications"]
        assert note["level"] == "error" and "demo:hostname" in note["message"]["text"]
        loc = note["locations"][0]["physicalLocation"]
        assert (loc["artifactLocation"]["uri"], loc["region"]["startLine"]) == ("p/__main__.py", 3)
    # a usage error too (bad stack file): error document, message on stderr
    (root / "Pulumi.bad.yaml").write_text("config: [1]\n")
    assert cli_main(["check", str(root), "--stack", "bad", "--format", fmt, "--output", str(out)]) == 2
    assert "must be a mapping" in capsys.readouterr().err
    text = out.read_text()
    assert "must be a mapping" in text
    if fmt == "json":
        assert json.loads(text)["error"]["input"] == "Pulumi.bad.yaml: config"


DEV_CERT_PROGRAM = """\
import pulumi
import pulumi_tls as tls
from secure_scoring import CertificateBundle, CertificateBundleArgs

bundle = CertificateBundle("dev-cert", CertificateBundleArgs(source="self_signed", hostnames=["a.example.test"]))


class Mine(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:index:Mine", name)
        k = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=pulumi.ResourceOptions(parent=self))
        tls.SelfSignedCert(f"{name}-cert", private_key_pem=k.private_key_pem, validity_period_hours=24,
            allowed_uses=["server_auth"], dns_names=["b.example.test"], opts=pulumi.ResourceOptions(parent=self))


Mine("mine")
raw_key = tls.PrivateKey("raw-key", algorithm="ECDSA", ecdsa_curve="P256")
tls.SelfSignedCert("raw-cert", private_key_pem=raw_key.private_key_pem, validity_period_hours=24,
    allowed_uses=["server_auth"], dns_names=["c.example.test"])
"""


def test_one_dev_certificate_is_reported_once_at_our_component(tmp_path, pack_spy):
    root = write_program(tmp_path / "p", DEV_CERT_PROGRAM, stacks={"production": "config: {}\n"})
    report = gate.check(root, "production")
    found = {(f.resource_type, f.resource_name): f for f in report.findings if f.rule == rules.NO_SELF_SIGNED}
    # the bundle's own SelfSignedCert child is folded into the bundle's finding ...
    assert set(found) == {
        (rules.CERTIFICATE_BUNDLE, "dev-cert"),
        (rules.TLS_SELF_SIGNED, "mine-cert"),  # ... a user's own component is not ours: kept
        (rules.TLS_SELF_SIGNED, "raw-cert"),  # ... and a hand-written one is always caught
    }
    bundle = found[(rules.CERTIFICATE_BUNDLE, "dev-cert")]
    assert bundle.level == "mandatory"
    assert bundle.message.endswith("(also found on its children: SelfSignedCert 'dev-cert-cert')")
    assert all(f.level == "mandatory" for f in found.values())
    assert not report.ok


def test_failed_run_with_text_output_replaces_the_old_report(tmp_path, capsys, pack_spy):
    root = write_program(tmp_path / "p", "import pulumi\n\nx = pulumi.Config().require('hostname')\n")
    out = tmp_path / "report.txt"
    out.write_text("PASS: stack dev of demo: an earlier run\n")
    assert cli_main(["check", str(root), "--stack", "dev", "--output", str(out)]) == 2
    assert "the program failed" in capsys.readouterr().err
    text = out.read_text()
    assert "PASS" not in text and text.startswith("ERROR (exit 2)") and "ConfigMissingError" in text


SELF_SIGNED_RAW = """\
import pulumi_tls as tls

key = tls.PrivateKey("key", algorithm="ECDSA")
tls.SelfSignedCert(
    "cert",
    private_key_pem=key.private_key_pem,
    subject=tls.SelfSignedCertSubjectArgs(common_name="a.example.test"),
    dns_names=["a.example.test"],
    allowed_uses=["server_auth"],
    validity_period_hours=24,
)
"""


def test_a_pulumi_yml_project_reads_its_stack_files_with_the_same_extension(tmp_path, capsys, pack_spy):
    # the Pulumi CLI names a stack file after the project file's extension: Pulumi.yml ->
    # Pulumi.<stack>.yml. Read as Pulumi.live.yaml, the file's `environment: production` was ignored
    # and the self-signed certificate passed as a non-production stack.
    root = tmp_path / "p"
    root.mkdir()
    (root / "Pulumi.yml").write_text("name: demo\nruntime: python\n")
    (root / "__main__.py").write_text(SELF_SIGNED_RAW)
    (root / "Pulumi.live.yml").write_text("config:\n  secure-scoring:environment: production\n")
    cfg = gate.load_stack_config(gate.load_project(root), "live")
    assert cfg.file == root / "Pulumi.live.yml"
    assert "secure-scoring:environment" in cfg.values and cfg.notes == []
    report = gate.check(root, "live")
    assert report.exit_code == 1
    assert "no-self-signed-in-production" in {f.rule for f in report.mandatory}
    # the typo guard sees .yml stack files too
    with pytest.raises(UsageError) as caught:
        gate.check(root, "lvie")
    assert "no Pulumi.lvie.yml" in str(caught.value) and "live" in str(caught.value)


def test_a_stack_file_with_the_other_extension_is_named_in_the_refusal(tmp_path, pack_spy):
    # Pulumi.yaml project, Pulumi.prod.yml stack file: the Pulumi CLI does not read it either
    root = write_program(tmp_path / "p", "import pulumi\n", stacks={})
    (root / "Pulumi.prod.yml").write_text("config: {}\n")
    with pytest.raises(UsageError) as caught:
        gate.check(root, "prod")
    text = str(caught.value)
    assert "Pulumi.prod.yml" in text and "Pulumi.prod.yaml" in text and "rename" in text


def test_a_stack_file_name_given_as_the_stack_names_the_yml_file_in_a_yml_project(tmp_path, capsys):
    """In a Pulumi.yml project the stack file is Pulumi.<stack>.yml: the fix must not send the user
    to a Pulumi.<stack>.yaml the Pulumi CLI ignores."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "Pulumi.yml").write_text("name: p\nruntime: python\n")
    (root / "__main__.py").write_text("import pulumi\n")
    (root / "Pulumi.prod.yml").write_text("config: {}\n")
    assert cli_main(["check", str(root), "--stack", "Pulumi.prod.yml"]) == 2
    err = capsys.readouterr().err
    assert "use --stack prod (check reads Pulumi.prod.yml itself)" in err


def test_json_report_lists_resources_in_urn_order_whatever_the_registration_order(tmp_path, pack_spy):
    root = write_program(
        tmp_path / "p",
        "import pulumi_tls as tls\n\nfor name in ('zeta', 'alpha', 'mid'):\n    tls.PrivateKey(name, algorithm='ECDSA')\n",
    )
    report = gate.check(root, "dev")
    assert sorted(r.name for r in report.resources) == ["alpha", "mid", "zeta"]  # any order here
    urns = [r["urn"] for r in json.loads(gate.render_json(report))["resources"]]
    assert urns == sorted(urns) and len(urns) == 3
