"""``secure-scoring cert check``: inspect a certificate chain and key before deploying them.

Imports only the standard library at import time; the inspector (and ``cryptography``) is imported
inside ``run`` so ``secure-scoring --help`` stays fast. Never imports Pulumi.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..facts import PRODUCTION_NAMES
from . import whole_number

MAX_INPUT_BYTES = 5 * 1024 * 1024  # a certificate chain is a few KiB; refuse to slurp a wrong 4 GB file
ENVIRONMENTS = ("dev", "staging", *PRODUCTION_NAMES)


def register(subparsers: Any) -> None:
    cert = subparsers.add_parser(
        "cert",
        help="inspect TLS certificates and keys",
        description="Inspect TLS certificates and keys for Azure ML scoring endpoints.",
    )
    cert.set_defaults(handler=_missing_subcommand)
    sub = cert.add_subparsers(dest="cert_command", metavar="SUBCOMMAND")
    check = sub.add_parser(
        "check",
        help="check a certificate chain and key (PEM) before a deploy or a renewal",
        description=(
            "Check a certificate chain and its private key: PEM format, key match, validity window, "
            "hostname coverage (RFC 6125 wildcards, SAN only), chain order and completeness, key and "
            "signature strength, self-signed, CA:TRUE leaf, serverAuth usage. Exit 0 when usable "
            "(warnings allowed), 1 when any error is found, 2 on a usage error."
        ),
        epilog="Finding codes and fixes: see the project docs (docs/cert-check.md in the source).",
    )
    check.add_argument(
        "--cert", required=True, metavar="FILE", help="certificate chain, PEM, leaf first ('-' = stdin)"
    )
    check.add_argument(
        "--key",
        metavar="FILE",
        help="private key, PEM, unencrypted ('-' = stdin); without it the key is not checked",
    )
    check.add_argument(
        "--hostname",
        action="append",
        default=[],
        metavar="HOST",
        help="a hostname clients use (repeatable); each must be covered by the certificate's SAN",
    )
    check.add_argument(
        "--ca-bundle",
        action="append",
        default=[],
        metavar="FILE",
        help="trust anchors: PEM root (or intermediate) certificates the chain must lead to, e.g. mkcert's "
        "rootCA.pem (repeatable; default: the system trust store)",
    )
    check.add_argument(
        "--at",
        metavar="TIME",
        help="judge validity at this instant, ISO 8601 (e.g. 2026-05-01T12:00:00Z); default: now",
    )
    check.add_argument(
        "--environment",
        default="dev",
        type=str.lower,
        choices=ENVIRONMENTS,
        help="target environment; a self-signed certificate or an unknown issuer is an error in production "
        "(default: dev)",
    )
    check.add_argument(
        "--min-days",
        type=whole_number(0, 36500, what="a whole number of days", unit=" days"),
        default=30,
        metavar="N",
        help="warn when a certificate expires within N days (default: 30)",
    )
    check.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    check.add_argument("--now", metavar="ISO8601", help=argparse.SUPPRESS)  # testing: pretend it is this time
    check.set_defaults(handler=run)


def _missing_subcommand(args: argparse.Namespace) -> int:
    from ..errors import UsageError

    raise UsageError(
        "SUBCOMMAND",
        "missing (the only one is 'check')",
        "run 'secure-scoring cert check --cert chain.pem --key key.pem --hostname HOST'",
    )


def _read(option: str, path: str, stdin_used: list[bool]) -> bytes:
    from ..errors import UsageError

    if path == "-":
        if stdin_used[0]:
            raise UsageError(option, "standard input ('-') can be used for only one file", "pass a file path")
        stdin_used[0] = True
        return sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    file = Path(path)
    what = "certificate chain (PEM, leaf first)" if option == "--cert" else "private key (PEM, unencrypted)"
    try:
        if file.is_dir():
            raise UsageError(option, f"'{path}' is a directory", f"pass the file that holds the {what}")
        with file.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except UsageError:
        raise
    except FileNotFoundError:
        raise UsageError(option, f"file '{path}' does not exist", f"pass the path of the {what}") from None
    except PermissionError:
        raise UsageError(
            option, f"file '{path}' cannot be read (permission denied)", "check its permissions"
        ) from None
    except (OSError, ValueError) as exc:
        raise UsageError(
            option, f"file '{path}' cannot be read ({exc.__class__.__name__}: {exc})", f"pass the {what}"
        ) from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(
            option,
            f"'{path}' is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB, far too large for a {what}",
            "pass the right file",
        )
    return data


def _parse_now(text: str | None):
    from datetime import UTC, datetime

    from ..errors import UsageError

    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            "--now", f"'{text}' is not an ISO 8601 date-time", "use e.g. 2026-11-23T12:00:00Z"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _instant(at: str | None, now: str | None):
    """``--at`` (or the hidden ``--now`` of the tests): the validation instant, UTC; default now."""
    if at is None:
        return _parse_now(now)
    from ..certs.trust import InvalidTrustInput, parse_at
    from ..errors import UsageError

    try:
        return parse_at(at)
    except InvalidTrustInput as e:
        raise UsageError("--at", e.problem, e.fix) from None


def trust_anchors(paths: list[str]) -> Any:
    """The ``--ca-bundle`` files, or the system trust store without one; UsageError for a bad file
    (``cert check``, ``serve-local`` and ``verify`` read the option the same way)."""
    from ..certs.trust import InvalidTrustInput, TrustAnchors
    from ..errors import UsageError

    if not paths:
        return TrustAnchors.system()
    try:
        return TrustAnchors.from_files(paths)
    except InvalidTrustInput as e:
        raise UsageError("--ca-bundle", e.problem, e.fix) from None


def _check_hostnames(hostnames: list[str]) -> list[str]:
    """The ``--hostname`` values in canonical form (:mod:`secure_scoring.names`); UsageError otherwise."""
    from .hosts import parse_option_host

    return [str(parse_option_host("--hostname", host, certificate_name=True)) for host in hostnames]


def run(args: argparse.Namespace) -> int:
    from ..certs.pem import inspect_bundle

    hostnames = _check_hostnames(list(args.hostname or []))
    now = _instant(args.at, args.now)
    anchors = trust_anchors(list(args.ca_bundle or []))
    stdin_used = [False]
    cert_data = _read("--cert", args.cert, stdin_used)
    key_data = _read("--key", args.key, stdin_used) if args.key is not None else None
    report = inspect_bundle(
        cert_data,
        key_data,
        hostname=hostnames,
        environment=args.environment,
        min_days=args.min_days,
        now=now,
        cert_name="standard input" if args.cert == "-" else args.cert,
        key_name="standard input" if args.key == "-" else (args.key or "the key file"),
        anchors=anchors,
    )
    if args.format == "json":
        import json

        doc = report.to_dict()
        doc["hostnames_checked"] = hostnames
        doc["environment"] = args.environment
        doc["min_days"] = args.min_days
        doc["checked_at"] = now.isoformat()
        doc["trust_anchors"] = anchors.describe()
        doc["trust"] = report.trust  # public-store | declared-ca | unknown (certs.path)
        doc["trusted_chain"] = report.trusted_chain
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(report, hostnames=hostnames, environment=args.environment))
    return 0 if report.ok else 1


def render_text(report: Any, *, hostnames: list[str], environment: str) -> str:
    """One line per finding with its fix hint indented below, then a summary and the verdict."""
    lines: list[str] = []
    for finding in report.findings:
        lines.append(f"{finding.severity.upper()} {finding.code}: {finding.message}")
        lines.append(f"    fix: {finding.fix}")
    parts: list[str] = []
    leaf = report.leaf
    if leaf is not None:
        count = len(report.chain)
        parts.append(
            f"{leaf.subject} ({leaf.key_description}, issued by {leaf.issuer}, "
            f"chain of {count} certificate{'s' if count != 1 else ''})"
        )
        parts.append(f"SANs: {', '.join(leaf.hostnames) or 'none'}")
        days = report.days_left()
        when = leaf.not_after.strftime("%Y-%m-%d %H:%M UTC")
        if days is not None and leaf.not_after <= (report.checked_at or leaf.not_after):
            parts.append(f"expired {when} (days left: {days})")
        else:
            parts.append(f"expires {when} ({days} days left)")
    else:
        parts.append("no readable certificate")
    key_problem = any(
        f.code in ("no-key", "key-not-pem", "key-encrypted", "key-mismatch") for f in report.findings
    )
    if not report.key_given:
        parts.append("key: not checked (no --key given)")
    elif not report.key_checked:
        parts.append(
            "key: not usable (see the findings above)"
            if key_problem
            else "key: not checked against the certificate (no readable certificate)"
        )
    elif key_problem:
        parts.append("key: not usable (see the findings above)")
    else:
        parts.append("key: matches the leaf")
    if hostnames:
        parts.append(f"hostnames checked: {', '.join(hostnames)}")
    lines.append("summary: " + "; ".join(parts))
    errors, warnings = len(report.errors), len(report.warnings)
    if report.ok:
        tail = f" with {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
        verdict = f"verdict: OK, usable in {environment}{tail}"
    else:
        verdict = f"verdict: NOT USABLE, {errors} error{'s' if errors != 1 else ''}" + (
            f" and {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
        )
    lines.append(verdict)
    return "\n".join(lines) + "\n"
