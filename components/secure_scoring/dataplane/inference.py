"""The Azure ML inference server on this machine, bound to 127.0.0.1 only.

:class:`InferenceServer` runs ``azureml-inference-server-http`` (the ``azmlinfsrv`` CLI, from its
own venv). ``azmlinfsrv`` hard-codes ``0.0.0.0``; a tiny launcher sets the CLI's host constant to
127.0.0.1 and then runs the unchanged CLI, and the listener is checked after start-up
(:func:`~secure_scoring.dataplane.ports.listening_addresses`).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from ..errors import SecureScoringError
from .ports import LOCALHOST, group_listens, listening_addresses
from .processes import LOG_LINES, LocalProcess, LocalServerError, exit_reason, tail
from .workdirs import private_temp_dir

__all__ = ["InferenceServer", "find_inference_python"]

REPO_ROOT = Path(__file__).resolve().parents[3]

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
        REPO_ROOT / ".venv-inference/bin/python",
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


class InferenceServer(LocalProcess):
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

    stop_signal = signal.SIGTERM  # graceful for the gunicorn master

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
        super().__init__(port)
        self.entry_script = Path(entry_script).resolve()
        self.model_dir = Path(model_dir).resolve() if model_dir is not None else None
        self.worker_count = worker_count
        self.python = python
        self._log_arg = Path(log_path) if log_path is not None else None
        self.log_path: Path | None = None
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self._own_dir: Path | None = None
        self._python: str | None = None  # the one found at start-up

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

    def log_tail(self, lines: int = LOG_LINES) -> str:
        """The last ``lines`` lines of the server's log, indented (for error messages)."""
        return tail(self.log_path, lines)

    def log_text(self) -> str:
        """Everything the server printed so far (settings, gunicorn access log lines, errors)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def start(self) -> InferenceServer:
        self._refuse_second_start()
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
        self._python = self.python or find_inference_python()
        self._refuse_taken_port()
        if self._log_arg is None:
            self._own_dir = private_temp_dir("secure-scoring-scorer-")
            self.log_path = self._own_dir / "inference-server.log"
        else:
            self.log_path = self._log_arg
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Ctrl-C during a slow init() stops at once
        self._start_on_a_port()
        return self

    def _abandon(self, *, keep_log: bool) -> None:
        self.stop(grace_s=0.5, keep_log=keep_log)

    def _spawn(self) -> None:
        assert self.log_path is not None and self._python is not None
        args = [
            self._python,
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
        self._popen(args, self.log_path, cwd=self.entry_script.parent, env=env)

    def _wait_ready(self) -> bool:
        if not self._wait_healthy():
            return False
        addresses = listening_addresses(self.port)
        if addresses and addresses != {LOCALHOST}:
            raise SecureScoringError(
                "inference server",
                f"it listens on {', '.join(sorted(addresses))}, not only on {LOCALHOST}",
                "use an azureml-inference-server-http version whose CLI keeps DEFAULT_HOST (1.x)",
            )
        return True

    def _failure_log(self) -> str:
        return tail(self.log_path)

    def _start_error(self, returncode: int | None, log: str) -> LocalServerError:
        return LocalServerError(
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
                if conn.getresponse().status == 200 and group_listens(self._proc.pid, self.port):
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
        self._stop_process(grace_s)
        if self._own_dir is not None:
            if not keep_log:
                shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None
