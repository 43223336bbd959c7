"""One check in a child process: the gate survives whatever the program does to its own process.

The program runs in a forked child (:func:`run_isolated`), in its own process group, with its file
descriptor 1 pointing at stderr: ``print``, ``os.write(1, ...)``, subprocesses and threads that
write after the run never reach the parent's stdout, where ``--format json|sarif`` writes the
report. The child sends its result (the report, or the error) back over a pipe, length-prefixed,
and ends with ``os._exit``, so no finalizer of the program's event loop runs at interpreter exit.

The parent turns what can go wrong in the child into a :class:`~secure_scoring.gate.program.ProgramError`:
the program ended the process itself (``os._exit``, a signal), or it did not finish within the
timeout (a loop, a sleep, an ``apply`` that never resolves): the child's process group is killed.

Where ``os.fork`` does not exist the check runs in process (no isolation, no timeout).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from .program import ProgramError

T = TypeVar("T")

DEFAULT_TIMEOUT = 600.0
"""Seconds a program may run under ``check`` (``--timeout``)."""

_HEADER = struct.Struct("!Q")


def can_isolate() -> bool:
    return hasattr(os, "fork")


def run_isolated(fn: Callable[[], T], *, timeout: float | None = DEFAULT_TIMEOUT) -> T:
    """``fn()`` in a forked child; its return value, or its exception raised here.

    Raises :class:`ProgramError` when the child ends without a result or outlives ``timeout``.
    """
    if not can_isolate():
        return fn()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(fn, write_fd)
    os.close(write_fd)
    try:
        payload, status = _collect(pid, read_fd, timeout)
    finally:
        os.close(read_fd)
    if payload is None:
        raise _no_result(status)
    return _decode(payload)


# ------------------------------------------------------------------------------------------ the child
def _child(fn: Callable[[], Any], write_fd: int) -> None:
    code = 0
    try:
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)  # the timeout kills the program's subprocesses too
        os.dup2(2, 1)  # the program's fd-1 writes go to stderr; the report is the parent's
        _fresh_event_loop()
        try:
            result: tuple[str, Any] = ("ok", fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            result = _encode_error(exc)
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - an unpicklable result is our bug: say so
            data = pickle.dumps(("crash", traceback.format_exc()))
        _write_all(write_fd, _HEADER.pack(len(data)) + data)
    except BaseException:  # noqa: BLE001 - the child must end here, whatever happened
        code = 70
    finally:
        os._exit(code)


def _fresh_event_loop() -> None:
    """A new event loop for the child: the parent's loop (an earlier run in the same process) has an
    executor whose threads did not survive the fork, so a run on it would wait for them forever.
    The old loop is left alone: its epoll instance is shared with the parent."""
    if "asyncio" in sys.modules:
        import asyncio

        asyncio.set_event_loop(asyncio.new_event_loop())


def _encode_error(exc: BaseException) -> tuple[str, Any]:
    from ..errors import SecureScoringError

    if isinstance(exc, ProgramError):
        return ("program", exc)
    if isinstance(exc, SecureScoringError):
        return ("usage", (type(exc), exc.input_name, exc.problem, exc.fix))
    return ("crash", "".join(traceback.format_exception(exc)))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


# ------------------------------------------------------------------------------------------ the parent
def _collect(pid: int, read_fd: int, timeout: float | None) -> tuple[bytes | None, int]:
    """Read the child's message; returns (payload or None, wait status). Kills the child's group
    on timeout (raising :class:`ProgramError`) and on any interruption of the parent."""
    deadline = None if timeout is None or timeout <= 0 else time.monotonic() + timeout
    buf = bytearray()
    need: int | None = None
    try:
        while True:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                raise _timed_out(timeout)
            ready, _, _ = select.select([read_fd], [], [], wait)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:  # EOF: the child (and every process that shared the pipe) is gone
                break
            buf += chunk
            if need is None and len(buf) >= _HEADER.size:
                (need,) = _HEADER.unpack_from(buf)
            if need is not None and len(buf) >= _HEADER.size + need:
                break
    finally:
        _kill_group(pid)
        _, status = os.waitpid(pid, 0)
    if need is None or len(buf) < _HEADER.size + need:
        return None, status
    return bytes(buf[_HEADER.size : _HEADER.size + need]), status


def _kill_group(pid: int) -> None:
    """End what is left of the child's process group: the program's subprocesses (the child is a
    zombie or gone; its group id cannot have been reused before it is reaped)."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()


def _decode(payload: bytes) -> Any:
    kind, value = pickle.loads(payload)  # noqa: S301 - our own child's message
    if kind == "ok":
        return value
    if kind == "program":
        raise value
    if kind == "usage":
        cls, input_name, problem, fix = value
        raise cls(input_name, problem, fix)
    raise RuntimeError(f"the offline gate failed in its program process:\n{value}")


def _timed_out(timeout: float | None) -> ProgramError:
    return ProgramError(
        f"the program did not finish within {timeout:g} seconds (--timeout); it was stopped",
        None,
        "Timeout",
        "a loop, a sleep, a blocking call or an Output whose apply never resolves keeps the program "
        "from finishing; fix it, or raise --timeout if the program is only slow",
    )


def _no_result(status: int) -> ProgramError:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        how = f"was killed by signal {name}"
        hint = "a program that kills its own process (or runs out of memory) cannot be judged"
    else:
        how = f"ended the process with exit status {os.WEXITSTATUS(status)} (os._exit?)"
        hint = (
            "the program ended its own process before its resources were judged; a check must "
            "never pass on a program that did not finish: remove the os._exit call"
        )
    return ProgramError(f"the program {how} before the gate finished", None, "ProcessExit", hint)
