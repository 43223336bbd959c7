"""Where the pack reads the relative paths of ``secure-scoring:trustedCaCertificates`` from: the project
directory, found as docs/policies.md says, also under the real engine, which runs the pack from the
pack's own directory (the offline gate runs it in the project directory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secure_scoring.policy import project_dir
from secure_scoring.policy.certificates import TRUSTED_CA_KEY, declared_anchors


def project(at: Path, name: str = "proj", file_name: str = "Pulumi.yaml") -> Path:
    at.mkdir(parents=True, exist_ok=True)
    (at / file_name).write_text(f"name: {name}\nruntime: python\n")
    return at


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv(project_dir.ENV_PROJECT_DIR, raising=False)
    monkeypatch.delenv("PULUMI_PROJECT", raising=False)
    project_dir._project_directory.cache_clear()


def test_the_working_directory_holding_the_project_file(tmp_path, monkeypatch) -> None:
    proj = project(tmp_path / "proj", file_name="Pulumi.yml")
    monkeypatch.chdir(proj)
    assert project_dir.project_directory()[0] == proj


def test_a_pack_inside_the_project_finds_it_above(tmp_path, monkeypatch) -> None:
    proj = project(tmp_path / "proj")
    (proj / "policies").mkdir()
    (proj / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    monkeypatch.chdir(proj / "policies")
    monkeypatch.setenv("PULUMI_PROJECT", "proj")
    directory, how = project_dir.project_directory()
    assert directory == proj and "working directory" in how


def test_a_project_file_of_another_project_is_passed_over(tmp_path, monkeypatch) -> None:
    outer = project(tmp_path, "proj")
    inner = project(tmp_path / "other", "other-project")
    monkeypatch.chdir(inner)
    monkeypatch.setenv("PULUMI_PROJECT", "proj")
    assert project_dir.project_directory()[0] == outer


def test_the_environment_variable_wins(tmp_path, monkeypatch) -> None:
    project(tmp_path / "here")
    monkeypatch.chdir(tmp_path / "here")
    monkeypatch.setenv(project_dir.ENV_PROJECT_DIR, str(tmp_path / "there"))
    directory, how = project_dir.project_directory()
    assert directory == tmp_path / "there" and project_dir.ENV_PROJECT_DIR in how


def test_without_a_project_the_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULUMI_PROJECT", "no-such-project-anywhere")
    directory, how = project_dir.project_directory()
    assert directory == tmp_path and project_dir.ENV_PROJECT_DIR in how


def test_an_unreadable_project_file_is_not_a_match(tmp_path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: [unclosed\n")
    assert project_dir.find_project(tmp_path, "proj") is None
    assert project_dir.find_project(tmp_path, None) == tmp_path  # any project: the file is there


def test_a_missing_relative_file_names_where_it_was_looked_for(tmp_path, monkeypatch) -> None:
    proj = project(tmp_path / "proj")
    monkeypatch.chdir(proj)
    anchors, problems = declared_anchors({TRUSTED_CA_KEY: ["ca/missing.pem"]})
    assert anchors is None
    [problem] = problems
    assert f"{TRUSTED_CA_KEY}[0]" in problem and str(proj / "ca" / "missing.pem") in problem
    assert f"relative to the project directory {proj}" in problem


def test_a_changed_file_is_read_again(cert_factory, tmp_path, monkeypatch) -> None:
    one, two = cert_factory.ca("Project Dir Root One"), cert_factory.ca("Project Dir Root Two")
    proj = project(tmp_path / "proj")
    monkeypatch.chdir(proj)
    root = proj / "root.pem"
    root.write_text(one.cert_pem)
    first, _ = declared_anchors({TRUSTED_CA_KEY: ["root.pem"]})
    root.write_text(two.cert_pem + "\n" + one.cert_pem)
    second, _ = declared_anchors({TRUSTED_CA_KEY: ["root.pem"]})
    assert len(first.certificates) == 1 and len(second.certificates) == 2


CHILD = textwrap.dedent(
    """
    import json, os, sys
    from secure_scoring.policy.certificates import TRUSTED_CA_KEY, declared_anchors
    from secure_scoring.policy.project_dir import project_directory
    anchors, problems = declared_anchors({TRUSTED_CA_KEY: ["ca/root.pem"]})
    print(json.dumps({"dir": str(project_directory()[0]), "how": project_directory()[1],
                      "anchors": len(anchors.certificates) if anchors else 0, "problems": problems}))
    """
)


def test_under_the_pulumi_cli_the_directory_pulumi_runs_in(cert_factory, tmp_path) -> None:
    """The CLI runs the pack from the pack directory (here outside the project, as a published pack
    is): the pack finds the project from the working directory of its `pulumi` ancestor process."""
    root = cert_factory.ca("Project Dir CLI Root")
    proj = project(tmp_path / "work" / "proj")
    (proj / "ca").mkdir()
    (proj / "ca" / "root.pem").write_text(root.cert_pem)
    pack = tmp_path / "packs" / "secure-scoring"
    pack.mkdir(parents=True)
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    # a stand-in for the CLI: a process named `pulumi`, in the project directory, that starts the pack
    # in the pack directory (as `pulumi preview --policy-pack` does)
    fake = tmp_path / "bin" / "pulumi"
    fake.parent.mkdir()
    fake.write_text(
        f"#!{sys.executable}\n"
        "import subprocess, sys\n"
        f"sys.exit(subprocess.run([{sys.executable!r}, '-c', {CHILD!r}], cwd={str(pack)!r}).returncode)\n"
    )
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "SECURE_SCORING_"))}
    env["PULUMI_PROJECT"] = "proj"
    proc = subprocess.run([str(fake)], cwd=proj, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out == {
        "dir": str(proj),
        "how": "the Pulumi.yaml found from the directory `pulumi` runs in",
        "anchors": 1,
        "problems": [],
    }
