"""The common shape of the local servers (nginx, the inference server): one process group each, started
on a requested or a free port, ready only when that group listens, stopped as a whole group.

:class:`LocalProcess` is the base of :class:`~secure_scoring.dataplane.nginx.NginxGateway` and
:class:`~secure_scoring.dataplane.inference.InferenceServer`: it owns the start-up loop (a free port
is picked again when another program took it in between), the failure path of a launch (stop what
started, tell a taken port from another failure), the ``pid``/``running``/``returncode`` properties
and the context-manager protocol. A subclass says how to launch, when it is ready and how to report
a failed start-up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

from ..errors import SecureScoringError
from .ports import LOCALHOST, PortInUseError, free_port, join_host_port, port_available, port_taken

__all__ = [
    "LOG_LINES",
    "LocalProcess",
    "LocalServerError",
    "die_with_parent",
    "exit_reason",
    "stop_group",
    "tail",
]

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


def tail(path: Path | None, lines: int = LOG_LINES) -> str:
    """The last ``lines`` lines of the file at ``path``, each indented with ``  | `` (for error messages)."""
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


def die_with_parent(sig: int) -> Callable[[], None] | None:
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


def stop_group(proc: subprocess.Popen | None, first_signal: int, grace_s: float) -> None:
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


class LocalProcess:
    """A server on this machine, in a process group of its own, listening on one port.

    Subclasses set :attr:`stop_signal` (the graceful one: also sent when this process dies) and
    implement ``start``, ``stop``, :meth:`_spawn`, :meth:`_wait_ready`, :meth:`_failure_log`,
    :meth:`_start_error` and :meth:`_abandon`.
    """

    stop_signal: ClassVar[int] = signal.SIGTERM

    def __init__(self, port: int | None) -> None:
        self._requested_port = port
        self.port = port or 0
        self._proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """The server's exit status once it has exited (negative: killed by that signal), else None."""
        return self._proc.poll() if self._proc else None

    @property
    def _bind_host(self) -> str:
        """The address the server listens on."""
        return LOCALHOST

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self, grace_s: float = 10.0) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- start-up ---------------------------------------------------------------------------------

    def _refuse_second_start(self) -> None:
        if self._proc is not None:
            raise RuntimeError(f"{type(self).__name__} already started")

    def _refuse_taken_port(self) -> None:
        """A requested port another program holds fails before anything starts."""
        if self._requested_port and not port_available(self._requested_port, self._bind_host):
            raise PortInUseError(join_host_port(self._bind_host, self._requested_port))

    def _start_on_a_port(self, prepare: Callable[[], None] | None = None) -> None:
        """Run ``prepare``, then launch on the requested port, or on a free one (up to three: a free
        port may be taken by another program before the server binds it).

        A failure (or Ctrl-C) stops what started without a graceful wait (nothing is in flight during
        start-up), keeping the logs when the error quotes them, and propagates.
        """
        attempts = 1 if self._requested_port else 3
        try:
            if prepare is not None:
                prepare()
            for attempt in range(attempts):
                self.port = self._requested_port or free_port(self._bind_host)
                if self._launch(final=attempt == attempts - 1):
                    return
        except BaseException as exc:
            self._abandon(keep_log=getattr(exc, "keep_log", False))
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _popen(self, args: Sequence[str], output: Path, **kwargs: Any) -> None:
        """Start ``args`` in a new process group, its output appended to ``output``."""
        with open(output, "ab") as out:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(self.stop_signal),
                **kwargs,
            )

    def _launch(self, *, final: bool) -> bool:
        """Start on :attr:`port` and wait until ready; False: the port was taken, try another one."""
        self._spawn()
        assert self._proc is not None
        if self._wait_ready():
            return True
        returncode = self._proc.poll()
        stop_group(self._proc, self.stop_signal, 0.5)
        self._proc = None
        log = self._failure_log()
        if returncode is not None and port_taken(log):
            if not self._requested_port and not final:
                return False  # the free port was taken in between: try another one
            raise PortInUseError(join_host_port(self._bind_host, self.port))
        raise self._start_error(returncode, log)

    def _stop_process(self, grace_s: float) -> None:
        """The graceful signal, up to ``grace_s``, then SIGKILL to the whole group."""
        proc, self._proc = self._proc, None
        stop_group(proc, self.stop_signal, grace_s)

    # -- what a subclass says ---------------------------------------------------------------------

    def _spawn(self) -> None:
        """Start the server on :attr:`port` (sets ``_proc``, e.g. with :meth:`_popen`)."""
        raise NotImplementedError

    def _wait_ready(self) -> bool:
        """Wait until the server (its own process group) serves on :attr:`port`; False if not."""
        raise NotImplementedError

    def _failure_log(self) -> str:
        """The last lines of the logs after a failed launch (searched for a taken port, quoted)."""
        raise NotImplementedError

    def _start_error(self, returncode: int | None, log: str) -> LocalServerError:
        """The error for a launch that exited (``returncode``) or did not become ready in time (None)."""
        raise NotImplementedError

    def _abandon(self, *, keep_log: bool) -> None:
        """Stop after a failed start-up, keeping only the logs if ``keep_log``."""
        raise NotImplementedError
