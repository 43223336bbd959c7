"""A component's refusal of what a rule forbids (errors.PolicyRefusal) is a mandatory violation of
that rule: exit 1, the rule id, the program line, a SARIF result; other program failures stay exit 2."""

from __future__ import annotations

import json

import pytest

from secure_scoring import gate
from secure_scoring.cli import main as cli_main
from secure_scoring.errors import ConfigurationError, PolicyRefusal
from support.gate_programs import write_program

DEV_CERT = """\
from secure_scoring import CertificateBundle, CertificateBundleArgs, SecureAciService, SecureAciServiceArgs

cert = CertificateBundle("tls", CertificateBundleArgs(source="self_signed", hostnames=["scoring.contoso.test"]))
"""


def _aci(**kwargs) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return (
        DEV_CERT + "SecureAciService(\n"  # line 4
        '    "scoring",\n'
        "    SecureAciServiceArgs(resource_group_name='rg', certificate=cert, "
        f"hostname='scoring.contoso.test', dns_name_label='scoring-x', {args}),\n"
        ")\n"
    )


CASES = {
    "token-on-aci": (_aci(auth="token"), "token-auth-aks-only", 4),
    "hostname-not-covered": (
        _aci(auth="key").replace("hostname='scoring.", "hostname='fraud."),
        "cert-hostname-match",
        4,
    ),
    "tls-1-1": (_aci(auth="key", gateway_options={"min_tls_version": "1.1"}), "min-tls-1-2", 4),
    "self-signed-in-production": (
        "from secure_scoring import CertificateBundle, CertificateBundleArgs\n"
        "CertificateBundle('tls', CertificateBundleArgs(source='self_signed', hostnames=['a.contoso.test'], "
        "environment='production'))\n",
        "no-self-signed-in-production",
        2,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refusal_is_a_mandatory_violation_of_its_rule(tmp_path, case):
    main, rule, line = CASES[case]
    root = write_program(tmp_path / "p", main)
    report = gate.check(root, "dev")
    assert report.exit_code == 1
    [finding] = report.findings
    assert finding.rule == rule and finding.level == "mandatory"
    assert finding.location.path.name == "__main__.py" and finding.location.line == line
    assert "refused" in finding.message and finding.remediation
    assert "Fix:" not in finding.message  # the fix is the remediation, shown once
    assert any(n.kind == "refusal" for n in report.notes)


def test_a_refusal_in_sarif_has_a_result_with_rule_and_location(tmp_path, capsys):
    root = write_program(tmp_path / "p", CASES["token-on-aci"][0])
    assert cli_main(["check", str(root), "--stack", "dev", "--format", "sarif"]) == 1
    run = json.loads(capsys.readouterr().out)["runs"][0]
    [result] = run["results"]
    assert result["ruleId"] == "token-auth-aks-only" and result["level"] == "error"
    region = result["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"].endswith("__main__.py") and region["region"]["startLine"] == 4
    assert run["invocations"][0]["executionSuccessful"] is True


def test_a_refusal_in_json(tmp_path, capsys):
    root = write_program(tmp_path / "p", CASES["tls-1-1"][0])
    assert cli_main(["check", str(root), "--stack", "dev", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["exitCode"] == 1 and [f["rule"] for f in doc["findings"]] == ["min-tls-1-2"]


def test_other_configuration_errors_stay_program_failures(tmp_path):
    root = write_program(tmp_path / "p", _aci(auth="key", gateway_options={"min_tls_version": "TLS12"}))
    with pytest.raises(gate.ProgramError) as err:
        gate.check(root, "dev")
    assert err.value.rule is None


def test_policy_refusal_is_a_configuration_error_that_names_its_rule():
    exc = PolicyRefusal("auth", "both", "choose one", rule="single-auth-mode")
    assert isinstance(exc, ConfigurationError) and exc.rule == "single-auth-mode"
    import pickle

    again = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    assert again.rule == "single-auth-mode" and str(again) == str(exc)


def test_one_development_certificate_is_one_finding_naming_the_services_that_use_it(tmp_path):
    main = (
        DEV_CERT
        + "for name in ('a', 'b'):\n"
        + "    SecureAciService(name, SecureAciServiceArgs(resource_group_name='rg', certificate=cert,\n"
        + "        hostname='scoring.contoso.test', dns_name_label=f'scoring-{name}'))\n"
    )
    root = write_program(tmp_path / "p", main)
    report = gate.check(root, "dev")
    [f] = [f for f in report.findings if f.rule == "no-self-signed-in-production"]
    assert f.resource_type == "secure-scoring:index:CertificateBundle"
    assert "it is used by SecureAciService 'a', SecureAciService 'b'" in f.message
