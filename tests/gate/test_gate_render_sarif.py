"""The SARIF report (gate/render/sarif.py): what GitHub code scanning requires and only what the SARIF 2.1.0 schema allows.

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

import hashlib
import json

from secure_scoring import gate, rules
from support.gate_programs import (
    write_program,
)
from support.sarif_schema import sarif_conforms


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


def test_sarif_uses_only_what_the_sarif_2_1_0_schema_allows(failing_report, tmp_path, pack_spy):
    _root, report = failing_report
    sarif_conforms(json.loads(gate.render_sarif(report)), "sarifLog")
    # also with notes (secure values) and advisories
    root = write_program(
        tmp_path / "n",
        "import pulumi_tls as tls\nk = tls.PrivateKey('k', algorithm='ECDSA', ecdsa_curve='P256')\n"
        "tls.SelfSignedCert('c', private_key_pem=k.private_key_pem, validity_period_hours=8760,\n"
        "    allowed_uses=['server_auth'], dns_names=['a.example.test'])\n",
        stacks={"dev": "config:\n  token:\n    secure: AAAB\n"},
    )
    doc = json.loads(gate.render_sarif(gate.check(root, "dev")))
    sarif_conforms(doc, "sarifLog")
    assert doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert doc["runs"][0]["results"][0]["level"] == "warning"
