"""What the gate found: resources, findings, notes and rules of one stack, and the verdict.

A stack fails the gate on any mandatory finding (exit code 1); advisories and notes never fail it.
The renderers (``gate.render.text``, ``.json``, ``.sarif``) read only this model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..facts import ADVISORY, MANDATORY, REMEDIATE
from .locations import Location

SEVERITIES = ("low", "medium", "high", "critical")
DEFAULT_SEVERITY = "medium"


def as_level(value: Any) -> str:
    """A pack enforcement level (string or enum) as the gate's level: mandatory (``mandatory``,
    ``remediate``) or advisory (anything else)."""
    text = str(getattr(value, "value", value) or "").lower()
    return MANDATORY if text in (MANDATORY, REMEDIATE) else ADVISORY


def as_severity(value: Any) -> str:
    """A severity (string or enum) as one of :data:`SEVERITIES`; ``medium`` when unknown."""
    text = str(getattr(value, "value", value) or "").lower()
    return text if text in SEVERITIES else DEFAULT_SEVERITY


@dataclass
class ResourceInfo:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    location: Location


@dataclass
class Finding:
    """One policy diagnostic, attached to a resource and a program location."""

    rule: str
    level: str  # "mandatory" | "advisory"
    severity: str  # "low" | "medium" | "high" | "critical"
    urn: str
    resource_type: str
    resource_name: str
    message: str
    remediation: str
    location: Location


@dataclass
class Note:
    """Something the gate could not judge or wants the reader to know (never fails the gate)."""

    kind: str  # "secure-config" | "unknown-value" | "program-warning" | "environment"
    message: str
    key: str | None = None
    urn: str | None = None


@dataclass
class RuleInfo:
    name: str
    description: str
    remediation: str
    severity: str
    enforcement: str
    url: str | None = None


@dataclass
class Report:
    project: str
    stack: str
    program_dir: Path
    main_file: Path
    preview: bool
    resources: list[ResourceInfo]
    findings: list[Finding]
    notes: list[Note]
    rules: list[RuleInfo]
    program_seconds: float = 0.0
    policy_seconds: float = 0.0
    production: Any = None
    accepted: list[Any] = field(default_factory=list)
    """Advisories accepted on their resource with a reason (:class:`~secure_scoring.gate.acceptance.Accepted`)."""
    """The :class:`~secure_scoring.gate.production.ProductionDecision` (shown first in every report)."""

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.level == MANDATORY]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if f.level != MANDATORY]

    @property
    def ok(self) -> bool:
        return not self.mandatory

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def summary_line(report: Report) -> str:
    """The verdict in one line: PASS/FAIL, the stack, and how many resources, violations and notes."""
    m, a, n = len(report.mandatory), len(report.advisory), len(report.notes)
    verdict = "PASS" if report.ok else "FAIL"
    return (
        f"{verdict}: stack {report.stack} of {report.project}: {len(report.resources)} resources, "
        f"{m} mandatory violation{'s' if m != 1 else ''}, {a} advisor{'ies' if a != 1 else 'y'}, "
        f"{n} note{'s' if n != 1 else ''}"
    )
