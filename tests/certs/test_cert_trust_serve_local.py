"""``serve-local --ca-bundle``: the chain is verified against the CA the clients trust, as ``cert check``
does; mkcert's output starts as it is (dev: an issuer the system store does not know is a warning)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.fixtures_dataplane import SCORING_APP


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "secure_scoring", "serve-local", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def base(chain: Path, key: Path) -> list[str]:
    return ["--entry-script", str(SCORING_APP / "score.py"), "--cert", str(chain), "--key", str(key)]


@pytest.fixture(scope="module")
def served(pki, tmp_path_factory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("serve-local-trust")
    return Path(pki.leaf.write_chain(directory / "chain.pem")), Path(pki.leaf.key_path)


def _bad_bundles(tmp: Path, pki) -> dict[str, tuple[str, str]]:
    (tmp / "empty.pem").write_text("")
    (tmp / "key.pem").write_text(Path(pki.leaf.key_path).read_text())
    (tmp / "leaf.pem").write_text(pki.leaf.cert_pem)
    return {
        "missing": (str(tmp / "nope.pem"), "does not exist"),
        "empty": (str(tmp / "empty.pem"), "is empty"),
        "no certificate": (str(tmp / "key.pem"), "holds no certificate"),
        "not a CA": (str(tmp / "leaf.pem"), "is not a CA certificate"),
        "directory": (str(tmp), "is a directory"),
    }


@pytest.mark.parametrize("case", ["missing", "empty", "no certificate", "not a CA", "directory"])
def test_a_bad_ca_bundle_exits_2_with_the_option_named(served, pki, tmp_path, case) -> None:
    path, words = _bad_bundles(tmp_path, pki)[case]
    result = cli(*base(*served), "--ca-bundle", path)
    assert result.returncode == 2, result.stderr
    assert "--ca-bundle" in result.stderr and words in result.stderr and "fix" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_a_ca_that_did_not_issue_the_chain_refuses_to_start(served, cert_factory, tmp_path) -> None:
    other = cert_factory.ca("Another Root CA")
    result = cli(*base(*served), "--ca-bundle", str(other.cert_path))
    assert result.returncode == 1, result.stderr
    assert "issuer-unknown" in result.stderr and "Traceback" not in result.stderr


def _mkcert(tmp: Path) -> tuple[Path, Path, Path]:
    mkcert = shutil.which("mkcert")
    if mkcert is None:
        pytest.skip("mkcert is not installed")
    env = {**os.environ, "CAROOT": str(tmp / "caroot")}
    subprocess.run(
        [mkcert, "-cert-file", "cert.pem", "-key-file", "key.pem", "localhost", "127.0.0.1"],
        cwd=tmp,
        env=env,
        check=True,
        capture_output=True,
    )
    return tmp / "cert.pem", tmp / "key.pem", tmp / "caroot" / "rootCA.pem"


def _starts(args: list[str], banner: list[str] | None = None) -> str:
    """Start serve-local, wait for its banner (its lines are added to ``banner``), stop it; return its
    stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "secure_scoring", "serve-local", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    deadline = time.monotonic() + 90
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("Press Ctrl-C") or time.monotonic() > deadline:
            break
    proc.terminate()
    try:
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate(timeout=10)
    assert seen and seen[-1].startswith("Press Ctrl-C"), (seen, stderr)
    if banner is not None:
        banner.extend(seen)
    return stderr


@pytest.mark.dataplane
def test_mkcert_output_starts_as_it_is(tmp_path) -> None:
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    inference_python()
    cert, key, root = _mkcert(tmp_path)
    args = ["--entry-script", str(SCORING_APP / "score.py"), "--cert", str(cert), "--key", str(key)]
    stderr = _starts(args)  # the system store does not know mkcert's CA: a warning in dev
    assert "warning: issuer-unknown" in stderr, stderr
    assert (
        "    fix: " in stderr and "--ca-bundle" in stderr.split("warning: issuer-unknown", 1)[1]
    )  # how to declare it
    banner: list[str] = []
    stderr = _starts([*args, "--ca-bundle", str(root)], banner)  # declared: verified, no warning about it
    assert "issuer-unknown" not in stderr, stderr
    [hint] = [line for line in banner if line.startswith("try:")]
    assert f"curl --cacert {root} " in hint  # the declared CA, not a placeholder
