"""``secure-scoring pre-commit``: entry points of the hooks in ``.pre-commit-hooks.yaml``.

pre-commit passes the hook's ``args`` and then the staged file names; ``cert check`` takes one
``--cert`` file, so ``cert-check`` runs it once per file with the same options and exits with the
worst exit code. The offline gate hook needs no adapter (``secure-scoring check``).
"""

from __future__ import annotations

import argparse

# options passed through to `secure-scoring cert check` unchanged: (option, repeatable)
CERT_OPTIONS = (("--hostname", True), ("--ca-bundle", True), ("--environment", False), ("--min-days", False))


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pre-commit",
        help="entry points of the pre-commit hooks (see .pre-commit-hooks.yaml)",
        description="Entry points of the secure-scoring pre-commit hooks.",
    )
    sub = p.add_subparsers(dest="pre_commit_command", metavar="HOOK", required=True)
    cert = sub.add_parser(
        "cert-check",
        help="`secure-scoring cert check` on each certificate bundle given",
        description="Run `secure-scoring cert check --cert FILE` on each FILE with the options given; "
        "exit with the worst exit code (0 usable, 1 an error found, 2 usage).",
    )
    for option, repeatable in CERT_OPTIONS:
        cert.add_argument(
            option,
            action="append" if repeatable else "store",
            default=[] if repeatable else None,
            help=f"passed to cert check ({option}{' ..., repeatable' if repeatable else ''})",
        )
    cert.add_argument("files", nargs="*", metavar="FILE", help="certificate bundles (PEM)")
    cert.set_defaults(handler=run_cert_check)


def cert_check_argv(args: argparse.Namespace, path: str) -> list[str]:
    """The ``secure-scoring cert check`` command line for one bundle."""
    argv = ["cert", "check", "--cert", path]
    for option, repeatable in CERT_OPTIONS:
        value = getattr(args, option[2:].replace("-", "_"))
        for item in value if repeatable else [value] if value is not None else []:
            argv += [option, item]
    return argv


def run_cert_check(args: argparse.Namespace) -> int:
    from . import main

    worst = 0
    for path in args.files:
        print(f"== {path}", flush=True)
        worst = max(worst, main(cert_check_argv(args, path)))
    return worst
