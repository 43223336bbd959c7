"""Gateway overhead: requests/s and latency through nginx (TLS + key auth) vs straight to the scorer.

Both measured in the same run on loopback with wrk, against one real Azure ML inference server
(``tests/data/scoring_app/score.py``, an echo scorer, so the gateway's cost is not hidden behind model
time; ``--model-ms N`` uses ``bench/scorers/busy_score.py`` instead, which spends N ms of CPU per request as a
small real model does). Each round measures direct and gateway back to back; the medians of the paired
values are reported, so load from other processes that drifts during the run affects both sides alike:

    throughput ratio = gateway req/s / direct req/s, -c N (saturated)      (target >= 0.90)
    p99 added        = gateway p99 - direct p99, -c 1 (one at a time)       (target <= 1 ms)

CPU layout (``--layout``):
  isolated (default, needs 2+ CPUs): the scorer alone on CPU 0, nginx and wrk on CPU 1. This is how
      SecureAciService runs: the scorer container has its own CPU reservation and limit, the gateway
      sidecar its own, and clients are elsewhere, so the gateway never takes the scorer's CPU (wrk's
      TLS client sharing the gateway's CPU makes this a conservative model of it).
  shared: everything floats over all CPUs, so at saturation nginx's and wrk's CPU is taken from the
      scorer (a worst case that no deployment of the component has).

Usage: .venv/bin/python bench/gateway.py [--layout isolated|shared] [--duration 3] [--rounds 5]
       [--connections 8] [--workers 2] [--model-ms 0] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tests" / "data" / "scoring_app"
PRIMARY = "bench-primary-key-0123456789abcdef"
SECONDARY = "bench-secondary-key-0123456789abcd"
BODY = json.dumps({"data": [[0.1, 0.2, 0.3, 0.4]] * 4})

LUA = """
wrk.method = "POST"
wrk.body = %s
wrk.headers["Content-Type"] = "application/json"
%s
""".strip()


def self_signed(directory: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert_pem, key_pem


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"cannot parse wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


WRK_CPUS: set[int] | None = None  # --layout isolated: wrk runs on the gateway's CPU


def run_wrk(wrk: str, url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, WRK_CPUS)) if WRK_CPUS else None,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if bad and int(bad.group(1)):
        raise SystemExit(f"{url}: {bad.group(1)} non-2xx responses; the benchmark is invalid:\n{out}")
    return {
        "rps": rps,
        "requests": requests,
        "p50_ms": p50,
        "p99_ms": p99,
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
    }


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def group_cpu_seconds(pgid: int) -> float:
    """user+system CPU seconds of every live process in process group ``pgid`` (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / _TICK


def pin_group(pgid: int, cpus: set[int]) -> None:
    """Pin every process of group ``pgid`` (nginx master + workers, gunicorn master + workers)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                os.sched_setaffinity(int(stat.parent.name), cpus)
        except (OSError, IndexError, ValueError):
            continue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per target (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="inference server workers (default 2)")
    parser.add_argument(
        "--layout",
        choices=("isolated", "shared"),
        default="isolated",
        help="isolated (default): scorer alone on CPU 0, nginx + wrk on CPU 1, as in ACI where the "
        "scorer container has its own CPU; shared: all processes float over all CPUs",
    )
    parser.add_argument(
        "--model-ms",
        type=float,
        default=0.0,
        help="CPU milliseconds the scorer spends per request (default 0: the echo scorer)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="seconds of warm-up per target before measuring (default 1; 0 skips it, for a smoke test)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON as well")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "components"))
    from secure_scoring.dataplane.gateway import GatewaySettings
    from secure_scoring.dataplane.local import InferenceServer, NginxGateway

    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench/gateway.py: wrk is not installed (run 'make system')", file=sys.stderr)
        return 1

    if args.layout == "isolated" and (os.cpu_count() or 1) < 2:
        print("bench/gateway.py: --layout isolated needs 2 CPUs; running --layout shared", file=sys.stderr)
        args.layout = "shared"
    if args.model_ms < 0:
        parser.error("--model-ms must be >= 0")
    if args.model_ms:
        entry, scorer_env = (
            ROOT / "bench" / "scorers" / "busy_score.py",
            {"BENCH_MODEL_MS": str(args.model_ms)},
        )
    else:
        entry, scorer_env = APP / "score.py", {}

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        directory = Path(tmp)
        cert_pem, key_pem = self_signed(directory)
        direct_lua = directory / "direct.lua"
        direct_lua.write_text(LUA % (json.dumps(BODY), ""))
        gateway_lua = directory / "gateway.lua"
        gateway_lua.write_text(LUA % (json.dumps(BODY), f'wrk.headers["Authorization"] = "Bearer {PRIMARY}"'))

        with InferenceServer(
            entry, model_dir=APP / "model", worker_count=args.workers, env=scorer_env
        ) as scorer:
            settings = GatewaySettings(hostnames=("localhost",), upstream=scorer.address, private_ca=True)
            with NginxGateway(
                settings, cert_pem=cert_pem, key_pem=key_pem, primary_key=PRIMARY, secondary_key=SECONDARY
            ) as gateway:
                if args.layout == "isolated":
                    global WRK_CPUS
                    WRK_CPUS = {1}
                    pin_group(scorer.pid, {0})
                    pin_group(gateway.pid, {1})
                direct_url = f"http://127.0.0.1:{scorer.port}/score"
                gateway_url = f"https://127.0.0.1:{gateway.port}/score"
                # warm-up (connections, worker imports, TLS session cache)
                if args.warmup > 0:
                    run_wrk(wrk, direct_url, direct_lua, args.warmup, args.connections)
                    run_wrk(wrk, gateway_url, gateway_lua, args.warmup, args.connections)
                # saturated: throughput at -c N; unloaded: latency of one request at a time (-c 1),
                # where queueing does not hide (or inflate) what the gateway adds per request
                results: dict[str, list[dict[str, float]]] = {
                    k: [] for k in ("direct", "gateway", "direct_c1", "gateway_c1")
                }
                for _ in range(args.rounds):
                    for target, url, lua, conns in (
                        ("direct", direct_url, direct_lua, args.connections),
                        ("gateway", gateway_url, gateway_lua, args.connections),
                        ("direct_c1", direct_url, direct_lua, 1),
                        ("gateway_c1", gateway_url, gateway_lua, 1),
                    ):
                        cpu_before = (group_cpu_seconds(scorer.pid), group_cpu_seconds(gateway.pid))
                        row = run_wrk(wrk, url, lua, args.duration, conns)
                        cpu_after = (group_cpu_seconds(scorer.pid), group_cpu_seconds(gateway.pid))
                        # CPU time per request does not depend on how busy the machine is
                        row["scorer_cpu_us"] = (cpu_after[0] - cpu_before[0]) / row["requests"] * 1e6
                        row["gateway_cpu_us"] = (cpu_after[1] - cpu_before[1]) / row["requests"] * 1e6
                        results[target].append(row)

    summary = {
        target: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")}
        for target, runs in results.items()
    }
    # paired per round (direct and gateway measured back to back): robust to load that drifts
    ratio = statistics.median(
        g["rps"] / d["rps"] for d, g in zip(results["direct"], results["gateway"], strict=True)
    )
    p50_added = statistics.median(
        g["p50_ms"] - d["p50_ms"] for d, g in zip(results["direct_c1"], results["gateway_c1"], strict=True)
    )
    p99_added = statistics.median(
        g["p99_ms"] - d["p99_ms"] for d, g in zip(results["direct_c1"], results["gateway_c1"], strict=True)
    )
    p99_added_loaded = statistics.median(
        g["p99_ms"] - d["p99_ms"] for d, g in zip(results["direct"], results["gateway"], strict=True)
    )
    print(
        f"POST /score on loopback, wrk -t1, {args.rounds} rounds x {args.duration} s per row (median shown), "
        f"inference server workers={args.workers}, nginx worker_processes=1, "
        + (f"scorer spends {args.model_ms:g} ms CPU per request, " if args.model_ms else "echo scorer, ")
        + (
            "layout isolated: scorer alone on CPU 0, nginx + wrk on CPU 1"
            if args.layout == "isolated"
            else f"layout shared: {os.cpu_count()} CPUs shared by all"
        )
    )
    load_after = os.getloadavg()[0]
    print(
        f"1-min load average before/after: {load_before:.2f}/{load_after:.2f} "
        "(anything else running on these CPUs shows up as noise, mostly in p99)"
    )
    print(f"{'target':<44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    rows = (
        ("direct", f"direct HTTP to the scorer, -c{args.connections}"),
        ("gateway", f"gateway TLS + key auth, -c{args.connections}"),
        ("direct_c1", "direct HTTP to the scorer, -c1"),
        ("gateway_c1", "gateway TLS + key auth, -c1"),
    )
    for target, label in rows:
        s = summary[target]
        print(f"{label:<44} {s['rps']:>9.0f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f}")
    for target, _ in rows:
        rounds = ", ".join(f"{r['rps']:.0f}" for r in results[target])
        print(f"  {target} req/s per round: {rounds}")
    scorer_cpu = statistics.median(r["scorer_cpu_us"] for r in results["direct"] + results["direct_c1"])
    gateway_cpu = statistics.median(r["gateway_cpu_us"] for r in results["gateway"] + results["gateway_c1"])
    scorer_cpu_gw = statistics.median(r["scorer_cpu_us"] for r in results["gateway"] + results["gateway_c1"])
    print(
        f"CPU per request (median, load-independent): scorer {scorer_cpu:.0f} us direct / "
        f"{scorer_cpu_gw:.0f} us behind the gateway; nginx {gateway_cpu:.0f} us "
        f"(= {gateway_cpu / scorer_cpu:.2f} of the scorer's); one gateway vCPU serves about "
        f"{1e6 / gateway_cpu:.0f} req/s"
    )
    print(
        f"throughput ratio gateway/direct (-c{args.connections}, median of paired rounds): {ratio:.3f}  "
        f"(target >= 0.90: {'met' if ratio >= 0.90 else 'MISSED'})"
    )
    print(
        f"latency added, one request at a time (-c1, median of paired rounds): p50 {p50_added:+.2f} ms, p99 {p99_added:+.2f} ms  "
        f"(target p99 <= 1 ms: {'met' if p99_added <= 1.0 else 'MISSED'})"
    )
    print(
        f"p99 added under saturation (-c{args.connections}, median of paired rounds): {p99_added_loaded:+.2f} ms"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "layout": args.layout,
                    "model_ms": args.model_ms,
                    "summary": summary,
                    "rounds": results,
                    "ratio": ratio,
                    "p99_added_ms": p99_added,
                    "cpu_us_per_request": {"scorer": scorer_cpu, "gateway": gateway_cpu},
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
