"""Accepting an advisory on one resource with a reason (gate/acceptance.py): the tag
``secure-scoring:accept: "<rule>: <reason>"``; shown in every report; never for a mandatory finding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from secure_scoring import gate
from secure_scoring.gate.acceptance import parse_acceptances

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "insecure" / "raw-gateway-no-auth"
TAG = '    tags={"secure-scoring:accept": "auth-required: internal test endpoint, behind the VPN"},\n'


@pytest.fixture
def program(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(EXAMPLE, root)
    main = (root / "__main__.py").read_text()
    main = main.replace(
        '    resource_group_name="rg-scoring-prod",\n', '    resource_group_name="rg-scoring-prod",\n' + TAG
    )
    main = main.replace('parents[3] / "stacks"', f'parents[0] / "{EXAMPLE.parents[2] / "stacks"}"')
    (root / "__main__.py").write_text(main)
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    return root


def test_an_advisory_accepted_with_a_reason_leaves_the_findings_and_is_shown(program):
    report = gate.check(program, "dev")
    assert "auth-required" not in [f.rule for f in report.findings]
    [accepted] = report.accepted
    assert (
        accepted.finding.rule == "auth-required"
        and accepted.reason == "internal test endpoint, behind the VPN"
    )
    text = gate.render_text(report)
    assert "accepted" in text and "internal test endpoint, behind the VPN" in text
    assert (
        json.loads(gate.render_json(report))["accepted"][0]["reason"]
        == "internal test endpoint, behind the VPN"
    )
    [result] = [r for r in json.loads(gate.render_sarif(report))["runs"][0]["results"] if "suppressions" in r]
    assert result["suppressions"] == [
        {"kind": "inSource", "justification": "internal test endpoint, behind the VPN"}
    ]


def test_a_mandatory_finding_is_never_accepted(program):
    report = gate.check(program, "production")
    assert "auth-required" in [f.rule for f in report.mandatory]
    assert report.accepted == []
    assert any(n.kind == "acceptance" and "mandatory" in n.message for n in report.notes)


def test_parse_acceptances():
    assert parse_acceptances("cert-expiry: renewal booked; auth-required: VPN only") == {
        "cert-expiry": "renewal booked",
        "auth-required": "VPN only",
    }
    assert parse_acceptances("cert-expiry") == {} and parse_acceptances(None) == {}


def test_a_component_accepts_through_its_tags(tmp_path):
    from support.gate_programs import write_program

    main = (
        "from secure_scoring import CertificateBundle, CertificateBundleArgs, SecureAciService, SecureAciServiceArgs\n"
        "cert = CertificateBundle('tls', CertificateBundleArgs(source='self_signed', hostnames=['s.contoso.test']))\n"
        "SecureAciService('scoring', SecureAciServiceArgs(resource_group_name='rg', certificate=cert,\n"
        "    hostname='s.contoso.test', dns_name_label='s-dev', auth='none',\n"
        "    tags={'secure-scoring:accept': 'auth-required: a public demo model'}))\n"
    )
    report = gate.check(write_program(tmp_path / "p", main), "dev")
    assert "auth-required" not in [f.rule for f in report.findings]
    assert [(a.finding.resource_name, a.reason) for a in report.accepted] == [
        ("scoring", "a public demo model")
    ]
