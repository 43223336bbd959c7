"""Data-plane fixtures: the real inference server and the real nginx gateway on 127.0.0.1.

Session scope, so one inference server (about 1 s warm, 4 s cold) serves every data-plane test:

- ``scoring_app``: ``tests/data/scoring_app`` (``score.py`` echoing its input and the request header
  names it receives; ``model/model.txt``).
- ``inference_server``: :class:`secure_scoring.dataplane.local.InferenceServer` on that app, 2 workers.
- ``make_gateway``: factory ``make_gateway(primary_key=..., secondary_key=..., **settings)`` ->
  started :class:`secure_scoring.dataplane.local.NginxGateway` in front of ``inference_server`` with the ``pki``
  leaf; settings override :class:`GatewaySettings` fields (``auth_mode="none"``,
  ``proxy_read_timeout_s=1`` ...). Every gateway it made is stopped at the end of the session; call
  ``.stop()`` yourself to stop one earlier.
- ``dataplane``: :class:`Dataplane`: the scorer plus a key-auth gateway with known keys
  (``PRIMARY_KEY`` / ``SECONDARY_KEY``) and an HTTPS client (:meth:`Dataplane.request`) that only
  ever connects to 127.0.0.1 and sends the gateway's hostname as SNI and Host.

Locally, a missing nginx / inference venv skips; in CI (``CI=true``) it fails.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "HOSTNAME",
    "LoopbackHTTPSConnection",
    "client_context",
    "PRIMARY_KEY",
    "SCORING_APP",
    "SECONDARY_KEY",
    "Dataplane",
    "Response",
    "dataplane",
    "https_request",
    "inference_server",
    "make_gateway",
    "scoring_app",
    "wait_for_log",
]

SCORING_APP = Path(__file__).resolve().parents[1] / "data" / "scoring_app"
HOSTNAME = "scoring.example.test"  # covered by the pki leaf (with localhost and 127.0.0.1)
PRIMARY_KEY = "pRiMaRy.Key-0123456789_abcdefXYZ~+/="
SECONDARY_KEY = "SeCoNdArY.Key-9876543210_uvwxyzABC"
LOOPBACK = "127.0.0.1"


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    tls_version: str | None = None
    cipher: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


class LoopbackHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 whatever the Host: SNI and Host are ``host``, the TCP peer is always loopback."""

    def connect(self) -> None:
        sock = socket.create_connection((LOOPBACK, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def client_context(
    ca_bundle: str | Path,
    *,
    minimum: ssl.TLSVersion | None = None,
    maximum: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_bundle))
    with warnings.catch_warnings():
        # TLS 1.0/1.1 are deprecated in Python: the tests offer them on purpose, to see them refused
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    return ctx


def https_request(
    port: int,
    method: str = "GET",
    path: str = "/",
    *,
    ca_bundle: str | Path,
    hostname: str = HOSTNAME,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    timeout: float = 10.0,
    context: ssl.SSLContext | None = None,
    connection: http.client.HTTPSConnection | None = None,
) -> Response:
    """One request to the gateway on 127.0.0.1:``port`` (a new connection unless ``connection`` is given)."""
    conn = connection or LoopbackHTTPSConnection(
        hostname, port, timeout=timeout, context=context or client_context(ca_bundle)
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        sock = conn.sock
        version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        cipher = sock.cipher()[0] if isinstance(sock, ssl.SSLSocket) and sock.cipher() else None
        return Response(resp.status, resp.headers, data, version, cipher)
    finally:
        if connection is None:
            conn.close()


def wait_for_log(read: Callable[[], str], needle: str, timeout: float = 3.0) -> bool:
    """True once ``needle`` appears in ``read()`` (logs are written asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        if needle in read():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


@dataclass
class Dataplane:
    """The shared scorer + key-auth gateway, and a client for it."""

    scorer: Any  # secure_scoring.dataplane.local.InferenceServer
    gateway: Any  # secure_scoring.dataplane.local.NginxGateway
    ca_bundle: Path
    primary_key: str = PRIMARY_KEY
    secondary_key: str = SECONDARY_KEY
    hostname: str = HOSTNAME
    _extra: dict[str, Any] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return int(self.gateway.port)

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.primary_key}"}

    def request(self, method: str = "GET", path: str = "/", **kwargs: Any) -> Response:
        kwargs.setdefault("ca_bundle", self.ca_bundle)
        kwargs.setdefault("hostname", self.hostname)
        return https_request(self.port, method, path, **kwargs)

    def score(self, payload: Any, key: str | None = None, path: str = "/score", **kwargs: Any) -> Response:
        headers = {"Content-Type": "application/json", **self.auth(key), **kwargs.pop("headers", {})}
        return self.request("POST", path, headers=headers, body=json.dumps(payload), **kwargs)

    def scorer_log(self) -> str:
        return str(self.scorer.log_text())


@pytest.fixture(scope="session")
def scoring_app() -> Path:
    """Directory with ``score.py`` and ``model/``."""
    return SCORING_APP


@pytest.fixture(scope="session")
def inference_server(scoring_app: Path) -> Iterator[Any]:
    from support.requirements import inference_python

    python = inference_python()
    from secure_scoring.dataplane.local import InferenceServer

    server = InferenceServer(
        scoring_app / "score.py", model_dir=scoring_app / "model", worker_count=2, python=python
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def make_gateway(inference_server: Any, pki: Any) -> Iterator[Callable[..., Any]]:
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    from secure_scoring.dataplane.gateway import GatewaySettings
    from secure_scoring.dataplane.local import NginxGateway

    started: list[Any] = []

    def make(
        *,
        primary_key: str | None = PRIMARY_KEY,
        secondary_key: str | None = SECONDARY_KEY,
        cert: Any = None,
        **overrides: Any,
    ) -> Any:
        values: dict[str, Any] = {
            "hostnames": (HOSTNAME, "localhost"),
            "upstream": inference_server.address,
            "private_ca": True,
        }
        values.update(overrides)
        settings = GatewaySettings(**values)
        leaf = cert or pki.leaf
        keyed = settings.auth_mode == "key"
        gateway = NginxGateway(
            settings,
            cert_pem=leaf.chain_pem(),
            key_pem=leaf.key_pem,
            primary_key=primary_key if keyed else None,
            secondary_key=secondary_key if keyed else None,
            nginx=nginx,
        )
        gateway.start()
        started.append(gateway)
        return gateway

    try:
        yield make
    finally:
        for gateway in started:
            gateway.stop()


@pytest.fixture(scope="session")
def dataplane(inference_server: Any, make_gateway: Callable[..., Any], pki: Any) -> Dataplane:
    return Dataplane(scorer=inference_server, gateway=make_gateway(), ca_bundle=Path(pki.ca_bundle_path))
