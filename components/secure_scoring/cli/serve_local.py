"""``secure-scoring serve-local``: the real Azure ML inference server behind the production gateway, on 127.0.0.1.

Imports only the standard library at import time; the gateway, the launchers and the certificate
inspector are imported inside ``run``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from .. import tls_versions  # enum and re only: start-up stays light
from . import whole_number

DEFAULT_PORT = 8443


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve-local",
        help="run the Azure ML inference server behind the TLS/auth gateway on 127.0.0.1",
        description=(
            "Run your entry script in the real Azure ML inference server (azureml-inference-server-http) "
            "on 127.0.0.1, behind nginx with the same TLS/authentication configuration SecureAciService "
            "deploys (only the listen address/port and file paths differ). Prints the URL and the two "
            "keys; SIGUSR1/SIGUSR2 replace the primary/secondary key with a graceful reload; Ctrl-C or "
            "SIGTERM stops both servers."
        ),
        epilog="More: docs/serve-local.md",
    )
    parser.add_argument(
        "--entry-script", required=True, metavar="FILE", help="scoring script with init() and run()"
    )
    parser.add_argument("--cert", required=True, metavar="FILE", help="certificate chain, PEM, leaf first")
    parser.add_argument("--key", required=True, metavar="FILE", help="private key, PEM, unencrypted")
    parser.add_argument(
        "--ca-bundle",
        action="append",
        default=[],
        metavar="FILE",
        help="the CA certificate(s) your clients trust, PEM (e.g. rootCA.pem in `mkcert -CAROOT`; "
        "repeatable): the chain is verified against them as cert check does (default: the system trust "
        "store; an unknown issuer is a warning)",
    )
    parser.add_argument(
        "--auth",
        default="key",
        type=str.lower,
        choices=("key", "none", "token"),
        help="authentication: key (two generated keys, default) or none; token exists only on AKS",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"HTTPS port on 127.0.0.1 (default: {DEFAULT_PORT}; 0 picks a free port)",
    )
    parser.add_argument("--model-dir", metavar="DIR", help="model directory, exported as AZUREML_MODEL_DIR")
    parser.add_argument(
        "--hostname",
        action="append",
        default=[],
        metavar="HOST",
        help="name clients use (repeatable); each must be covered by the certificate "
        "(default: the certificate's first DNS name)",
    )
    parser.add_argument(
        "--workers", type=_workers, default=1, metavar="N", help="inference server workers (default: 1)"
    )
    parser.add_argument(
        "--min-tls-version",
        choices=tls_versions.SUPPORTED_FLOORS,
        default=tls_versions.DEFAULT_FLOOR,
        help=f"TLS floor (default: {tls_versions.DEFAULT_FLOOR})",
    )
    parser.add_argument(
        "--max-body-size", default="10m", metavar="SIZE", help="largest request body (default: 10m)"
    )
    parser.add_argument(
        "--timeout", type=_positive, default=60, metavar="S", help="seconds the scorer may take (default: 60)"
    )
    parser.set_defaults(handler=run)


_port = whole_number(0, 65535, what="a port number")
_positive = whole_number(1, 3600)  # seconds
# inference server workers: each is a process that loads the model, so a handful, not thousands
_workers = whole_number(1, 64)


def _read_text(option: str, path: str) -> str:
    from ..errors import UsageError

    file = Path(path)
    try:
        if file.is_dir():
            raise UsageError(option, f"'{path}' is a directory", "pass a PEM file")
        data = file.read_bytes()[: 5 * 1024 * 1024 + 1]
    except UsageError:
        raise
    except FileNotFoundError:
        raise UsageError(option, f"file '{path}' does not exist", "pass the path of the PEM file") from None
    except OSError as exc:
        raise UsageError(option, f"file '{path}' cannot be read ({exc.strerror})", "check the path") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            option,
            f"'{path}' is not PEM text (binary data)",
            "convert it: secure-scoring cert check explains how",
        ) from None


def _inspect(
    cert: str, key: str, hostnames: list[str], args: argparse.Namespace
) -> tuple[list[str], bool, list[str]]:
    """Check the bundle with the same inspector as ``cert check``; return (hostnames, private_ca, warnings)."""
    from ..dataplane.local import LocalServerError

    try:
        from ..certs.pem import inspect_bundle
    except ImportError:  # pragma: no cover - the inspector ships with the package
        return hostnames or ["localhost"], True, []
    from .cert import trust_anchors

    report = inspect_bundle(
        cert,
        key,
        hostname=hostnames or None,
        cert_name=args.cert,
        key_name=args.key,
        environment="dev",
        anchors=trust_anchors(list(getattr(args, "ca_bundle", None) or [])),
    )
    if not report.ok:
        lines = "\n".join(f"  {f.code}: {f.message} (fix: {f.fix})" for f in report.errors)
        raise LocalServerError(
            "--cert/--key",
            f"the certificate bundle is not usable:\n{lines}",
            "fix the findings above (details: secure-scoring cert check --cert ... --key ...)",
        )
    warnings = [f"{f.code}: {f.message}" + (f"\n    fix: {f.fix}" if f.fix else "") for f in report.warnings]
    leaf = report.leaf
    if not hostnames:
        names = [h for h in (leaf.hostnames if leaf else ()) if not h.startswith("*.")]
        hostnames = [_default_hostname(names) or "localhost"]
        if not names:
            raise LocalServerError(
                "--hostname",
                "the certificate names no usable DNS name or IP address (only wildcards or none)",
                "pass --hostname with a name the certificate covers",
            )
    return hostnames, _private_ca(cert), warnings


def _default_hostname(names: list[str]) -> str | None:
    """The name the banner uses when no ``--hostname`` is given: the certificate's first DNS name;
    for a certificate with addresses only, 127.0.0.1 (where serve-local listens) if it covers it,
    else its first address."""
    from ..names import is_ip

    dns = [n for n in names if not is_ip(n)]
    if dns:
        return dns[0]
    if "127.0.0.1" in names:
        return "127.0.0.1"
    return names[0] if names else None


def _client_hint(host: str, port: int) -> tuple[str, str]:
    """(base URL, curl option that makes ``host`` reach 127.0.0.1:port) for the banner.

    curl's ``--resolve`` applies to names only; an IP address (IPv6 in brackets) needs
    ``--connect-to``, which keeps the address as the name the certificate must cover."""
    from ..names import IpAddress, parse_host

    parsed = parse_host(host)
    url_host = parsed.url_form if isinstance(parsed, IpAddress) else str(parsed)
    url = f"https://{url_host}:{port}"
    if host in ("127.0.0.1", "localhost"):
        return url, ""
    if isinstance(parsed, IpAddress):
        return url, f"--connect-to {url_host}:{port}:127.0.0.1:{port} "
    return url, f"--resolve {host}:{port}:127.0.0.1 "


def _hostnames(values: list[str]) -> list[str]:
    """``--hostname`` values as nginx and the certificate check take them: the canonical form of
    :mod:`secure_scoring.names` (lower case, no trailing dot, internationalized names as A-labels:
    ``bücher.example.org`` -> ``xn--bcher-kva.example.org``), without repeats. A wildcard is
    refused: clients connect to one concrete name."""
    from .hosts import parse_option_host

    return list(dict.fromkeys(str(parse_option_host("--hostname", value)) for value in values))


def _private_ca(cert_pem: str) -> bool:
    """True when the leaf names no OCSP responder: stapling cannot work, turn it off (as for private CAs)."""
    try:
        from cryptography import x509
        from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

        leaf = x509.load_pem_x509_certificate(cert_pem.encode())
        aia = leaf.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
        return not any(d.access_method == AuthorityInformationAccessOID.OCSP for d in aia)
    except Exception:  # noqa: BLE001 - no AIA, or anything odd: no stapling
        return True


def run(args: argparse.Namespace) -> int:
    import secrets
    import signal
    import time

    from ..dataplane.gateway import GatewaySettings
    from ..dataplane.local import (
        InferenceServer,
        LocalServerError,
        NginxGateway,
        PortInUseError,
        exit_reason,
        find_inference_python,
        find_nginx,
        port_available,
    )
    from ..errors import ConfigurationError, SecureScoringError, UsageError

    if args.auth == "token":
        raise UsageError(
            "--auth",
            "token authentication exists only on AKS (Azure ML issues the tokens); "
            "the ACI gateway and serve-local support key or none",
            "use --auth key",
        )
    entry = Path(args.entry_script)
    if not entry.is_file():
        raise UsageError("--entry-script", f"'{entry}' is not a file", "pass your scoring script (score.py)")
    if args.model_dir is not None and not Path(args.model_dir).is_dir():
        raise UsageError("--model-dir", f"'{args.model_dir}' is not a directory", "pass the model directory")
    cert = _read_text("--cert", args.cert)
    key = _read_text("--key", args.key)
    hostnames, private_ca, warnings = _inspect(cert, key, _hostnames(args.hostname), args)

    # fail fast on missing parts, before anything starts
    find_nginx()
    python = find_inference_python()

    try:
        settings = GatewaySettings(
            hostnames=tuple(hostnames),
            auth_mode=args.auth,
            min_tls_version=args.min_tls_version,
            max_body_size=args.max_body_size,
            proxy_read_timeout_s=args.timeout,
            private_ca=private_ca,
        )
    except ConfigurationError as exc:
        option = {
            "gateway.hostnames": "--hostname",
            "gateway.max_body_size": "--max-body-size",
        }.get(exc.input_name, exc.input_name)
        raise UsageError(option, exc.problem, exc.fix) from None
    if args.port and not port_available(args.port):
        raise UsageError(
            "--port", f"127.0.0.1:{args.port} is already in use", "pick another port or use --port 0"
        )

    primary = secondary = None
    if args.auth == "key":
        primary, secondary = secrets.token_urlsafe(32), secrets.token_urlsafe(32)

    def on_sigterm(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    rotate: list[str] = []  # "primary" / "secondary", queued by SIGUSR1 / SIGUSR2

    def on_rotate(signum: int, frame: Any) -> None:
        rotate.append("primary" if signum == signal.SIGUSR1 else "secondary")

    previous_int = signal.getsignal(signal.SIGINT)
    # Ctrl-C (SIGINT) always stops serve-local, even when it was started with SIGINT ignored
    # (a background job of a non-interactive shell, as CI runners start commands)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    previous_usr = {sig: signal.signal(sig, on_rotate) for sig in (signal.SIGUSR1, signal.SIGUSR2)}
    scorer = InferenceServer(entry, model_dir=args.model_dir, worker_count=args.workers, python=python)
    gateway: NginxGateway | None = None
    out = sys.stdout
    failed = ""  # "scorer"/"gateway": keep the log of the server that died (key copies go in any case)
    try:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if args.auth == "none":
            print(
                "warning: --auth none: the endpoint is UNAUTHENTICATED, anyone who can reach it can "
                "score; production stacks forbid it (policy rule auth-required); use it only to try a client",
                file=sys.stderr,
            )
        print("starting the inference server ...", file=sys.stderr, flush=True)
        scorer.start()
        import dataclasses

        gateway = NginxGateway(
            dataclasses.replace(settings, upstream=scorer.address),
            cert_pem=cert,
            key_pem=key,
            primary_key=primary,
            secondary_key=secondary,
            port=args.port or None,
        )
        try:
            gateway.start()
        except PortInUseError as exc:  # taken after the check above
            raise SecureScoringError(
                "--port", f"{exc.address} is already in use", "pick another port or use --port 0"
            ) from None
        url, resolve = _client_hint(hostnames[0], gateway.port)
        out.write(f"scoring URL:   {url}/score\n")
        out.write(f"health:        {url}/ (no key)\n")
        out.write(
            f"listening:     127.0.0.1:{gateway.port} (TLS {settings.min_tls_version}+, auth {args.auth})\n"
        )
        if primary and secondary:
            out.write(f"primary key:   {primary}\n")
            out.write(f"secondary key: {secondary}\n")
            auth = '-H "Authorization: Bearer <primary key>" '
        else:
            auth = ""
        bundles = list(getattr(args, "ca_bundle", None) or [])
        # curl takes one --cacert file: the declared CA when there is one, else a placeholder
        cacert = shlex.quote(str(bundles[0])) if len(bundles) == 1 else "<CA bundle>"
        out.write(
            f"try:           curl --cacert {cacert} {resolve}{auth}"
            f"-H 'Content-Type: application/json' -d '{{\"data\": [1, 2]}}' {url}/score\n"
        )
        out.write(f"logs:          scorer {scorer.log_path}; gateway {gateway.error_log_path.parent}\n")
        if primary and secondary:
            out.write(
                f"rotate:        kill -USR1 {os.getpid()} (new primary key), kill -USR2 {os.getpid()} (new secondary)\n"
            )
        out.write("Press Ctrl-C to stop.\n")
        out.flush()
        while True:
            time.sleep(0.2)
            while rotate and primary and secondary:
                which = rotate.pop(0)
                if which == "primary":
                    primary = secrets.token_urlsafe(32)
                else:
                    secondary = secrets.token_urlsafe(32)
                gateway.rotate_keys(primary, secondary)
                out.write(f"{which} key rotated: {primary if which == 'primary' else secondary}\n")
                out.flush()
            if not scorer.running:
                failed = "scorer"
                raise LocalServerError(
                    "inference server",
                    f"it stopped unexpectedly ({exit_reason(scorer.returncode)}); last lines of its log "
                    f"{scorer.log_path} (kept):\n{scorer.log_tail()}",
                    "fix the cause in the log (the entry script, memory) and start serve-local again",
                )
            if not gateway.running:
                failed = "gateway"
                raise LocalServerError(
                    "gateway",
                    f"nginx stopped unexpectedly ({exit_reason(gateway.returncode)}); last lines of its log "
                    f"{gateway.error_log_path} (kept):\n{gateway.log_tail()}",
                    "fix the cause in the log and start serve-local again",
                )
    except KeyboardInterrupt:
        print("stopping ...", file=sys.stderr, flush=True)
        return 0
    finally:
        # the gateway first (no request reaches a stopping scorer), then the scorer; ignore a second Ctrl-C
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            if gateway is not None:
                gateway.stop(keep_logs=failed == "gateway")
            scorer.stop(keep_log=failed == "scorer")
        finally:
            signal.signal(signal.SIGTERM, previous)
            for sig, handler in previous_usr.items():
                signal.signal(sig, handler)
            signal.signal(signal.SIGINT, previous_int)
