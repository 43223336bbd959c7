"""A user's repository, outside this checkout: the built wheel installed into a fresh virtualenv (no
editable install, no repository on sys.path), a program that uses the components, the offline gate on
its dev and production stacks, the policy pack prepared for that repository started the way the Pulumi
CLI starts a pack (``python -u -m pulumi.policy <engine> <pack dir>``, cwd the pack directory, the stack
in the environment, the port on the first stdout line) judging the same resources as the gate, the
composite action's gate script (scripts/policy-gate.sh) and the pre-commit hooks (pre-commit try-repo).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = textwrap.dedent(
    '''
    """A user's program: the dev set-up (a self-signed certificate) used for every stack by mistake."""
    import pulumi

    from secure_scoring import CertificateBundle, CertificateBundleArgs, SecureAciService
    from secure_scoring.aci import SecureAciServiceArgs

    cert = CertificateBundle(
        "scoring-cert",
        CertificateBundleArgs(source="self_signed", hostnames=["scoring.example.com"], environment="dev"),
    )
    svc = SecureAciService("scoring", SecureAciServiceArgs(
        resource_group_name="rg-scoring", location="westeurope", certificate=cert,
        hostname="scoring.example.com", dns_name_label="user-scoring",
        entry_script="/var/azureml-app/score.py", auth="key", environment="dev",
    ))
    pulumi.export("scoring_uri", svc.scoring_uri)
    '''
)

# Run inside the user's virtualenv: record the program under mocks (the gate's recorder), start each pack
# directory as the Pulumi CLI does, drive its analyzer over gRPC like the engine, and compare with the gate.
DRIVER = textwrap.dedent(
    """
    import json, os, subprocess, sys
    import grpc, yaml
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2 as pb, analyzer_pb2_grpc as pb_grpc
    import secure_scoring
    from secure_scoring import gate
    from secure_scoring.policy import pack as policy_pack

    program, stack = sys.argv[1], sys.argv[2]
    project = gate.load_project(program)
    config = gate.load_stack_config(project, stack)
    recording = gate.run_program(project, config, preview=True)
    engine = gate.engine_urns(recording.resources)
    stack_config = {"secure-scoring:environment": stack}
    result = {"module": secure_scoring.__file__, "version": secure_scoring.__version__, "packs": {}}
    report = gate.check(program, stack)
    result["gate"] = sorted([f.rule, f.urn, f.level] for f in report.findings)
    local = policy_pack.evaluate(recording.resources, stack=stack, project=project.name, config=stack_config)
    result["evaluate"] = sorted([d.rule, engine.get(d.urn, d.urn), d.enforcement] for d in local)
    for pack_dir in sys.argv[3:]:
        spec = yaml.safe_load(open(os.path.join(pack_dir, "PulumiPolicy.yaml")))
        venv = spec["runtime"].get("options", {}).get("virtualenv")
        python = os.path.join(pack_dir, venv, "bin", "python") if venv else sys.executable
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        env.update(PULUMI_PROJECT=project.name, PULUMI_STACK=stack, PULUMI_DRY_RUN="true",
                   PULUMI_ORGANIZATION="organization", PULUMI_CONFIG=json.dumps(stack_config))
        proc = subprocess.Popen([python, "-u", "-m", "pulumi.policy", "127.0.0.1:1", pack_dir], cwd=pack_dir,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            port = int(proc.stdout.readline())
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=30)
            stub = pb_grpc.AnalyzerStub(channel)
            stub.ConfigureStack(pb.AnalyzerStackConfigureRequest(stack=stack, project=project.name,
                                organization="organization", dry_run=True, config=stack_config))
            info = stub.GetAnalyzerInfo(empty_pb2.Empty())
            stub.Configure(policy_pack.configure_request(info))
            requests, stack_request = policy_pack.analyzer_requests(recording.resources)
            found = []
            for req in requests:
                found += [[d.policyName, engine.get(req.urn, req.urn), d.enforcementLevel]
                          for d in stub.Analyze(req).diagnostics]
            found += [[d.policyName, engine.get(d.urn, d.urn), d.enforcementLevel]
                      for d in stub.AnalyzeStack(stack_request).diagnostics]
            levels = {pb.MANDATORY: "mandatory", pb.ADVISORY: "advisory"}
            result["packs"][pack_dir] = {"name": info.name, "python": python,
                                         "found": sorted([r, u, levels.get(l, str(l))] for r, u, l in found)}
            channel.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(json.dumps(result))
    """
)


def _uv() -> str:
    uv = shutil.which("uv") or str(ROOT / ".uv-tool" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.skip("uv not found (make venv bootstraps it into .uv-tool)")
    return uv


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("timeout", 300)
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    """A wheel built from a copy of the sources, installed into a new virtualenv; a user's program."""
    tmp = tmp_path_factory.mktemp("user")
    src = tmp / "src"
    shutil.copytree(ROOT / "components", src / "components", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                  "-w", tmp / "dist", src])  # fmt: skip
    assert built.returncode == 0, built.stderr
    wheel = next((tmp / "dist").glob("secure_scoring-*.whl"))
    venv = tmp / "venv"
    uv = _uv()
    made = _run([uv, "venv", "-q", "--python", sys.executable, venv])
    assert made.returncode == 0, made.stderr
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    installed = _run([uv, "pip", "install", "-q", "--offline", "--python", venv / "bin" / "python",
                      "-c", ROOT / "requirements" / "main.txt", wheel], env=env)  # fmt: skip
    if installed.returncode != 0:  # a cold uv cache: allow the registry
        installed = _run([uv, "pip", "install", "-q", "--python", venv / "bin" / "python",
                          "-c", ROOT / "requirements" / "main.txt", wheel], env=env)  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    project = tmp / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: user-scoring\nruntime: python\n")
    (project / "__main__.py").write_text(PROGRAM)
    for stack in ("dev", "production"):
        (project / f"Pulumi.{stack}.yaml").write_text(f"config:\n  secure-scoring:environment: {stack}\n")
    return tmp, venv, project


def _env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_installed_cli_version_and_gate(user):
    tmp, venv, project = user
    cli = venv / "bin" / "secure-scoring"
    out = _run([cli, "--version"], cwd=tmp, env=_env(venv))
    assert out.stdout.strip() == "secure-scoring 0.1.0"
    where = _run([venv / "bin" / "python", "-c", "import secure_scoring; print(secure_scoring.__file__)"],
                 cwd=tmp, env=_env(venv))  # fmt: skip
    assert str(venv) in where.stdout and str(ROOT) not in where.stdout  # the wheel, not this checkout
    dev = _run([cli, "check", project, "--stack", "dev"], cwd=tmp, env=_env(venv))
    assert dev.returncode == 0, dev.stdout + dev.stderr
    prod = _run([cli, "check", project, "--stack", "production"], cwd=tmp, env=_env(venv))
    assert prod.returncode == 1, prod.stdout + prod.stderr
    assert "no-self-signed-in-production" in prod.stdout


def test_packs_start_like_the_pulumi_cli_and_judge_like_the_gate(user):
    tmp, venv, project = user
    cli = venv / "bin" / "secure-scoring"
    init = _run(
        [cli, "policy-pack", "init", tmp / "policy-pack", "--virtualenv", venv], cwd=tmp, env=_env(venv)
    )
    assert init.returncode == 0, init.stderr
    reqs = (tmp / "policy-pack" / "requirements.txt").read_text()
    assert "secure-scoring==0.1.0" in reqs.splitlines() and "pulumi-policy" in reqs
    path = _run([cli, "policy-pack", "path"], cwd=tmp, env=_env(venv))
    installed_pack = Path(path.stdout.strip())
    assert str(venv) in str(installed_pack) and (installed_pack / "PulumiPolicy.yaml").exists()
    assert "note:" not in path.stderr  # python3 on PATH is the virtualenv's
    (tmp / "driver.py").write_text(DRIVER)
    out = _run([venv / "bin" / "python", tmp / "driver.py", project, "production", tmp / "policy-pack",
                installed_pack], cwd=tmp, env=_env(venv))  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.splitlines()[-1])
    assert str(ROOT) not in result["module"] and result["version"] == "0.1.0"
    gate = result["gate"]
    assert ["no-self-signed-in-production", gate[0][1], "mandatory"] in gate
    for pack in result["packs"].values():
        assert pack["name"] == "secure-scoring"
        assert pack["found"] == result["evaluate"]  # the same rules, resources and levels
        assert {tuple(f) for f in gate} <= {tuple(f) for f in pack["found"]}  # the gate groups children


def test_action_gate_script(user):
    tmp, venv, project = user
    out_file = tmp / "github_output"
    env = {**_env(venv), "STACKS": "dev production", "PROGRAM_DIR": str(project),
           "SARIF_FILE": str(tmp / "gate.sarif"), "GITHUB_OUTPUT": str(out_file)}  # fmt: skip
    run = _run(["bash", ROOT / "scripts" / "policy-gate.sh"], cwd=tmp, env=env)
    assert run.returncode == 0, run.stderr
    outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines())
    assert outputs["exit-code"] == "1"
    sarif = json.loads((tmp / "gate.sarif").read_text())
    assert [r["automationDetails"]["id"] for r in sarif["runs"]] == [
        "secure-scoring/dev/",
        "secure-scoring/production/",
    ]


def test_pre_commit_hooks_from_a_clone(user):
    tmp, venv, project = user
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (test extra: make venv)")
    trustme = pytest.importorskip("trustme")
    repo = tmp / "scratch"
    shutil.copytree(project, repo)
    ca = trustme.CA()
    leaf = ca.issue_cert("scoring.example.com")
    (repo / "certs").mkdir()
    (repo / "certs" / "fullchain.pem").write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    env = {**_env(venv), "PRE_COMMIT_HOME": str(tmp / "pre-commit-home"), "GIT_CONFIG_GLOBAL": os.devnull}
    for cmd in (["git", "init", "-q"], ["git", "add", "."]):
        assert _run(cmd, cwd=repo, env=env).returncode == 0
    clone = tmp / "clone"  # the hooks from a clone of this repository (its committed HEAD)
    assert _run(["git", "clone", "-q", "--depth", "1", f"file://{ROOT}", clone], env=env).returncode == 0
    gate = _run([pre_commit, "try-repo", clone, "secure-scoring-check", "--all-files"], cwd=repo, env=env)
    assert gate.returncode == 0, gate.stdout + gate.stderr  # default args: --stack dev
    assert "secure-scoring check (offline policy gate)" in gate.stdout and "Passed" in gate.stdout
    cert = _run(
        [pre_commit, "try-repo", clone, "secure-scoring-cert-check", "--all-files"], cwd=repo, env=env
    )
    # an unknown issuer (trustme's CA is in no trust store) is a warning outside production: passes
    assert cert.returncode == 0, cert.stdout + cert.stderr
    assert "certs/fullchain.pem" in cert.stdout or "Passed" in cert.stdout
