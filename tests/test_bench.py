"""The benchmarks still run and still measure what docs/benchmarks.md says (no timing asserted here)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.requirements import inference_python, require_binary

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def aci_bench():
    return _load("aci_mocks")


def test_aci_bench_baseline_declares_exactly_the_components_resources(aci_bench, tmp_path: Path) -> None:
    # the ratio means something only if the hand-written program is the same resources, input for input
    from support.certs import CertFactory

    f = CertFactory(tmp_path)
    leaf = f.leaf(f.intermediate(f.ca("Root"), "Inter"), [aci_bench.HOST])
    chain = leaf.write_chain(tmp_path / "chain.pem")
    aci_bench.check_same_resources(chain, leaf.key_path)


def test_aci_bench_check_refuses_a_baseline_that_differs(aci_bench, tmp_path: Path, monkeypatch) -> None:
    from support.certs import CertFactory

    f = CertFactory(tmp_path)
    leaf = f.leaf(f.intermediate(f.ca("Root"), "Inter"), [aci_bench.HOST])
    chain = leaf.write_chain(tmp_path / "chain.pem")
    monkeypatch.setattr(aci_bench, "SCORER_ALIVE", "import os")
    with pytest.raises(SystemExit, match="svc0-group"):
        aci_bench.check_same_resources(chain, leaf.key_path)


def test_aci_bench_timing_mode_runs_and_prints_the_ratios() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "aci_mocks.py"), "--services", "2", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "registrations: raw 7, component 9" in out.stdout
    assert "ratio component/raw, gc on" in out.stdout


def test_gateway_bench_runs_on_the_real_servers() -> None:
    require_binary("wrk")
    require_binary("nginx")
    inference_python()
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "gateway.py"),
            "--rounds",
            "1",
            "--duration",
            "1",
            "--connections",
            "2",
            "--model-ms",
            "1",
            "--warmup",
            "0",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["model_ms"] == 1.0
    assert result["layout"] in ("isolated", "shared")
    for target in ("direct", "gateway", "direct_c1", "gateway_c1"):
        assert result["summary"][target]["rps"] > 0
    # the busy scorer really spends its millisecond per request (CPU time of the scorer processes)
    assert result["cpu_us_per_request"]["scorer"] >= 1000
    assert result["cpu_us_per_request"]["gateway"] > 0


def test_aci_bench_contract_minimum_carries_exactly_designs_security_facts(aci_bench, tmp_path: Path) -> None:
    from secure_scoring.gate.mocking import run_with_mocks
    from support.certs import CertFactory

    f = CertFactory(tmp_path)
    leaf = f.leaf(f.intermediate(f.ca("Root"), "Inter"), [aci_bench.HOST])
    chain = leaf.write_chain(tmp_path / "chain.pem")
    rec = run_with_mocks(aci_bench.floor_program(1, chain, leaf.key_path))
    floor = rec.one("secure-scoring:bench:ContractMinimum")
    nine = {"tlsEnabled", "certificateSource", "selfSigned", "authMode", "keyAuthEnabled", "tokenAuthEnabled"}
    nine |= {"minTlsVersion", "environment", "hostname"}
    assert set(floor.wire_inputs) == nine - {"environment"}  # None (no environment) is not sent
    assert {"tls_enabled", "scoring_uri", "fqdn", "ip_address", "primary_key", "secondary_key"} <= set(
        floor.outputs
    )
    children = [r for r in rec.resources if r.custom]
    assert len(children) == 3 and all(r.parent == floor.urn for r in children)


def test_policy_gate_bench_estate_passes_the_gate(tmp_path: Path) -> None:
    """The generated estate is a secure production program (its private CA declared on the bundle): a
    bench whose program is refused measures nothing (it was, once bundles in production had to
    verify to a public or declared CA)."""
    from secure_scoring import gate

    bench = _load("policy_gate")
    report = gate.check(bench.make_project(tmp_path, 3, True), "production")
    assert report.exit_code == 0 and report.mandatory == [], gate.render_text(report)
    assert sum(r.type == "secure-scoring:index:SecureAciService" for r in report.resources) == 3
