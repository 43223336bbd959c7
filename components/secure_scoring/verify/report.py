"""The verifier's report: one :class:`Step` per check, the :class:`VerifyReport`, its text and JSON forms."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAIL", "PASS", "SKIP", "STEP_NAMES", "WARN", "Step", "VerifyReport", "format_json", "format_text"]

PASS, FAIL, WARN, SKIP = "pass", "fail", "warn", "skip"
STEP_NAMES = (
    "dns",
    "tcp",
    "tls-handshake",
    "certificate-chain",
    "certificate-hostname",
    "certificate-expiry",
    "tls-versions",
    "plain-http",
    "http-port",
    "auth-no-credential",
    "auth-wrong-credential",
    "auth-credential",
    "hsts",
)
# a last step, "deadline" (fail), is added only when the run's deadline (--deadline) passed


@dataclass
class Step:
    """One check: ``status`` is pass | fail | warn | skip; ``fix`` says what to do (None on pass)."""

    name: str
    status: str
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class VerifyReport:
    url: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no step failed (warnings and skipped steps do not fail the run)."""
        return not any(step.status == FAIL for step in self.steps)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def failed(self) -> list[Step]:
        return [s for s in self.steps if s.status == FAIL]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape: ``{"ok", "url", "steps": [{"name", "status", "detail", "fix"}]}``."""
        return {"ok": self.ok, "url": self.url, "steps": [s.to_dict() for s in self.steps]}


def format_text(report: VerifyReport) -> str:
    """Human-readable report: one line per step, the fix under every failure or warning."""
    width = max(len(n) for n in STEP_NAMES)
    lines = [f"secure-scoring verify {report.url}"]
    for step in report.steps:
        lines.append(f"  {step.status.upper():<4}  {step.name:<{width}}  {step.detail}")
        if step.fix and step.status in (FAIL, WARN):
            lines.append(f"  {'':<4}  {'':<{width}}  fix: {step.fix}")
    counts = {s: sum(1 for st in report.steps if st.status == s) for s in (PASS, FAIL, WARN, SKIP)}
    summary = ", ".join(
        f"{counts[s]} {label}"
        for s, label in (
            (FAIL, "failed"),
            (WARN, "warning" if counts[WARN] == 1 else "warnings"),
            (PASS, "passed"),
            (SKIP, "skipped"),
        )
        if counts[s]
    )
    lines.append(("OK: " if report.ok else "FAILED: ") + summary)
    return "\n".join(lines)


def format_json(report: VerifyReport) -> str:
    """The stable JSON document (:meth:`VerifyReport.to_dict`), indented, non-ASCII kept."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
