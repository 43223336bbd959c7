"""Benchmark: wall time of ``secure-scoring cert check`` on a good bundle against bare interpreter start.

Both are measured in the same run, interleaved, N times each; the script prints the medians, the
difference (what the command costs above ``python -c pass``) and the ratio. Target: at most 0.35 s
above interpreter start, for each of the two ways the chain is verified: against the system trust
store (the default; the bench's root is put there with ``SSL_CERT_FILE``, a copy of the OS store plus
that root, so the store is as large as the real one) and against ``--ca-bundle root.pem``. Also shows
``secure-scoring --help`` and the in-process inspector alone.

    .venv/bin/python bench/cert_check.py [--runs 21] [--strict]

``--strict`` exits 1 when the target is missed (default: report only).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the openssl certificate factory of the test suite

from support.certs import CertFactory  # noqa: E402

TARGET_SECONDS = 0.35


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()

    python = sys.executable
    script = Path(python).with_name("secure-scoring")
    command = [str(script)] if script.exists() else [python, "-m", "secure_scoring"]
    with tempfile.TemporaryDirectory(prefix="bench-cert-") as tmp:
        f = CertFactory(tmp)
        root = f.ca("Bench Root CA")
        inter = f.intermediate(root, "Bench Intermediate CA")
        leaf = f.leaf(inter, ["scoring.example.test"], key="rsa")  # RSA: the slower key check
        chain = leaf.write_chain(Path(tmp) / "chain.pem")
        store = Path(tmp) / "store.pem"  # the OS store plus the bench's root: the default-store run
        from secure_scoring.certs.trust import system_store_path

        os_store = system_store_path()
        store.write_text((Path(os_store).read_text() if os_store else "") + root.cert_pem)
        os.environ["SSL_CERT_FILE"] = str(store)
        check = [*command, "cert", "check", "--cert", str(chain), "--key", str(leaf.key_path),
                 "--hostname", "scoring.example.test"]  # fmt: skip
        cases = {
            "python -c pass": [python, "-c", "pass"],
            "secure-scoring --help": [*command, "--help"],
            "secure-scoring cert check": check,
            "cert check --ca-bundle": [
                *check,
                "--ca-bundle",
                str(root.cert_path),
                "--environment",
                "production",
            ],
        }
        for cmd in cases.values():  # warm the page cache and .pyc files
            wall(cmd)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, cmd in cases.items():
                samples[name].append(wall(cmd))

        # the inspector alone, in process (import excluded), with the path check against the store
        from secure_scoring.certs.pem import inspect_bundle
        from secure_scoring.certs.trust import TrustAnchors

        cert_pem, key_pem = chain.read_bytes(), leaf.key_path.read_bytes()
        inspect_bundle(cert_pem, key_pem, hostname="scoring.example.test", anchors=TrustAnchors.system())
        in_process = []
        for _ in range(args.runs):
            start = time.perf_counter()
            anchors = TrustAnchors.system()
            report = inspect_bundle(cert_pem, key_pem, hostname="scoring.example.test", anchors=anchors)
            in_process.append(time.perf_counter() - start)
        assert report.ok and report.trust == "public-store", report.codes

    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["python -c pass"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"runs: {args.runs} each, interleaved; {os.cpu_count()} CPUs, load average {load}; interpreter {python}"
    )
    print(f"openssl {shutil.which('openssl')}; medians are what counts, minimums show the idle-machine floor")
    for name, value in medians.items():
        extra = "" if name == "python -c pass" else f"  (+{value - base:.3f} s, x{value / base:.2f})"
        print(f"  {name:28s} median {value:.3f} s  min {min(samples[name]):.3f} s{extra}")
    print(f"  {'inspect_bundle (in process)':28s} median {statistics.median(in_process) * 1000:.1f} ms")
    missed = False
    for name, what in (
        ("secure-scoring cert check", "system store"),
        ("cert check --ca-bundle", "--ca-bundle"),
    ):
        diff = medians[name] - base
        ratio = medians[name] / base
        verdict = "meets" if diff <= TARGET_SECONDS else "MISSES"
        missed |= diff > TARGET_SECONDS
        print(f"cert check ({what}) costs {diff:.3f} s above interpreter start (ratio x{ratio:.2f}); "
              f"{verdict} the target of <= {TARGET_SECONDS:.2f} s")  # fmt: skip
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
