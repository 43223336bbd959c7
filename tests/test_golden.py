"""The example programs register exactly what the golden record says, and the gate reports the same.

A stack deployed before a change must see no diff after it: same type tokens, names, parents (URNs),
inputs, resource options and component outputs. The goldens in tests/data/golden/ were captured
from the code before the subpackage refactor by tests/support/registrations.py; regenerate them
(``python -m tests.support.registrations --update``) only for an intended change, and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import registrations as golden

REPO = Path(__file__).resolve().parents[1]
CASES = golden.cases(REPO)


def _golden(case: golden.Case) -> dict:
    assert case.golden.is_file(), (
        f"no golden file {case.golden.relative_to(REPO)} for {case.id}: a new program or stack? "
        "Capture it with `python -m tests.support.registrations --update` and review it"
    )
    return golden.load_golden(case)


def test_every_golden_has_its_program():
    on_disk = {p.name for p in golden.GOLDEN_DIR.glob("*.json")}
    expected = {c.golden.name for c in CASES}
    assert on_disk == expected, f"missing: {sorted(expected - on_disk)}, stale: {sorted(on_disk - expected)}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_registrations_are_unchanged(case):
    expected = _golden(case)["registrations"]
    actual = golden.capture_registrations(REPO, case)
    if actual != expected:
        pytest.fail(
            f"{case.id}: the registrations changed (a deployed stack would see a diff)\n"
            + golden.describe_difference(expected, actual),
            pytrace=False,
        )
    # the capture did see the program: the root stack and at least one resource under it
    assert any(r["type"] == "pulumi:pulumi:Stack" for r in actual["resources"].values())
    assert len(actual["resources"]) >= 2
    assert actual["duplicate_urns"] == []


def test_secrets_are_recorded_as_secret_never_in_clear():
    """The goldens hold the hash of a secret, never its value: the example key material of
    stacks/certs must not appear, and the component's key output is a secret."""
    key_lines = {
        line
        for name in ("production.key", "staging.key")
        for line in (REPO / "stacks" / "certs" / name).read_text().splitlines()
        if line and not line.startswith("-----")
    }
    for case in CASES:
        text = case.golden.read_text()
        assert not any(line in text for line in key_lines), case.id
        assert golden.SECRET_VALUE not in text, case.id
    prod = _golden(golden.Case("stacks", "production"))["registrations"]["resources"]
    bundle = prod["urn:pulumi:production::secure-scoring-stacks::secure-scoring:index:CertificateBundle::tls"]
    assert bundle["outputs"]["key_pem"].startswith("<secret sha256:")


def _hours(case: golden.Case) -> list[int]:
    return golden.validity_hours(_golden(case)["registrations"])


@pytest.fixture(scope="module")
def gate_reports():
    """Every CLI report (JSON and SARIF of each case): one worker per CPU imports the package and
    the SDKs once and forks a child per CLI run (golden.capture_gates)."""
    reports = golden.capture_gates(REPO, [(c, _hours(c)) for c in CASES])
    return dict(zip(CASES, reports, strict=True))


@pytest.mark.e2e
def test_the_cli_runs_this_checkout():
    assert Path(golden.package_file(REPO)).is_relative_to(REPO / "components")


@pytest.mark.e2e
def test_the_forked_runs_report_what_the_console_script_reports(gate_reports):
    """The cheap runs of gate_reports are the console script's runs: for a case with violations,
    the real ``secure-scoring check`` (a new process per format) reports exactly the same."""
    case = golden.Case("examples/insecure/old-tls", "production")
    assert golden.capture_gate(REPO, case, _hours(case)) == gate_reports[case]


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gate_reports_are_unchanged(case, gate_reports):
    expected = _golden(case)["gate"]
    actual = gate_reports[case]
    if actual != expected:
        pytest.fail(
            f"{case.id}: `secure-scoring check {case.program} --stack {case.stack}` reports differently\n"
            + golden.describe_difference(expected, actual),
            pytrace=False,
        )
    assert json.dumps(actual)  # plain JSON all the way down
