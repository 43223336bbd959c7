"""`secure-scoring check` (cli/check.py): reports written to a file, the verdict on stderr, exit 2 still writes a JSON/SARIF/text report.

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

import json

import pytest

from secure_scoring.cli import main as cli_main
from support.gate_programs import (
    write_program,
)
from support.sarif_schema import sarif_conforms


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
        sarif_conforms(doc, "sarifLog")
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


def test_failed_run_with_text_output_replaces_the_old_report(tmp_path, capsys, pack_spy):
    root = write_program(tmp_path / "p", "import pulumi\n\nx = pulumi.Config().require('hostname')\n")
    out = tmp_path / "report.txt"
    out.write_text("PASS: stack dev of demo: an earlier run\n")
    assert cli_main(["check", str(root), "--stack", "dev", "--output", str(out)]) == 2
    assert "the program failed" in capsys.readouterr().err
    text = out.read_text()
    assert "PASS" not in text and text.startswith("ERROR (exit 2)") and "ConfigMissingError" in text
