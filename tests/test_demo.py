"""`make demo` end to end: the main job a new user runs first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.requirements import inference_python, require_binary

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.e2e
@pytest.mark.dataplane
def test_demo_script_shows_secure_and_rejected_deployments():
    require_binary("nginx")
    require_binary("openssl")
    inference_python()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts/demo.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    # the good bundle passes with its private root declared, is refused in production without it,
    # and the bad one is rejected with its findings
    assert "verdict: OK, usable in production" in out
    assert "ERROR issuer-unknown" in out
    assert "key-mismatch" in out and "no-san" in out
    # every example stack passes the gate, the insecure program is rejected with the right rule
    for stack in ("dev", "staging", "production"):
        assert f"PASS: stack {stack} of" in out
    assert "[mandatory] tls-required" in out and "FAIL: stack production of aci-public-port-80" in out
    # the live gateway is verified and no key is ever printed
    assert "auth-no-credential" in out and "OK:" in out
    assert "<hidden>" in out
    assert "demo finished" in out
