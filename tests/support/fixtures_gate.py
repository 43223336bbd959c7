"""Fixtures of the gate tests: ``pack_spy`` (the real policy pack, its ``evaluate`` wrapped to record
how the gate called it) and ``failing_report`` (a program that serves port 80, checked)."""

from __future__ import annotations

import json

import pytest

from secure_scoring import gate
from support.gate_programs import CG_PROGRAM, write_program

__all__ = ["failing_report", "pack_spy"]


@pytest.fixture
def pack_spy(monkeypatch):
    """The real policy pack, with its ``evaluate`` wrapped to record how the gate called it."""
    import os

    from secure_scoring.policy import pack as policy_pack

    real = policy_pack.evaluate
    calls: list[dict] = []
    # the spy records in this process: the check runs in process (no child) while it is on
    monkeypatch.setattr("secure_scoring.gate.isolation.can_isolate", lambda: False)

    def spy(resources, **kwargs):
        calls.append(
            {
                **kwargs,
                "env_stack": os.environ.get("PULUMI_STACK"),
                "env_project": os.environ.get("PULUMI_PROJECT"),
                "env_config": json.loads(os.environ.get("PULUMI_CONFIG", "{}")),
                "env_dry_run": os.environ.get("PULUMI_DRY_RUN"),
                "types": [r.type for r in resources],
            }
        )
        return real(resources, **kwargs)

    monkeypatch.setattr(policy_pack, "evaluate", spy)
    return calls


@pytest.fixture
def failing_report(tmp_path, pack_spy, monkeypatch):
    root = write_program(tmp_path / "repo" / "prog", CG_PROGRAM, stacks={"dev": "config:\n  port: 80\n"})
    monkeypatch.chdir(tmp_path / "repo")
    return root, gate.check(root, "dev")
