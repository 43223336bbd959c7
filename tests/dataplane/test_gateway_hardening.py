"""Gateway hardening against the real nginx and the real Azure ML inference server (issue 14).

- the no-key health route forwards only ``GET /``: whatever path the client wrote (``/score/..``,
  ``/score/%2e%2e``, ``//score/..``, ``/score;/..``) the scorer's access log shows ``GET /``;
- no body on the health route; a refused request's body is dropped within a total deadline even when
  the client drips it faster than the per-read timeout; requests in progress per client are limited;
- no query string reaches the scorer (a key pasted into the URL must not land in its access log).

Probes travel as the User-Agent, which the scorer's gunicorn access log records with the request line.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
import time
import uuid

import pytest

from support.fixtures_dataplane import HOSTNAME, client_context, wait_for_log

pytestmark = pytest.mark.dataplane


def probe() -> str:
    return f"probe-{uuid.uuid4().hex}"


def assert_scorer_never_got(dataplane, probe_id: str) -> None:
    marker = probe()  # a later request that reached the scorer flushes the log past earlier lines
    assert dataplane.score({"flush": True}, headers={"User-Agent": marker}).status == 200
    assert wait_for_log(dataplane.scorer_log, marker)
    assert probe_id not in dataplane.scorer_log()


def raw_exchange(
    port: int, ca_bundle, request: bytes, *, drip: bytes = b"", every_s: float = 0.0, limit_s: float = 10.0
) -> tuple[bytes, float]:
    """Send ``request`` over TLS, then ``drip`` one byte every ``every_s`` while reading, until the
    server closes or ``limit_s`` passed; -> (everything received, seconds until then).

    One thread reads and writes the TLS socket (an SSL object is not safe to use from two threads).
    """
    ctx = client_context(ca_bundle)
    raw = socket.create_connection(("127.0.0.1", port), timeout=limit_s)
    sock = ctx.wrap_socket(raw, server_hostname=HOSTNAME)
    received = bytearray()
    started = time.monotonic()
    try:
        # the server may answer and close before taking it all: then read what it said
        with contextlib.suppress(OSError, ssl.SSLError):
            sock.sendall(request)
        pending, next_drip = list(drip), started + every_s
        sock.settimeout(0.02)
        while time.monotonic() - started < limit_s:
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
            except TimeoutError:
                pass
            except (OSError, ssl.SSLError):
                break
            if pending and time.monotonic() >= next_drip:
                next_drip += every_s
                try:
                    sock.sendall(bytes([pending.pop(0)]))
                except TimeoutError:
                    pass
                except (OSError, ssl.SSLError):
                    pending = []  # closed for writing: keep reading until it closes for reading
        return bytes(received), time.monotonic() - started
    finally:
        sock.close()


def status_of(answer: bytes) -> int:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    return int(match.group(1)) if match else 0


def body_of(answer: bytes) -> dict:
    return json.loads(answer.partition(b"\r\n\r\n")[2])


# ---------------------------------------------------------------- the health route forwards only "/"


@pytest.mark.parametrize("path", ["/score/..", "/score/%2e%2e", "//score/..", "/score;/..", "/./"])
def test_the_health_route_forwards_only_slash_whatever_path_the_client_wrote(dataplane, path) -> None:
    probe_id = probe()
    answer, _ = raw_exchange(
        dataplane.port,
        dataplane.ca_bundle,
        f"GET {path} HTTP/1.1\r\nHost: {HOSTNAME}\r\nUser-Agent: {probe_id}\r\nConnection: close\r\n\r\n".encode(),
    )
    # the scorer answered (its own header and body) ...
    assert status_of(answer) == 200, answer[:200]
    assert b"x-ms-server-version: azmlinfsrv/" in answer and answer.rstrip().endswith(b"Healthy")
    # ... to exactly "GET / HTTP/1.1": the one request line its access log leaves out (the inference
    # server filters its liveness probe); any other path would be logged with the probe id (before
    # the fix: "GET /score/.. HTTP/1.1" 404)
    assert_scorer_never_got(dataplane, probe_id)


def test_the_health_route_takes_no_body(dataplane) -> None:
    for framing, body in (
        ("Content-Length: 10485760", b"x" * 1024),
        ("Transfer-Encoding: chunked", b"400\r\n" + b"x" * 1024 + b"\r\n"),
    ):
        probe_id = probe()
        answer, _ = raw_exchange(  # the client does not send the rest: nginx keeps waiting, not us
            dataplane.port,
            dataplane.ca_bundle,
            f"GET / HTTP/1.1\r\nHost: {HOSTNAME}\r\nUser-Agent: {probe_id}\r\n{framing}\r\n\r\n".encode()
            + body,
            limit_s=1,
        )
        assert status_of(answer) == 413, answer[:200]
        assert body_of(answer) == {
            "error": "request_too_large",
            "message": "the health route takes no request body",
        }
        assert_scorer_never_got(dataplane, probe_id)
    # an explicit empty body is no body
    answer, _ = raw_exchange(
        dataplane.port,
        dataplane.ca_bundle,
        f"GET / HTTP/1.1\r\nHost: {HOSTNAME}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode(),
    )
    assert status_of(answer) == 200


# ---------------------------------------------------------------- slow bodies: a total deadline


@pytest.fixture(scope="module")
def strict_gateway(make_gateway):
    gateway = make_gateway(client_body_timeout_s=1, max_connections_per_client=2)
    yield gateway
    gateway.stop()


@pytest.mark.parametrize(
    "head",
    [
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {probe}\r\nContent-Length: 100000\r\n\r\n",
        "POST /score HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {probe}\r\nContent-Length: 100000\r\n\r\n",
    ],
    ids=["health-route", "no-key"],
)
def test_a_body_dripped_without_a_key_is_cut_off_within_a_total_deadline(
    dataplane, strict_gateway, head
) -> None:
    """One byte every 0.4 s never trips the per-read timeout (1 s); the refused request's body is still
    dropped within lingering_time (1 s here) in total, then nginx closes."""
    probe_id = probe()
    answer, closed_after = raw_exchange(
        strict_gateway.port,
        dataplane.ca_bundle,
        head.format(host=HOSTNAME, probe=probe_id).encode(),
        drip=b"{" * 100,
        every_s=0.4,
        limit_s=15,
    )
    assert status_of(answer) in (401, 413), answer[:200]
    assert closed_after < 5, closed_after  # without the deadline: 100 bytes x 0.4 s = 40 s, or forever
    assert_scorer_never_got(dataplane, probe_id)


def test_requests_in_progress_per_client_are_limited(dataplane, strict_gateway) -> None:
    results: list[int] = []

    def slow() -> None:
        answer, _ = raw_exchange(
            strict_gateway.port,
            dataplane.ca_bundle,
            (
                f"POST /score HTTP/1.1\r\nHost: {HOSTNAME}\r\nAuthorization: Bearer {dataplane.primary_key}\r\n"
                'Content-Type: application/json\r\nContent-Length: 14\r\nConnection: close\r\n\r\n{"sleep": 1.5}'
            ).encode(),
        )
        results.append(status_of(answer))

    threads = [threading.Thread(target=slow) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # both are in the scorer now (the limit is 2)
    answer, _ = raw_exchange(
        strict_gateway.port,
        dataplane.ca_bundle,
        f"GET / HTTP/1.1\r\nHost: {HOSTNAME}\r\nConnection: close\r\n\r\n".encode(),
    )
    for thread in threads:
        thread.join(timeout=10)
    assert status_of(answer) == 429, answer[:200]
    assert body_of(answer)["error"] == "too_many_connections"
    assert results == [200, 200]
    # once they are done, the client is served again
    answer, _ = raw_exchange(
        strict_gateway.port,
        dataplane.ca_bundle,
        f"GET / HTTP/1.1\r\nHost: {HOSTNAME}\r\nConnection: close\r\n\r\n".encode(),
    )
    assert status_of(answer) == 200


# ---------------------------------------------------------------- query strings never reach the scorer


@pytest.mark.parametrize(
    "target", ["/score?api_key={key}", "/score?{key}", "/?x=1", "/swagger.json?version=3"]
)
def test_query_strings_are_refused_and_never_reach_the_scorer(dataplane, target) -> None:
    probe_id = probe()
    secret = "Pasted-Into-The-Url-0123456789"
    path = target.format(key=secret)
    resp = dataplane.request(
        "POST" if path.startswith("/score") else "GET",
        path,
        headers={**dataplane.auth(), "User-Agent": probe_id, "Content-Type": "application/json"},
        body=b"{}" if path.startswith("/score") else None,
    )
    assert resp.status == 400, resp.body
    assert resp.json()["error"] == "query_string_refused"
    assert "Authorization header" in resp.json()["message"]
    assert_scorer_never_got(dataplane, probe_id)
    assert secret not in dataplane.scorer_log()
    # nginx's own access log records the path without the query string
    assert wait_for_log(lambda: dataplane.gateway.access_log_path.read_text(), "400")
    assert secret not in dataplane.gateway.access_log_path.read_text()
