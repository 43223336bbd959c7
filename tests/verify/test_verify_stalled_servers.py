"""verify against servers that stall, as a new user's own servers do: the run's deadline (--deadline)
must turn the requests it prevents into skipped steps, not into verdicts about the endpoint.

- a port that accepts TCP and never speaks (a hung process, a firewall that swallows packets): the
  deadline passes while the TLS probes wait; ``plain-http`` is then not sent, so it is skipped (it was
  a ``warn`` saying the port "does not accept connections", right after ``tcp`` connected to it);
- a TLS server that never answers a request: the first auth probe is cut by the deadline; its fix
  names the deadline (raising --timeout would change nothing) and the key is never sent, so
  ``auth-credential`` is skipped (it was a ``fail``: "got no HTTP answer").

Both servers never answer, so the deadline is reached while verify waits on them, whatever the
machine's speed: the tests wait for that event, not for a guessed duration.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading

import pytest

from secure_scoring.verify import FAIL, SKIP, WARN, verify
from support.fixtures_dataplane import HOSTNAME

KEY = "stalled-server-test-key-0123456789"


class StallingServer:
    """On 127.0.0.1, a free port: accepts connections and never answers. With ``tls``, it completes
    the TLS handshake first (then reads and discards what the client sends). Stopped on exit: the
    listener and every accepted connection are closed and the threads joined."""

    def __init__(self, tls: ssl.SSLContext | None = None, *, silent_to_old_clients: bool = False) -> None:
        self.tls = tls
        self.silent_to_old_clients = silent_to_old_clients
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.conns: list[socket.socket] = []
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> StallingServer:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.listener.close()
        for conn in list(self.conns):
            with contextlib.suppress(OSError):
                conn.close()
        for thread in self.threads:
            thread.join(timeout=5)
        assert not any(t.is_alive() for t in self.threads), "a server thread did not stop"

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)
            if self.tls is not None:
                self._spawn(self._serve_tls, conn)

    def _client_version(self, conn: socket.socket) -> bytes:
        """The ClientHello's client_version (peeked, left in the socket): TLS 1.0 and 1.1 clients send
        03 01 / 03 02, TLS 1.2 and 1.3 clients 03 03."""
        hello = b""
        while len(hello) < 11 and not self.stopped.is_set():
            try:
                hello = conn.recv(11, socket.MSG_PEEK)
            except TimeoutError:
                continue
            if not hello:
                break
        return hello[9:11]

    def _serve_tls(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        with contextlib.suppress(OSError):
            if self.silent_to_old_clients and self._client_version(conn) in (b"\x03\x01", b"\x03\x02"):
                return  # keep the connection open, never answer (a middlebox dropping old ClientHellos)
            while not self.stopped.is_set():
                try:
                    tls_conn = self.tls.wrap_socket(conn, server_side=True)
                    break
                except TimeoutError:
                    continue
            else:
                return
            self.conns.append(tls_conn)
            while not self.stopped.is_set():  # read, never answer
                try:
                    if not tls_conn.recv(4096):
                        return
                except TimeoutError:
                    continue


def _run(port: int, pki, **kwargs):
    return verify(
        f"https://{HOSTNAME}:{port}/score",
        connect_to="127.0.0.1",
        ca_bundle=pki.ca_bundle_path,
        **kwargs,
    )


def test_a_port_that_never_speaks_skips_plain_http_once_the_deadline_passed(pki) -> None:
    with StallingServer() as server:
        # the handshake and four version probes wait 0.3 s each on this server: 1.5 s > the 1 s deadline
        report = _run(server.port, pki, timeout=0.3, deadline=1.0)
    assert report.step("tls-handshake").status == FAIL
    plain = report.step("plain-http")
    assert plain.status == SKIP, plain
    assert "deadline" in plain.detail and "does not accept connections" not in plain.detail, plain
    assert not any(s.status == WARN for s in report.steps), report.to_dict()
    last = report.steps[-1]
    assert last.name == "deadline" and last.status == FAIL, last
    assert not report.ok


def _server_context(pki, tmp_path) -> ssl.SSLContext:
    chain = tmp_path / "chain.pem"
    chain.write_text(pki.leaf.chain_pem())
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(chain, pki.leaf.key_path)
    return ctx


@pytest.fixture()
def stalled_tls(pki, tmp_path):
    with StallingServer(tls=_server_context(pki, tmp_path)) as server:
        yield server


def test_tls_probes_cut_by_the_deadline_are_not_a_verdict_on_the_versions(pki, tmp_path) -> None:
    # TLS 1.2/1.3 handshakes are answered at once; TLS 1.0 and 1.1 ClientHellos never: the two old
    # probes wait 2 s each, so the 3 s deadline passes during them, before TLS 1.2 is probed
    with StallingServer(tls=_server_context(pki, tmp_path), silent_to_old_clients=True) as server:
        report = _run(server.port, pki, timeout=2.0, deadline=3.0)
    assert report.step("tls-handshake").status != FAIL, report.to_dict()
    versions = report.step("tls-versions")
    # it was a fail 'TLS 1.2 is not accepted' (fix: enable TLS 1.2) for a server that accepts it
    assert versions.status == SKIP, versions
    assert "deadline" in versions.detail, versions
    last = report.steps[-1]
    assert last.name == "deadline" and last.status == FAIL, last


def test_a_request_cut_by_the_deadline_names_the_deadline_and_the_key_is_not_sent(pki, stalled_tls) -> None:
    # the certificate verifies, so the key would be sent next; the first probe never gets an answer
    report = _run(stalled_tls.port, pki, key=KEY, timeout=30.0, deadline=1.5)
    assert report.step("certificate-chain").status != FAIL, report.to_dict()
    first = report.step("auth-no-credential")
    assert first.status == FAIL and "no answer in time" in first.detail, first
    assert "--deadline" in first.fix and "raise --timeout" not in first.fix, first
    second = report.step("auth-credential")
    assert second.status == SKIP, second
    assert "not sent" in second.detail and "deadline" in second.detail, second
    last = report.steps[-1]
    assert last.name == "deadline" and last.status == FAIL, last
    assert KEY not in str(report.to_dict())
