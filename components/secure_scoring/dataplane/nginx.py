"""The gateway on this machine: real nginx on 127.0.0.1 with the configuration the components deploy.

:class:`NginxGateway` writes the configuration rendered by :mod:`secure_scoring.dataplane.gateway`
(the same rendering the ACI sidecar gets; only listen address/port and file paths differ) into a
private temporary directory, checks it with ``nginx -t``, runs nginx in the foreground and rotates
keys with a graceful reload.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil

from ..errors import SecureScoringError
from .gateway import GatewaySettings, render_keys_map, render_secret_files
from .ports import LOCALHOST, wait_listening
from .processes import LOG_LINES, LocalProcess, LocalServerError, exit_reason, tail
from .workdirs import private_temp_dir

__all__ = ["NginxGateway", "find_nginx"]


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


def _read_pem(value: str | bytes | None, path: str | os.PathLike[str] | None, name: str) -> str:
    if (value is None) == (path is None):
        raise SecureScoringError(name, "pass exactly one of the PEM text or a file path", f"pass {name}")
    if path is not None:
        try:
            return Path(path).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise SecureScoringError(name, f"cannot read {path}: {exc}", "pass a readable PEM file") from None
    return value.decode() if isinstance(value, bytes) else str(value)


class NginxGateway(LocalProcess):
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

    stop_signal = signal.SIGQUIT  # graceful: finish in-flight requests

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
        super().__init__(port)
        self.base_settings = settings
        self._cert = _read_pem(cert_pem, cert_path, "cert")
        self._key = _read_pem(key_pem, key_path, "key")
        self._primary = primary_key
        self._secondary = secondary_key
        self.listen_address = listen_address
        self._workdir_arg = Path(workdir) if workdir is not None else None
        self.workdir: Path | None = None
        self.nginx = nginx
        self.startup_timeout = startup_timeout
        self.settings: GatewaySettings | None = None
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
    def _bind_host(self) -> str:
        return self.listen_address

    def log_tail(self, lines: int = LOG_LINES) -> str:
        """The last ``lines`` lines of the error log, indented (for error messages)."""
        return tail(self.error_log_path, lines) if self.workdir is not None else "(no log)"

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
        self._refuse_second_start()
        self.nginx = self.nginx or find_nginx()
        self._refuse_taken_port()
        if self._workdir_arg is None:
            self.workdir = private_temp_dir("secure-scoring-gateway-")
            self._own_workdir = True
        else:
            self.workdir = self._workdir_arg
            self.workdir.mkdir(parents=True, exist_ok=True)
        self._start_on_a_port(prepare=self._make_subdirs)
        return self

    def _make_subdirs(self) -> None:
        assert self.workdir is not None
        # the workers run as an unprivileged user when the master is root: they only need to
        # traverse to the temp directories (nginx creates and chowns those); config, key and
        # logs stay private to the master
        os.chmod(self.workdir, 0o711)  # noqa: S103 (traverse only, no listing)
        for sub, mode in (("conf", 0o700), ("run", 0o711), ("logs", 0o700)):
            (self.workdir / sub).mkdir(exist_ok=True)
            os.chmod(self.workdir / sub, mode)  # noqa: S103

    def _abandon(self, *, keep_log: bool) -> None:
        self.stop(grace_s=0.5, keep_logs=keep_log)

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

    @property
    def _output_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "logs" / "nginx.out"

    def _spawn(self) -> None:
        self._write_files()
        self._test_config()
        self._popen(self._nginx_args(), self._output_path)

    def _wait_ready(self) -> bool:
        assert self._proc is not None
        return wait_listening(self.listen_address, self.port, self._proc, self.startup_timeout)

    def _failure_log(self) -> str:
        return "\n".join(t for t in (tail(self.error_log_path), tail(self._output_path)) if "| " in t)

    def _start_error(self, returncode: int | None, log: str) -> LocalServerError:
        return LocalServerError(
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
            + tail(self.error_log_path),
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
        self._stop_process(grace_s)
        if self._own_workdir and self.workdir is not None:
            if keep_logs:
                for sub in ("conf", "run"):
                    shutil.rmtree(self.workdir / sub, ignore_errors=True)
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)
            self._own_workdir = False
