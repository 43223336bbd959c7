"""secure-scoring policy-pack init/path, the pre-commit adapter, and the action and workflow lint."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from secure_scoring import pulumi_pack
from secure_scoring.cli import main
from secure_scoring.cli.pre_commit import cert_check_argv
from secure_scoring.facts import version
from secure_scoring.policy.pack import PACK_VERSION

ROOT = Path(__file__).resolve().parents[2]


def test_installed_pack_directory_is_a_pack_without_virtualenv(capsys):
    assert main(["policy-pack", "path"]) == 0
    here = Path(capsys.readouterr().out.strip())
    assert here == pulumi_pack.directory()
    spec = yaml.safe_load((here / "PulumiPolicy.yaml").read_text())
    assert spec["runtime"]["name"] == "python" and "virtualenv" not in spec["runtime"]["options"]
    assert spec["version"] == PACK_VERSION  # pyproject's version, as the package reports it

    def code(path: Path) -> str:  # the statements after the docstring
        return path.read_text().split('"""')[2]

    assert code(here / "__main__.py") == code(ROOT / "policies" / "__main__.py")  # one way to start the pack


def test_init_writes_a_publishable_pack(tmp_path, capsys):
    target = tmp_path / "pack"
    assert main(["policy-pack", "init", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == [
        ".gitignore",
        "PulumiPolicy.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    spec = yaml.safe_load((target / "PulumiPolicy.yaml").read_text())
    assert spec["runtime"]["options"] == {"toolchain": "pip", "virtualenv": "venv"}
    assert spec["version"] == version()
    lines = [x for x in (target / "requirements.txt").read_text().splitlines() if not x.startswith("#")]
    assert lines[0] == pulumi_pack.installed_requirement() and lines[1].startswith("pulumi-policy")
    assert "venv/" in (target / ".gitignore").read_text().splitlines()
    assert main(["policy-pack", "init", str(target)]) == 2  # refuses to overwrite
    assert "--force" in capsys.readouterr().err
    assert main(["policy-pack", "init", str(target), "--force", "--no-virtualenv",
                 "--requirement", "secure-scoring @ git+https://github.com/<owner>/secure-scoring@v0.1.0"]) == 0  # fmt: skip
    spec = yaml.safe_load((target / "PulumiPolicy.yaml").read_text())
    assert "virtualenv" not in spec["runtime"]["options"]
    assert (
        "secure-scoring @ git+https://github.com/<owner>/secure-scoring@v0.1.0"
        in (target / "requirements.txt").read_text()
    )


def test_requirement_of_a_git_install(monkeypatch):
    class Dist:
        version = "0.1.0"

        def read_text(self, name):
            return json.dumps({"url": "https://github.com/o/secure-scoring",
                               "vcs_info": {"vcs": "git", "requested_revision": "v0.1.0", "commit_id": "abc"}})  # fmt: skip

    from importlib import metadata

    monkeypatch.setattr(metadata, "distribution", lambda name: Dist())
    assert (
        pulumi_pack.installed_requirement()
        == "secure-scoring @ git+https://github.com/o/secure-scoring@v0.1.0"
    )


def test_pre_commit_cert_check_passes_options_per_file():
    from secure_scoring.cli import build_parser

    args = build_parser().parse_args(
        [
            "pre-commit",
            "cert-check",
            "--hostname",
            "a.example.com",
            "--hostname",
            "b.example.com",
            "--environment",
            "production",
            "x.pem",
            "y.pem",
        ]  # fmt: skip
    )
    assert args.files == ["x.pem", "y.pem"]
    assert cert_check_argv(args, "x.pem") == [
        "cert", "check", "--cert", "x.pem", "--hostname", "a.example.com", "--hostname", "b.example.com",
        "--environment", "production",
    ]  # fmt: skip


def test_hooks_manifest():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["secure-scoring-cert-check"]["entry"] == "secure-scoring pre-commit cert-check"
    assert hooks["secure-scoring-check"]["entry"] == "secure-scoring check"
    assert hooks["secure-scoring-check"]["pass_filenames"] is False


def test_action_runs_the_gate_script_and_the_workflow_uses_the_action():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"working-directory", "stacks", "policy-config", "upload-sarif", "fail-on"} <= set(
        action["inputs"]
    )
    runs = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "scripts/policy-gate.sh" in runs
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "policy-gate.yml").read_text())
    assert any(step.get("uses") == "./" for step in workflow["jobs"]["gate"]["steps"])


@pytest.mark.parametrize("tool", ["actionlint", "zizmor"])
def test_action_and_workflows_lint_clean(tool):
    exe = shutil.which(tool) or str(Path(__import__("sys").executable).parent / tool)
    if not Path(exe).exists():
        pytest.skip(f"{tool} is not installed (test extra: make venv)")
    cmd = (
        [exe]
        if tool == "actionlint"
        else [exe, "--offline", "--no-progress", ".github/workflows", "action.yml"]
    )
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
