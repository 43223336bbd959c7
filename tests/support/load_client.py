"""A continuous-load HTTPS client for the zero-downtime data-plane tests (key rotation, blue/green).

:class:`LoadClient` runs client threads that send ``POST /score`` back to back until stopped. Each
thread uses either a new connection per request (``"new"``) or one kept-alive connection for as long
as the server keeps it (``"reused"``). Every request is recorded as an :class:`Outcome`.

A request on a *reused* connection that fails before any response byte arrived (the server closed
the idle connection at the moment the request went out: HTTP/1.1's keep-alive race, RFC 9112
section 9.3.1) is retried once on a new connection, as real clients do (Go's net/http, curl,
urllib3 for idempotent requests, browsers). The retry is recorded (``retried=True``); only its
result counts. A failure on a *new* connection is never retried: it is a failure.

``connect(ctx)`` chooses where a new connection goes: by default 127.0.0.1:``port``; the blue/green
test passes a function that resolves the name through the test's DNS server first. Nothing but
loopback is ever contacted.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LoadClient", "Outcome", "assert_no_request_lost"]

LOOPBACK = "127.0.0.1"

# the errors of a request whose connection the server closed before answering
_CLOSED = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)


@dataclass
class Outcome:
    began: float
    ended: float
    mode: str  # "new" | "reused": how the thread uses connections
    fresh: bool  # the (final) attempt went out on a connection opened for it
    result: int | str  # the HTTP status, or the error
    retried: bool = False  # a reused connection was closed under the request: retried once, new
    peer: str = ""  # what connect() said about the server (e.g. the slot), for the caller
    cert_sha256: str = ""  # the leaf the server sent on that connection


@dataclass
class _Conn:
    http: http.client.HTTPSConnection
    peer: str
    cert_sha256: str


class _Connection(http.client.HTTPSConnection):
    def __init__(self, host: str, sock: ssl.SSLSocket, timeout: float) -> None:
        super().__init__(host, timeout=timeout)
        self.sock = sock

    def connect(self) -> None:  # never reconnects by itself: the client decides
        raise http.client.NotConnected("closed")


@dataclass
class LoadClient:
    """Threads sending ``POST path`` with ``headers()`` until :meth:`stop`; see the module docstring.

    ``connect(ctx) -> (ssl socket, peer label)`` opens a new TLS connection. ``modes``: one thread per
    entry (``"new"`` or ``"reused"``).
    """

    hostname: str
    context: ssl.SSLContext
    connect: Callable[[ssl.SSLContext], tuple[ssl.SSLSocket, str]]
    headers: Callable[[], dict[str, str]]
    path: str = "/score"
    body: bytes = b'{"steady": true}'
    modes: tuple[str, ...] = ("new", "reused")
    timeout: float = 10.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def to_port(cls, port: int, hostname: str, context: ssl.SSLContext, **kwargs) -> LoadClient:
        def connect(ctx: ssl.SSLContext) -> tuple[ssl.SSLSocket, str]:
            sock = socket.create_connection((LOOPBACK, port), timeout=10)
            try:
                return ctx.wrap_socket(sock, server_hostname=hostname), f"{LOOPBACK}:{port}"
            except BaseException:
                sock.close()
                raise

        return cls(hostname=hostname, context=context, connect=connect, **kwargs)

    def start(self) -> LoadClient:
        for mode in self.modes:
            thread = threading.Thread(target=self._run, args=(mode,), daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return list(self.outcomes)

    def __enter__(self) -> LoadClient:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` more requests have completed (proves the load runs)."""
        target = len(self.outcomes) + count
        deadline = time.monotonic() + timeout
        while len(self.outcomes) < target and time.monotonic() < deadline:
            time.sleep(0.01)

    # the client threads

    def _open(self) -> _Conn:
        sock, peer = self.connect(self.context)
        der = sock.getpeercert(binary_form=True) or b""
        return _Conn(_Connection(self.hostname, sock, self.timeout), peer, hashlib.sha256(der).hexdigest())

    def _send(self, conn: _Conn) -> tuple[int, bool]:
        conn.http.request(
            "POST", self.path, body=self.body, headers={"Content-Type": "application/json", **self.headers()}
        )
        resp = conn.http.getresponse()
        resp.read()
        return resp.status, bool(resp.will_close)

    def _run(self, mode: str) -> None:
        conn: _Conn | None = None
        while not self._stop.is_set():
            began = time.monotonic()
            retried = False
            fresh = conn is None or mode == "new"
            try:
                if fresh:
                    conn = self._open()
                assert conn is not None
                try:
                    result, closing = self._send(conn)
                except _CLOSED:
                    if fresh:
                        raise
                    # the keep-alive race: the server closed the idle connection as the request went out
                    conn.http.close()
                    retried, fresh = True, True
                    conn = self._open()
                    result, closing = self._send(conn)
                outcome = Outcome(
                    began, time.monotonic(), mode, fresh, result, retried, conn.peer, conn.cert_sha256
                )
                if closing or mode == "new":
                    conn.http.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                outcome = Outcome(
                    began, time.monotonic(), mode, fresh, f"{type(exc).__name__}: {exc}", retried
                )
                if conn is not None:
                    conn.http.close()
                conn = None
            with self._lock:
                self.outcomes.append(outcome)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.http.close()


def assert_no_request_lost(outcomes: list[Outcome]) -> None:
    """Every request got a 200 (a reused connection closed under it retried once), a request on a new
    connection never needed a retry, and both kinds of client ran."""
    failures = [o for o in outcomes if o.result != 200]
    assert not failures, failures[:5]
    assert not any(o.retried for o in outcomes if o.mode == "new")
    assert {o.mode for o in outcomes} == {"new", "reused"}
