"""The plain-http, http-port and hsts steps (components/secure_scoring/verify/http.py): a gateway
serving plain HTTP, an extra HTTP port, the probe's verdicts and the HSTS header."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from secure_scoring.verify import FAIL, PASS, SKIP, WARN
from secure_scoring.verify import http as vhttp
from support.fixtures_verify import assert_only_failure, by_name

dataplane = pytest.mark.dataplane  # on the tests that start or use real servers


@dataplane
def test_plain_http_served(secure_dns):
    report = secure_dns.verify("plain")
    status = by_name(report)
    assert status["plain-http"] == FAIL
    assert "serves plain HTTP" in report.step("plain-http").detail
    assert "HTTP/1.1" in report.step("plain-http").detail
    # no TLS at all on that port: the handshake fails as well, the rest is skipped
    assert status["tls-handshake"] == FAIL
    assert "plain HTTP" in report.step("tls-handshake").detail
    assert {status[n] for n in ("certificate-chain", "auth-no-credential", "hsts", "tls-versions")} == {SKIP}
    assert "no TLS version is accepted" in report.step("tls-versions").detail
    assert not report.ok


@dataplane
def test_extra_http_port_serving_plain_http(secure_dns):
    plain_port = secure_dns.gateways["plain"].port
    report = secure_dns.verify("secure", http_port=plain_port)
    assert_only_failure(report, "http-port", f"127.0.0.1:{plain_port} serves plain HTTP")
    # a closed port is what we want
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    report = secure_dns.verify("secure", http_port=closed_port)
    assert report.step("http-port").status == PASS and report.ok


def _one_shot_server(reply: bytes | None):
    """A loopback TCP server answering one connection with ``reply`` (None: close at once)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            if reply is not None:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(4096)
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


@pytest.mark.parametrize(
    ("reply", "verdict", "needle"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "served", "200 OK"),
        (b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", "served", "401"),
        (
            b"HTTP/1.1 301 Moved\r\nLocation: https://scoring.example.test/\r\n\r\n",
            "refused",
            "redirects to HTTPS",
        ),
        (b"HTTP/1.1 301 Moved\r\nLocation: http://scoring.example.test/\r\n\r\n", "served", "301"),
        (
            b"HTTP/1.1 400 Bad Request\r\n\r\nThe plain HTTP request was sent to HTTPS port",
            "refused",
            "plain HTTP request was sent to HTTPS port",
        ),
        (bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), "refused", "TLS alert"),
        (None, "refused", "closed"),
    ],
)
def test_plain_http_probe_classification(reply, verdict, needle):

    server, thread = _one_shot_server(reply)
    try:
        got, detail = vhttp.plain_http_probe(
            "127.0.0.1", server.getsockname()[1], "scoring.example.test", 2.0
        )
    finally:
        thread.join(5)
        server.close()
    assert got == verdict, detail
    assert needle in detail


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("max-age=63072000", PASS),
        ("max-age=63072000; includeSubDomains; preload", PASS),
        ('max-age="31536000"', PASS),
        ("max-age=3600", WARN),
        ("max-age=0", FAIL),
        ("includeSubDomains", FAIL),
        (None, FAIL),
    ],
)
def test_hsts_step(header, status):

    headers = {} if header is None else {"strict-transport-security": header}
    step = vhttp.hsts_step(vhttp.Response(401, "Unauthorized", headers, b""))
    assert step.status == status, step
    assert (step.fix is None) == (status == PASS)
