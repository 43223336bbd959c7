"""The verifier's driver: :func:`verify` checks the inputs, then runs the steps in a client's order."""

from __future__ import annotations

import contextlib
import json
import ssl
import time
from datetime import UTC, datetime
from pathlib import Path

from .. import names
from ..errors import UsageError
from . import net
from .auth import auth_steps, credential_problem
from .dns import dns_step
from .http import hsts_step, plain_http_step
from .report import FAIL, PASS, SKIP, STEP_NAMES, Step, VerifyReport
from .target import DnsServer, as_ip, hostport, parse_dns_server, parse_url
from .tls import tls_steps
from .versions import versions_step

__all__ = ["DEFAULT_DEADLINE", "PROBE_BODY", "probe_body", "verify"]

#: seconds the whole run may take by default (a dozen requests of --timeout 5 each, with room)
DEFAULT_DEADLINE = 60.0
#: the body of the authentication probes unless ``data`` is given
PROBE_BODY = b"{}"
_MAX_DATA = 1_000_000


def verify(
    url: str,
    *,
    expect_ip: str | None = None,
    expect_target: str | None = None,
    ca_bundle: str | Path | None = None,
    key: str | None = None,
    token: str | None = None,
    dns_server: str | DnsServer | None = None,
    timeout: float = 5.0,
    min_days: int = 30,
    http_port: int | None = None,
    connect_to: str | None = None,
    now: datetime | None = None,
    deadline: float | None = DEFAULT_DEADLINE,
    data: bytes | str | None = None,
) -> VerifyReport:
    """Check the endpoint at ``url`` and return the report (never raises for a network problem).

    ``connect_to``: an IP address to check instead of resolving the URL's host (like curl's
    ``--resolve``), e.g. a new endpoint before DNS points at it; the ``dns`` step is skipped and the
    URL's host is still used for SNI, the certificate check and ``Host``.

    ``timeout`` bounds each lookup, connection and request as a whole (a server that drips its answer
    one byte at a time is cut off); ``deadline`` bounds the whole run: steps that could not run
    before it are reported as skipped, and the run fails (None: no run deadline). ``data``: the JSON
    body of the authentication probes (default ``{}``; a scorer that rejects ``{}`` answers 4xx/5xx
    with the key).

    Raises :class:`~secure_scoring.errors.UsageError` for bad input: an invalid URL, IP, DNS server,
    an unreadable or empty CA bundle, both a key and a token.
    """
    target = parse_url(url)
    if connect_to is not None:
        if as_ip(connect_to) is None:
            raise UsageError("--connect-to", f"{connect_to!r} is not an IP address", "pass e.g. 20.50.1.2")
        if expect_ip is not None or expect_target is not None or dns_server is not None:
            raise UsageError(
                "--connect-to",
                "cannot be combined with --expect-ip, --expect-target or --dns-server (no DNS lookup is made)",
                "drop --connect-to to check DNS, or drop the DNS options",
            )
    if expect_ip is not None and expect_target is not None:
        raise UsageError("--expect-ip/--expect-target", "give one of them, not both", "keep the one you know")
    if expect_ip is not None and as_ip(expect_ip) is None:
        raise UsageError("--expect-ip", f"{expect_ip!r} is not an IP address", "pass e.g. 20.50.1.2")
    if expect_target is not None:
        try:
            expect_target = names.normalize(expect_target, allow_ip=False, allow_underscore=True)
        except names.InvalidHostname as e:
            raise UsageError("--expect-target", e.problem, e.fix) from None
    if key is not None and token is not None:
        raise UsageError(
            "--key/--token", "give a key or a token, not both", "an endpoint has exactly one auth mode"
        )
    credential, kind = (key, "key") if key is not None else (token, "token")
    if credential is not None:
        if not credential or any(c in credential for c in "\r\n\0"):
            raise UsageError(
                f"--{kind}", "is empty or contains a line break", f"pass the {kind} exactly as issued"
            )
        problem = credential_problem(credential)
        if problem:
            raise UsageError(f"--{kind}", problem, f"pass the {kind} exactly as issued")
    if not isinstance(timeout, int | float) or timeout <= 0 or timeout > 300:
        raise UsageError(
            "--timeout", f"must be a number of seconds from 0 to 300, got {timeout!r}", "use e.g. 5"
        )
    if deadline is not None and (not isinstance(deadline, int | float) or not 0 < deadline <= 3600):
        raise UsageError(
            "--deadline", f"must be a number of seconds from 0 to 3600, got {deadline!r}", "use e.g. 60"
        )
    body = probe_body(data)
    if not isinstance(min_days, int) or min_days < 0:
        raise UsageError("--min-days", f"must be a whole number of days ≥ 0, got {min_days!r}", "use e.g. 30")
    if http_port is not None and not 1 <= int(http_port) <= 65535:
        raise UsageError("--http-port", f"{http_port} is not a port", "use e.g. 80")
    bundle = _check_ca_bundle(ca_bundle)
    server = parse_dns_server(dns_server) if isinstance(dns_server, str) else dns_server
    now = now or datetime.now(UTC)

    report = VerifyReport(url=target.url)
    started = time.monotonic()
    # DeadlineReached between two requests: the rest is skipped below
    with net.run_deadline(deadline), contextlib.suppress(net.DeadlineReached):
        _run(
            report,
            target,
            connect_to,
            server,
            expect_ip,
            expect_target,
            bundle,
            credential,
            kind,
            timeout,
            min_days,
            http_port,
            body,
            now,
        )
    if deadline is not None and time.monotonic() - started >= deadline:
        _skip_rest(report, f"not run: the run's deadline (--deadline {deadline:g} s) was reached", http_port)
        report.steps.append(
            Step(
                "deadline",
                FAIL,
                f"the run did not finish within --deadline {deadline:g} s (each request may take up to "
                f"--timeout {timeout:g} s): the endpoint answers too slowly, or not at all",
                "check the endpoint's logs (a hung or overloaded gateway or scorer); raise --deadline only "
                "if the endpoint is known to be that slow",
            )
        )
    return report


def probe_body(data: bytes | str | None) -> bytes:
    """The probe body: ``data`` (JSON text, or ``@file``) or ``{}``. Raises :class:`UsageError`."""
    if data is None:
        return PROBE_BODY
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    fix = "pass the JSON body your scorer takes, e.g. --data '{\"data\": [[1, 2, 3]]}' or --data @sample.json"
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError("--data", f"cannot read {path}: {exc.strerror or exc}", fix) from None
    else:
        raw = text.encode("utf-8")
    if len(raw) > _MAX_DATA:
        raise UsageError("--data", f"is {len(raw)} bytes; the probe body may be at most 1 MB", fix)
    try:
        json.loads(raw)
    except ValueError as exc:
        raise UsageError("--data", f"is not JSON ({exc})", fix) from None
    return raw


def _run(
    report: VerifyReport,
    target,
    connect_to: str | None,
    server,
    expect_ip: str | None,
    expect_target: str | None,
    bundle: str | None,
    credential: str | None,
    kind: str,
    timeout: float,
    min_days: int,
    http_port: int | None,
    body: bytes,
    now: datetime,
) -> None:
    if connect_to is not None:
        address = as_ip(connect_to)
        first = Step(
            "dns",
            SKIP,
            f"not looked up: checking {address} as given (--connect-to); {target.host} is used for "
            + ("the certificate and Host" if target.host_is_ip else "SNI, the certificate and Host"),
        )
    else:
        first, address = dns_step(target, server, expect_ip, expect_target, timeout)
    report.steps.append(first)
    if address is None:
        _skip_rest(report, "nothing was contacted: the DNS step failed", http_port)
        return

    started = time.monotonic()
    try:
        net.connect(address, target.port, timeout).close()
    except net.DeadlineReached:
        raise  # not tried: the rest is skipped (not "cannot connect")
    except OSError as exc:
        report.steps.append(
            Step(
                "tcp",
                FAIL,
                f"cannot connect to {hostport(address, target.port)}: {net.ssl_reason(exc)}",
                f"check that the endpoint is running and that port {target.port} is open to you (ACI exposes "
                "443; on AKS the load balancer and network security group must allow it)",
            )
        )
        _skip_rest(report, "no TCP connection", http_port)
        return
    report.steps.append(
        Step(
            "tcp",
            PASS,
            f"connected to {hostport(address, target.port)} in {(time.monotonic() - started) * 1000:.0f} ms",
        )
    )

    tls = tls_steps(target, address, bundle, timeout, min_days, now)
    report.steps.extend(tls.steps)
    report.steps.append(versions_step(target, address, timeout, handshake_failed=tls.http_context is None))
    report.steps.append(plain_http_step("plain-http", target, address, target.port, timeout))
    if http_port is not None:
        report.steps.append(plain_http_step("http-port", target, address, int(http_port), timeout))
    if tls.http_context is None:
        for name in ("auth-no-credential", "auth-wrong-credential", "auth-credential", "hsts"):
            report.steps.append(Step(name, SKIP, "no TLS handshake"))
        return
    auth, response = auth_steps(target, address, tls, credential, kind, timeout, body=body)
    report.steps.extend(auth)
    report.steps.append(hsts_step(response))
    return


def _skip_rest(report: VerifyReport, why: str, http_port: int | None) -> None:
    done = {s.name for s in report.steps}
    for name in STEP_NAMES:
        if name in done or (name == "http-port" and http_port is None):
            continue
        report.steps.append(Step(name, SKIP, why))


def _check_ca_bundle(ca_bundle: str | Path | None) -> str | None:
    if ca_bundle is None:
        return None
    path = Path(ca_bundle)
    fix = "pass a readable PEM file with the CA certificate(s) to trust (the root of your private CA)"
    if not path.is_file():
        raise UsageError("--ca-bundle", f"{path} does not exist or is not a file", fix)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError("--ca-bundle", f"cannot read {path}: {exc.strerror or exc}", fix) from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise UsageError("--ca-bundle", f"{path} holds no PEM certificate", fix)
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError) as exc:
        raise UsageError(
            "--ca-bundle", f"{path} is not a usable PEM bundle ({net.ssl_reason(exc)})", fix
        ) from None
    return str(path)
