"""HTTP over the verified connection: the ``plain-http``/``http-port`` and ``hsts`` steps, and the
one HTTPS request the auth steps send."""

from __future__ import annotations

import contextlib
import http.client
import ssl
import time
from dataclasses import dataclass

from . import net
from .report import FAIL, PASS, SKIP, WARN, Step
from .target import Target, hostport

__all__ = [
    "HSTS_MIN_RECOMMENDED",
    "Response",
    "hsts_step",
    "https_request",
    "plain_http_probe",
    "plain_http_step",
]

HSTS_MIN_RECOMMENDED = 15_552_000  # 180 days
_READ_LIMIT = 16_384


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


def https_request(
    address: str,
    target: Target,
    ctx: ssl.SSLContext,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    timeout: float,
) -> Response:
    with net.tls_connect(address, target.port, target.host, ctx, timeout) as tls:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        conn.sock = tls  # already connected (to the resolved address, SNI = host)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", target.host_header)
            conn.putheader("User-Agent", "secure-scoring-verify")
            conn.putheader("Connection", "close")
            for name, value in headers.items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read(_READ_LIMIT)
            return Response(
                response.status,
                response.reason,
                {k.lower(): v for k, v in response.getheaders()},
                data,
            )
        finally:
            conn.sock = None
            conn.close()


def plain_http_probe(address: str, port: int, host_header: str, timeout: float) -> tuple[str, str]:
    """Send a plain HTTP request. → (verdict, detail): verdict refused | served | unreachable."""
    try:
        sock = net.connect(address, port, timeout)
    except net.DeadlineReached:
        raise  # not sent: the run skips this step and the rest (not "does not accept connections")
    except OSError as exc:
        return "unreachable", f"port {port} does not accept connections ({net.ssl_reason(exc)})"
    data = b""
    try:
        sock.sendall(
            f"GET / HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: secure-scoring-verify\r\n"
            "Connection: close\r\n\r\n".encode("ascii")
        )
        deadline = time.monotonic() + timeout
        while len(data) < _READ_LIMIT and b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        if not data:
            return "refused", "no answer to a plain HTTP request"
    except OSError as exc:
        if not data:
            return "refused", f"connection closed on a plain HTTP request ({net.ssl_reason(exc)})"
    finally:
        sock.close()
    if not data:
        return "refused", "connection closed without an answer to a plain HTTP request"
    if data[:1] == b"\x15":
        return "refused", "answered with a TLS alert (TLS only)"
    if not data.startswith(b"HTTP/"):
        return "refused", f"no HTTP answer ({len(data)} bytes that are not HTTP)"
    status_line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = status_line.split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers_text = data.split(b"\r\n\r\n", 1)[0].decode("latin-1", "replace").lower()
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    if status == 400:
        # nginx (and most TLS servers) answer a plain request on a TLS port with 400
        hint = " (plain HTTP request was sent to HTTPS port)" if b"https port" in body.lower() else ""
        return "refused", f"refused with '{status_line}'{hint}"
    if 300 <= status < 400:
        location = next(
            (
                line.split(":", 1)[1].strip()
                for line in headers_text.splitlines()
                if line.startswith("location:")
            ),
            "",
        )
        if location.startswith("https://"):
            return "refused", f"redirects to HTTPS ('{status_line}', Location {location})"
    return "served", f"answered plain HTTP with '{status_line}'"


def plain_http_step(name: str, target: Target, address: str, port: int, timeout: float) -> Step:
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if port == 80 else f"{host}:{port}"
    verdict, detail = plain_http_probe(address, port, host_header, timeout)
    where = hostport(address, port)
    if verdict == "served":
        return Step(
            name,
            FAIL,
            f"{where} serves plain HTTP: {detail}; requests and keys would cross the network unencrypted",
            "serve only HTTPS: remove the plain 'listen' (gateway renders TLS only), expose only 443 "
            "(ACI ports / load balancer rules) and never publish the scorer's own port",
        )
    if verdict == "unreachable":
        if name == "http-port":
            return Step(name, PASS, f"{where}: {detail}")
        return Step(name, WARN, f"{where}: {detail}", "run verify again; the TCP step connected a moment ago")
    return Step(name, PASS, f"{where}: {detail}")


def _parse_hsts(value: str) -> int | None:
    for part in value.split(";"):
        key, _, raw = part.strip().partition("=")
        if key.strip().lower() == "max-age":
            with contextlib.suppress(ValueError):
                return int(raw.strip().strip('"'))
    return None


def hsts_step(response: Response | None) -> Step:
    if response is None:
        return Step("hsts", SKIP, "no HTTPS response to inspect")
    value = response.headers.get("strict-transport-security")
    fix = "add 'Strict-Transport-Security: max-age=63072000' to every HTTPS response (the gateway does)"
    if not value:
        return Step(
            "hsts",
            FAIL,
            f"the HTTPS response ({response.status}) has no Strict-Transport-Security header",
            fix,
        )
    max_age = _parse_hsts(value)
    if max_age is None or max_age <= 0:
        return Step("hsts", FAIL, f"Strict-Transport-Security '{value}' has no positive max-age", fix)
    if max_age < HSTS_MIN_RECOMMENDED:
        return Step(
            "hsts",
            WARN,
            f"Strict-Transport-Security '{value}': max-age {max_age} s is under 180 days",
            "use max-age=63072000 (two years)",
        )
    return Step("hsts", PASS, f"Strict-Transport-Security: {value}")
