"""Connections of the verifier: TCP to the one resolved address, TLS with SNI, readable reasons, and
the time limits.

Two limits, both wall-clock:

- ``timeout`` (``--timeout``) bounds each *request* as a whole: connect, TLS handshake, sending and
  receiving, not each socket operation. A server that drips one byte a second would otherwise keep
  a read alive forever, each ``recv`` returning in time. :func:`connect` gives the socket a deadline
  (``now + timeout``) and every later operation on it (also on the TLS socket over it, and through
  ``http.client``) may only use what is left of it.
- the run's deadline (``--deadline``, :func:`run_deadline`) bounds the whole run: no request gets
  more than what is left of the run, and once it has passed :func:`request_timeout` raises
  :class:`DeadlineReached` (a ``TimeoutError``, so every step already treats it as "no answer").
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import ssl
import time
from collections.abc import Iterator

__all__ = [
    "DeadlineReached",
    "connect",
    "remaining_run_time",
    "request_timeout",
    "run_deadline",
    "ssl_reason",
    "tls_connect",
]

_RUN_END: contextvars.ContextVar[float | None] = contextvars.ContextVar("verify_run_end", default=None)


class DeadlineReached(TimeoutError):
    """The run's deadline (``--deadline``) has passed: nothing more is sent."""


@contextlib.contextmanager
def run_deadline(seconds: float | None) -> Iterator[None]:
    """Within this block no request outlives ``seconds`` from now (None: no run deadline)."""
    token = _RUN_END.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _RUN_END.reset(token)


def remaining_run_time() -> float | None:
    """Seconds left of the run's deadline (≤ 0 once passed), None without one."""
    end = _RUN_END.get()
    return None if end is None else end - time.monotonic()


def request_timeout(timeout: float) -> float:
    """The time one request may take: ``timeout``, or less when the run's deadline is nearer."""
    left = remaining_run_time()
    if left is None:
        return timeout
    if left <= 0:
        raise DeadlineReached("the run's deadline was reached")
    return min(timeout, left)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left


class _DeadlineIO:
    """Every read and write first sets the socket's timeout to what is left until ``deadline``
    (monotonic seconds; None: the socket's own timeout). Mixed into the TCP socket and the TLS socket
    over it (``http.client`` reads through ``recv_into``; CPython bounds one TLS call by the timeout set)."""

    deadline: float | None = None

    def _arm(self) -> None:
        if self.deadline is not None:
            self.settimeout(_left(self.deadline))  # type: ignore[attr-defined]

    def recv(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._arm()
        return super().recv(*args, **kwargs)  # type: ignore[misc]

    def recv_into(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._arm()
        return super().recv_into(*args, **kwargs)  # type: ignore[misc]

    def send(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._arm()
        return super().send(*args, **kwargs)  # type: ignore[misc]

    def sendall(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._arm()
        return super().sendall(*args, **kwargs)  # type: ignore[misc]


class _DeadlineSocket(_DeadlineIO, socket.socket):
    """A TCP socket whose every operation ends by ``deadline``."""


class _DeadlineSSLSocket(_DeadlineIO, ssl.SSLSocket):
    """The TLS socket over a :class:`_DeadlineSocket`, with the same deadline."""


def connect(address: str, port: int, timeout: float) -> socket.socket:
    """TCP to ``address``; the socket's operations, and a TLS handshake over it, end within
    ``timeout`` seconds from now (less if the run's deadline is nearer)."""
    limit = request_timeout(timeout)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = _DeadlineSocket(family, socket.SOCK_STREAM)
    sock.deadline = time.monotonic() + limit
    try:
        sock.settimeout(limit)
        sock.connect((address, port))
        sock._arm()  # what is left bounds a handshake over it (CPython: one timeout per handshake)
    except BaseException:
        sock.close()
        raise
    return sock


def tls_connect(address: str, port: int, host: str, ctx: ssl.SSLContext, timeout: float) -> ssl.SSLSocket:
    """TLS to ``address`` (the resolved IP) with SNI and hostname check against ``host``; the
    connection's operations end within ``timeout`` seconds from now (see :func:`connect`)."""
    sock = connect(address, port, timeout)
    deadline = getattr(sock, "deadline", None)
    ctx.sslsocket_class = _DeadlineSSLSocket  # documented hook: wrap_socket returns this class
    try:
        tls = ctx.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise
    tls.deadline = deadline  # type: ignore[attr-defined]
    return tls


def ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    if isinstance(exc, ssl.SSLError):
        return exc.reason or exc.strerror or str(exc)
    if isinstance(exc, DeadlineReached):
        return "not sent: the run's deadline (--deadline) was reached"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer in time"
    return str(exc) or type(exc).__name__
