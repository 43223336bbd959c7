"""Run the real parts on this machine: the Azure ML inference server and the nginx gateway, on 127.0.0.1.

Used by ``secure-scoring serve-local``, the data-plane tests and the verifier's tests.

- :class:`InferenceServer` runs ``azureml-inference-server-http`` (the ``azmlinfsrv`` CLI, from its
  own venv) bound to 127.0.0.1 only. ``azmlinfsrv`` hard-codes ``0.0.0.0``; a tiny launcher sets the
  CLI's host constant to 127.0.0.1 and then runs the unchanged CLI, and the listener is checked
  after start-up (:func:`listening_addresses`).
- :class:`NginxGateway` writes the configuration rendered by :mod:`secure_scoring.dataplane.gateway` (the same
  rendering the ACI sidecar gets; only listen address/port and file paths differ) into a private
  temporary directory, checks it with ``nginx -t``, runs nginx in the foreground and rotates keys
  with a graceful reload.

Both are context managers. Each process runs in its own process group, and ``stop()`` ends the
whole group (graceful signal first, then SIGKILL), so no worker outlives its owner.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

from ..errors import SecureScoringError
from .gateway import GatewaySettings, render_keys_map, render_secret_files

__all__ = [
    "InferenceServer",
    "LocalServerError",
    "NginxGateway",
    "PortInUseError",
    "find_inference_python",
    "find_nginx",
    "free_port",
    "listening_addresses",
    "port_available",
    "remove_stale_temp_dirs",
]

LOCALHOST = "127.0.0.1"
_REPO_ROOT = Path(__file__).resolve().parents[3]
TEMP_PREFIXES = ("secure-scoring-gateway-", "secure-scoring-scorer-")
# "<pid> +<seconds since boot when it started>" of the process that made a temporary directory
OWNER_FILE = "owner.pid"
LOG_LINES = 20  # lines of a server log quoted in an error


class LocalServerError(SecureScoringError):
    """A :class:`SecureScoringError` whose problem may quote a log: the fix goes on its own line.

    ``keep_log``: the message names a log file that the launcher keeps for the user to read.
    """

    def __init__(
        self, input_name: str, problem: str, fix: str | None = None, *, keep_log: bool = False
    ) -> None:
        self.keep_log = keep_log
        super().__init__(input_name, problem, fix)

    def render(self) -> str:
        if "\n" not in self.problem:
            return super().render()
        text = f"{self.input_name}: {self.problem.rstrip()}"
        if self.fix:
            text += f"\nFix: {self.fix}"
        return text


class PortInUseError(SecureScoringError):
    """The requested port is taken by another program (``address`` is ``host:port``)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(
            "port", f"{address} is already in use", "pick another port, or let a free one be picked"
        )


# Runs inside the inference venv: the stock azmlinfsrv CLI with its bind host set to argv[1].
_INFERENCE_LAUNCHER = """
import os, sys
import gunicorn.config
if any(getattr(s, "name", "") == "control_socket_disable" for s in gunicorn.config.KNOWN_SETTINGS):
    # gunicorn >= 25.1 opens a control socket in $HOME shared by every instance: turn it off
    os.environ["GUNICORN_CMD_ARGS"] = (os.environ.get("GUNICORN_CMD_ARGS", "") + " --no-control-socket").strip()
import azureml_inference_server_http.amlserver as amlserver
if not hasattr(amlserver, "DEFAULT_HOST"):
    sys.exit("secure-scoring: this azureml-inference-server-http has no DEFAULT_HOST; cannot bind 127.0.0.1")
amlserver.DEFAULT_HOST = sys.argv.pop(1)
sys.argv[0] = "azmlinfsrv"
amlserver.run()
"""


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_available(port: int, host: str = LOCALHOST) -> bool:
    """True if nginx could bind ``host:port`` now (no other socket listens there; same test as nginx's bind)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx: TIME_WAIT is no conflict
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _listening(connections: list, port: int, address: str | None = None) -> bool:
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and address in (None, c.laddr.ip)
        for c in connections
    )


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port`` (psutil), e.g. ``{"127.0.0.1"}``."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return set()
    return {
        c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
    }


def _group_pids(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (the leader first)."""
    pids = [pgid]
    for pid in psutil.pids():
        with contextlib.suppress(OSError):
            if pid != pgid and os.getpgid(pid) == pgid:
                pids.append(pid)
    return pids


def _group_listens(pgid: int, port: int, address: str | None = None) -> bool:
    """True if a process of group ``pgid`` holds a socket listening on ``port`` (at ``address``).

    Proves the listener is ours, not another program's that took the port.
    """
    for pid in _group_pids(pgid):
        with contextlib.suppress(psutil.Error):
            if _listening(psutil.Process(pid).net_connections(kind="tcp"), port, address):
                return True
    return False


def _start_time(pid: int) -> str | None:
    """When ``pid`` started, as ``+<seconds since boot>`` (two decimals); None if it does not exist,
    ``"?"`` if it exists but cannot be inspected.

    Seconds since boot, not since the epoch: psutil's ``create_time()`` adds the boot time the
    kernel reports now (``btime``, whole seconds, moved by every clock adjustment), so two processes
    asking at different moments could see the same process start one second apart, and a live
    launcher's directory would look stale to another launcher and be removed under it.
    """
    try:
        since_boot = psutil.Process(pid).create_time() - psutil.boot_time()
    except psutil.NoSuchProcess:
        return None
    except psutil.Error:
        return "?"
    return f"+{since_boot:.2f}"


# recorded and current start times closer than this are the same process (a whole-second btime
# change between two reads; a pid is never reused within seconds)
_START_TOLERANCE_S = 1.5


def _same_start(recorded: str, pid: int, current: str) -> bool:
    """True if ``recorded`` (an owner file's start time) is when ``pid`` (started ``current``) started."""
    try:
        if recorded.startswith("+"):  # seconds since boot
            return abs(float(recorded[1:]) - float(current[1:])) < _START_TOLERANCE_S
        # written by an older version: seconds since the epoch
        return abs(float(recorded) - psutil.Process(pid).create_time()) < _START_TOLERANCE_S
    except ValueError:
        return True  # unreadable: keep the directory (only a certainly stale one is removed)
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True


def _owner_alive(directory: Path, st: os.stat_result) -> bool:
    try:
        fields = (directory / OWNER_FILE).read_text().split()
    except FileNotFoundError:
        # made by a version without owner files (or just now): in use while a process holds a file in it
        return time.time() - st.st_mtime < 60 or _referenced(directory)
    except OSError:
        return True
    try:
        pid = int(fields[0])
    except (IndexError, ValueError):
        return time.time() - st.st_mtime < 60
    started = _start_time(pid)
    if started is None:
        return False
    # a reused pid is another process
    return started == "?" or len(fields) < 2 or _same_start(fields[1], pid, started)


def _referenced(directory: Path) -> bool:
    """True if a process has a file in ``directory`` open, runs in it, or names it on its command line."""
    prefix = str(directory) + "/"
    marker = str(directory)
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if any(marker in arg for arg in proc.cmdline()):
                return True
        with contextlib.suppress(psutil.Error):
            if (proc.cwd() + "/").startswith(prefix):
                return True
        with contextlib.suppress(psutil.Error):
            if any(f.path.startswith(prefix) for f in proc.open_files()):
                return True
    return False


def remove_stale_temp_dirs(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove ``secure-scoring-gateway-*``/``secure-scoring-scorer-*`` temporary directories left behind.

    A directory is stale when it belongs to this user and the process that made it (its
    ``owner.pid``) no longer runs, e.g. a launcher killed with SIGKILL: that removes the copies of
    private keys and keys it held. Directories of running owners are left alone. Returns what was removed.
    """
    base = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIXES):
            continue
        try:
            st = entry.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or _owner_alive(entry, st):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _private_temp_dir(prefix: str) -> Path:
    """A new ``0700`` temporary directory owned by this process (after removing stale ones)."""
    remove_stale_temp_dirs()
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    (directory / OWNER_FILE).write_text(f"{os.getpid()} {_start_time(os.getpid()) or '?'}\n")
    return directory


def find_nginx() -> str:
    """Path of the nginx binary, or a :class:`SecureScoringError` saying how to install it."""
    path = shutil.which("nginx") or next(
        (str(p) for p in (Path("/usr/sbin/nginx"), Path("/usr/local/sbin/nginx")) if p.exists()), None
    )
    if path is None:
        raise SecureScoringError(
            "nginx",
            "the nginx program was not found on PATH or in /usr/sbin",
            "run 'make system' (installs the Debian nginx package) or install nginx >= 1.19.5",
        )
    return path


def find_inference_python() -> str:
    """The Python of the venv holding ``azureml-inference-server-http``.

    Looked up in order: ``$SECURE_SCORING_INFERENCE_PYTHON``; ``.venv-inference`` at the repository
    root; ``.venv-inference`` next to the venv this package runs from; ``./.venv-inference``.
    """
    override = os.environ.get("SECURE_SCORING_INFERENCE_PYTHON")
    if override:
        if not Path(override).exists():
            raise SecureScoringError(
                "SECURE_SCORING_INFERENCE_PYTHON",
                f"{override} does not exist",
                "point it at the python of a venv with azureml-inference-server-http, or unset it",
            )
        return override
    candidates = [
        _REPO_ROOT / ".venv-inference/bin/python",
        Path(sys.prefix).parent / ".venv-inference/bin/python",
        Path.cwd() / ".venv-inference/bin/python",
    ]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    raise SecureScoringError(
        "inference server",
        "the azureml-inference-server-http venv was not found (looked for "
        + ", ".join(str(c) for c in dict.fromkeys(candidates))
        + ")",
        "run 'make inference-venv', or set SECURE_SCORING_INFERENCE_PYTHON to the python of a venv "
        "where azureml-inference-server-http is installed",
    )


def _die_with_parent(sig: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send ``sig`` to the child when its parent dies.

    So a launcher killed by SIGKILL (or a test run interrupted hard) leaves no server behind. The
    signal fires when the *thread* that started the child exits: start servers from a long-lived
    thread (the main thread, as the CLI and the fixtures do).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, sig, 0, 0, 0)

    return preexec


def _tail(path: Path | None, lines: int = LOG_LINES) -> str:
    if path is None:
        return "(no log)"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("  | " + line for line in text.splitlines()[-lines:]) or "  (empty log)"


def exit_reason(returncode: int | None) -> str:
    """``exit status 3`` / ``killed by SIGKILL`` / ``still running``."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _stop_group(proc: subprocess.Popen | None, first_signal: int, grace_s: float) -> None:
    """Signal ``proc`` (a process-group leader), wait, then SIGKILL whatever is left in its group."""
    if proc is None:
        return
    pgid = proc.pid  # started with start_new_session=True: pgid == pid
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, first_signal)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=min(3.0, max(grace_s, 0.5)))
    # anything still in the group (workers of a killed master, grandchildren) goes now
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _wait_listening(host: str, port: int, proc: subprocess.Popen, timeout: float) -> bool:
    """Wait until ``proc``'s process group listens on ``host:port`` (not merely: something answers there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _group_listens(proc.pid, port, host):
            with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
                return proc.poll() is None
        time.sleep(0.02)
    return False


def _port_taken(log: str) -> bool:
    return "Address already in use" in log or "Connection in use" in log


class InferenceServer:
    """The real Azure ML inference server (``azmlinfsrv``) on 127.0.0.1.

    Args:
        entry_script: the scoring script (``init()`` and ``run()``).
        model_dir: exported as ``AZUREML_MODEL_DIR``; optional.
        port: port on 127.0.0.1 (default: a free one). Health is ``GET /``, scoring ``POST /score``.
        worker_count: gunicorn sync workers (each serves one request at a time).
        python: the inference venv's python (default: :func:`find_inference_python`).
        log_path: where the server's output (including the gunicorn access log) goes; default: a
            file in a private temporary directory removed by :meth:`stop` (kept, with only the log,
            when start-up fails or ``stop(keep_log=True)``).
        env: extra environment variables for the server.
        startup_timeout: seconds to wait for ``GET /`` to answer 200.
    """

    def __init__(
        self,
        entry_script: str | os.PathLike[str],
        *,
        model_dir: str | os.PathLike[str] | None = None,
        port: int | None = None,
        worker_count: int = 1,
        python: str | None = None,
        log_path: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.entry_script = Path(entry_script).resolve()
        self.model_dir = Path(model_dir).resolve() if model_dir is not None else None
        self._requested_port = port
        self.port = port or 0
        self.worker_count = worker_count
        self.python = python
        self._log_arg = Path(log_path) if log_path is not None else None
        self.log_path: Path | None = None
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen | None = None
        self._own_dir: Path | None = None

    @property
    def host(self) -> str:
        return LOCALHOST

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``: what the gateway's ``upstream`` setting takes."""
        return f"{LOCALHOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """The launcher's exit status once it has exited (negative: killed by that signal), else None."""
        return self._proc.poll() if self._proc else None

    def log_tail(self, lines: int = LOG_LINES) -> str:
        """The last ``lines`` lines of the server's log, indented (for error messages)."""
        return _tail(self.log_path, lines)

    def log_text(self) -> str:
        """Everything the server printed so far (settings, gunicorn access log lines, errors)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def start(self) -> InferenceServer:
        if self._proc is not None:
            raise RuntimeError("InferenceServer already started")
        if not self.entry_script.is_file():
            raise SecureScoringError(
                "entry_script",
                f"{self.entry_script} is not a file",
                "pass the path of your score.py (with init() and run())",
            )
        if self.model_dir is not None and not self.model_dir.is_dir():
            raise SecureScoringError(
                "model_dir", f"{self.model_dir} is not a directory", "pass the directory holding the model"
            )
        python = self.python or find_inference_python()
        if self._requested_port and not port_available(self._requested_port):
            raise PortInUseError(f"{LOCALHOST}:{self._requested_port}")
        if self._log_arg is None:
            self._own_dir = _private_temp_dir("secure-scoring-scorer-")
            self.log_path = self._own_dir / "inference-server.log"
        else:
            self.log_path = self._log_arg
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        attempts = 1 if self._requested_port else 3
        try:
            for attempt in range(attempts):
                self.port = self._requested_port or free_port()
                if self._launch(python, final=attempt == attempts - 1):
                    return self
        except BaseException as exc:
            # nothing is in flight during start-up: no graceful wait (Ctrl-C during a slow init()
            # must stop at once); keep the log when it explains a failure
            self.stop(
                grace_s=0.5,
                keep_log=getattr(exc, "keep_log", False),
            )
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _launch(self, python: str, *, final: bool) -> bool:
        assert self.log_path is not None
        args = [
            python,
            "-c",
            _INFERENCE_LAUNCHER,
            LOCALHOST,
            "--entry_script",
            str(self.entry_script),
            "--port",
            str(self.port),
            "--worker_count",
            str(self.worker_count),
        ]
        if self.model_dir is not None:
            args += ["--model_dir", str(self.model_dir)]
        env = {
            **os.environ,
            "AML_APP_ROOT": str(self.entry_script.parent),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        # the main venv's variables must not leak into the inference venv
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONPATH", None)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                args,
                cwd=self.entry_script.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(signal.SIGTERM),
            )
        if self._wait_healthy():
            addresses = listening_addresses(self.port)
            if addresses and addresses != {LOCALHOST}:
                raise SecureScoringError(
                    "inference server",
                    f"it listens on {', '.join(sorted(addresses))}, not only on {LOCALHOST}",
                    "use an azureml-inference-server-http version whose CLI keeps DEFAULT_HOST (1.x)",
                )
            return True
        returncode = self._proc.poll()
        _stop_group(self._proc, signal.SIGTERM, 0.5)
        self._proc = None
        log = _tail(self.log_path)
        if returncode is not None and _port_taken(log):
            if not self._requested_port and not final:
                return False  # the free port was taken in between: try another one
            raise PortInUseError(f"{LOCALHOST}:{self.port}")
        raise LocalServerError(
            "inference server",
            (
                f"it exited during start-up ({exit_reason(returncode)})"
                if returncode is not None
                else f"no healthy answer within {self.startup_timeout:.0f} s"
            )
            + f" (entry script {self.entry_script}); last lines of its log {self.log_path}"
            + (" (kept)" if self._own_dir is not None else "")
            + f":\n{log}",
            "fix the error in the log (init() of the entry script, missing packages in the inference venv)",
            keep_log=self._own_dir is not None,
        )

    def _wait_healthy(self) -> bool:
        """Wait until ``GET /`` answers 200 from a socket of our own process group."""
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            conn = http.client.HTTPConnection(LOCALHOST, self.port, timeout=2)
            try:
                conn.request("GET", "/")
                if conn.getresponse().status == 200 and _group_listens(self._proc.pid, self.port):
                    return True
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.05)
        return False

    def stop(self, grace_s: float = 10.0, *, keep_log: bool = False) -> None:
        """SIGTERM to the gunicorn master (graceful, up to ``grace_s``), then SIGKILL to its group.

        The temporary directory is removed, unless ``keep_log``: then only the log stays (for the
        user to read; the next start-up of a launcher removes it).
        """
        proc, self._proc = self._proc, None
        _stop_group(proc, signal.SIGTERM, grace_s)
        if self._own_dir is not None:
            if not keep_log:
                shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def __enter__(self) -> InferenceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read_pem(value: str | bytes | None, path: str | os.PathLike[str] | None, name: str) -> str:
    if (value is None) == (path is None):
        raise SecureScoringError(name, "pass exactly one of the PEM text or a file path", f"pass {name}")
    if path is not None:
        try:
            return Path(path).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise SecureScoringError(name, f"cannot read {path}: {exc}", "pass a readable PEM file") from None
    return value.decode() if isinstance(value, bytes) else str(value)


class NginxGateway:
    """The gateway (real nginx) on 127.0.0.1 with the configuration the components deploy.

    Args:
        settings: the deployed settings (hostnames, auth mode, limits, TLS floor, upstream ...).
            ``listen_address``, ``listen_port``, ``config_dir``, ``runtime_dir`` and the log paths are
            replaced by local ones; nothing else changes.
        cert_pem / cert_path: the full chain (leaf first); key_pem / key_path: the unencrypted key.
        primary_key, secondary_key: required when ``settings.auth_mode == "key"``.
        port: the HTTPS port (default: a free one). listen_address: default 127.0.0.1.
        workdir: directory for config, runtime files and logs (default: a private temporary
            directory removed by :meth:`stop`; when start-up fails only its logs are kept, and the
            next start-up of a launcher removes them).
    """

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        cert_pem: str | bytes | None = None,
        key_pem: str | bytes | None = None,
        cert_path: str | os.PathLike[str] | None = None,
        key_path: str | os.PathLike[str] | None = None,
        primary_key: str | None = None,
        secondary_key: str | None = None,
        port: int | None = None,
        listen_address: str = LOCALHOST,
        workdir: str | os.PathLike[str] | None = None,
        nginx: str | None = None,
        startup_timeout: float = 15.0,
    ) -> None:
        self.base_settings = settings
        self._cert = _read_pem(cert_pem, cert_path, "cert")
        self._key = _read_pem(key_pem, key_path, "key")
        self._primary = primary_key
        self._secondary = secondary_key
        self._requested_port = port
        self.port = port or 0
        self.listen_address = listen_address
        self._workdir_arg = Path(workdir) if workdir is not None else None
        self.workdir: Path | None = None
        self.nginx = nginx
        self.startup_timeout = startup_timeout
        self.settings: GatewaySettings | None = None
        self._proc: subprocess.Popen | None = None
        self._own_workdir = False

    # paths inside the work directory
    @property
    def config_dir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "conf"

    @property
    def config_path(self) -> Path:
        return self.config_dir / "nginx.conf"

    @property
    def error_log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "logs" / "error.log"

    @property
    def access_log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "logs" / "access.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """nginx's exit status once it has exited (negative: killed by that signal), else None."""
        return self._proc.poll() if self._proc else None

    def log_tail(self, lines: int = LOG_LINES) -> str:
        """The last ``lines`` lines of the error log, indented (for error messages)."""
        return _tail(self.error_log_path, lines) if self.workdir is not None else "(no log)"

    @property
    def hostname(self) -> str:
        return self.base_settings.hostnames[0]

    @property
    def url(self) -> str:
        """``https://<first hostname>:<port>``; connect to 127.0.0.1 with that name as SNI/Host."""
        return f"https://{self.hostname}:{self.port}"

    def _nginx_args(self) -> list[str]:
        assert self.workdir is not None and self.nginx is not None
        return [
            self.nginx,
            "-e",
            str(self.error_log_path),
            "-p",
            str(self.workdir),
            "-c",
            str(self.config_path),
        ]

    def _test_config(self) -> None:
        result = subprocess.run(
            [*self._nginx_args(), "-t", "-q"], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise LocalServerError(
                "gateway configuration",
                f"nginx -t rejected it:\n{detail}",
                "check that the certificate and key match and are PEM (secure-scoring cert check), "
                "and that the settings are valid",
            )

    def start(self) -> NginxGateway:
        if self._proc is not None:
            raise RuntimeError("NginxGateway already started")
        self.nginx = self.nginx or find_nginx()
        if self._requested_port and not port_available(self._requested_port, self.listen_address):
            raise PortInUseError(_join_host_port(self.listen_address, self._requested_port))
        if self._workdir_arg is None:
            self.workdir = _private_temp_dir("secure-scoring-gateway-")
            self._own_workdir = True
        else:
            self.workdir = self._workdir_arg
            self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            # the workers run as an unprivileged user when the master is root: they only need to
            # traverse to the temp directories (nginx creates and chowns those); config, key and
            # logs stay private to the master
            os.chmod(self.workdir, 0o711)  # noqa: S103 (traverse only, no listing)
            for sub, mode in (("conf", 0o700), ("run", 0o711), ("logs", 0o700)):
                (self.workdir / sub).mkdir(exist_ok=True)
                os.chmod(self.workdir / sub, mode)  # noqa: S103
            attempts = 1 if self._requested_port else 3
            for attempt in range(attempts):
                self.port = self._requested_port or free_port(self.listen_address)
                if self._launch(final=attempt == attempts - 1):
                    return self
        except BaseException as exc:
            # nothing is in flight during start-up: no graceful wait; keep the logs of a failure
            self.stop(
                grace_s=0.5,
                keep_logs=getattr(exc, "keep_log", False),
            )
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_files(self) -> None:
        assert self.workdir is not None
        self.settings = dataclasses.replace(
            self.base_settings,
            listen_address=self.listen_address,
            listen_port=self.port,
            config_dir=str(self.config_dir),
            runtime_dir=str(self.workdir / "run"),
            error_log=str(self.error_log_path),
            access_log=str(self.access_log_path),
        )
        files = render_secret_files(
            self.settings,
            cert_pem=self._cert,
            key_pem=self._key,
            primary_key=self._primary,
            secondary_key=self._secondary,
        )
        for name, content in files.items():
            path = self.config_dir / name
            path.write_text(content)
            os.chmod(path, 0o600)

    def _launch(self, *, final: bool) -> bool:
        self._write_files()
        self._test_config()
        out_path = self.workdir / "logs" / "nginx.out"  # type: ignore[operator]
        with open(out_path, "ab") as out:
            self._proc = subprocess.Popen(
                self._nginx_args(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(signal.SIGQUIT),
            )
        if _wait_listening(self.listen_address, self.port, self._proc, self.startup_timeout):
            return True
        returncode = self._proc.poll()
        _stop_group(self._proc, signal.SIGQUIT, 0.5)
        self._proc = None
        log = "\n".join(t for t in (_tail(self.error_log_path), _tail(out_path)) if "| " in t)
        if returncode is not None and _port_taken(log):
            if not self._requested_port and not final:
                return False  # the free port was taken in between: try another one
            raise PortInUseError(_join_host_port(self.listen_address, self.port))
        raise LocalServerError(
            "gateway",
            (
                f"nginx exited during start-up ({exit_reason(returncode)})"
                if returncode is not None
                else "nginx did not open its port in time"
            )
            + f"; last lines of its log {self.error_log_path}"
            + (" (kept)" if self._own_workdir else "")
            + f":\n{log or '  (empty log)'}",
            "fix the error in the log (unreadable files, a bad setting)",
            keep_log=self._own_workdir,
        )

    def _worker_pids(self) -> set[int]:
        assert self._proc is not None
        try:
            return {child.pid for child in psutil.Process(self._proc.pid).children()}
        except psutil.Error:
            return set()

    @staticmethod
    def _retired(pid: int) -> bool:
        try:
            title = " ".join(psutil.Process(pid).cmdline())
        except psutil.Error:
            return True  # exited (or a zombie)
        return not title or "shutting down" in title

    def rotate_keys(self, primary_key: str, secondary_key: str, *, timeout: float = 10.0) -> None:
        """Replace the accepted keys without dropping requests.

        ``keys.conf`` is replaced atomically, checked with ``nginx -t`` (restored if rejected), and
        nginx reloads gracefully (SIGHUP): new workers use the new keys, old workers finish the
        requests they are serving. Returns once the new workers run.
        """
        if self._proc is None or self._proc.poll() is not None:
            raise SecureScoringError("gateway", "nginx is not running", "start the gateway first")
        if self.base_settings.auth_mode != "key":
            raise SecureScoringError(
                "auth_mode", "is 'none': there are no keys to rotate", "use auth_mode 'key'"
            )
        content = render_keys_map(primary_key, secondary_key)
        keys_path = self.config_dir / "keys.conf"
        previous = keys_path.read_text()
        self._replace(keys_path, content)
        try:
            self._test_config()
        except SecureScoringError:
            self._replace(keys_path, previous)
            raise
        self._signal_reload(timeout)
        self._primary, self._secondary = primary_key, secondary_key

    def reload(self, *, timeout: float = 10.0) -> None:
        """Check the files in :attr:`config_dir` with ``nginx -t``, then reload gracefully (SIGHUP)."""
        if self._proc is None or self._proc.poll() is not None:
            raise SecureScoringError("gateway", "nginx is not running", "start the gateway first")
        self._test_config()
        self._signal_reload(timeout)

    def _signal_reload(self, timeout: float) -> None:
        assert self._proc is not None
        before = self._worker_pids()
        os.kill(self._proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._worker_pids() - before:
                # New workers serve the new config. Old workers may still accept a connection until
                # they handle the master's quit signal (then they close their listeners and retitle
                # themselves "worker process is shutting down"); wait for that too.
                while time.monotonic() < deadline and not all(self._retired(pid) for pid in before):
                    time.sleep(0.005)
                return
            if self._proc.poll() is not None:
                break
            time.sleep(0.01)
        raise LocalServerError(
            "gateway",
            f"nginx did not start new workers after the reload; last lines of {self.error_log_path}:\n"
            + _tail(self.error_log_path),
            "check the error log",
        )

    @staticmethod
    def _replace(path: Path, content: str) -> None:
        tmp = path.with_name(path.name + ".new")
        tmp.write_text(content)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)

    def stop(self, grace_s: float = 10.0, *, keep_logs: bool = False) -> None:
        """Graceful stop (SIGQUIT: finish in-flight requests, up to ``grace_s``), then SIGKILL the group.

        The temporary work directory is removed, unless ``keep_logs``: then the configuration (the
        key copies) and runtime files go and only ``logs/`` stays, for the user to read (the next
        start-up of a launcher removes it).
        """
        proc, self._proc = self._proc, None
        _stop_group(proc, signal.SIGQUIT, grace_s)
        if self._own_workdir and self.workdir is not None:
            if keep_logs:
                for sub in ("conf", "run"):
                    shutil.rmtree(self.workdir / sub, ignore_errors=True)
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)
            self._own_workdir = False

    def __enter__(self) -> NginxGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@contextlib.contextmanager
def scorer_behind_gateway(
    entry_script: str | os.PathLike[str],
    settings: GatewaySettings,
    *,
    model_dir: str | os.PathLike[str] | None = None,
    worker_count: int = 1,
    **gateway_kwargs: object,
) -> Iterator[tuple[InferenceServer, NginxGateway]]:
    """Start the inference server, then the gateway in front of it; stop both (gateway first)."""
    with InferenceServer(entry_script, model_dir=model_dir, worker_count=worker_count) as scorer:
        gw_settings = dataclasses.replace(settings, upstream=scorer.address)
        with NginxGateway(gw_settings, **gateway_kwargs) as gateway:  # type: ignore[arg-type]
            yield scorer, gateway
