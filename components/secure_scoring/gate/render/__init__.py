"""The gate's report formats: ``text`` (people), ``json`` (tools, schema version 1) and ``sarif``
(SARIF 2.1.0, GitHub code scanning); each also renders the error of a run that could not finish
(exit code 2). What the renderers share lives here."""

from __future__ import annotations

from typing import Any

from ...facts import PACKAGE, version
from ..locations import relative
from ..program import ProgramError


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(text.split())


def tool() -> dict[str, str]:
    """The ``tool`` object of the JSON report: this distribution's name and version."""
    return {"name": PACKAGE, "version": version()}


def error_details(exc: BaseException) -> dict[str, Any]:
    """What went wrong, for machine-readable reports: ``kind``, ``message``, ``file``, ``line``
    (``None`` when unknown), ``hint``; ``input`` for usage errors (the argument or file at fault)."""
    from ...errors import SecureScoringError

    if isinstance(exc, ProgramError):
        base = exc.program_dir
        return {
            "kind": exc.kind,
            "message": exc.message,
            "file": relative(exc.location.path, base) if exc.location else None,
            "line": exc.location.line if exc.location else None,
            "hint": exc.hint,
        }
    if isinstance(exc, SecureScoringError):
        return {
            "kind": "UsageError",
            "message": exc.render(),
            "input": exc.input_name,
            "file": None,
            "line": None,
            "hint": exc.fix,
        }
    return {"kind": type(exc).__name__, "message": str(exc), "file": None, "line": None, "hint": None}
