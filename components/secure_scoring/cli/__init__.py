"""The ``secure-scoring`` command. A thin layer over the library; every subcommand imports lazily."""

from __future__ import annotations

import argparse
import importlib
import sys

# (subcommand, module under secure_scoring.cli). Each module defines ``register(subparsers)`` which adds
# its parser and sets ``handler`` to a ``run(args) -> int`` callable. Modules import only argparse at
# import time; heavy imports (cryptography, pulumi, ...) happen inside ``run``.
SUBCOMMANDS = (
    ("cert", "secure_scoring.cli.cert"),
    ("check", "secure_scoring.cli.check"),
    ("serve-local", "secure_scoring.cli.serve_local"),
    ("verify", "secure_scoring.cli.verify"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secure-scoring",
        description="TLS, DNS and authentication for Azure ML scoring endpoints: inspect certificates, "
        "gate Pulumi programs offline, run the gateway locally, verify a live endpoint.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _name, module in SUBCOMMANDS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a subcommand not built yet
            if exc.name != module:
                raise
            continue
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..errors import SecureScoringError, UsageError

    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args) or 0)
    except UsageError as exc:
        print(f"secure-scoring {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except SecureScoringError as exc:
        print(f"secure-scoring {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
