"""Where findings point (gate/locations.py): the program line that created a resource, for components and for resources made with the SDK's base classes.

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

import json

from secure_scoring import gate
from support.gate_programs import (
    DIRECT,
    write_program,
    write_project,
)


def test_findings_are_located_at_the_program_line(failing_report):
    root, report = failing_report
    assert report.findings and {(f.rule, f.level) for f in report.findings} == {("tls-required", "mandatory")}
    for finding in report.findings:
        assert finding.location.path == (root / "__main__.py").resolve()
        assert finding.location.line == 9  # where the resource is constructed (Pulumi's sourcePosition)
    assert report.exit_code == 1


def test_children_of_a_library_component_point_at_the_line_that_created_it(tmp_path, pack_spy):
    root = write_program(
        tmp_path / "p",
        "from secure_scoring import CertificateBundle, CertificateBundleArgs\n\n\n"
        "bundle = CertificateBundle('tls', CertificateBundleArgs(source='self_signed',\n"
        "    hostnames=['scoring.dev.example.test']))\n",
    )
    report = gate.check(root, "dev")
    children = [r for r in report.resources if r.parent and r.type.startswith("tls:")]
    assert children, "the bundle registers pulumi-tls children"
    for r in report.resources:
        assert (r.location.path.name, r.location.line) == ("__main__.py", 4), r.type


def test_resources_created_with_the_base_classes_are_located_at_their_line(tmp_path):
    """`pulumi.CustomResource(...)` / `pulumi.ComponentResource(...)` directly: the SDK sends no stack
    trace for them (it expects a subclass); the finding still points at the program's line, not at
    `__main__.py:1`."""
    root = write_project(tmp_path / "p", DIRECT, {"prod": "config: {}\n"})
    report = gate.check(root, "prod")
    where = {f.resource_name: (f.location.path.name, f.location.line) for f in report.mandatory}
    assert where == {"web": ("__main__.py", 9), "svc": ("__main__.py", 17)}
    sarif = json.loads(gate.render_sarif(report))
    lines = sorted(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]
    )
    assert lines == [9, 17]
