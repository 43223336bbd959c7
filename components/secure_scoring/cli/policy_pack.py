"""``secure-scoring policy-pack``: the policy pack for ``pulumi preview --policy-pack`` in your repository."""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  secure-scoring policy-pack init policy-pack          # once; commit the directory
  (cd policy-pack && pulumi install)                   # its virtualenv, from requirements.txt
  pulumi preview --policy-pack policy-pack
  (cd policy-pack && pulumi policy publish <org>)    # enforce it from Pulumi Cloud

  pulumi preview --policy-pack "$(secure-scoring policy-pack path)"   # no files of your own

docs: docs/policies.md ("Use the pack in your repository")
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "policy-pack",
        help="the policy pack for `pulumi preview --policy-pack`: write one (init) or print the installed one",
        description="The secure-scoring policy pack for the Pulumi CLI: `init DIR` writes a pack directory "
        "of your own (publishable, pins this secure-scoring); `path` prints the pack installed with the "
        "package (local previews).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(handler=lambda _args: _missing(p))
    sub = p.add_subparsers(dest="policy_pack_command", metavar="SUBCOMMAND")

    init = sub.add_parser(
        "init",
        help="write PulumiPolicy.yaml, __main__.py, requirements.txt and .gitignore into DIR",
        description="Write a policy pack directory that pins the installed secure-scoring: `pulumi install` "
        "there makes its virtualenv, `pulumi preview --policy-pack DIR` runs it, `pulumi policy publish` "
        "uploads it.",
    )
    init.add_argument("directory", metavar="DIR", help="the pack directory (created if missing)")
    init.add_argument(
        "--requirement",
        metavar="SPEC",
        help="the requirement line for secure-scoring in requirements.txt (default: the installed one: "
        "its git ref when installed from git, else secure-scoring==<version>)",
    )
    venv = init.add_mutually_exclusive_group()
    venv.add_argument(
        "--virtualenv",
        metavar="PATH",
        default="venv",
        help="runtime.options.virtualenv, relative to DIR (default: venv; e.g. ../.venv to reuse your "
        "project's virtualenv that has secure-scoring installed)",
    )
    venv.add_argument(
        "--no-virtualenv",
        dest="virtualenv",
        action="store_const",
        const=None,
        help="no virtualenv option: the Pulumi CLI runs python3 from PATH (or $PULUMI_PYTHON_CMD)",
    )
    init.add_argument("--force", action="store_true", help="overwrite the pack files DIR already has")
    init.set_defaults(handler=run_init)

    path = sub.add_parser(
        "path",
        help="print the directory of the pack installed with the package (read-only, not publishable)",
        description="Print the pack directory installed with secure-scoring, for "
        '`pulumi preview --policy-pack "$(secure-scoring policy-pack path)"`. The Pulumi CLI starts it '
        "with python3 from PATH (or $PULUMI_PYTHON_CMD): a note on stderr says when that is not this "
        "Python.",
    )
    path.set_defaults(handler=run_path)


def _missing(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..pulumi_pack import installed_requirement, pack_files, write_pack

    requirement = args.requirement or installed_requirement()
    target = Path(args.directory)
    written = write_pack(target, pack_files(requirement, args.virtualenv), force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(f"requirement: {requirement}")
    where = (
        f"(cd {target} && pulumi install)" if args.virtualenv else f"pip install -r {target}/requirements.txt"
    )
    print(f"next: {where}; pulumi preview --policy-pack {target}")
    return 0


def run_path(_args: argparse.Namespace) -> int:
    from ..pulumi_pack import directory

    print(directory())
    note = _interpreter_note()
    if note:
        print(note, file=sys.stderr)
    return 0


def _interpreter_note() -> str | None:
    """Say so when the Python the Pulumi CLI would pick (``$PULUMI_PYTHON_CMD`` or ``python3`` on PATH)
    is not the one secure-scoring runs in (compared by directory: a virtualenv's python links elsewhere)."""
    import os
    import shutil
    from pathlib import Path

    command = os.environ.get("PULUMI_PYTHON_CMD") or "python3"
    found = shutil.which(command)
    here = Path(sys.executable).absolute()
    if found and Path(found).absolute().parent == here.parent:
        return None
    return (
        f"note: the Pulumi CLI starts this pack with `{command}` from PATH ({found or 'not found'}), but "
        f"secure-scoring is installed for {here}: activate that environment or set PULUMI_PYTHON_CMD={here}"
    )
