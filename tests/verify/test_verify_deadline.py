"""verify's time limits and probe body (issue 14).

- ``--timeout`` bounds each request as a whole: a TLS server that drips its answer one byte at a
  time (each read returns in time) is cut off after ``--timeout``, not kept forever;
- ``--deadline`` bounds the whole run: the steps not run by then are skipped and a ``deadline`` step fails;
- ``--data``: the body of the authentication probes; a scorer that rejects ``{}`` is named as such.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time

import pytest

from secure_scoring.errors import UsageError
from secure_scoring.verify import FAIL, PASS, SKIP, WARN, auth, parse_url, tls, verify
from secure_scoring.verify import http as vhttp
from support.fixtures_dataplane import HOSTNAME


class DrippingTlsServer:
    """TLS on 127.0.0.1 (the pki leaf): every connection that sends a request gets an HTTP answer
    one byte every ``every_s`` seconds, for ``for_s`` seconds at most."""

    def __init__(self, pki, chain_path, every_s: float = 0.2, for_s: float = 30.0) -> None:
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(chain_path, pki.leaf.key_path)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.every_s, self.for_s = every_s, for_s
        self.stopped = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> DrippingTlsServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.listener.close()
        for thread in self.threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), conn:
            conn.settimeout(5)
            with self.ctx.wrap_socket(conn, server_side=True) as tls_conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = tls_conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                started = time.monotonic()
                for byte in answer * 1000:
                    if self.stopped.wait(self.every_s) or time.monotonic() - started > self.for_s:
                        return
                    tls_conn.sendall(bytes([byte]))


@pytest.fixture()
def dripping(pki, tmp_path):
    chain = tmp_path / "chain.pem"
    chain.write_text(pki.leaf.chain_pem())
    with DrippingTlsServer(pki, chain) as server:

        def run(timeout: float, deadline: float):
            started = time.monotonic()
            report = verify(
                f"https://{HOSTNAME}:{server.port}/score",
                connect_to="127.0.0.1",
                ca_bundle=pki.ca_bundle_path,
                timeout=timeout,
                deadline=deadline,
            )
            return report, time.monotonic() - started

        yield run


def test_timeout_bounds_each_request_against_a_server_that_drips_its_answer(dripping) -> None:
    report, elapsed = dripping(timeout=1.0, deadline=60)
    # two dripped requests (auth probe, then GET / for the HSTS header) of 1 s each, plus handshakes;
    # before issue 14 each read returned in time and the run lasted as long as the server dripped
    assert elapsed < 6, elapsed
    step = report.step("auth-no-credential")
    assert step.status == FAIL and "no answer in time" in step.detail, step
    assert report.step("tls-handshake").status == PASS
    assert all(s.name != "deadline" for s in report.steps)


def test_deadline_bounds_the_whole_run_and_skips_what_it_could_not_run(dripping) -> None:
    report, elapsed = dripping(timeout=30.0, deadline=2.0)
    assert elapsed < 3.5, elapsed
    last = report.steps[-1]
    assert last.name == "deadline" and last.status == FAIL, last
    assert "--deadline 2 s" in last.detail and last.fix
    assert report.step("tls-handshake").status == PASS  # what ran in time is still reported
    assert not report.ok


@pytest.mark.parametrize("value", [0, -1, 3601, "soon"])
def test_deadline_must_be_a_sane_number_of_seconds(value) -> None:
    with pytest.raises(UsageError) as caught:
        verify("https://scoring.example.test/score", deadline=value)
    assert caught.value.input_name == "--deadline"


# ---------------------------------------------------------------- --data


def _answer(status: int, reason: str, *, scorer: bool):
    headers = {"x-ms-server-version": "azmlinfsrv/1.5.1"} if scorer else {}
    return vhttp.Response(status, reason, headers, b"")


def _auth_steps(monkeypatch, answers, **kwargs):
    sent: list[bytes | None] = []

    def fake(address, target, ctx, method, path, headers, body, timeout):
        sent.append(body)
        return answers(headers)

    monkeypatch.setattr(vhttp, "https_request", fake)
    outcome = tls.TlsOutcome([], ssl.create_default_context(), True)
    steps, _ = auth.auth_steps(
        parse_url(f"https://{HOSTNAME}/score"),
        "127.0.0.1",
        outcome,
        "Some-Key-0123456789",
        "key",
        1.0,
        **kwargs,
    )
    return {s.name: s for s in steps}, sent


def test_a_scorer_that_rejects_the_probe_body_is_named_and_data_is_the_fix(monkeypatch) -> None:
    def answers(headers):
        if headers.get("Authorization") == "Bearer Some-Key-0123456789":
            return _answer(500, "INTERNAL SERVER ERROR", scorer=True)
        return _answer(401, "Unauthorized", scorer=False)

    steps, sent = _auth_steps(monkeypatch, answers)
    step = steps["auth-credential"]
    assert "the scorer rejected the probe body '{}'" in step.detail, step
    assert "--data" in step.fix and "path" not in step.detail
    assert steps["auth-wrong-credential"].status == PASS
    assert sent == [b"{}", b"{}", b"{}"]  # without a credential, with a made-up key, with the key
    steps, sent = _auth_steps(monkeypatch, answers, body=b'{"data": [[1, 2]]}')
    assert "the scorer rejected the probe body the --data body" in steps["auth-credential"].detail
    assert sent == [b'{"data": [[1, 2]]}'] * 3


@pytest.mark.parametrize(
    ("answer", "status", "needle"),
    [
        (lambda: _answer(200, "OK", scorer=True), FAIL, "any credential is accepted"),
        (lambda: _answer(422, "UNPROCESSABLE ENTITY", scorer=True), FAIL, "(it reached the scorer)"),
        (lambda: _answer(401, "Unauthorized", scorer=False), PASS, "with a made-up key → 401"),
        (lambda: _answer(404, "Not Found", scorer=False), WARN, "expected 401"),
    ],
)
def test_a_made_up_key_must_be_refused_like_no_key(monkeypatch, answer, status, needle) -> None:
    """A gateway that only checks that an Authorization header is there lets anyone in: the made-up
    key (random, never the real one) must be refused like the request without a credential."""
    made_up: list[str] = []

    def answers(headers):
        value = headers.get("Authorization")
        if value is None:
            return _answer(401, "Unauthorized", scorer=False)
        if value == "Bearer Some-Key-0123456789":
            return _answer(200, "OK", scorer=True)
        made_up.append(value)
        return answer()

    steps, _ = _auth_steps(monkeypatch, answers)
    step = steps["auth-wrong-credential"]
    assert step.status == status and needle in step.detail, step
    assert (step.fix is None) is (status == PASS)
    [value] = made_up
    assert "Some-Key" not in value and len(value) > 30  # random, never the real key
    assert steps["auth-credential"].status == PASS


def test_with_auth_off_a_500_from_the_scorer_says_auth_is_off_not_the_path(monkeypatch) -> None:
    steps, _ = _auth_steps(monkeypatch, lambda headers: _answer(500, "INTERNAL SERVER ERROR", scorer=True))
    step = steps["auth-no-credential"]
    assert step.status == FAIL and step.detail.startswith("auth turned off"), step
    assert "rejected the probe body '{}'" in step.detail
    assert "turn authentication on" in step.fix and "scoring path" not in step.fix
    assert steps["auth-credential"].status == SKIP  # the key proves nothing then


def test_data_is_json_inline_or_from_a_file(tmp_path) -> None:
    sample = tmp_path / "sample.json"
    sample.write_text('{"data": [[1, 2, 3]]}')
    for value in ("{not json", "@" + str(tmp_path / "missing.json")):
        with pytest.raises(UsageError) as caught:
            verify("https://scoring.example.test/score", data=value)
        assert caught.value.input_name == "--data" and "--data @sample.json" in caught.value.fix
    from secure_scoring.verify.run import probe_body

    assert probe_body("@" + str(sample)) == b'{"data": [[1, 2, 3]]}'
    assert probe_body('{"x": 1}') == b'{"x": 1}'
    assert probe_body(None) == b"{}"
