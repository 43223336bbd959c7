"""The text report: findings grouped by resource (mandatory first), one fix line per rule, the
notes, and the verdict line."""

from __future__ import annotations

from pathlib import Path

from ...facts import MANDATORY
from ..report import Finding, Report, summary_line
from . import one_line


def render_text(report: Report) -> str:
    base = Path.cwd()
    lines: list[str] = [report.production.line(), ""] if report.production else []
    for urn, items in _by_resource(report.findings).items():
        lines.extend(_resource_block(urn, items, base))
        lines.append("")
    if report.accepted:
        lines.append("accepted (advisories accepted on their resource, with a reason):")
        for a in report.accepted:
            f = a.finding
            lines.append(
                f"  - {f.rule} on {f.resource_type.rsplit(':', 1)[-1]} '{f.resource_name}': {one_line(a.reason)}"
            )
        lines.append("")
    if report.notes:
        lines.append("notes:")
        for n in report.notes:
            lines.append(f"  - {one_line(n.message)}")
        lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _by_resource(findings: list[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.urn, []).append(f)
    return groups


def _resource_block(urn: str, items: list[Finding], base: Path) -> list[str]:
    items.sort(key=lambda f: (0 if f.level == MANDATORY else 1, f.rule))
    first = items[0]
    lines = [
        f"{first.resource_type}  {first.resource_name}  ({first.location.display(base)})",
        f"  urn: {urn}",
    ]
    for i, f in enumerate(items):
        lines.append(f"  [{f.level}] {f.rule} ({f.severity}): {one_line(f.message)}")
        last_of_rule = i + 1 == len(items) or items[i + 1].rule != f.rule
        if f.remediation and last_of_rule:  # one fix line per rule of the resource
            lines.append(f"      fix: {one_line(f.remediation)}")
    return lines
