"""The JSON report (``schemaVersion`` 1), and the error document of a run that could not finish."""

from __future__ import annotations

import json
from typing import Any

from ..locations import Location, relative
from ..report import Report
from . import error_details, tool

JSON_SCHEMA_VERSION = 1


def render_json(report: Report) -> str:
    base = report.program_dir

    def loc(location: Location) -> dict[str, Any]:
        return {"path": relative(location.path, base), "line": location.line}

    doc = {
        "schemaVersion": JSON_SCHEMA_VERSION,
        "tool": tool(),
        "project": report.project,
        "stack": report.stack,
        "programDir": str(report.program_dir),
        "preview": report.preview,
        **({"production": report.production.as_dict()} if report.production else {}),
        "ok": report.ok,
        "exitCode": report.exit_code,
        "summary": {
            "resources": len(report.resources),
            "mandatory": len(report.mandatory),
            "advisory": len(report.advisory),
            "notes": len(report.notes),
        },
        "findings": [
            {
                "rule": f.rule,
                "level": f.level,
                "severity": f.severity,
                "urn": f.urn,
                "resourceType": f.resource_type,
                "resourceName": f.resource_name,
                "message": f.message,
                "remediation": f.remediation,
                "location": loc(f.location),
            }
            for f in report.findings
        ],
        **(
            {
                "accepted": [
                    {
                        "rule": a.finding.rule,
                        "urn": a.finding.urn,
                        "resourceName": a.finding.resource_name,
                        "message": a.finding.message,
                        "reason": a.reason,
                        "location": loc(a.finding.location),
                    }
                    for a in report.accepted
                ]
            }
            if report.accepted
            else {}
        ),
        "notes": [
            {
                k: v
                for k, v in {"kind": n.kind, "message": n.message, "key": n.key, "urn": n.urn}.items()
                if v is not None
            }
            for n in report.notes
        ],
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "location": loc(r.location),
            }
            # by URN: registration order depends on when each resource's inputs resolve, and a
            # report that CI keeps should not change from run to run for the same program
            for r in sorted(report.resources, key=lambda r: r.urn)
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def render_error_json(exc: BaseException, stack: str) -> str:
    """The JSON report when the program or its configuration failed (exit code 2)."""
    doc = {
        "schemaVersion": JSON_SCHEMA_VERSION,
        "tool": tool(),
        "stack": stack,
        "ok": False,
        "exitCode": 2,
        "error": error_details(exc),
    }
    return json.dumps(doc, indent=2) + "\n"
