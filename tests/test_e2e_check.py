"""End to end: the offline gate on the example estate (stacks/) and on every insecure example.

Most cases run in process through the gate's API (what `secure-scoring check` does, minus the
process start); a few go through the real console script in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secure_scoring import gate, rules

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "insecure"
CLI = Path(sys.executable).with_name("secure-scoring")

# example directory -> (stack, the one mandatory rule it must break)
EXPECTED = {
    "aci-public-port-80": ("production", "tls-required"),
    "extension-insecure": ("production", "tls-required"),
    "aks-v1-ssl-disabled": ("production", "tls-required"),
    "self-signed-in-production": ("production", "no-self-signed-in-production"),
    "dev-ca-in-production": ("production", "no-self-signed-in-production"),
    "aks-key-and-token": ("production", "single-auth-mode"),
    "no-auth-in-production": ("production", "auth-required"),
    "token-on-aci": ("production", "token-auth-aks-only"),
    "old-tls": ("production", "min-tls-1-2"),
    "dns-not-covered": ("production", "cert-hostname-match"),
    "expiring-cert": ("dev", "cert-expiry"),
    # issue 13: judged by what is actually served
    "raw-gateway-self-signed": ("production", "no-self-signed-in-production"),
    # issue 12: a served chain from a CA nobody declared
    "raw-gateway-private-ca": ("production", "no-self-signed-in-production"),
    "raw-gateway-no-auth": ("production", "auth-required"),
    "dns-wrong-target": ("dev", "cert-hostname-match"),
}


def test_every_example_is_listed_and_every_rule_has_an_example():
    on_disk = {p.name for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").is_file()}
    assert on_disk == set(EXPECTED)
    assert {rule for _stack, rule in EXPECTED.values()} == set(rules.RULE_NAMES)


@pytest.mark.parametrize("stack", ["dev", "staging", "production"])
def test_every_stack_passes_the_gate(stack, monkeypatch):
    monkeypatch.chdir(REPO)
    report = gate.check(REPO, stack)
    assert report.ok, gate.render_text(report)
    assert report.mandatory == []
    # the estate really is there: the components and their Azure children
    types = {r.type for r in report.resources}
    assert {
        "secure-scoring:index:CertificateBundle",
        "secure-scoring:index:SecureAciService",
        "azure-native:containerinstance:ContainerGroup",
    } <= types
    if stack != "dev":
        assert {
            "secure-scoring:index:SecureAksCluster",
            "secure-scoring:index:DnsRecordBinding",
            "azure-native:kubernetesconfiguration:Extension",
            "azure-native:machinelearningservices:OnlineEndpoint",
            "azure-native:dns:RecordSet",
        } <= types
    if stack == "production":
        assert report.advisory == []  # nothing even advisory in production
    # every resource is located in the stacks program
    assert {r.location.path for r in report.resources} == {REPO / "stacks" / "__main__.py"}


def test_dev_stack_is_advised_about_its_development_certificate(monkeypatch):
    monkeypatch.chdir(REPO)
    report = gate.check(REPO, "dev")
    assert {(f.rule, f.level) for f in report.advisory} == {("no-self-signed-in-production", "advisory")}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_insecure_example_fails_with_exactly_its_rule(case, monkeypatch):
    stack, rule = EXPECTED[case]
    monkeypatch.chdir(REPO)
    report = gate.check(EXAMPLES / case, stack)
    assert report.exit_code == 1
    assert {f.rule for f in report.mandatory} == {rule}, gate.render_text(report)
    # the finding points into the example's own program, at a real line
    for f in report.mandatory:
        assert f.location.path == EXAMPLES / case / "__main__.py"
        assert f.location.line > 1
    sarif = json.loads(gate.render_sarif(report))
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results if r["level"] == "error"} == {rule}
    assert all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == f"examples/insecure/{case}/__main__.py"
        for r in results
    )


@pytest.mark.parametrize("form", ["relative path", "pem"])
def test_declaring_the_ca_of_a_raw_gateway_makes_it_pass(form, tmp_path, monkeypatch):
    """`secure-scoring:trustedCaCertificates` in the stack config: a path relative to the project
    directory (where Pulumi.yaml is), or the PEM text itself."""
    import shutil

    project = tmp_path / "raw-gateway-private-ca"
    shutil.copytree(EXAMPLES / "raw-gateway-private-ca", project)
    main = project / "__main__.py"  # the copy reads the example chain from this checkout
    main.write_text(main.read_text().replace("Path(__file__).resolve().parents[3]", f"Path({str(REPO)!r})"))
    root = REPO / "stacks" / "certs" / "example-root-ca.pem"
    (project / "ca").mkdir()
    shutil.copy(root, project / "ca" / "root.pem")
    entry = (
        "    - ca/root.pem\n"
        if form == "relative path"
        else "    - |\n" + "".join(f"      {line}\n" for line in root.read_text().splitlines())
    )
    stack_file = project / "Pulumi.production.yaml"
    stack_file.write_text(stack_file.read_text() + "  secure-scoring:trustedCaCertificates:\n" + entry)
    monkeypatch.chdir(tmp_path)  # the gate reads relative paths from the project, not from here
    report = gate.check(project, "production")
    assert report.ok and report.mandatory == [] and report.advisory == [], gate.render_text(report)
    # an unrelated root does not make it pass
    other = REPO / "examples" / "insecure" / "raw-gateway-self-signed" / "tls.crt"
    shutil.copy(other, project / "ca" / "root.pem")
    if form == "relative path":
        report = gate.check(project, "production")
        assert {f.rule for f in report.mandatory} == {"no-self-signed-in-production"}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "GITHUB_"))}
    return subprocess.run(
        [str(CLI), "check", *args], cwd=REPO, capture_output=True, text=True, timeout=180, env=env
    )


def test_cli_production_stack_passes_with_sarif(tmp_path):
    out = tmp_path / "production.sarif"
    # `check stacks` (DESIGN's spelling) finds the project's Pulumi.yaml one level up, as the CLI does
    proc = _cli("stacks", "--stack", "production", "--format", "sarif", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "PASS: stack production of secure-scoring-stacks" in proc.stderr
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"] == []
    assert doc["runs"][0]["automationDetails"]["id"] == "secure-scoring/production/"
    assert {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]} == set(rules.RULE_NAMES)


def test_cli_rejects_an_insecure_example():
    proc = _cli("examples/insecure/aci-public-port-80", "--stack", "production")
    assert proc.returncode == 1, proc.stderr
    assert "[mandatory] tls-required" in proc.stdout
    assert "(examples/insecure/aci-public-port-80/__main__.py:" in proc.stdout
    assert "FAIL: stack production of aci-public-port-80" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_cli_json_for_an_insecure_example_and_a_usage_error():
    proc = _cli("examples/insecure/token-on-aci", "--stack", "production", "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert [f["rule"] for f in doc["findings"]] == ["token-auth-aks-only"]
    proc = _cli("examples/insecure/token-on-aci", "--stack", "bad name!", "--format", "json")
    assert proc.returncode == 2
    assert "invalid stack name 'bad name!'" in proc.stderr and "Traceback" not in proc.stderr
    # exit 2 still gives the machine-readable reader a document: the error object
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and doc["exitCode"] == 2 and doc["error"]["input"] == "--stack"
    assert "invalid stack name" in doc["error"]["message"]


@pytest.mark.parametrize(
    ("case", "policy_config", "ok"),
    [
        # thresholds from --policy-config reach the rule (10-day certificate, minDays 5: fine)
        ("expiring-cert", {"cert-expiry": {"minDays": 5}}, True),
        # a threshold alone must not downgrade the rule's level (the CLI's config-merge trap)
        ("expiring-cert", {"cert-expiry": {"minDays": 45}}, False),
        ("self-signed-in-production", {"no-self-signed-in-production": "advisory"}, True),
        (
            "self-signed-in-production",
            {"all": "advisory", "no-self-signed-in-production": "mandatory"},
            False,
        ),
        ("token-on-aci", {"token-auth-aks-only": {"enforcementLevel": "disabled"}}, True),
    ],
)
def test_policy_config_like_the_cli(case, policy_config, ok, monkeypatch):
    stack, rule = EXPECTED[case]
    monkeypatch.chdir(REPO)
    report = gate.check(EXAMPLES / case, stack, policy_config=policy_config)
    assert report.ok is ok, gate.render_text(report)
    if not ok:
        assert {f.rule for f in report.mandatory} == {rule}
    sarif_rules = {
        r["id"]: r["defaultConfiguration"]["level"]
        for r in json.loads(gate.render_sarif(report))["runs"][0]["tool"]["driver"]["rules"]
    }
    entry = policy_config.get(rule)
    level = (entry.get("enforcementLevel") if isinstance(entry, dict) else entry) or "mandatory"
    if level == "disabled":
        assert rule not in sarif_rules
    else:  # the rule's level in this run, as the SARIF rule descriptor states it
        assert sarif_rules[rule] == {"mandatory": "error", "advisory": "warning"}[level]


def test_invalid_policy_config_is_a_usage_error(tmp_path):
    bad = tmp_path / "pc.json"
    bad.write_text('{"cert-expiry": {"minDays": "soon"}}')
    proc = _cli("examples/insecure/expiring-cert", "--stack", "dev", "--policy-config", str(bad))
    assert proc.returncode == 2, proc.stderr
    assert "--policy-config" in proc.stderr and "Traceback" not in proc.stderr


def test_the_ci_workflow_gates_every_stack_with_valid_commands():
    import re
    import shlex

    import yaml

    from secure_scoring.cli import build_parser

    wf = yaml.safe_load((REPO / ".github" / "workflows" / "policy-gate.yml").read_text())
    triggers = wf.get(True, wf.get("on"))  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers
    job = wf["jobs"]["gate"]
    stacks = job["strategy"]["matrix"]["stack"]
    assert sorted(stacks) == sorted(
        p.name[len("Pulumi.") : -len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml")
    )
    # the SARIF upload runs inside the action, so the job that uses it needs the permission
    assert job["permissions"]["security-events"] == "write"
    # each stack of the matrix goes through this repository's own action, on the program at the root
    [gate_step] = [s for s in job["steps"] if s.get("uses") == "./"]
    assert gate_step["with"]["stacks"] == "${{ matrix.stack }}"
    workdir = gate_step["with"].get("working-directory", ".")
    assert (REPO / workdir / "Pulumi.yaml").is_file()

    action = yaml.safe_load((REPO / "action.yml").read_text())
    steps = {s["name"]: s for s in action["runs"]["steps"]}
    upload = steps["Upload SARIF to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.gate.outputs.sarif-file }}"
    gate = steps["Policy gate"]
    assert gate["id"] == "gate" and gate["working-directory"] == "${{ inputs.working-directory }}"
    assert 'bash "$GITHUB_ACTION_PATH/scripts/policy-gate.sh"' in gate["run"]
    assert steps["Fail on violations"]["if"] == "steps.gate.outputs.exit-code != '0'"

    # every secure-scoring command line the action runs parses with the real CLI parser, for each
    # stack, with and without the policy-config input
    script = (REPO / "scripts" / "policy-gate.sh").read_text().replace("\\\n", " ")
    lines = [line for line in (gate["run"] + "\n" + script).splitlines() if "secure-scoring " in line]
    commands = [
        re.search(r"(?:^|\$\()\s*(secure-scoring .*?)(?:\s*2>&1\)\"|$)", line.strip()) for line in lines
    ]
    commands = [m.group(1) for m in commands if m and not m.group(1).startswith("secure-scoring:")]
    checks = [c for c in commands if c.startswith("secure-scoring check")]
    assert len(checks) == 2 and any("--format sarif" in c for c in checks), commands
    parser = build_parser()
    for stack in stacks:
        for config_args in ([], ["--policy-config", "policy-config.json"]):
            for command in commands:
                argv: list[str] = []
                for word in shlex.split(command):
                    if word == "${config_args[@]}":
                        argv += config_args
                        continue
                    word = word.replace("$program_dir", workdir).replace("$stack", stack)
                    argv.append(word.replace("$parts", "/tmp/parts"))
                assert "$" not in " ".join(argv), argv
                if argv[1:] == ["--version"]:
                    with pytest.raises(SystemExit) as done:
                        parser.parse_args(argv[1:])
                    assert done.value.code == 0
                    continue
                args = parser.parse_args(argv[1:])
                assert (args.command, args.stack) == ("check", stack)
                assert args.policy_config == (config_args[1] if config_args else None)
                if args.format == "sarif":
                    assert args.output == f"/tmp/parts/{stack}.sarif"
                else:
                    assert (args.format, args.output) == ("text", None)
