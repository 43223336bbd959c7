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
Target: ratio <= 1.10.

    .venv/bin/python bench/aci_mocks.py [--services N] [--rounds R] [--calls]
"""

from __future__ import annotations

import argparse
import base64
import gc
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

from secure_scoring.aci import SecureAciService, SecureAciServiceArgs  # noqa: E402
from secure_scoring.certificates import CertificateBundle  # noqa: E402
from secure_scoring.gateway import (  # noqa: E402
    CONTAINER_CONFIG_DIR,
    GatewaySettings,
    container_command,
    render_secret_files,
)
from secure_scoring.mocking import run_with_mocks  # noqa: E402

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


def raw_program(n: int, chain: Path, key: Path):
    def program():
        cert = CertificateBundle.from_files("cert", chain, key, hostnames=[HOST])
        settings = GatewaySettings(
            hostnames=(HOST,),
            auth_mode="key",
            upstream="127.0.0.1:5001",
            listen_port=443,
            config_dir=CONTAINER_CONFIG_DIR,
        )
        for i in range(n):
            keys = [
                pulumi_random.RandomPassword(
                    f"svc{i}-{which}-key",
                    length=48,
                    special=False,
                    upper=True,
                    lower=True,
                    numeric=True,
                    keepers={"rotation": "1"},
                    opts=pulumi.ResourceOptions(additional_secret_outputs=["result", "bcryptHash"]),
                )
                for which in ("primary", "secondary")
            ]

            def files(v, settings=settings):
                rendered = render_secret_files(
                    settings, cert_pem=v[0], key_pem=v[1], primary_key=v[2], secondary_key=v[3]
                )
                return {k: base64.b64encode(t.encode()).decode() for k, t in rendered.items()}

            secret = pulumi.Output.secret(
                pulumi.Output.all(cert.cert_pem, cert.key_pem, keys[0].result, keys[1].result).apply(files)
            )
            probe = ci.ContainerProbeArgs(
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
            )
            ci.ContainerGroup(
                f"svc{i}-group",
                resource_group_name="rg",
                os_type="Linux",
                restart_policy="Always",
                sku="Standard",
                containers=[
                    ci.ContainerArgs(
                        name="scorer",
                        image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
                        command=[
                            "python",
                            "-c",
                            "...",
                            "--entry_script",
                            "/var/azureml-app/score.py",
                            "--port",
                            "5001",
                        ],
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
                        image="nginx:1.27-alpine",
                        command=container_command(settings),
                        ports=[ci.ContainerPortArgs(port=443, protocol="TCP")],
                        volume_mounts=[
                            ci.VolumeMountArgs(
                                name="gateway-config", mount_path=CONTAINER_CONFIG_DIR, read_only=True
                            )
                        ],
                        resources=ci.ResourceRequirementsArgs(
                            requests=ci.ResourceRequestsArgs(cpu=0.25, memory_in_gb=0.5),
                            limits=ci.ResourceLimitsArgs(cpu=0.25, memory_in_gb=0.5),
                        ),
                        liveness_probe=probe,
                        readiness_probe=probe,
                    ),
                ],
                volumes=[ci.VolumeArgs(name="gateway-config", secret=secret)],
                ip_address=ci.IpAddressArgs(
                    type="Public",
                    ports=[ci.PortArgs(port=443, protocol="TCP")],
                    dns_name_label=f"contoso-scoring-{i}",
                    auto_generated_domain_name_label_scope="TenantReuse",
                ),
                opts=pulumi.ResourceOptions(additional_secret_outputs=["volumes"]),
            )

    return program


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--calls", action="store_true", help="also count Python function calls (deterministic, unlike time)"
    )
    opts = parser.parse_args()

    from support.certs import CertFactory

    with tempfile.TemporaryDirectory() as tmp:
        f = CertFactory(Path(tmp))
        root = f.ca("Bench Root CA")
        inter = f.intermediate(root, "Bench Intermediate CA")
        leaf = f.leaf(inter, [HOST])
        chain = leaf.write_chain(Path(tmp) / "chain.pem")
        key = leaf.key_path

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
