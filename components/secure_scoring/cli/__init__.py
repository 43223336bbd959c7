"""The ``secure-scoring`` command. A thin layer over the library; every subcommand imports lazily."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from typing import NoReturn

from ..facts import version  # the installed version, or "unknown" (a source tree not installed)

# (subcommand, module under secure_scoring.cli). Each module defines ``register(subparsers)`` which adds
# its parser and sets ``handler`` to a ``run(args) -> int`` callable. Modules import only argparse at
# import time; heavy imports (cryptography, pulumi, ...) happen inside ``run``.
SUBCOMMANDS = (
    ("cert", "secure_scoring.cli.cert"),
    ("check", "secure_scoring.cli.check"),
    ("policy-pack", "secure_scoring.cli.policy_pack"),
    ("pre-commit", "secure_scoring.cli.pre_commit"),
    ("serve-local", "secure_scoring.cli.serve_local"),
    ("verify", "secure_scoring.cli.verify"),
)


class _VersionAction(argparse.Action):
    """``--version``: looks the version up only when asked (start-up stays fast)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)  # type: ignore[arg-type]

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        sys.stdout.write(f"{parser.prog} {version()}\n")
        parser.exit(0)


class _Parser(argparse.ArgumentParser):
    """argparse, with a fix line after an option error (the error names the option and the problem)."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\nFix: {_option_fix(self.prog, message)}\n")


def _option_fix(prog: str, message: str) -> str:
    """The fix line of an option error: for an option whose value is missing, how to give a value that
    starts with '-' (argparse takes it for an option: a key, about 1 in 64 of serve-local's, a negative
    number); else the help."""
    missing = re.match(r"argument (--[A-Za-z0-9-]+)(?:/-\w)?: expected one argument", message)
    if missing:
        option = missing.group(1)
        fix = (
            f"give {option} a value (see '{prog} --help'); a value that starts with '-' must be joined to the "
            f"option: {option}=VALUE"
        )
        if option in ("--key", "--token"):
            fix += (
                f" (or pass it in SECURE_SCORING_{option[2:].upper()}, which keeps it out of shell history)"
            )
        return fix
    return f"see '{prog} --help' for the options and their values"


def whole_number(low: int, high: int, *, what: str = "a whole number", unit: str = ""):  # -> argparse type
    """The argparse type of an integer option in ``low..high``: ``expected <what>, got 'x'`` for a text
    that is not one, ``expected <low>..<high><unit>, got N`` for one out of range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low}..{high}{unit}, got {value}")
        return value

    return parse


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def _no_abbreviations(parser: argparse.ArgumentParser) -> None:
    """``allow_abbrev=False`` on ``parser`` and every (nested) subcommand parser: '--check' must not
    silently mean '--check-port-80', and options added later cannot change what an abbreviation means."""
    parser.allow_abbrev = False
    action = _subparsers(parser)
    if action is not None:
        for child in action.choices.values():
            _no_abbreviations(child)


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost subcommand parser selected by ``args`` (``parser`` itself when none was)."""
    while True:
        action = _subparsers(parser)
        name = getattr(args, action.dest, None) if action is not None else None
        if action is None or name not in action.choices:
            return parser
        parser = action.choices[name]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="secure-scoring",
        description="TLS, DNS and authentication for Azure ML scoring endpoints: inspect certificates, "
        "gate Pulumi programs offline, run the gateway locally, verify a live endpoint.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _name, module in SUBCOMMANDS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a subcommand not built yet
            if exc.name != module:
                raise
            continue
        mod.register(sub)
    _no_abbreviations(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..errors import SecureScoringError, UsageError

    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # report it where it was typed: the subcommand's usage line and name
        _chosen_parser(parser, args).error(f"unrecognized arguments: {' '.join(extras)}")
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    prog = _chosen_parser(parser, args).prog  # 'secure-scoring cert check', as the option errors say
    try:
        return int(handler(args) or 0)
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except SecureScoringError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
