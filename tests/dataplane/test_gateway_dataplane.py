"""Data plane: real nginx with the rendered gateway config in front of the real Azure ML inference server.

Everything runs on 127.0.0.1. Rejected requests carry a unique probe id as their User-Agent; the
scorer's gunicorn access log (which records the request line and User-Agent of every request it
receives) must not contain it, while an accepted request's probe id must show up there (the positive
control). Not in the query string: the gateway refuses query strings.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import uuid

import pytest

from support.fixtures_dataplane import (
    HOSTNAME,
    LoopbackHTTPSConnection,
    client_context,
    https_request,
    wait_for_log,
)

pytestmark = pytest.mark.dataplane


def probe() -> str:
    return f"probe-{uuid.uuid4().hex}"


def ua(probe_id: str) -> dict[str, str]:
    return {"User-Agent": probe_id}


def assert_scorer_got(dataplane, probe_id: str) -> None:
    assert wait_for_log(dataplane.scorer_log, probe_id), f"the scorer never logged {probe_id}"


def assert_scorer_never_got(dataplane, probe_id: str) -> None:
    # a later request that did reach the scorer flushes the log past any earlier line
    marker = probe()
    assert dataplane.score({"flush": True}, headers=ua(marker)).status == 200
    assert_scorer_got(dataplane, marker)
    assert probe_id not in dataplane.scorer_log()


# ---------------------------------------------------------------- authentication


@pytest.mark.parametrize("which", ["primary", "secondary"])
def test_scoring_works_with_either_key_and_the_scorer_never_sees_it(dataplane, which) -> None:
    key = dataplane.primary_key if which == "primary" else dataplane.secondary_key
    probe_id = probe()
    resp = dataplane.score({"x": [1, 2, 3]}, key=key, headers=ua(probe_id))
    assert resp.status == 200, resp.body
    body = resp.json()
    assert body["echo"] == {"x": [1, 2, 3]}
    assert body["model"] == "echo-model-v1"
    # the header reached the gateway but not the scorer
    assert body["authorization_seen"] is False
    assert "authorization" not in body["header_names"]
    assert {"x-forwarded-proto", "x-forwarded-for", "host"} <= set(body["header_names"])
    assert resp.headers["Strict-Transport-Security"] == "max-age=63072000"
    assert resp.headers.get("WWW-Authenticate") is None
    assert resp.headers["x-ms-server-version"].startswith("azmlinfsrv/")
    assert_scorer_got(dataplane, probe_id)
    assert dataplane.primary_key not in dataplane.scorer_log()
    assert dataplane.secondary_key not in dataplane.scorer_log()


REJECTED = {
    "no header": None,
    "wrong key": "Bearer WrongKey-0123456789abcdef",
    "lower-case scheme": "bearer {key}",
    "upper-case scheme": "BEARER {key}",
    "key with extra characters": "Bearer {key}x",
    "key with a prefix": "Bearer x{key}",
    "key case-changed": "Bearer {swapped}",
    "key truncated": "Bearer {truncated}",
    "no scheme": "{key}",
    "basic scheme": "Basic {key}",
    "two spaces": "Bearer  {key}",
    "two keys": "Bearer {key}, Bearer {key}",
    "empty": "",
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_bad_credentials_get_401_and_never_reach_the_scorer(dataplane, case) -> None:
    template = REJECTED[case]
    key = dataplane.primary_key
    headers = {"Content-Type": "application/json", **ua(probe())}
    probe_id = headers["User-Agent"]
    if template is not None:
        headers["Authorization"] = template.format(key=key, swapped=key.swapcase(), truncated=key[:-1])
    resp = dataplane.request("POST", "/score", headers=headers, body=b'{"x": 1}')
    assert resp.status == 401, (case, resp.body)
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="secure-scoring"'
    assert resp.headers["Strict-Transport-Security"] == "max-age=63072000"
    assert resp.json()["error"] == "unauthorized"
    assert_scorer_never_got(dataplane, probe_id)


def test_repeated_authorization_headers_are_refused_and_never_reach_the_scorer(dataplane) -> None:
    # nginx treats Authorization as a unique header: a second one is a 400, whatever the order
    for first, second in (
        (f"Bearer {dataplane.primary_key}", "Bearer second-credential-0123456789"),
        ("Bearer second-credential-0123456789", f"Bearer {dataplane.primary_key}"),
    ):
        probe_id = probe()
        conn = LoopbackHTTPSConnection(
            HOSTNAME, dataplane.port, timeout=10, context=client_context(dataplane.ca_bundle)
        )
        try:
            body = b'{"dup": 1}'
            conn.putrequest("POST", "/score")
            conn.putheader("User-Agent", probe_id)
            conn.putheader("Authorization", first)
            conn.putheader("authorization", second)
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            resp.read()
        finally:
            conn.close()
        assert resp.status == 400
        assert_scorer_never_got(dataplane, probe_id)
    assert "second-credential-0123456789" not in dataplane.scorer_log()


def test_other_paths_and_methods_need_a_key_too(dataplane) -> None:
    for method, path in (("GET", "/score"), ("GET", "/swagger.json"), ("OPTIONS", "/score"), ("GET", "/x")):
        probe_id = probe()
        resp = dataplane.request(method, path, headers=ua(probe_id))
        assert resp.status == 401, (method, path)
        assert_scorer_never_got(dataplane, probe_id)
    ok = dataplane.request("GET", "/swagger.json", headers=dataplane.auth())
    assert ok.status == 200


def test_health_route_needs_no_key_but_only_allows_get(dataplane) -> None:
    resp = dataplane.request("GET", "/")
    assert resp.status == 200
    assert resp.body.strip() == b"Healthy"
    assert resp.headers["Strict-Transport-Security"] == "max-age=63072000"
    probe_id = probe()
    post = dataplane.request("POST", "/", headers=ua(probe_id))
    assert post.status == 403
    assert_scorer_never_got(dataplane, probe_id)


def test_auth_mode_none_passes_requests_but_still_strips_authorization(make_gateway, pki) -> None:
    gateway = make_gateway(auth_mode="none")
    try:
        resp = https_request(
            gateway.port,
            "POST",
            "/score",
            ca_bundle=pki.ca_bundle_path,
            headers={"Content-Type": "application/json", "Authorization": "Bearer whatever-1234567890"},
            body=b'{"open": true}',
        )
        assert resp.status == 200
        assert resp.json()["echo"] == {"open": True}
        assert resp.json()["authorization_seen"] is False
        assert resp.headers.get("WWW-Authenticate") is None
    finally:
        gateway.stop()


# ---------------------------------------------------------------- TLS


# no forward secrecy (static RSA key exchange) or no AEAD (CBC): outside Mozilla intermediate
WEAK_TLS12_CIPHERS = (
    "AES128-SHA:AES256-SHA:AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
)


def _handshake(dataplane, ctx: ssl.SSLContext) -> ssl.SSLSocket:
    sock = socket.create_connection(("127.0.0.1", dataplane.port), timeout=5)
    try:
        return ctx.wrap_socket(sock, server_hostname=HOSTNAME)
    except BaseException:
        sock.close()
        raise


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_tls_1_0_and_1_1_are_refused_by_the_server(dataplane, version) -> None:
    # The client really offers the old version (OpenSSL 3 needs security level 0 for that); the
    # failure must be the server's protocol_version alert, not the client refusing to try.
    ctx = client_context(dataplane.ca_bundle, minimum=version, maximum=version, ciphers="ALL:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError) as caught:
        _handshake(dataplane, ctx).close()
    assert caught.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION", caught.value


def test_control_the_old_protocol_client_does_connect_when_a_server_allows_it(
    make_gateway, dataplane
) -> None:
    # Proves the two tests above can fail: the same client completes a TLS 1.1 handshake against a
    # deliberately weakened copy of the gateway config.
    gateway = make_gateway()
    try:
        conf = gateway.config_path.read_text()
        # lift every floor: protocols, a TLS 1.0-capable suite, security level 0 and OpenSSL's
        # MinProtocol (with only the first three, this Debian nginx still refused TLS 1.1)
        weakened = conf.replace(
            "ssl_protocols TLSv1.2 TLSv1.3;",
            "ssl_protocols TLSv1.1 TLSv1.2 TLSv1.3;\n        ssl_conf_command MinProtocol TLSv1;",
        )
        weakened = weakened.replace("ssl_ciphers ", "ssl_ciphers ECDHE-ECDSA-AES128-SHA:", 1)
        weakened = weakened.replace("POLY1305;", "POLY1305:@SECLEVEL=0;", 1)
        assert weakened != conf
        gateway.config_path.write_text(weakened)
        gateway.reload()
        version = ssl.TLSVersion.TLSv1_1
        ctx = client_context(dataplane.ca_bundle, minimum=version, maximum=version, ciphers="ALL:@SECLEVEL=0")
        sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=5)
        with ctx.wrap_socket(sock, server_hostname=HOSTNAME) as tls:
            assert tls.version() == "TLSv1.1"
        # and the weak-cipher client of the test below completes a TLS 1.2 handshake too
        ctx = client_context(
            dataplane.ca_bundle,
            minimum=ssl.TLSVersion.TLSv1_2,
            maximum=ssl.TLSVersion.TLSv1_2,
            ciphers=WEAK_TLS12_CIPHERS,
        )
        sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=5)
        with ctx.wrap_socket(sock, server_hostname=HOSTNAME) as tls:
            assert tls.cipher()[0] == "ECDHE-ECDSA-AES128-SHA"
    finally:
        gateway.stop()


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_work_with_an_intermediate_cipher(dataplane, version) -> None:
    ctx = client_context(dataplane.ca_bundle, minimum=version, maximum=version)
    resp = dataplane.request("POST", "/score", headers=dataplane.auth(), body=b"{}", context=ctx)
    assert resp.status == 200
    assert resp.tls_version == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
    if version is ssl.TLSVersion.TLSv1_2:
        assert resp.cipher.startswith("ECDHE-") and ("GCM" in resp.cipher or "CHACHA20" in resp.cipher)


def test_tls_1_2_without_forward_secrecy_or_aead_is_refused(dataplane) -> None:
    ctx = client_context(
        dataplane.ca_bundle,
        minimum=ssl.TLSVersion.TLSv1_2,
        maximum=ssl.TLSVersion.TLSv1_2,
        ciphers=WEAK_TLS12_CIPHERS,
    )
    with pytest.raises(ssl.SSLError) as caught:
        _handshake(dataplane, ctx).close()
    assert caught.value.reason == "SSLV3_ALERT_HANDSHAKE_FAILURE", caught.value


def test_the_certificate_chain_validates_for_the_hostname(dataplane) -> None:
    tls = _handshake(dataplane, client_context(dataplane.ca_bundle))
    try:
        # the gateway sends leaf + intermediate; the client only trusts the root
        assert tls.getpeercert()["subjectAltName"][0] == ("DNS", HOSTNAME)
    finally:
        tls.close()
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx = client_context(dataplane.ca_bundle)
        sock = socket.create_connection(("127.0.0.1", dataplane.port), timeout=5)
        try:
            ctx.wrap_socket(sock, server_hostname="not-covered.example.org")
        finally:
            sock.close()


def test_plain_http_on_the_tls_port_is_refused(dataplane) -> None:
    probe_id = probe()
    with socket.create_connection(("127.0.0.1", dataplane.port), timeout=5) as sock:
        sock.sendall(
            f"POST /score HTTP/1.1\r\nHost: {HOSTNAME}\r\nUser-Agent: {probe_id}\r\n"
            f"Authorization: Bearer {dataplane.primary_key}\r\nContent-Length: 2\r\n"
            "Connection: close\r\n\r\n{}".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"] == "https_required"
    assert "plain HTTP request was sent to the HTTPS port" in json.loads(body)["message"]
    assert_scorer_never_got(dataplane, probe_id)


# ---------------------------------------------------------------- limits


@pytest.fixture(scope="module")
def limits_gateway(make_gateway):
    gateway = make_gateway(max_body_size="64k", proxy_read_timeout_s=1, client_body_timeout_s=1)
    yield gateway
    gateway.stop()


def _send_big(dataplane, port: int, body_len: int, probe_id: str, *, chunked: bool) -> tuple[int, bytes]:
    conn = LoopbackHTTPSConnection(HOSTNAME, port, timeout=10, context=client_context(dataplane.ca_bundle))
    try:
        conn.putrequest("POST", "/score")
        conn.putheader("User-Agent", probe_id)
        conn.putheader("Authorization", f"Bearer {dataplane.primary_key}")
        conn.putheader("Content-Type", "application/json")
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        else:
            conn.putheader("Content-Length", str(body_len))
        conn.endheaders()
        payload = b"[" + b"1," * (body_len // 2 - 1) + b"1]"
        try:
            if chunked:
                for start in range(0, len(payload), 16384):
                    part = payload[start : start + 16384]
                    conn.send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                conn.send(b"0\r\n\r\n")
            else:
                conn.send(payload)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # nginx may answer 413 and close before the whole body is sent
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_gets_413_and_never_reaches_the_scorer(dataplane, limits_gateway, chunked) -> None:
    probe_id = probe()
    status, body = _send_big(dataplane, limits_gateway.port, 200_000, probe_id, chunked=chunked)
    assert status == 413
    # answered as JSON like every other error, naming the limit (not nginx's HTML page)
    assert json.loads(body) == {
        "error": "request_too_large",
        "message": "the request body is larger than 64k",
    }
    assert_scorer_never_got(dataplane, probe_id)
    # just under the limit still works
    ok_probe = probe()
    assert _send_big(dataplane, limits_gateway.port, 60_000, ok_probe, chunked=chunked)[0] == 200
    assert_scorer_got(dataplane, ok_probe)


def test_slow_scorer_hits_the_read_timeout_with_504(dataplane, limits_gateway) -> None:
    started = time.monotonic()
    resp = https_request(
        limits_gateway.port,
        "POST",
        "/score",
        ca_bundle=dataplane.ca_bundle,
        headers={**dataplane.auth(), "Content-Type": "application/json"},
        body=json.dumps({"sleep": 2.5}),
    )
    elapsed = time.monotonic() - started
    assert resp.status == 504
    assert resp.json() == {"error": "scorer_timeout", "message": "the scorer did not answer within 1 s"}
    assert resp.headers.get("Strict-Transport-Security")  # the security headers are on errors too
    assert 0.9 <= elapsed < 2.4, elapsed  # proxy_read_timeout_s=1, well before the scorer answers
    # the gateway keeps serving
    quick = https_request(
        limits_gateway.port, "GET", "/", ca_bundle=dataplane.ca_bundle, headers=dataplane.auth()
    )
    assert quick.status == 200


def test_slow_client_body_hits_the_body_timeout_and_never_reaches_the_scorer(
    dataplane, limits_gateway
) -> None:
    probe_id = probe()
    ctx = client_context(dataplane.ca_bundle)
    sock = ctx.wrap_socket(
        socket.create_connection(("127.0.0.1", limits_gateway.port), timeout=10), server_hostname=HOSTNAME
    )
    started = time.monotonic()
    try:
        sock.sendall(
            f"POST /score HTTP/1.1\r\nHost: {HOSTNAME}\r\nUser-Agent: {probe_id}\r\n"
            f"Authorization: Bearer {dataplane.primary_key}\r\nContent-Type: application/json\r\n"
            'Content-Length: 1000\r\n\r\n{"x": '.encode()
        )
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, ssl.SSLError):
            pass
        elapsed = time.monotonic() - started
    finally:
        sock.close()
    # nginx gives up after client_body_timeout (1 s): a 408 or a closed connection, never a hang
    assert elapsed < 4, elapsed
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert_scorer_never_got(dataplane, probe_id)


def test_slow_client_headers_hit_the_header_timeout(dataplane, limits_gateway) -> None:
    probe_id = probe()
    ctx = client_context(dataplane.ca_bundle)
    sock = ctx.wrap_socket(
        socket.create_connection(("127.0.0.1", limits_gateway.port), timeout=10), server_hostname=HOSTNAME
    )
    started = time.monotonic()
    try:
        sock.sendall(
            f"POST /score HTTP/1.1\r\nHost: {HOSTNAME}\r\nUser-Agent: {probe_id}\r\nX-Slow: ".encode()
        )
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, ssl.SSLError):
            pass
        elapsed = time.monotonic() - started
    finally:
        sock.close()
    # client_header_timeout = client_body_timeout_s (1 s): nginx closes (408 without a response)
    assert elapsed < 4, elapsed
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert_scorer_never_got(dataplane, probe_id)


# ---------------------------------------------------------------- key rotation


ROTATIONS = 8  # graceful reloads under load per run: a regression that drops requests shows


def test_rotating_one_key_under_continuous_load_loses_no_request(make_gateway, dataplane) -> None:
    """Key rotation is a graceful nginx reload: no request is lost, across many reloads.

    One client thread opens a new connection per request, one keeps its connection alive. During a
    graceful reload the old workers close their *idle* kept-alive connections; a request the client
    sent on such a connection at that very moment finds it closed (HTTP/1.1's keep-alive race, RFC
    9112 section 9.3.1, not a gateway fault). Real clients retry such a request once on a new
    connection, and so does this one (``support.load_client``); a request on a new connection is
    never retried. So: 0 failures, and 0 failures for new connections.
    """
    from support.load_client import LoadClient, assert_no_request_lost

    keys = [f"Primary-{i:02d}-0123456789abcdef" for i in range(ROTATIONS + 1)]
    secondary = "Steady-Secondary-0123456789"
    gateway = make_gateway(primary_key=keys[0], secondary_key=secondary)
    client = LoadClient.to_port(
        gateway.port,
        HOSTNAME,
        client_context(dataplane.ca_bundle),
        headers=lambda: {"Authorization": f"Bearer {secondary}"},
    )
    reloads: list[tuple[float, float]] = []
    try:
        with client:
            client.wait_for(20)
            assert dataplane_score(gateway, dataplane, keys[0]).status == 200
            for new_primary in keys[1:]:
                started = time.monotonic()
                gateway.rotate_keys(new_primary, secondary)
                reloads.append((started, time.monotonic()))
                client.wait_for(5)
        # the rotated keys are refused, the last one works
        for old in (keys[0], keys[-2]):
            assert dataplane_score(gateway, dataplane, old).status == 401
        assert dataplane_score(gateway, dataplane, keys[-1]).status == 200
        headers = {"Content-Type": "application/json"}
        assert https_request(gateway.port, "POST", "/score", ca_bundle=dataplane.ca_bundle, headers=headers).status == 401  # fmt: skip
    finally:
        client.stop()
        gateway.stop()
    outcomes = client.outcomes
    assert_no_request_lost(outcomes)
    assert len(outcomes) >= 20 + 5 * ROTATIONS, len(outcomes)
    # requests were in flight across the reloads
    in_flight = [any(o.began <= done and o.ended >= began for o in outcomes) for began, done in reloads]
    assert sum(in_flight) >= ROTATIONS // 2, in_flight


def dataplane_score(gateway, dataplane, key: str):
    return https_request(
        gateway.port,
        "POST",
        "/score",
        ca_bundle=dataplane.ca_bundle,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        body=b"{}",
    )


def test_rotation_refuses_invalid_keys_and_keeps_the_old_ones(make_gateway, dataplane) -> None:
    from secure_scoring.errors import ConfigurationError

    gateway = make_gateway(primary_key="Keep-Primary-0123456789ab", secondary_key="Keep-Secondary-0123456789")
    try:
        for bad in ('bad"key-0123456789', "short", "Keep-Secondary-0123456789"):
            with pytest.raises(ConfigurationError):
                gateway.rotate_keys(bad, "Keep-Secondary-0123456789")
        assert dataplane_score(gateway, dataplane, "Keep-Primary-0123456789ab").status == 200
    finally:
        gateway.stop()
