"""``secure-scoring verify URL``: check a live scoring endpoint after a deploy, a renewal or a DNS change.

Imports only the standard library at import time; the verifier (dnspython, ``cryptography``) is
imported inside ``run``. Never imports Pulumi.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import whole_number

KEY_ENV = "SECURE_SCORING_KEY"
TOKEN_ENV = "SECURE_SCORING_TOKEN"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check a live endpoint: DNS, TLS, certificate, protocol floor, plain HTTP, auth, HSTS",
        description=(
            "Check a live scoring endpoint the way a client reaches it: DNS (CNAME chain, TTLs, expected "
            "address or target), TCP, TLS handshake and certificate (chain, hostname, expiry), TLS 1.0/1.1 "
            "refused and TLS 1.2 accepted, no plain HTTP, 401 without a credential and not 401 with the "
            "given key or token, HSTS. Every connection goes to the address DNS returned; the key is sent "
            "only once the certificate verified. Exit 0 when no step fails, 1 when any step fails, 2 on a "
            "usage error."
        ),
        epilog=(
            f"Keys stay out of shell history when passed through the environment: {KEY_ENV} "
            f"(or {TOKEN_ENV}). Steps, JSON shape and fixes: see the project docs (docs/verify.md in "
            "the source)."
        ),
    )
    parser.add_argument(
        "url",
        metavar="URL",
        help="the scoring URL clients use, https://HOST[:PORT][/PATH]; PATH (default /score) is the route "
        "probed for authentication",
    )
    expect = parser.add_mutually_exclusive_group()
    expect.add_argument("--expect-ip", metavar="IP", help="fail unless HOST resolves to exactly this address")
    expect.add_argument(
        "--expect-target",
        metavar="FQDN",
        help="fail unless HOST's CNAME chain reaches this name (e.g. the ACI FQDN)",
    )
    parser.add_argument(
        "--connect-to",
        metavar="IP",
        help="check this address instead of resolving HOST (like curl --resolve), e.g. a new endpoint "
        "before DNS points at it; HOST is still used for SNI, the certificate and Host",
    )
    parser.add_argument(
        "--ca-bundle",
        metavar="FILE",
        help="PEM file with the CA certificate(s) to trust instead of the system's trust store",
    )
    cred = parser.add_mutually_exclusive_group()
    cred.add_argument(
        "--key",
        metavar="KEY",
        help=f"endpoint key sent as 'Authorization: Bearer KEY' (prefer the {KEY_ENV} environment variable)",
    )
    cred.add_argument(
        "--token",
        metavar="TOKEN",
        help=f"AKS token sent as 'Authorization: Bearer TOKEN' (or {TOKEN_ENV})",
    )
    parser.add_argument(
        "--dns-server",
        metavar="IP[:PORT]",
        help="ask this DNS server (e.g. the zone's authoritative server) instead of the system resolver",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=5.0,
        metavar="S",
        help="seconds allowed for each lookup, connection and request, as a whole (default: 5)",
    )
    parser.add_argument(
        "--deadline",
        type=_run_seconds,
        default=60.0,
        metavar="S",
        help="seconds the whole run may take; steps not run by then are skipped and the run fails (default: 60)",
    )
    parser.add_argument(
        "--data",
        metavar="JSON|@FILE",
        help="the JSON body of the authentication probes (default: {}), inline or @file: a request your "
        "scorer takes, so the probe with the key gets a 2xx",
    )
    parser.add_argument(
        "--min-days",
        type=_days,
        default=30,
        metavar="N",
        help="warn when the certificate expires within N days (default: 30)",
    )
    parser.add_argument(
        "--check-port-80",
        action="store_true",
        help="also check that port 80 of the same address serves no plain HTTP (a redirect to https is fine)",
    )
    parser.add_argument("--http-port", type=_port, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    parser.set_defaults(handler=run)


def _seconds_up_to(maximum: int):  # -> argparse type
    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
        if not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(
                f"expected more than 0 and at most {maximum} seconds, got {text}"
            )
        return value

    return seconds


_seconds = _seconds_up_to(300)
_run_seconds = _seconds_up_to(3600)


_days = whole_number(0, 36500, what="a whole number of days", unit=" days")


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return int(text)


def _credential(args: argparse.Namespace) -> tuple[str | None, str | None]:
    from ..errors import UsageError
    from ..verify import credential_problem

    if args.key is not None or args.token is not None:
        return args.key, args.token
    key, token = os.environ.get(KEY_ENV), os.environ.get(TOKEN_ENV)
    for name, value in ((KEY_ENV, key), (TOKEN_ENV, token)):
        if value is not None and not value.strip():
            # like --key "": an empty credential is a mistake (a failed secret lookup), not "no key"
            raise UsageError(
                name,
                "is set but empty",
                f"put the {'key' if name == KEY_ENV else 'token'} in it, or unset it "
                f"(unset {name}) to check without a credential",
            )
        if value is not None and any(c in value for c in "\r\n\0"):
            raise UsageError(name, "contains a line break", "set it to the credential exactly as issued")
        problem = credential_problem(value) if value is not None else None
        if problem:
            raise UsageError(name, problem, "set it to the credential exactly as issued")
    if key is not None and token is not None:
        raise UsageError(
            f"{KEY_ENV}/{TOKEN_ENV}",
            "both are set",
            "unset one of them (an endpoint has exactly one auth mode), or pass --key/--token",
        )
    return key, token


def run(args: argparse.Namespace) -> int:
    from ..errors import SecureScoringError
    from ..verify import format_json, format_text, verify

    key, token = _credential(args)
    http_port = args.http_port if args.http_port is not None else (80 if args.check_port_80 else None)
    try:
        report = verify(
            args.url,
            expect_ip=args.expect_ip,
            expect_target=args.expect_target,
            ca_bundle=args.ca_bundle,
            key=key,
            token=token,
            dns_server=args.dns_server,
            timeout=args.timeout,
            min_days=args.min_days,
            http_port=http_port,
            connect_to=args.connect_to,
            deadline=args.deadline,
            data=args.data,
        )
    except SecureScoringError:
        raise
    except Exception as exc:  # a bug must not show a traceback (or anything derived from the key)
        message = str(exc)
        if any(s and s in message for s in (key, token)):
            message = "(message withheld: it contains the credential)"
        raise SecureScoringError(
            "verify",
            f"unexpected {type(exc).__name__} while checking {args.url}: {message}",
            "report this as a bug with the command line (without the key)",
        ) from None
    secrets = [s for s in (key, token) if s and len(s) >= 8]
    text = format_json(report) if args.format == "json" else format_text(report)
    for secret in secrets:  # defence in depth: no step prints the credential, but never let one slip
        text = text.replace(secret, "[redacted]")
    sys.stdout.write(text + "\n")
    return report.exit_code
