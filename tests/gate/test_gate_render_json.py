"""The JSON report (gate/render/json.py): schema and order.

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

import json

from secure_scoring import gate, rules
from support.gate_programs import (
    write_program,
)


def test_json_report_schema(failing_report):
    root, report = failing_report
    doc = json.loads(gate.render_json(report))
    assert set(doc) == {
        "schemaVersion",
        "tool",
        "project",
        "stack",
        "programDir",
        "preview",
        "production",
        "ok",
        "exitCode",
        "summary",
        "findings",
        "notes",
        "resources",
    }
    assert (
        doc["schemaVersion"] == 1 and doc["ok"] is False and doc["exitCode"] == 1 and doc["preview"] is True
    )
    assert doc["summary"] == {"resources": 1, "mandatory": len(report.findings), "advisory": 0, "notes": 0}
    f = doc["findings"][0]
    assert f == {
        "rule": "tls-required",
        "level": "mandatory",
        "severity": "critical",
        "urn": "urn:pulumi:dev::demo::azure-native:containerinstance:ContainerGroup::web",  # the engine form
        "resourceType": "azure-native:containerinstance:ContainerGroup",
        "resourceName": "web",
        "message": "public port 80 is exposed; only HTTPS on 443 is allowed.",
        "remediation": rules.RULES_BY_NAME["tls-required"].remediation,
        "location": {"path": "__main__.py", "line": 9},
    }
    assert doc["resources"][0]["location"] == {"path": "__main__.py", "line": 9}


def test_json_report_lists_resources_in_urn_order_whatever_the_registration_order(tmp_path, pack_spy):
    root = write_program(
        tmp_path / "p",
        "import pulumi_tls as tls\n\nfor name in ('zeta', 'alpha', 'mid'):\n    tls.PrivateKey(name, algorithm='ECDSA')\n",
    )
    report = gate.check(root, "dev")
    assert sorted(r.name for r in report.resources) == ["alpha", "mid", "zeta"]  # any order here
    urns = [r["urn"] for r in json.loads(gate.render_json(report))["resources"]]
    assert urns == sorted(urns) and len(urns) == 3
