"""Cost of SecureAciService under Pulumi mocks vs the same raw resources declared by hand.

Both programs declare, per service, two ``RandomPassword`` keys and one ``ContainerGroup`` with the
same containers, secret volume (rendered gateway files, base64, wrapped secret), ports and probes;
both share one ``CertificateBundle`` (pem source, openssl-made chain). The component program adds
what the component is for: argument validation, the component resource, props and outputs.

Measured in one process: a warm-up run of each, then ROUNDS rounds that run both programs (order
alternating) with the garbage collector on and off (off = the work itself, as ``timeit`` measures;
on = what a real run pays, including collections whose cost grows with everything alive in the
process). Printed: median CPU and wall seconds of each, the ratios component/raw, and with
``--calls`` the ratio of Python function calls (deterministic, independent of machine load).
``--instructions`` counts the instructions of one run of each program under callgrind instead: exact
and repeatable where timings are not (see :func:`instructions`). Before measuring, the script checks
that both programs register the same custom resources with the same inputs.
Target: ratio <= 1.10.

    .venv/bin/python bench/aci_mocks.py [--services N] [--rounds R] [--calls]
    .venv/bin/python bench/aci_mocks.py --instructions [--services 10]
"""

from __future__ import annotations

import argparse
import base64
import gc
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # support.certs: the openssl certificate factory

import pulumi  # noqa: E402
import pulumi_random  # noqa: E402
from pulumi_azure_native import containerinstance as ci  # noqa: E402

from secure_scoring.components.aci import (  # noqa: E402
    DEFAULT_GATEWAY_IMAGE,
    DEFAULT_SCORER_IMAGE,
    INFERENCE_LOCALHOST,
    REPLACE_ON_CHANGES,
    SCORER_ALIVE,
    SecureAciService,
    SecureAciServiceArgs,
)
from secure_scoring.components.certificate_bundle import CertificateBundle  # noqa: E402
from secure_scoring.dataplane.gateway import (  # noqa: E402
    CONTAINER_CONFIG_DIR,
    GatewaySettings,
    container_command,
    render_secret_files,
)
from secure_scoring.gate.mocking import run_with_mocks  # noqa: E402

HOST = "scoring.example.test"


def component_program(n: int, chain: Path, key: Path):
    def program():
        cert = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST])
        for i in range(n):
            SecureAciService(
                f"svc{i}",
                SecureAciServiceArgs(
                    resource_group_name="rg",
                    certificate=cert,
                    hostname=HOST,
                    dns_name_label=f"contoso-scoring-{i}",
                ),
            )

    return program


def gateway_settings() -> GatewaySettings:
    return GatewaySettings(
        hostnames=(HOST,),
        auth_mode="key",
        upstream="127.0.0.1:5001",
        listen_port=443,
        config_dir=CONTAINER_CONFIG_DIR,
        private_ca=False,  # an openssl-made chain given as files: a "pem" certificate
        resolver="168.63.129.16",  # Azure's platform DNS, for OCSP stapling
    )


def declare_resources(i: int, cert: CertificateBundle, settings: GatewaySettings, parent=None):
    """Service ``i``'s custom resources, by hand, exactly as SecureAciService declares them."""
    keys = [
        pulumi_random.RandomPassword(
            f"svc{i}-{which}-key",
            length=48,
            special=False,
            upper=True,
            lower=True,
            numeric=True,
            keepers={"rotation": "1"},
            opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["result", "bcryptHash"]),
        )
        for which in ("primary", "secondary")
    ]

    def files(v):
        rendered = render_secret_files(
            settings, cert_pem=v[0], key_pem=v[1], primary_key=v[2], secondary_key=v[3]
        )
        return {k: base64.b64encode(t.encode()).decode() for k, t in rendered.items()}

    secret = pulumi.Output.secret(
        pulumi.Output.all(cert.cert_pem, cert.key_pem, keys[0].result, keys[1].result).apply(files)
    )
    group = ci.ContainerGroup(
        f"svc{i}-group",
        resource_group_name="rg",
        os_type="Linux",
        restart_policy="Always",
        sku="Standard",
        containers=[
            ci.ContainerArgs(
                name="scorer",
                image=DEFAULT_SCORER_IMAGE,
                command=[
                    "python",
                    "-c",
                    INFERENCE_LOCALHOST,
                    "--entry_script",
                    "/var/azureml-app/score.py",
                    "--model_dir",
                    "/var/azureml-app/azureml-models",
                    "--port",
                    "5001",
                ],
                ports=[ci.ContainerPortArgs(port=5001, protocol="TCP")],
                liveness_probe=ci.ContainerProbeArgs(
                    exec_=ci.ContainerExecArgs(command=["python", "-c", SCORER_ALIVE]),
                    initial_delay_seconds=10,
                    period_seconds=10,
                    failure_threshold=30,
                    timeout_seconds=5,
                ),
                environment_variables=[
                    ci.EnvironmentVariableArgs(
                        name="AZUREML_ENTRY_SCRIPT", value="/var/azureml-app/score.py"
                    ),
                    ci.EnvironmentVariableArgs(
                        name="AZUREML_MODEL_DIR", value="/var/azureml-app/azureml-models"
                    ),
                    ci.EnvironmentVariableArgs(name="AML_APP_ROOT", value="/var/azureml-app"),
                ],
                resources=ci.ResourceRequirementsArgs(
                    requests=ci.ResourceRequestsArgs(cpu=1.0, memory_in_gb=1.5),
                    limits=ci.ResourceLimitsArgs(cpu=1.0, memory_in_gb=1.5),
                ),
            ),
            ci.ContainerArgs(
                name="gateway",
                image=DEFAULT_GATEWAY_IMAGE,
                command=container_command(settings),
                ports=[ci.ContainerPortArgs(port=443, protocol="TCP")],
                volume_mounts=[
                    ci.VolumeMountArgs(name="gateway-config", mount_path=CONTAINER_CONFIG_DIR, read_only=True)
                ],
                resources=ci.ResourceRequirementsArgs(
                    requests=ci.ResourceRequestsArgs(cpu=0.25, memory_in_gb=0.5),
                    limits=ci.ResourceLimitsArgs(cpu=0.25, memory_in_gb=0.5),
                ),
                readiness_probe=ci.ContainerProbeArgs(
                    http_get=ci.ContainerHttpGetArgs(
                        port=443,
                        path="/",
                        scheme="https",
                        http_headers=[ci.HttpHeaderArgs(name="Host", value=HOST)],
                    ),
                    initial_delay_seconds=10,
                    period_seconds=10,
                    failure_threshold=3,
                    timeout_seconds=5,
                ),
            ),
        ],
        volumes=[ci.VolumeArgs(name="gateway-config", secret=secret)],
        ip_address=ci.IpAddressArgs(
            type="Public",
            ports=[ci.PortArgs(port=443, protocol="TCP")],
            dns_name_label=f"contoso-scoring-{i}",
            auto_generated_domain_name_label_scope="TenantReuse",
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            additional_secret_outputs=["volumes"],
            replace_on_changes=list(REPLACE_ON_CHANGES),
            delete_before_replace=True,
        ),
    )
    return keys, group


def _per_service(n: int, chain: Path, key: Path, service):
    """A program: one shared CertificateBundle, then ``service(i, cert, settings)`` for each service."""

    def program():
        cert = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST])
        settings = gateway_settings()
        for i in range(n):
            service(i, cert, settings)

    return program


def raw_program(n: int, chain: Path, key: Path):
    return _per_service(n, chain, key, declare_resources)


class ContractMinimum(pulumi.ComponentResource):
    """The least a component may do under DESIGN.md: the same children (``parent=self``), the nine
    security facts DESIGN.md names as props and as outputs, and its documented outputs. No
    validation, no other props or outputs: the floor of what such a component costs in the SDK."""

    def __init__(self, i: int, cert: CertificateBundle, settings: GatewaySettings) -> None:
        facts = {
            "tlsEnabled": True,
            "certificateSource": cert.source,
            "selfSigned": False,
            "authMode": "key",
            "keyAuthEnabled": True,
            "tokenAuthEnabled": False,
            "minTlsVersion": "1.2",
            "environment": None,
            "hostname": HOST,
        }
        super().__init__("secure-scoring:bench:ContractMinimum", f"svc{i}", facts)
        keys, group = declare_resources(i, cert, settings, parent=self)
        snake = {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in facts.items()}
        self.register_outputs(
            {
                **snake,
                "scoring_uri": f"https://{HOST}/score",
                "fqdn": group.ip_address.apply(lambda ip: ip.fqdn if ip else None),
                "ip_address": group.ip_address.apply(lambda ip: ip.ip if ip else None),
                "primary_key": keys[0].result,
                "secondary_key": keys[1].result,
            }
        )


def floor_program(n: int, chain: Path, key: Path):
    return _per_service(n, chain, key, ContractMinimum)


def _masked(value):
    """Wire inputs with the secret volume's content masked (the keys are random in each run)."""
    if isinstance(value, dict):
        if value.get(rpc_sig()) is not None and "value" in value:
            return {"<secret>": True}
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def rpc_sig() -> str:
    from pulumi.runtime import rpc

    return rpc._special_sig_key


def check_same_resources(chain: Path, key: Path) -> None:
    """Refuse to measure unless both programs declare the same custom resources with the same inputs."""
    comp = run_with_mocks(component_program(2, chain, key))
    raw = run_with_mocks(raw_program(2, chain, key))
    floor = run_with_mocks(floor_program(2, chain, key))

    def customs(rec):
        return {
            (r.type, r.name): (
                _masked(r.wire_inputs),
                sorted(r.additional_secret_outputs),
                sorted(r.replace_on_changes),
                r.delete_before_replace,
            )
            for r in rec.resources
            if r.custom
        }

    c = customs(comp)
    for label, rec in (("raw", raw), ("contract-minimum", floor)):
        r = customs(rec)
        if c != r:
            diff = sorted(k for k in set(c) | set(r) if c.get(k) != r.get(k))
            raise SystemExit(
                f"bench/aci_mocks.py: the {label} program differs from the component's resources: {diff}"
            )


def timed(program, *, gc_on: bool) -> tuple[float, float, int]:
    """(CPU seconds of this process, wall seconds, registrations) of one mock run.

    Garbage of earlier runs is collected first. ``gc_on=False`` disables the cyclic garbage collector
    during the run, as ``timeit`` does: that measures the work itself, without collections whose cost
    depends on everything else alive in the process.
    """
    gc.collect()
    if not gc_on:
        gc.disable()
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        rec = run_with_mocks(program)
        return time.process_time() - cpu, time.perf_counter() - wall, len(rec.resources)
    finally:
        gc.enable()


def count_calls(program) -> int:
    """Python function calls of one mock run (cProfile): a load-independent measure of the work."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    run_with_mocks(program)
    profiler.disable()
    return pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]


# Callgrind client requests, called through ctypes around each measured run (``--instructions``).
_CALLGRIND_HELPER = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void cg_toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""
_HELPER_ENV = "SECURE_SCORING_BENCH_CALLGRIND"


def instructions(services: int) -> int:
    """Count the instructions of one run of each program under callgrind: exact and repeatable.

    This machine's timings move by +-20 % from run to run for the same work, more than the difference
    being measured; an instruction count does not depend on load, frequency or the other core. The
    program runs once under valgrind (imports and warm-up uninstrumented), and each measured run is
    bracketed by client requests (zero, collect, dump) so that only its own instructions are counted,
    garbage collection included (hash seed fixed, so the runs are identical from one call to the next).
    """
    import shutil
    import subprocess

    valgrind, cc = shutil.which("valgrind"), shutil.which("cc") or shutil.which("gcc")
    header = Path("/usr/include/valgrind/callgrind.h")
    if not (valgrind and cc and header.exists()):
        print(
            "bench/aci_mocks.py: --instructions needs valgrind (with valgrind/callgrind.h) and a C compiler: "
            "apt-get install valgrind gcc",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-aci-cg-") as tmp:
        src, lib = Path(tmp) / "cg.c", Path(tmp) / "libcg.so"
        src.write_text(_CALLGRIND_HELPER)
        subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
        env = {**os.environ, "PYTHONHASHSEED": "0", _HELPER_ENV: str(lib)}
        cmd = [
            valgrind,
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=no",
            f"--callgrind-out-file={tmp}/cg.out.%p",
            sys.executable,
            str(Path(__file__).resolve()),
            "--services",
            str(services),
        ]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stdout + done.stderr[-4000:], file=sys.stderr)
            return done.returncode
        totals: dict[str, int] = {}
        for dump in Path(tmp).glob("cg.out.*.*"):
            text = dump.read_text(errors="replace")
            label = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
            total = re.search(r"^totals: (\d+)", text, re.M)
            if label and total:
                totals[label.group(1)] = int(total.group(1))
    names = {"raw": "raw resources", "floor": "contract minimum", "component": "SecureAciService"}
    print(f"services: {services}; instructions counted by callgrind (deterministic), one run of each program")
    print(f"{'gc':4} {'program':18} {'instructions':>15} {'per service':>13} {'ratio to raw':>13}")
    for gc_on in ("on", "off"):
        raw = totals[f"raw-gc-{gc_on}"]
        for label in ("raw", "floor", "component"):
            n = totals[f"{label}-gc-{gc_on}"]
            print(f"{gc_on:4} {names[label]:18} {n:>15,} {n // services:>13,} {n / raw:>13.3f}")
    for gc_on in ("on", "off"):
        comp, raw, floor = (totals[f"{k}-gc-{gc_on}"] for k in ("component", "raw", "floor"))
        ratio = comp / raw
        print(
            f"ratio component/raw, gc {gc_on:3}: instructions {ratio:.3f} "
            f"(component adds {(comp - raw) // services:,} per service)  "
            f"(target <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'}); "
            f"a component with only what DESIGN.md requires (contract minimum): {floor / raw:.3f}"
        )
    return 0


def _instructions_child(lib_path: str, services: int) -> int:
    """Inside valgrind: warm up, then measure one run of each program between client requests."""
    import ctypes

    from support.certs import CertFactory

    lib = ctypes.CDLL(lib_path)
    with tempfile.TemporaryDirectory() as tmp:
        f = CertFactory(Path(tmp))
        leaf = f.leaf(f.intermediate(f.ca("Bench Root CA"), "Bench Intermediate CA"), [HOST])
        chain, key = leaf.write_chain(Path(tmp) / "chain.pem"), leaf.key_path
        check_same_resources(chain, key)
        programs = (
            ("raw", raw_program(services, chain, key)),
            ("floor", floor_program(services, chain, key)),
            ("component", component_program(services, chain, key)),
        )
        for _, program in programs:  # warm-up: first-use imports and caches
            run_with_mocks(program)
        lib.cg_start()
        for gc_on in (True, False):
            for label, program in programs:
                gc.collect()
                if not gc_on:
                    gc.disable()
                lib.cg_zero()
                lib.cg_toggle()
                run_with_mocks(program)
                lib.cg_toggle()
                gc.enable()
                lib.cg_dump(f"{label}-gc-{'on' if gc_on else 'off'}".encode())
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=None, help="default 50 (10 with --instructions)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--calls", action="store_true", help="also count Python function calls (deterministic, unlike time)"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions under callgrind instead of timing (deterministic; needs valgrind; "
        "about 4 s per service)",
    )
    opts = parser.parse_args()
    if opts.services is None:
        opts.services = 10 if opts.instructions else 50
    if opts.services < 1:
        parser.error("--services must be at least 1")
    if os.environ.get(_HELPER_ENV):
        return _instructions_child(os.environ[_HELPER_ENV], opts.services)
    if opts.instructions:
        return instructions(opts.services)

    from support.certs import CertFactory

    with tempfile.TemporaryDirectory() as tmp:
        f = CertFactory(Path(tmp))
        root = f.ca("Bench Root CA")
        inter = f.intermediate(root, "Bench Intermediate CA")
        leaf = f.leaf(inter, [HOST])
        chain = leaf.write_chain(Path(tmp) / "chain.pem")
        key = leaf.key_path

        check_same_resources(chain, key)
        comp, raw = component_program(opts.services, chain, key), raw_program(opts.services, chain, key)
        n_comp = timed(comp, gc_on=True)[2]  # warm-up (first-use imports and caches)
        n_raw = timed(raw, gc_on=True)[2]
        runs: dict[tuple[str, bool], list[tuple[float, float, int]]] = {}
        for i in range(opts.rounds):  # alternate the order so drift hits both programs alike
            pair = (("component", comp), ("raw", raw)) if i % 2 == 0 else (("raw", raw), ("component", comp))
            for gc_on in (True, False):
                for label, program in pair:
                    runs.setdefault((label, gc_on), []).append(timed(program, gc_on=gc_on))
        calls = (count_calls(comp), count_calls(raw)) if opts.calls else None

    def med(label: str, gc_on: bool, i: int) -> float:
        return statistics.median(r[i] for r in runs[(label, gc_on)])

    n = opts.services
    print(f"services: {n}, rounds: {opts.rounds}, medians; CPU = process time (robust to other load)")
    print(f"registrations: raw {n_raw}, component {n_comp}")
    print(f"{'gc':4} {'program':18} {'CPU s':>8} {'wall s':>8} {'CPU ms/service':>15}")
    for gc_on in (True, False):
        for label in ("raw", "component"):
            cpu, wall = med(label, gc_on, 0), med(label, gc_on, 1)
            name = "raw resources" if label == "raw" else "SecureAciService"
            print(f"{'on' if gc_on else 'off':4} {name:18} {cpu:8.3f} {wall:8.3f} {1000 * cpu / n:15.1f}")
    for gc_on in (True, False):
        ratio = med("component", gc_on, 0) / med("raw", gc_on, 0)
        wall = med("component", gc_on, 1) / med("raw", gc_on, 1)
        verdict = "met" if ratio <= 1.10 else "NOT met"
        print(
            f"ratio component/raw, gc {'on ' if gc_on else 'off'}: CPU {ratio:.3f}, wall {wall:.3f}"
            f"  (target <= 1.10: {verdict})"
        )
    if calls:
        c_calls, r_calls = calls
        print(
            f"Python calls: raw {r_calls}, component {c_calls}, ratio {c_calls / r_calls:.3f} (load-independent)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
