"""The local launchers: clear errors for missing parts, failing entry scripts, and no process left behind."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secure_scoring.dataplane.local import (
    InferenceServer,
    find_inference_python,
    find_nginx,
    free_port,
    listening_addresses,
)
from secure_scoring.errors import SecureScoringError


def test_missing_inference_venv_names_the_make_target(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SECURE_SCORING_INFERENCE_PYTHON", str(tmp_path / "nope/bin/python"))
    with pytest.raises(SecureScoringError) as caught:
        find_inference_python()
    assert caught.value.input_name == "SECURE_SCORING_INFERENCE_PYTHON"
    monkeypatch.delenv("SECURE_SCORING_INFERENCE_PYTHON")
    import secure_scoring.dataplane.inference as inference

    monkeypatch.setattr(inference, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(inference.sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SecureScoringError) as caught:
        find_inference_python()
    assert "make inference-venv" in str(caught.value)


def test_missing_nginx_names_the_make_target(monkeypatch) -> None:
    import secure_scoring.dataplane.nginx as nginx

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(nginx.Path, "exists", lambda self: False)
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
    server = InferenceServer(script, python=python)
    with pytest.raises(SecureScoringError) as caught:
        server.start()
    message = str(caught.value)
    assert caught.value.input_name == "inference server"
    assert "model file missing: weights.bin" in message
    assert server.pid is None
    # the log quoted in the message is kept (it is named there), the fix is on a line of its own
    assert "(exit status " in message
    assert f"{server.log_path} (kept):" in message and server.log_path.exists()
    assert "model file missing: weights.bin" in server.log_path.read_text()
    lines = message.splitlines()
    assert lines[-1].startswith("Fix: ") and not any(line.startswith(".") for line in lines)
    assert len([line for line in lines if line.startswith("  | ")]) <= 20
    shutil.rmtree(server.log_path.parent)


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
    from secure_scoring.dataplane.gateway import GatewaySettings
    from secure_scoring.dataplane.local import NginxGateway
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
    from secure_scoring.dataplane.gateway import GatewaySettings
    from secure_scoring.dataplane.local import NginxGateway
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


# -- the port: refused when taken, and readiness proves the listener is ours -------------------------------


def _listener() -> socket.socket:
    """Another program's listener on 127.0.0.1 (a plain socket of this test)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def _gateway(pki, **kwargs):
    from secure_scoring.dataplane.gateway import GatewaySettings
    from secure_scoring.dataplane.local import NginxGateway
    from support.requirements import require_binary

    settings = GatewaySettings(hostnames=("localhost",), upstream="127.0.0.1:9", private_ca=True)
    return NginxGateway(
        settings,
        cert_pem=pki.leaf.chain_pem(),
        key_pem=pki.leaf.key_pem,
        primary_key="Local-Primary-0123456789",
        secondary_key="Local-Secondary-0123456789",
        nginx=require_binary("nginx"),
        **kwargs,
    )


def test_port_available_sees_another_listener() -> None:
    from secure_scoring.dataplane.local import port_available

    with _listener() as other:
        port = other.getsockname()[1]
        assert port_available(port) is False
    assert port_available(port) is True


def test_group_listens_only_for_the_group_holding_the_socket() -> None:
    from secure_scoring.dataplane.ports import group_listens as _group_listens

    with _listener() as other:
        port = other.getsockname()[1]
        assert _group_listens(os.getpgrp(), port, "127.0.0.1")
        assert not _group_listens(os.getpgrp(), port, "127.0.0.2")
        sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
        try:
            assert not _group_listens(sleeper.pid, port)  # something answers there, but not that group
        finally:
            sleeper.kill()
            sleeper.wait()


@pytest.mark.dataplane
def test_a_taken_port_is_refused_before_nginx_starts(pki) -> None:
    from secure_scoring.dataplane.local import PortInUseError

    with _listener() as other:
        port = other.getsockname()[1]
        gateway = _gateway(pki, port=port)
        with pytest.raises(PortInUseError) as caught:
            gateway.start()
    assert str(caught.value) == f"port: 127.0.0.1:{port} is already in use. Fix: " + caught.value.fix
    assert gateway.pid is None and gateway.workdir is None  # nothing was started or written


@pytest.mark.dataplane
def test_nginx_failing_to_bind_is_not_mistaken_for_the_other_listener(pki, monkeypatch) -> None:
    """The port is taken after the check: nginx's own bind failure is detected, not the other
    program's listener taken for the gateway."""
    import secure_scoring.dataplane.local as local
    import secure_scoring.dataplane.processes as processes

    monkeypatch.setattr(processes, "port_available", lambda *args: True)
    with _listener() as other:
        port = other.getsockname()[1]
        gateway = _gateway(pki, port=port)
        with pytest.raises(local.PortInUseError) as caught:
            gateway.start()
    assert caught.value.address == f"127.0.0.1:{port}"
    assert gateway.pid is None
    # the message says it all: nothing of the failed start is left (no key copy, no log)
    assert not Path(gateway.workdir).exists()


# -- temporary directories: no key copy outlives its owner ------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_stale_temp_dirs_of_dead_owners_are_removed(tmp_path) -> None:
    from secure_scoring.dataplane.workdirs import OWNER_FILE, remove_stale_temp_dirs
    from secure_scoring.dataplane.workdirs import start_time as _start_time

    def make(name: str, owner: str | None, age_s: float = 0) -> Path:
        directory = tmp_path / name
        (directory / "conf").mkdir(parents=True)
        (directory / "conf" / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\n")
        if owner is not None:
            (directory / OWNER_FILE).write_text(owner)
        if age_s:
            past = time.time() - age_s
            os.utime(directory, (past, past))
        return directory

    me = os.getpid()
    dead = make("secure-scoring-gateway-dead", f"{_dead_pid()} 1\n")
    reused = make("secure-scoring-scorer-reused", f"{me} 1\n")  # the pid now is another process
    mine = make("secure-scoring-gateway-mine", f"{me} {_start_time(me)}\n")
    legacy_old = make("secure-scoring-gateway-legacy", None, age_s=3600)
    legacy_new = make("secure-scoring-gateway-starting", None)  # just made, owner file not yet written
    legacy_open = make("secure-scoring-scorer-open", None, age_s=3600)
    other = make("unrelated-dead", f"{_dead_pid()} 1\n")
    with open(legacy_open / "conf" / "tls.key") as held:  # a running server still uses it
        removed = remove_stale_temp_dirs(tmp_path)
        assert not held.closed
    assert sorted(removed) == sorted([dead, reused, legacy_old])
    for directory in (dead, reused, legacy_old):
        assert not directory.exists()
    for directory in (mine, legacy_new, legacy_open, other):
        assert (directory / "conf" / "tls.key").exists()


def test_a_live_owner_is_not_taken_for_dead_when_the_boot_time_moves(tmp_path, monkeypatch) -> None:
    """The cause of a rare failure of test_failing_init_shows_the_server_log (and of other tests'
    temp directories vanishing): psutil's create_time() is the kernel's boot time (whole seconds,
    moved by clock adjustments) plus the start offset; when the boot time moved by a second between
    the owner file's writing and another launcher's check, a live owner looked dead and its
    directory (the server's log, the key copies) was removed under it."""
    import psutil

    from secure_scoring.dataplane.workdirs import OWNER_FILE, remove_stale_temp_dirs
    from secure_scoring.dataplane.workdirs import start_time as _start_time

    me = os.getpid()
    directory = tmp_path / "secure-scoring-scorer-live"
    directory.mkdir()
    (directory / OWNER_FILE).write_text(f"{me} {_start_time(me)}\n")
    legacy = tmp_path / "secure-scoring-gateway-live-legacy"  # written by an older version: epoch
    legacy.mkdir()
    (legacy / OWNER_FILE).write_text(f"{me} {psutil.Process(me).create_time():.2f}\n")
    # the kernel's boot time moves by a second (what every psutil reader then sees)
    real_boot_time = psutil.boot_time()
    monkeypatch.setattr(psutil._psplatform, "boot_time", lambda: real_boot_time + 1.0)
    assert psutil.Process(me).create_time() > float(_start_time(me)[1:]) + real_boot_time + 0.5
    assert remove_stale_temp_dirs(tmp_path) == []
    assert directory.exists() and legacy.exists()


@pytest.mark.dataplane
def test_key_copies_of_a_sigkilled_launcher_are_removed_at_the_next_start(pki, tmp_path) -> None:
    from secure_scoring.dataplane.local import OWNER_FILE, remove_stale_temp_dirs
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    launcher = tmp_path / "launcher.py"
    launcher.write_text(
        "import sys, time\n"
        "from secure_scoring.dataplane.gateway import GatewaySettings\n"
        "from secure_scoring.dataplane.local import NginxGateway\n"
        "settings = GatewaySettings(hostnames=('localhost',), upstream='127.0.0.1:9', private_ca=True)\n"
        f"gw = NginxGateway(settings, cert_path={str(pki.leaf.cert_path)!r}, key_path={str(pki.leaf.key_path)!r},\n"
        "    primary_key='Local-Primary-0123456789', secondary_key='Local-Secondary-0123456789',\n"
        f"    nginx={nginx!r}).start()\n"
        "print(gw.workdir, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, str(launcher)], stdout=subprocess.PIPE, text=True)
    try:
        workdir = Path(proc.stdout.readline().strip())
    finally:
        proc.kill()  # SIGKILL: no clean-up code runs
        proc.wait()
    assert (workdir / "conf" / "tls.key").exists() and (workdir / "conf" / "keys.conf").exists()
    assert oct((workdir / "conf").stat().st_mode)[-3:] == "700"
    assert oct((workdir / "conf" / "tls.key").stat().st_mode)[-3:] == "600"
    assert (workdir / OWNER_FILE).read_text().split()[0] == str(proc.pid)
    # nginx got its parent-death signal; once it has gone, the next start-up removes the directory
    deadline = time.monotonic() + 10
    while workdir.exists() and time.monotonic() < deadline:
        remove_stale_temp_dirs(workdir.parent)
        time.sleep(0.1)
    assert not workdir.exists()
