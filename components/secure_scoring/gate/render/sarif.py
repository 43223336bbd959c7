"""SARIF 2.1.0 for GitHub code scanning: one run, the pack's rules as descriptors, one result per
(resource, rule) with a stable URN fingerprint; a run that could not finish is a run without results
and ``executionSuccessful: false``."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from ...facts import ADVISORY, MANDATORY, PACKAGE, version
from ..locations import artifact_uri
from ..program import ProgramError
from ..project import Project, load_project
from ..report import Finding, Report, RuleInfo
from . import error_details, one_line

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_PAGE = "docs/check.md"
RULE_HELP_PATH = "docs/policies.md"
_SOURCE_TREE = Path(__file__).resolve().parents[4]
"""The checkout when the package runs from its source tree (components/secure_scoring/gate/render)."""
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
_TAGS = ["security", "pulumi", "azure", "tls"]


def information_uri() -> str | None:
    """Absolute URI of this gate's docs page (``docs/check.md``), for SARIF ``informationUri``.

    In GitHub Actions it is the page in the repository at the analysed commit; elsewhere the file in
    the source tree when the package runs from one; otherwise None (the field is then left out).
    """
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if server and repo:
        return f"{server}/{repo}/blob/{sha or 'HEAD'}/{DOCS_PAGE}"
    page = _SOURCE_TREE / DOCS_PAGE
    return page.as_uri() if page.is_file() else None


def render_sarif(report: Report, project: Project | None = None) -> str:
    """SARIF 2.1.0 for GitHub code scanning (one run; rules from the pack; one result per finding)."""
    project = project or load_project(report.program_dir)
    rules = _rules_of(report)
    index = {r.name: i for i, r in enumerate(rules)}
    results = [
        _result(group, index, report.stack, project) for group in _by_resource_and_rule(report.findings)
    ]
    for a in report.accepted:  # shown, as suppressed, with the reason
        accepted = _result([a.finding], index, report.stack, project)
        accepted["suppressions"] = [{"kind": "inSource", "justification": a.reason}]
        results.append(accepted)
    invocation = {
        "executionSuccessful": True,
        "toolExecutionNotifications": [
            {"level": "note", "message": {"text": one_line(n.message)}} for n in report.notes
        ],
    }
    if report.production:
        invocation["properties"] = {"production": report.production.as_dict()}
    return _document(report.stack, [_rule_descriptor(r) for r in rules], results, invocation)


def _rules_of(report: Report) -> list[RuleInfo]:
    """The catalogue's rules, plus a descriptor for any rule the catalogue does not list; by name."""
    rules = {r.name: r for r in report.rules}
    for f in [*report.findings, *(a.finding for a in report.accepted)]:
        rules.setdefault(f.rule, RuleInfo(f.rule, f.rule, f.remediation, f.severity, f.level))
    return sorted(rules.values(), key=lambda r: r.name)


def _rule_descriptor(r: RuleInfo) -> dict[str, Any]:
    description = r.description or r.name
    remediation = r.remediation or description
    return {
        "id": r.name,
        "name": "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", r.name) if part),
        "shortDescription": {"text": _first_sentence(description)},
        "fullDescription": {"text": description},
        "help": {
            "text": f"{description}\n\nFix: {remediation}",
            "markdown": f"**{r.name}**: {description}\n\n**Fix:** {remediation}\n\n"
            f"See `{RULE_HELP_PATH}` for the rule catalogue and its configuration.",
        },
        **({"helpUri": r.url} if r.url else {}),
        "defaultConfiguration": {"level": "error" if r.enforcement == MANDATORY else "warning"},
        "properties": {
            "security-severity": _SECURITY_SEVERITY.get(r.severity, "5.5"),
            "tags": list(_TAGS),
            "precision": "high",
        },
    }


def _by_resource_and_rule(findings: list[Finding]) -> list[list[Finding]]:
    """One group per (resource, rule): that pair is the alert's identity (its fingerprint)."""
    merged: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        merged.setdefault((f.urn, f.rule), []).append(f)
    return list(merged.values())


def _result(group: list[Finding], index: dict[str, int], stack: str, project: Project) -> dict[str, Any]:
    f = group[0]
    level = MANDATORY if any(g.level == MANDATORY for g in group) else ADVISORY
    text = " ".join(one_line(g.message) for g in group)
    return {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": "error" if level == MANDATORY else "warning",
        "message": {"text": f"{text} (resource {f.urn}; {level} in stack {stack})"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(f.location.path, project)},
                    "region": {"startLine": f.location.line},
                },
                "logicalLocations": [
                    {"name": f.resource_name, "fullyQualifiedName": f.urn, "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {"pulumiUrn/v1": hashlib.sha256((f.urn + f.rule).encode()).hexdigest()},
        "properties": {"urn": f.urn, "resourceType": f.resource_type, "enforcement": level},
    }


def _first_sentence(text: str) -> str:
    text = one_line(text)
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return m.group(1) if m else text


def render_error_sarif(exc: BaseException, stack: str) -> str:
    """A SARIF 2.1.0 run for a failed check: no results, ``executionSuccessful: false`` and the
    error as a tool execution notification (GitHub code scanning accepts it and shows the run as
    failed instead of keeping the previous upload's alerts as if nothing happened)."""
    details = error_details(exc)
    text = f"{details['kind']}: {details['message']}"
    if details.get("hint"):
        text += f" (note: {details['hint']})"
    notification: dict[str, Any] = {"level": "error", "message": {"text": one_line(text)}}
    if details.get("file"):
        notification["locations"] = [_error_location(exc, details)]
    invocation = {"executionSuccessful": False, "exitCode": 2, "toolExecutionNotifications": [notification]}
    return _document(stack, [], [], invocation)


def _error_location(exc: BaseException, details: dict[str, Any]) -> dict[str, Any]:
    base = exc.program_dir if isinstance(exc, ProgramError) else None
    path = Path(base or ".") / details["file"]
    cwd = Path.cwd().resolve()
    uri = (
        path.resolve().relative_to(cwd).as_posix() if path.resolve().is_relative_to(cwd) else details["file"]
    )
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {"startLine": max(1, int(details["line"] or 1))},
        }
    }


def _document(
    stack: str, rules: list[dict[str, Any]], results: list[dict[str, Any]], invocation: dict[str, Any]
) -> str:
    """The SARIF log: one run of this tool for ``stack``."""
    driver: dict[str, Any] = {"name": PACKAGE, "semanticVersion": version(), "rules": rules}
    info_uri = information_uri()
    if info_uri:
        driver["informationUri"] = info_uri
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": f"{PACKAGE}/{stack}/"},
                "results": results,
                "invocations": [invocation],
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
