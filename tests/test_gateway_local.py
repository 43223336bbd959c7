"""The local launchers: clear errors for missing parts, failing entry scripts, and no process left behind."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from secure_scoring.errors import SecureScoringError
from secure_scoring.local import (
    InferenceServer,
    find_inference_python,
    find_nginx,
    free_port,
    listening_addresses,
)


def test_missing_inference_venv_names_the_make_target(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SECURE_SCORING_INFERENCE_PYTHON", str(tmp_path / "nope/bin/python"))
    with pytest.raises(SecureScoringError) as caught:
        find_inference_python()
    assert caught.value.input_name == "SECURE_SCORING_INFERENCE_PYTHON"
    monkeypatch.delenv("SECURE_SCORING_INFERENCE_PYTHON")
    import secure_scoring.local as local

    monkeypatch.setattr(local, "_REPO_ROOT", tmp_path)
    monkeypatch.setattr(local.sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SecureScoringError) as caught:
        find_inference_python()
    assert "make inference-venv" in str(caught.value)


def test_missing_nginx_names_the_make_target(monkeypatch) -> None:
    import secure_scoring.local as local

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(local.Path, "exists", lambda self: False)
    with pytest.raises(SecureScoringError) as caught:
        find_nginx()
    assert "make system" in str(caught.value)


def test_listening_addresses_sees_a_loopback_listener() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert listening_addresses(port) == {"127.0.0.1"}
    assert listening_addresses(port) == set()
    assert 1024 <= free_port() <= 65535


def test_missing_entry_script_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(SecureScoringError) as caught:
        InferenceServer(tmp_path / "score.py").start()
    assert caught.value.input_name == "entry_script"


@pytest.mark.dataplane
def test_failing_init_shows_the_server_log(tmp_path) -> None:
    from support.requirements import inference_python

    python = inference_python()
    script = tmp_path / "score.py"
    script.write_text(
        "def init():\n    raise RuntimeError('model file missing: weights.bin')\n\ndef run(x):\n    return x\n"
    )
    server = InferenceServer(script, python=python, startup_timeout=30)
    with pytest.raises(SecureScoringError) as caught:
        server.start()
    message = str(caught.value)
    assert caught.value.input_name == "inference server"
    assert "model file missing: weights.bin" in message
    assert server.pid is None


def _group_alive(pgid: int, settle_s: float = 3.0) -> bool:
    """True if a process of group ``pgid`` still exists after ``settle_s`` (killed workers whose
    master is gone are zombies until init reaps them)."""
    deadline = time.monotonic() + settle_s
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.05)


@pytest.mark.dataplane
def test_stop_leaves_no_process_of_either_server(scoring_app, pki) -> None:
    from secure_scoring.gateway import GatewaySettings
    from secure_scoring.local import NginxGateway
    from support.requirements import inference_python, require_binary

    python = inference_python()
    nginx = require_binary("nginx")
    with InferenceServer(scoring_app / "score.py", python=python, worker_count=2) as scorer:
        assert listening_addresses(scorer.port) == {"127.0.0.1"}
        settings = GatewaySettings(hostnames=("localhost",), upstream=scorer.address, private_ca=True)
        gateway = NginxGateway(
            settings,
            cert_pem=pki.leaf.chain_pem(),
            key_pem=pki.leaf.key_pem,
            primary_key="Local-Primary-0123456789",
            secondary_key="Local-Secondary-0123456789",
            nginx=nginx,
        )
        with gateway:
            gateway_pgid, workdir = gateway.pid, gateway.workdir
            assert listening_addresses(gateway.port) == {"127.0.0.1"}
            assert oct(Path(workdir, "conf").stat().st_mode)[-3:] == "700"
            assert oct(Path(workdir, "conf", "tls.key").stat().st_mode)[-3:] == "600"
        assert not _group_alive(gateway_pgid)
        assert not Path(workdir).exists()
        scorer_pgid = scorer.pid
    assert not _group_alive(scorer_pgid)


@pytest.mark.dataplane
def test_a_hung_gateway_master_is_killed_with_its_workers(scoring_app, pki, inference_server) -> None:
    from secure_scoring.gateway import GatewaySettings
    from secure_scoring.local import NginxGateway
    from support.requirements import require_binary

    settings = GatewaySettings(hostnames=("localhost",), upstream=inference_server.address, private_ca=True)
    gateway = NginxGateway(
        settings,
        cert_pem=pki.leaf.chain_pem(),
        key_pem=pki.leaf.key_pem,
        primary_key="Local-Primary-0123456789",
        secondary_key="Local-Secondary-0123456789",
        nginx=require_binary("nginx"),
    ).start()
    pgid = gateway.pid
    os.kill(pgid, signal.SIGSTOP)  # the master ignores nothing while stopped: SIGQUIT cannot work
    started = time.monotonic()
    try:
        gateway.stop(grace_s=0.5)
        elapsed = time.monotonic() - started
    finally:
        if _group_alive(pgid, settle_s=0):
            os.killpg(pgid, signal.SIGKILL)
    assert elapsed < 5
    assert not _group_alive(pgid)
