"""``secure-scoring serve-local``: the real inference server behind the real gateway, started by the CLI."""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support.fixtures_dataplane import SCORING_APP, https_request

pytestmark = pytest.mark.dataplane


@pytest.fixture(autouse=True, scope="module")
def _ctrl_c_reaches_serve_local():
    """These tests press Ctrl-C (SIGINT) as a person at a terminal would. A suite started as a
    background job of a non-interactive shell (as CI runners may start it) has SIGINT ignored, and an
    ignored signal stays ignored across exec: serve-local would never see the Ctrl-C. A Python-level
    handler here makes the children start with the terminal's default disposition."""
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_with_ctrl_c(proc: subprocess.Popen) -> None:
    """SIGINT and wait; if serve-local does not stop, SIGTERM (then SIGKILL) so that its nginx and
    inference server are not left behind, and fail."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        pytest.fail("serve-local did not stop within 30 s of SIGINT (Ctrl-C)")


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "secure_scoring", "serve-local", *args]


def serve_args(chain: Path, key: Path, script: Path = SCORING_APP / "score.py") -> list[str]:
    """``--entry-script SCRIPT --cert CHAIN --key KEY``: what every serve-local run here starts with."""
    return ["--entry-script", str(script), "--cert", str(chain), "--key", str(key)]


def start(
    args: list[str], preexec_fn=None
) -> tuple[subprocess.Popen, dict[str, str], queue.Queue[str | None]]:
    proc = subprocess.Popen(
        cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    if not seen or not seen[-1].startswith("Press Ctrl-C"):
        proc.terminate()  # SIGTERM: serve-local stops its servers and removes its temp dirs
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        stderr = proc.stderr.read() if proc.stderr else ""
        pytest.fail(f"serve-local did not start: {seen} {stderr}")
    info = {}
    for line in seen:
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return proc, info, lines


def port_of(info: dict[str, str]) -> int:
    match = re.match(r"127\.0\.0\.1:(\d+) ", info["listening"])
    assert match, info
    return int(match.group(1))


def closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


@pytest.fixture(scope="module")
def bundle(pki, tmp_path_factory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("serve-local")
    chain = pki.leaf.write_chain(directory / "chain.pem")
    return Path(chain), Path(pki.leaf.key_path)


def test_serve_local_serves_with_generated_keys_and_stops_on_ctrl_c(pki, bundle) -> None:
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    inference_python()
    chain, key = bundle
    proc, info, lines = start(
        [
            "--entry-script",
            str(SCORING_APP / "score.py"),
            "--model-dir",
            str(SCORING_APP / "model"),
            "--cert",
            str(chain),
            "--key",
            str(key),
            "--port",
            "0",
        ]
    )
    try:
        port = port_of(info)
        # the hostname defaults to the certificate's first DNS name
        assert info["scoring URL"] == f"https://scoring.example.test:{port}/score"
        primary, secondary = info["primary key"], info["secondary key"]
        assert primary != secondary and len(primary) >= 32
        for key_value in (primary, secondary):
            resp = https_request(
                port,
                "POST",
                "/score",
                ca_bundle=pki.ca_bundle_path,
                headers={"Authorization": f"Bearer {key_value}", "Content-Type": "application/json"},
                body=b'{"data": [1, 2]}',
            )
            assert resp.status == 200
            assert resp.json()["echo"] == {"data": [1, 2]}
            assert resp.json()["model"] == "echo-model-v1"
            assert resp.json()["authorization_seen"] is False
        denied = https_request(port, "POST", "/score", ca_bundle=pki.ca_bundle_path, body=b"{}")
        assert denied.status == 401
        # rotation drill: SIGUSR1 replaces the primary key with a graceful reload
        assert info["rotate"].startswith(f"kill -USR1 {proc.pid} ")
        proc.send_signal(signal.SIGUSR1)
        line = lines.get(timeout=20)
        assert line and line.startswith("primary key rotated: "), line
        new_primary = line.split(": ", 1)[1]
        assert new_primary not in (primary, secondary)

        def status(key_value: str) -> int:
            headers = {"Authorization": f"Bearer {key_value}", "Content-Type": "application/json"}
            return https_request(
                port, "POST", "/score", ca_bundle=pki.ca_bundle_path, headers=headers, body=b"{}"
            ).status

        assert (status(primary), status(new_primary), status(secondary)) == (401, 200, 200)
        assert https_request(port, "GET", "/", ca_bundle=pki.ca_bundle_path).status == 200
        gateway_dir = Path(info["logs"].split("gateway ", 1)[1]).parent
        assert gateway_dir.exists()
    finally:
        stop_with_ctrl_c(proc)
        err = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert closed(port)
    assert not gateway_dir.exists()


def test_serve_local_auth_none_stops_on_sigterm(pki, bundle) -> None:
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    inference_python()
    chain, key = bundle
    proc, info, lines = start(
        [
            *serve_args(chain, key),
            "--auth",
            "none",
            "--hostname",
            "localhost",
            "--port",
            "0",
        ]
    )
    try:
        port = port_of(info)
        assert "primary key" not in info
        assert info["scoring URL"] == f"https://localhost:{port}/score"
        resp = https_request(
            port,
            "POST",
            "/score",
            ca_bundle=pki.ca_bundle_path,
            hostname="localhost",
            headers={"Content-Type": "application/json"},
            body=b"[1]",
        )
        assert resp.status == 200
        assert resp.json()["model"] is None  # no --model-dir
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        err = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 0, err
    assert closed(port)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), capture_output=True, text=True, timeout=60, check=False)


def test_mismatched_key_is_refused_before_anything_starts(pki, bundle, cert_factory) -> None:
    chain, _ = bundle
    other = cert_factory.leaf(pki.inter, ["other.example.test"])
    result = run_cli(*serve_args(chain, other.key_path))
    assert result.returncode == 1
    assert "key-mismatch" in result.stderr
    assert "Traceback" not in result.stderr
    assert "primary key" not in result.stdout


def test_hostname_not_covered_is_refused(bundle) -> None:
    chain, key = bundle
    result = run_cli(
        *serve_args(chain, key),
        "--hostname",
        "scoring.other.test",
    )
    assert result.returncode == 1
    assert "hostname-mismatch" in result.stderr


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--auth", "token"], "only on AKS"),
        (["--entry-script", "/nonexistent/score.py"], "--entry-script"),
        (["--model-dir", "/nonexistent/model"], "--model-dir"),
        (["--max-body-size", "10m;"], "--max-body-size"),
        (["--port", "70000"], "expected 0..65535"),
        (["--workers", "3600"], "--workers: expected 1..64"),
        (["--timeout", "0"], "--timeout: expected 1..3600"),
        # a wildcard is no name a client connects to: ask for a concrete one
        (["--hostname", "*.example.test"], "e.g. --hostname a.example.test"),
        (["--hostname", "."], "--hostname"),
        # not a name at all: a usage error, not a certificate that "does not cover" it (exit 1);
        # the words of secure_scoring.names, the one hostname parser
        (["--hostname", "a b"], "--hostname: 'a b' is not a hostname: it contains ' '"),
        (["--hostname", "bad!.example.test"], "--hostname: 'bad!.example.test' is not a hostname"),
        (
            ["--hostname", "a;b.example.test"],
            "--hostname: 'a;b.example.test' is not a hostname: it contains ';'",
        ),
    ],
)
def test_usage_errors_exit_2_with_the_option_named(bundle, extra, words) -> None:
    chain, key = bundle
    args = serve_args(chain, key)
    result = run_cli(*args, *extra)
    assert result.returncode == 2, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_cert_file_is_a_usage_error() -> None:
    result = run_cli(
        "--entry-script", str(SCORING_APP / "score.py"), "--cert", "/nope.pem", "--key", "/nope.key"
    )
    assert result.returncode == 2
    assert "--cert" in result.stderr and "does not exist" in result.stderr


def test_a_port_in_use_is_refused_before_anything_starts(bundle) -> None:
    chain, key = bundle
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = run_cli(
            *serve_args(chain, key),
            "--port",
            str(port),
        )
    assert result.returncode == 2, result.stderr
    assert f"--port: 127.0.0.1:{port} is already in use" in result.stderr
    assert "use --port 0" in result.stderr
    assert result.stdout == ""  # no banner, no keys
    assert "starting the inference server" not in result.stderr


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_sigterm_during_a_slow_init_stops_at_once(pki, bundle, tmp_path) -> None:
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    inference_python()
    chain, key = bundle
    script = tmp_path / "slow_init_score.py"
    script.write_text("import time\n\ndef init():\n    time.sleep(60)\n\ndef run(raw):\n    return 1\n")
    proc = subprocess.Popen(
        # the test root is declared, as a user declares a private CA: the first line is the start
        cli(*serve_args(chain, key, script), "--ca-bundle", str(pki.ca_bundle_path), "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith("starting the inference server")
        deadline = time.monotonic() + 30
        scorer = []
        while not scorer and time.monotonic() < deadline:  # the server runs (its worker is in init())
            scorer = _children(proc.pid)
            time.sleep(0.1)
        assert scorer
        time.sleep(1.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()
    assert elapsed < 4, f"took {elapsed:.1f} s to stop"
    for pgid in scorer:  # the scorer's process group (gunicorn and the worker in init()) is gone
        assert _group_members(pgid) == [], pgid


def _group_members(pgid: int, settle_s: float = 3.0) -> list[int]:
    """Processes of group ``pgid`` still running (not zombies) after up to ``settle_s``."""
    deadline = time.monotonic() + settle_s
    while True:
        members = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
        if not members or time.monotonic() >= deadline:
            return members
        time.sleep(0.05)


def test_a_killed_scorer_is_reported_with_its_log(pki, bundle) -> None:
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    inference_python()
    chain, key = bundle
    proc, info, _ = start(
        [
            *serve_args(chain, key),
            "--ca-bundle",
            str(pki.ca_bundle_path),  # declared, so the output starts with the server's own lines
            "--port",
            "0",
        ]
    )
    scorer_log = Path(info["logs"].split("scorer ", 1)[1].split(";")[0])
    gateway_dir = Path(info["logs"].split("gateway ", 1)[1]).parent
    try:
        (scorer,) = [
            p for p in _children(proc.pid) if b"amlserver" in Path(f"/proc/{p}/cmdline").read_bytes()
        ]
        os.kill(scorer, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 1, err
    assert err.startswith("starting the inference server ...\n")
    lines = err.rstrip("\n").splitlines()[1:]
    assert lines[0].startswith("secure-scoring serve-local: error: ")
    assert lines[0].endswith(
        f"inference server: it stopped unexpectedly (killed by SIGKILL); last lines of its log {scorer_log} (kept):"
    )
    quoted = [line for line in lines if line.startswith("  | ")]
    assert 5 <= len(quoted) <= 20 and any("gunicorn" in line for line in quoted)
    # the fix on a line of its own, no stray "." line
    assert lines[-1].startswith("Fix: ") and not any(line.startswith(".") for line in lines)
    assert "Traceback" not in err
    # the log it names is still there; the gateway's directory (the key copy) is gone
    assert scorer_log.exists() and "Listening at" in scorer_log.read_text()
    assert not gateway_dir.exists()
    shutil.rmtree(scorer_log.parent)


def test_trailing_dot_and_internationalized_hostnames(pki, cert_factory, tmp_path) -> None:
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    inference_python()
    leaf = cert_factory.leaf(pki.inter, ["a.example.test", "xn--bcher-kva.example.test"])
    chain = leaf.write_chain(tmp_path / "chain.pem")
    proc, info, _ = start(
        [
            *serve_args(chain, leaf.key_path),
            "--hostname",
            "A.Example.Test.",
            "--hostname",
            "bücher.example.test",
            "--auth",
            "none",
            "--port",
            "0",
        ]
    )
    try:
        port = port_of(info)
        assert info["scoring URL"] == f"https://a.example.test:{port}/score"
        for name in ("a.example.test", "xn--bcher-kva.example.test"):
            resp = https_request(port, "GET", "/", ca_bundle=pki.ca_bundle_path, hostname=name)
            assert resp.status == 200, name
    finally:
        stop_with_ctrl_c(proc)
    err = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 0, err
    # --auth none is announced as what it is
    assert "warning: --auth none: the endpoint is UNAUTHENTICATED" in err
    assert "auth-required" in err


def test_a_port_taken_after_the_check_is_caught_from_nginx(bundle, monkeypatch, capsys) -> None:
    """Another program takes the port between the check and nginx's bind: nginx's own bind failure is
    reported as the port in use (never the ready banner for the other program's listener)."""
    import secure_scoring.dataplane.local as local
    import secure_scoring.dataplane.processes as processes
    from secure_scoring.cli import main
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    inference_python()
    chain, key = bundle
    monkeypatch.setattr(local, "port_available", lambda *args: True)  # serve-local's own check
    monkeypatch.setattr(processes, "port_available", lambda *args: True)  # the gateway's
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        code = main(
            [
                "serve-local",
                *serve_args(chain, key),
                "--port",
                str(port),
            ]
        )
    out, err = capsys.readouterr()
    assert code == 1, err
    assert f"--port: 127.0.0.1:{port} is already in use. Fix: pick another port or use --port 0" in err
    assert "scoring URL" not in out and "primary key" not in out


def test_ctrl_c_stops_serve_local_even_when_started_with_sigint_ignored(bundle) -> None:
    """A background job of a non-interactive shell inherits SIGINT ignored; serve-local still stops."""
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    inference_python()
    chain, key = bundle

    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    args = [
        *serve_args(chain, key),
        "--port",
        "0",
    ]
    proc, info, _lines = start(args, preexec_fn=ignore_sigint)
    port = port_of(info)
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
    assert closed(port)


def test_an_address_only_certificate_defaults_to_127_0_0_1(pki, cert_factory, tmp_path) -> None:
    """The first subjectAltName entry may be ::1 or another address serve-local does not listen on;
    the banner must then use 127.0.0.1 (DNS names still come first, as documented)."""
    import argparse

    from secure_scoring.cli.serve_local import _inspect

    def default_for(hostnames: list[str]) -> str:
        leaf = cert_factory.leaf(pki.inter, hostnames)
        chain = leaf.write_chain(tmp_path / "chain.pem")
        args = argparse.Namespace(cert=str(chain), key=str(leaf.key_path))
        names, _, _ = _inspect(chain.read_text(), leaf.key_pem, [], args)
        return names[0]

    assert default_for(["::1", "127.0.0.1"]) == "127.0.0.1"
    assert default_for(["10.9.8.7", "a.example.test"]) == "a.example.test"
    assert default_for(["10.9.8.7"]) == "10.9.8.7"


def test_the_printed_url_and_curl_line_work_for_an_ipv6_hostname(pki, cert_factory, tmp_path) -> None:
    """--hostname ::1: the URL needs brackets, and curl's --resolve does not apply to an address: the
    banner's 'try' line (with its placeholders filled in) must score as printed."""
    from support.requirements import inference_python, require_binary

    require_binary("nginx")
    curl = require_binary("curl")
    inference_python()
    leaf = cert_factory.leaf(pki.inter, ["::1", "127.0.0.1"])
    chain = leaf.write_chain(tmp_path / "chain.pem")
    proc, info, _ = start(
        [
            *serve_args(chain, leaf.key_path),
            "--hostname",
            "::1",
            "--port",
            "0",
        ]
    )
    try:
        port = port_of(info)
        assert info["scoring URL"] == f"https://[::1]:{port}/score"
        assert info["health"] == f"https://[::1]:{port}/ (no key)"
        line = info["try"]
        assert f"--connect-to [::1]:{port}:127.0.0.1:{port} " in line and "--resolve" not in line
        line = line.replace("<CA bundle>", str(pki.ca_bundle_path)).replace(
            "<primary key>", info["primary key"]
        )
        assert line.startswith("curl ")
        result = subprocess.run(
            [curl, "-sS", "--fail-with-body", "--max-time", "20", *shlex.split(line)[1:]],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stderr + result.stdout
        assert '"echo": {"data": [1, 2]}' in result.stdout
    finally:
        stop_with_ctrl_c(proc)
    assert proc.returncode == 0
