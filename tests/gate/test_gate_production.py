"""The production decision at the top of every report (gate/production.py): why the stack is or is
not production, a warning for names that look like production, productionStackPatterns, and the
exact line to write for an un-namespaced environment."""

from __future__ import annotations

import json

import pytest

from secure_scoring import gate
from secure_scoring.cli import main as cli_main
from secure_scoring.errors import UsageError
from support.gate_programs import CG_PROGRAM, write_program


def _report(tmp_path, stack, body="config: {}\n", policy_config=None):
    root = write_program(tmp_path / "p", CG_PROGRAM, stacks={stack: body})
    return gate.check(root, stack, policy_config=policy_config)


@pytest.mark.parametrize(
    "stack, body, production, words",
    [
        ("production", "config: {}\n", True, "its name is 'production'"),
        ("prod", "config: {}\n", True, "its name is 'prod'"),
        ("eu1", "config:\n  secure-scoring:environment: production\n", True, "secure-scoring:environment is"),
        ("eu1", "config:\n  secure-scoring:productionStacks: [eu1]\n", True, "listed in"),
        ("eu1", "config:\n  secure-scoring:productionStackPatterns: ['eu*']\n", True, "pattern 'eu*'"),
        ("dev", "config: {}\n", False, "its name is not production or prod"),
        ("dev", "config:\n  secure-scoring:environment:\n    secure: AAAB\n", None, "not known"),
    ],
)
def test_every_report_starts_with_the_production_decision(tmp_path, stack, body, production, words):
    report = _report(tmp_path, stack, body)
    assert report.production.production is production
    assert words in report.production.reason
    text = gate.render_text(report)
    first = text.splitlines()[0]
    assert first.startswith(
        f"stack {stack}: {'not production' if production is False else 'production'} because"
    )
    assert json.loads(gate.render_json(report))["production"]["production"] is production
    sarif = json.loads(gate.render_sarif(report))
    assert sarif["runs"][0]["invocations"][0]["properties"]["production"]["line"] == first


@pytest.mark.parametrize("stack", ["prod-westeurope", "production-eu", "live", "eu-prd-2", "PROD_us"])
def test_a_name_that_looks_like_production_but_is_not_declared_gets_a_warning(tmp_path, stack):
    report = _report(tmp_path, stack)
    assert report.production.production is False
    [warning] = [n for n in report.notes if n.kind == "production"]
    assert f"stack '{stack}' looks like a production stack" in warning.message
    assert "secure-scoring:environment: production" in warning.message
    assert f"Pulumi.{stack}.yaml" in warning.message


@pytest.mark.parametrize("stack", ["dev", "staging", "product-demo", "reproduce", "olive"])
def test_ordinary_names_get_no_warning(tmp_path, stack):
    assert not [n for n in _report(tmp_path, stack).notes if n.kind == "production"]


def test_pack_config_production_patterns_make_a_stack_production(tmp_path):
    report = _report(tmp_path, "prod-westeurope", policy_config={"productionStackPatterns": ["prod-*"]})
    assert report.production.production is True
    assert "pattern 'prod-*'" in report.production.reason
    assert not report.ok  # the raw group's port 80 is mandatory in production
    assert not [n for n in report.notes if n.kind == "production"]


def test_pack_config_patterns_through_the_cli(tmp_path, capsys):
    root = write_program(tmp_path / "p", CG_PROGRAM, stacks={"live-eu": "config: {}\n"})
    pc = tmp_path / "pc.json"
    pc.write_text('{"productionStackPatterns": ["live-*"], "cert-expiry": {"minDays": 20}}')
    code = cli_main(["check", str(root), "--stack", "live-eu", "--policy-config", str(pc)])
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("stack live-eu: production because its name matches")


def test_bad_patterns_are_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="productionStackPatterns"):
        _report(tmp_path, "dev", policy_config={"productionStackPatterns": "prod-*"})


def test_top_level_environment_production_says_what_to_write(tmp_path):
    report = _report(tmp_path, "eu1", "environment: production\nconfig: {}\n")
    assert report.production.production is False
    [note] = [n for n in report.notes if "ESC" in n.message]
    assert "write `secure-scoring:environment: production` under `config:`" in note.message
