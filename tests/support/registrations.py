"""Golden record of every resource registration and every gate report of the example programs.

What a deployed stack sees is what its program *registers*: type tokens, names, parents (so URNs),
the inputs as sent on the wire, the resource options, and the outputs a component passes to
``register_outputs``. This module runs a Pulumi Python program under ``pulumi.runtime.set_mocks``
with its own deterministic mocks and a monitor that records all of that, components included, so a
refactor can be checked to change none of it. It depends on ``pulumi`` (and ``cryptography``, for
the pulumi-tls answers) only, never on ``secure_scoring`` internals, which may move.

It also records the offline gate's reports through its stable interface, the console script
(``secure-scoring check <dir> --stack <stack> --format json|sarif``, exit code included).
``--update`` and ``--check`` start the console script for each run; ``tests/test_golden.py`` runs the
same command lines through :func:`capture_gates` (the console script's function in a forked child
of a worker that imported everything once: the same reports, without 28 interpreter start-ups) and
checks one case against the console script itself.

Programs: ``stacks`` (stacks dev, staging, production) and every ``examples/insecure/*`` program
with each of its ``Pulumi.<stack>.yaml``. One golden file per program and stack in
``tests/data/golden/`` (pretty-printed, sorted keys); ``tests/test_golden.py`` compares.

    python -m tests.support.registrations --update     # regenerate every golden file
    python -m tests.support.registrations --check      # compare against the goldens, print the diff
    python -m tests.support.registrations --show stacks production   # print one capture

Regenerate only for an intended change, and review the diff (``git diff tests/data/golden``): the
goldens are the proof that a stack deployed before a change sees no diff after it. They were first
taken from commit 16904c8 (before the subpackage refactor), from a pristine worktree:

    git worktree add /work/baseline 16904c8
    PYTHONPATH=/work/baseline/components python -m tests.support.registrations --root /work/baseline --update

``--root DIR`` captures the programs of another checkout (run with ``PYTHONPATH=DIR/components`` so
that its package is the one imported: the script refuses to run when ``secure_scoring`` comes from
elsewhere, and prints which package the CLI imports); ``--no-gate`` skips the CLI reports;
``--show PROGRAM STACK --reveal-secrets`` prints the registrations with secrets in clear (for finding
what a changed hash hides; never written to a golden).

Normalised, and only this: the checkout's absolute path becomes ``<root>`` (and the virtual
environment's ``<venv>``); in the gate reports, an instant that is the run's "now" plus the validity
of one of the program's pulumi-tls certificates (the gate's own mocks issue them at "now") becomes
``<run time + Nh>`` (the days-left counts stay: they do not change run to run), and CPython's
occasional ``Exception ignored in: <function BaseEventLoop.__del__ ...>`` traceback at interpreter
exit is dropped from stderr; a secret (the wire envelope ``{"4dabf18193072939515e22adb298388d":
"1b47061264138c4ac30d75fd1eb44270", "value": ...}``) becomes ``"<secret sha256:...>"`` (a hash of
its normalised value, never the value); dependency lists are sorted (the SDK builds them from
sets). The mocks answer from the resource's type and name only: ids are ``<name>_id``, keys and
certificates for pulumi-tls are real but derived from the name (certificates valid from a fixed
date, deterministic ECDSA/Ed25519 signatures), random passwords are hashes of the name.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import difflib
import hashlib
import json
import os
import re
import runpy
import subprocess
import sys
import warnings
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import empty_pb2, json_format
from pulumi.runtime import mocks as _mocks

REPO = Path(__file__).resolve().parents[2]
GOLDEN_DIR = REPO / "tests" / "data" / "golden"
FORMAT_VERSION = 1

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"
# the request fields that say where in the code a resource was created, or carry per-run callback
# ids: they move with any refactor and are not seen by a deployed stack
_POSITIONAL_FIELDS = ("object", "sourcePosition", "stackTrace", "parentStackTraceHandle", "transforms")
CERT_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
"""``not_before`` of every mock certificate: fixed, so that captures do not depend on "now"."""


# --------------------------------------------------------------------------------------------------
# the programs
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    program: str
    """Program directory relative to the checkout, e.g. ``stacks`` or ``examples/insecure/old-tls``."""
    stack: str

    @property
    def id(self) -> str:
        return f"{self.program}:{self.stack}"

    @property
    def golden(self) -> Path:
        return GOLDEN_DIR / f"{self.program.replace('/', '__')}.{self.stack}.json"


def cases(root: Path = REPO) -> list[Case]:
    """``stacks`` with its stacks, and every ``examples/insecure/*`` program with each of its stacks."""
    found: list[Case] = []
    for stack in ("dev", "staging", "production"):
        found.append(Case("stacks", stack))
    for d in sorted((root / "examples" / "insecure").iterdir()):
        if not (d / "Pulumi.yaml").is_file():
            continue
        for f in sorted(d.glob("Pulumi.*.yaml")):
            found.append(Case(f"examples/insecure/{d.name}", f.name[len("Pulumi.") : -len(".yaml")]))
    return found


@dataclass(frozen=True)
class Project:
    name: str
    root: Path
    main: Path
    stack_config_dir: Path
    config: Mapping[str, Any]


def load_project(program_dir: Path) -> Project:
    """``Pulumi.yaml`` of ``program_dir`` or its nearest parent, as the Pulumi CLI finds it."""
    start = program_dir.resolve()
    for d in (start, *start.parents):
        if (d / "Pulumi.yaml").is_file():
            data = yaml.safe_load((d / "Pulumi.yaml").read_text()) or {}
            main = (d / data["main"]).resolve() if data.get("main") else d
            scd = (d / data["stackConfigDir"]).resolve() if data.get("stackConfigDir") else d
            return Project(data["name"], d, main, scd, dict(data.get("config") or {}))
    raise FileNotFoundError(f"no Pulumi.yaml in {start} or a parent")


def _encode(value: Any) -> str:
    """A config value as the Pulumi CLI hands it to a program: strings as is, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _contains_secure(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "secure" in value or any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def stack_config(project: Project, stack: str) -> dict[str, str]:
    """The config map the CLI gives the program: project defaults, then ``Pulumi.<stack>.yaml``; a key
    without a namespace gets the project's name."""

    def full(key: str) -> str:
        return key if ":" in key else f"{project.name}:{key}"

    values: dict[str, str] = {}
    for key, spec in project.config.items():
        if isinstance(spec, Mapping) and ({"value", "default"} & set(spec)):
            values[full(key)] = _encode(spec.get("value", spec.get("default")))
        elif not isinstance(spec, Mapping) or not ({"type", "description"} & set(spec)):
            values[full(key)] = _encode(spec)
    file = project.stack_config_dir / f"Pulumi.{stack}.yaml"
    data = yaml.safe_load(file.read_text()) or {}
    for key, raw in (data.get("config") or {}).items():
        if _contains_secure(raw):
            raise ValueError(f"{file}: {key} is a secure value; the capture cannot decrypt it")
        values[full(key)] = _encode(raw)
    return values


# --------------------------------------------------------------------------------------------------
# deterministic mocks
# --------------------------------------------------------------------------------------------------
def _seed(*parts: str) -> bytes:
    return hashlib.sha512("/".join(parts).encode()).digest()


def _plain(value: Any) -> Any:
    """``value`` without secret envelopes (to compute an answer from it)."""
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _private_key(seed: bytes, algorithm: str, curve: str):
    """A key derived from ``seed``: ECDSA on the asked curve, Ed25519 otherwise (also for RSA, which
    cannot be derived cheaply; no captured program asks for RSA)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if algorithm == "ECDSA":
        c = {"P224": ec.SECP224R1(), "P256": ec.SECP256R1(), "P384": ec.SECP384R1(), "P521": ec.SECP521R1()}[
            curve or "P224"
        ]
        value = (int.from_bytes(seed) % (1 << (c.key_size - 1))) | 1
        return ec.derive_private_key(value, c)
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed[:32])


def _load_key(pem: Any):
    from cryptography.hazmat.primitives import serialization

    if not isinstance(pem, str) or "PRIVATE KEY" not in pem:
        return None
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _sign(builder, key):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if isinstance(key, ec.EllipticCurvePrivateKey):
        return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    return builder.sign(key, None)


def _certificate(seed: bytes, cn: str | None, dns_names: list[str], public_key, issuer, issuer_key, inputs):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
    hours = int(inputs.get("validityPeriodHours") or 24)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer if issuer is not None else subject)
        .public_key(public_key)
        .serial_number(int.from_bytes(seed[:19]) >> 1 or 1)
        .not_valid_before(CERT_EPOCH)
        .not_valid_after(CERT_EPOCH + dt.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=bool(inputs.get("isCaCertificate")), path_length=None), True)
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in dns_names]), False
        )
    return _sign(builder, issuer_key).public_bytes(serialization.Encoding.PEM).decode()


class GoldenMocks(_mocks.Mocks):
    """Answers that depend on the resource's type, name and inputs only."""

    def call(self, args: _mocks.MockCallArgs):
        tok, a = args.token, _plain(dict(args.args))
        seed = hashlib.sha256(f"{tok}/{json.dumps(a, sort_keys=True, default=str)}".encode()).hexdigest()
        if tok.endswith(":listOnlineEndpointKeys"):
            return {"primaryKey": f"primary-{seed[:32]}", "secondaryKey": f"secondary-{seed[:32]}"}, []
        if tok.endswith(":getOnlineEndpointToken"):
            return {
                "accessToken": f"token-{seed[:32]}",
                "expiryTimeUtc": 1735693200,
                "refreshAfterTimeUtc": 1735691400,
                "tokenType": "Bearer",
            }, []
        if tok.endswith(":getClientConfig"):
            zero = "00000000-0000-0000-0000-000000000000"
            return {"subscriptionId": zero, "tenantId": zero, "clientId": "mock", "objectId": "mock"}, []
        return {}, []

    def new_resource(self, args: _mocks.MockResourceArgs):
        state = dict(args.inputs)  # the engine echoes inputs (secret envelopes included)
        if not args.custom:
            return "", state
        handler = getattr(self, "_" + re.sub(r"[^A-Za-z0-9]", "_", args.typ), None)
        if handler is not None:
            state.update(handler(args.name, _plain(dict(args.inputs)), args.typ))
        return f"{args.name}_id", state

    # azure-native: the outputs the components read ---------------------------------------------
    def _azure_native_containerinstance_ContainerGroup(self, name, inputs, typ):
        ip = dict(inputs.get("ipAddress") or {})
        if not ip:
            return {}
        ip["ip"] = "20.0.0.1"
        if ip.get("dnsNameLabel"):
            ip["fqdn"] = f"{ip['dnsNameLabel']}.{inputs.get('location') or 'westeurope'}.azurecontainer.io"
        return {"ipAddress": ip}

    def _azure_native_dns_RecordSet(self, name, inputs, typ):
        rel = inputs.get("relativeRecordSetName") or name
        zone = inputs.get("zoneName") or "example.com"
        return {"fqdn": (zone if rel == "@" else f"{rel}.{zone}") + "."}

    def _azure_native_privatedns_PrivateRecordSet(self, name, inputs, typ):
        rel = inputs.get("relativeRecordSetName") or name
        zone = inputs.get("privateZoneName") or "example.com"
        return {"fqdn": (zone if rel == "@" else f"{rel}.{zone}") + "."}

    def _azure_native_network_PublicIPAddress(self, name, inputs, typ):
        out: dict[str, Any] = {"ipAddress": "52.0.0.1"}
        dns = dict(inputs.get("dnsSettings") or {})
        if dns.get("domainNameLabel"):
            dns["fqdn"] = (
                f"{dns['domainNameLabel']}.{inputs.get('location') or 'westeurope'}.cloudapp.azure.com"
            )
            out["dnsSettings"] = dns
        return out

    def _azure_native_machinelearningservices_OnlineEndpoint(self, name, inputs, typ):
        ename = inputs.get("endpointName") or name
        props = dict(inputs.get("properties") or {})
        props.setdefault("scoringUri", f"https://{ename}.westeurope.inference.ml.azure.com/score")
        return {"properties": props}

    def _azure_native_machinelearningservices_Compute(self, name, inputs, typ):
        props = dict(inputs.get("properties") or {})
        inner = dict(props.get("properties") or {})
        inner.setdefault("clusterFqdn", f"{inputs.get('computeName') or name}.hcp.westeurope.azmk8s.io")
        inner.setdefault(
            "systemServices", [{"systemServiceType": "ScoringFront", "publicIpAddress": "20.0.0.2"}]
        )
        props["properties"] = inner
        return {"properties": props}

    # pulumi-tls / pulumi-random: real PEM, derived from the name -----------------------------------
    def _tls_index_privateKey_PrivateKey(self, name, inputs, typ):
        from cryptography.hazmat.primitives import serialization as s

        key = _private_key(_seed(typ, name), str(inputs.get("algorithm") or "RSA"), inputs.get("ecdsaCurve"))
        pkcs8 = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()).decode()
        pub = key.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo).decode()
        return {
            "privateKeyPem": pkcs8,
            "privateKeyPemPkcs8": pkcs8,
            "publicKeyPem": pub,
            "publicKeyFingerprintSha256": hashlib.sha256(pub.encode()).hexdigest(),
        }

    def _tls_index_selfSignedCert_SelfSignedCert(self, name, inputs, typ):
        key = _load_key(inputs.get("privateKeyPem"))
        if key is None:
            return {"certPem": ""}
        cn = (inputs.get("subject") or {}).get("commonName")
        dns_names = list(inputs.get("dnsNames") or [])
        pem = _certificate(_seed(typ, name), cn, dns_names, key.public_key(), None, key, inputs)
        return {"certPem": pem, "readyForRenewal": False}

    def _tls_index_certRequest_CertRequest(self, name, inputs, typ):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.x509.oid import NameOID

        key = _load_key(inputs.get("privateKeyPem"))
        if key is None:
            return {"certRequestPem": ""}
        cn = (inputs.get("subject") or {}).get("commonName")
        builder = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
        )
        if inputs.get("dnsNames"):
            sans = x509.SubjectAlternativeName([x509.DNSName(d) for d in inputs["dnsNames"]])
            builder = builder.add_extension(sans, False)
        return {"certRequestPem": _sign(builder, key).public_bytes(serialization.Encoding.PEM).decode()}

    def _tls_index_locallySignedCert_LocallySignedCert(self, name, inputs, typ):
        from cryptography import x509

        ca_key = _load_key(inputs.get("caPrivateKeyPem"))
        ca_pem, csr_pem = inputs.get("caCertPem"), inputs.get("certRequestPem")
        if ca_key is None or not ca_pem or not csr_pem:
            return {"certPem": ""}
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns_names = list(san.get_values_for_type(x509.DNSName))
        except x509.ExtensionNotFound:
            dns_names = []
        cns = csr.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
        cn = str(cns[0].value) if cns else None
        pem = _certificate(_seed(typ, name), cn, dns_names, csr.public_key(), ca.subject, ca_key, inputs)
        return {"certPem": pem, "readyForRenewal": False}

    def _random_index_randomPassword_RandomPassword(self, name, inputs, typ):
        length = int(inputs.get("length") or 32)
        text = base64.b64encode(_seed(typ, name) * 4).decode().replace("/", "-").replace("+", "_")
        return {"result": text[:length]}

    _random_index_randomString_RandomString = _random_index_randomPassword_RandomPassword

    def _random_index_randomId_RandomId(self, name, inputs, typ):
        raw = _seed(typ, name)[: int(inputs.get("byteLength") or 8)]
        return {"hex": raw.hex(), "b64Url": base64.urlsafe_b64encode(raw).decode().rstrip("=")}


# --------------------------------------------------------------------------------------------------
# the recording monitor
# --------------------------------------------------------------------------------------------------
def _wire(message: Any) -> Any:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


class RecordingMonitor(_mocks.MockMonitor):
    """A MockMonitor that keeps every RegisterResource (components and the stack included),
    RegisterResourceOutputs and Invoke request as sent, and makes the engine's URNs (the root stack
    is not part of a child's type chain)."""

    def __init__(self, mocks: _mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[dict[str, Any]] = []
        self.outputs: dict[str, list[Any]] = {}
        self.invokes: list[dict[str, Any]] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent and parent.split("::")[2] != "pulumi:pulumi:Stack":
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        options = _wire(request)
        for f in _POSITIONAL_FIELDS:
            options.pop(f, None)
        for f in ("type", "name", "parent", "custom"):
            options.pop(f, None)
        self.registrations.append(
            {
                "urn": response.urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent or None,
                "custom": bool(request.custom),
                "props": _wire(request.object),
                "options": options,
            }
        )
        return response

    def RegisterResourceOutputs(self, request):
        self.outputs.setdefault(request.urn, []).append(_wire(request.outputs))
        return empty_pb2.Empty()

    def Invoke(self, request):
        response = super().Invoke(request)
        call = _wire(request)
        for f in _POSITIONAL_FIELDS:
            call.pop(f, None)
        call["return"] = _wire(response)
        self.invokes.append(call)
        return response


class _Logs:
    def __init__(self) -> None:
        self.records: list[tuple[str, str]] = []

    def __getattr__(self, level: str):
        return lambda msg, *a, **k: self.records.append((level, str(msg)))


@contextlib.contextmanager
def _program_context(project: Project) -> Iterator[None]:
    """cwd, sys.path and sys.argv as the Python language host sets them; undone afterwards, and the
    program's own modules forgotten."""
    old = os.getcwd(), list(sys.path), list(sys.argv), set(sys.modules)
    main_dir = project.main if project.main.is_dir() else project.main.parent
    for p in (str(project.root), str(main_dir)):
        if p not in sys.path:
            sys.path.insert(0, p)
    sys.argv = [str(main_dir / "__main__.py")]
    os.chdir(project.root)
    try:
        yield
    finally:
        os.chdir(old[0])
        sys.path[:] = old[1]
        sys.argv = old[2]
        for mod in set(sys.modules) - old[3]:
            file = getattr(sys.modules[mod], "__file__", None) or ""
            if file.startswith(str(main_dir) + os.sep):
                del sys.modules[mod]


def run_program(program_dir: Path, stack: str) -> tuple[RecordingMonitor, list[tuple[str, str]]]:
    """Run the program of ``program_dir`` for ``stack`` (an update, not a preview) under the mocks."""
    from pulumi.runtime import config as _config
    from pulumi.runtime import settings as _settings
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    project = load_project(program_dir)
    values = stack_config(project, stack)
    mocks = GoldenMocks()
    monitor = RecordingMonitor(mocks)
    logs = _Logs()
    # the thread's event loop, made current before the SDK needs one (on Python 3.12+ the SDK's
    # asyncio.Future() and asyncio.get_event_loop() warn when they have to make it)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncio.get_event_loop()
    _config.set_all_config(values, [])
    # a placeholder root keeps set_mocks from registering a root stack of its own (one whose outputs
    # are closed at once): the stack is made below, as the language host does (a new Stack, the
    # program, then the stack's outputs)
    _settings.ROOT.set(object())  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(
        mocks, project=project.name, stack=stack, preview=False, monitor=monitor, logger=logs
    )
    _settings.ROOT.set(None)
    _settings.SETTINGS.rpc_manager.clear()
    _settings.SETTINGS.outputs.clear()
    target = project.main if project.main.is_dir() else project.main

    def program() -> None:
        runpy.run_path(str(target), run_name="__main__")

    try:
        with _program_context(project):
            _sync_await(run_in_stack(program))
    finally:
        loop = asyncio.get_event_loop()
        for task in asyncio.all_tasks(loop) if not loop.is_running() else []:
            task.cancel()
        _settings.ROOT.set(None)
    return monitor, logs.records


# --------------------------------------------------------------------------------------------------
# normalising
# --------------------------------------------------------------------------------------------------
class Normaliser:
    def __init__(self, root: Path, *, reveal_secrets: bool = False) -> None:
        self.reveal_secrets = reveal_secrets
        self.replacements = [(str(root.resolve()), "<root>"), (str(Path(sys.prefix).resolve()), "<venv>")]

    def text(self, s: str) -> str:
        for old, new in self.replacements:
            s = s.replace(old, new)
        return s

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            if value.get(SECRET_SIG) == SECRET_VALUE:
                if self.reveal_secrets:  # diagnostics only (--show --reveal-secrets), never a golden
                    return {"<secret>": self(value.get("value"))}
                inner = json.dumps(self(value.get("value")), sort_keys=True, separators=(",", ":"))
                return f"<secret sha256:{hashlib.sha256(inner.encode()).hexdigest()[:16]}>"
            return {self.text(str(k)): self(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def capture_registrations(root: Path, case: Case, *, reveal_secrets: bool = False) -> dict[str, Any]:
    """Every registration of ``case``'s program, by URN, and its invokes and log messages."""
    monitor, logs = run_program(root / case.program, case.stack)
    norm = Normaliser(root, reveal_secrets=reveal_secrets)
    resources: dict[str, Any] = {}
    duplicates: list[str] = []
    for reg in monitor.registrations:
        reg = norm(reg)
        opts = reg["options"]
        if "dependencies" in opts:
            opts["dependencies"] = sorted(opts["dependencies"])
        for deps in (opts.get("propertyDependencies") or {}).values():
            deps["urns"] = sorted(deps.get("urns") or [])
        if reg["urn"] in resources:
            duplicates.append(reg["urn"])
        outputs = monitor.outputs.get(monitor_urn := reg["urn"])
        if outputs is not None:
            reg["outputs"] = norm(outputs[0] if len(outputs) == 1 else outputs)
        resources[monitor_urn] = reg
    invokes = sorted(
        (norm(i) for i in monitor.invokes), key=lambda i: json.dumps(i, sort_keys=True, default=str)
    )
    return {
        "resources": dict(sorted(resources.items())),
        "duplicate_urns": sorted(duplicates),
        "unregistered_outputs": sorted(norm(u) for u in set(monitor.outputs) - set(resources)),
        "invokes": invokes,
        "logs": [[level, norm(msg)] for level, msg in logs if level != "debug"],
    }


# --------------------------------------------------------------------------------------------------
# the gate's reports, through the console script
# --------------------------------------------------------------------------------------------------
def cli_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root / "components")
    env.pop("PULUMI_CONFIG", None)
    env["NO_COLOR"] = "1"
    return env


def package_file(root: Path) -> str:
    """``secure_scoring.__file__`` as the CLI imports it with :func:`cli_env` (proof of which code ran)."""
    out = subprocess.run(
        [sys.executable, "-c", "import secure_scoring; print(secure_scoring.__file__)"],
        env=cli_env(root),
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def _cli() -> str:
    return str(Path(sys.executable).with_name("secure-scoring"))


_STAMP = re.compile(r"\b(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(?: UTC|Z|\+00:00)?")
# CPython's asyncio, now and then, when the CLI's interpreter exits: the event loop's finaliser runs
# after its selector is closed. Whether it appears depends on the garbage collector, not on the code.
_LOOP_DEL_NOISE = re.compile(
    r"Exception ignored in: <function BaseEventLoop\.__del__ at 0x[0-9a-f]+>\n"
    r"Traceback \(most recent call last\):\n(?:[ ^~].*\n)*?ValueError: Invalid file descriptor: -1\n"
)


def validity_hours(registrations: Mapping[str, Any]) -> list[int]:
    """``validityPeriodHours`` of the program's pulumi-tls certificates. The gate's own mocks issue
    them at "now", so their expiry moves with the clock: :class:`GateNormaliser` replaces exactly
    those instants."""
    hours = set()
    for res in registrations["resources"].values():
        if res["type"].startswith("tls:") and isinstance(
            res["props"].get("validityPeriodHours"), int | float
        ):
            hours.add(int(res["props"]["validityPeriodHours"]))
    return sorted(hours)


class GateNormaliser(Normaliser):
    """Also replaces an instant that is the run's "now" plus one of ``hours`` (the expiry of a
    certificate the gate's mocks made during the run) with ``<run time + Nh>``, and drops the
    interpreter-exit noise of :data:`_LOOP_DEL_NOISE`. A date in a real certificate stays."""

    def __init__(self, root: Path, hours: list[int], start: dt.datetime, end: dt.datetime) -> None:
        super().__init__(root)
        slack = dt.timedelta(minutes=1)
        self.windows = [
            (
                h,
                start.replace(second=0, microsecond=0)
                + dt.timedelta(hours=h)
                - slack
                - dt.timedelta(minutes=5),
                end + dt.timedelta(hours=h) + slack,
            )
            for h in sorted({0, *hours})
        ]

    def _stamp(self, m: re.Match[str]) -> str:
        try:
            when = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{m.group(3) or ''}").replace(
                tzinfo=dt.UTC
            )
        except ValueError:
            return m.group(0)
        for h, lo, hi in self.windows:
            if lo <= when <= hi:
                return f"<run time + {h}h>"
        return m.group(0)

    def text(self, s: str) -> str:
        return _STAMP.sub(self._stamp, _LOOP_DEL_NOISE.sub("", super().text(s)))


def capture_gate(root: Path, case: Case, hours: list[int]) -> dict[str, Any]:
    """The CLI's JSON and SARIF reports, exit codes and stderr for ``case``; ``hours``: see
    :func:`validity_hours`."""
    out: dict[str, Any] = {}
    for fmt in ("json", "sarif"):
        start = dt.datetime.now(dt.UTC)
        proc = subprocess.run(
            [_cli(), "check", case.program, "--stack", case.stack, "--format", fmt],
            cwd=root,
            env=cli_env(root),
            capture_output=True,
            text=True,
            timeout=300,
        )
        norm = GateNormaliser(root, hours, start, dt.datetime.now(dt.UTC))
        out[fmt] = _gate_result(proc.returncode, proc.stdout, proc.stderr, norm)
    return out


# What every example program and the CLI import: imported once by each worker of
# :func:`capture_gates`, before it forks one child per CLI run (module imports only: the CLI and the
# gate configure Pulumi at run time, in the child).
_PREIMPORT = (
    "secure_scoring.cli",
    "secure_scoring.cli.check",
    "secure_scoring.gate",
    "secure_scoring.gate.mocking",
    "secure_scoring.components.aci",
    "secure_scoring.components.aks",
    "secure_scoring.components.certificate_bundle",
    "secure_scoring.components.dns_binding",
    "pulumi",
    "pulumi_random",
    "pulumi_tls",
    "pulumi_azure_native.containerinstance",
    "pulumi_azure_native.dns",
    "pulumi_azure_native.kubernetesconfiguration",
    "pulumi_azure_native.machinelearningservices",
    "pulumi_azure_native.privatedns",
)
# A worker of capture_gates: argv = the output directory, then the runs as JSON [[key, argv], ...].
# Each run is a forked child of the warmed-up worker that calls the console script's function
# (``secure_scoring.cli:main``, what ``sys.exit(main())`` in the script runs) with fds 1 and 2 sent to
# files: a fresh process as the console script starts it, without paying the imports 28 times.
_WORKER = r"""
import datetime as dt, importlib, json, os, sys
out_dir, runs = sys.argv[1], json.loads(sys.argv[2])
for name in json.loads(sys.argv[3]):
    importlib.import_module(name)
from secure_scoring import cli
for key, argv in runs:
    path = os.path.join(out_dir, key)
    start = dt.datetime.now(dt.UTC).isoformat()
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        rc = 70
        try:
            for fd, suffix in ((1, ".stdout"), (2, ".stderr")):
                os.dup2(os.open(path + suffix, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
            sys.argv = ["secure-scoring", *argv]
            try:
                rc = cli.main(argv)
            except SystemExit as exc:  # what the interpreter does with sys.exit(code)
                rc = exc.code
                if isinstance(rc, str):
                    print(rc, file=sys.stderr)
                    rc = 1
            rc = 0 if rc is None else int(rc)
        finally:
            try:
                sys.stdout.flush(); sys.stderr.flush()
            finally:
                os._exit(rc)
    _, status = os.waitpid(pid, 0)
    with open(path + ".json", "w") as fh:
        json.dump({"exit_code": os.waitstatus_to_exitcode(status), "start": start,
                   "end": dt.datetime.now(dt.UTC).isoformat()}, fh)
"""


def capture_gates(
    root: Path, todo: list[tuple[Case, list[int]]], *, workers: int | None = None
) -> list[dict[str, Any]]:
    """What :func:`capture_gate` records for each ``(case, hours)``, the same CLI runs, but cheaper:
    ``workers`` processes (default: one per CPU) import the package and the SDKs once, then fork one
    child per run (see :data:`_WORKER`). ``test_golden`` checks that this reports exactly what the
    console script does."""
    import tempfile

    runs = [
        (f"{i}-{fmt}", [case.program, "--stack", case.stack, "--format", fmt])
        for i, (case, _hours) in enumerate(todo)
        for fmt in ("json", "sarif")
    ]
    n = max(1, min(workers or os.cpu_count() or 1, len(runs)))
    with tempfile.TemporaryDirectory(prefix="golden-gate-") as tmp:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _WORKER,
                    tmp,
                    json.dumps([(key, ["check", *argv]) for key, argv in runs[w::n]]),
                    json.dumps(_PREIMPORT),
                ],
                cwd=root,
                env=cli_env(root),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for w in range(n)
        ]
        for proc in procs:
            out, _ = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"a gate worker failed (exit {proc.returncode}):\n{out[-4000:]}")
        results: list[dict[str, Any]] = []
        for i, (_case, hours) in enumerate(todo):
            out: dict[str, Any] = {}
            for fmt in ("json", "sarif"):
                base = Path(tmp) / f"{i}-{fmt}"
                meta = json.loads(base.with_suffix(".json").read_text())
                stdout = base.with_suffix(".stdout").read_text()
                stderr = base.with_suffix(".stderr").read_text()
                norm = GateNormaliser(
                    root,
                    hours,
                    dt.datetime.fromisoformat(meta["start"]),
                    dt.datetime.fromisoformat(meta["end"]),
                )
                out[fmt] = _gate_result(meta["exit_code"], stdout, stderr, norm)
            results.append(out)
    return results


def _gate_result(exit_code: int, stdout: str, stderr: str, norm: GateNormaliser) -> dict[str, Any]:
    try:
        report: Any = json.loads(stdout)
    except ValueError:
        report = {"<not json>": stdout}
    return {"exit_code": exit_code, "report": norm(report), "stderr": norm(stderr)}


def capture(root: Path, case: Case, *, gate: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "program": case.program,
        "stack": case.stack,
        "registrations": capture_registrations(root, case),
    }
    if gate:
        data["gate"] = capture_gate(root, case, validity_hours(data["registrations"]))
    return data


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_golden(case: Case) -> dict[str, Any]:
    return json.loads(case.golden.read_text())


# --------------------------------------------------------------------------------------------------
# a readable difference
# --------------------------------------------------------------------------------------------------
def _first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    if type(expected) is not type(actual):
        return f"{path or '<top>'}: expected {_short(expected)}, got {_short(actual)}"
    if isinstance(expected, dict):
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}[{key!r}]" if path else repr(key)
            if key not in actual:
                return f"{where}: missing (expected {_short(expected[key])})"
            if key not in expected:
                return f"{where}: unexpected (got {_short(actual[key])})"
            found = _first_difference(expected[key], actual[key], where)
            if found:
                return found
        return None
    if isinstance(expected, list):
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            found = _first_difference(e, a, f"{path}[{i}]")
            if found:
                return found
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        return None
    return None if expected == actual else f"{path}: expected {_short(expected)}, got {_short(actual)}"


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def describe_difference(expected: Any, actual: Any, *, context_lines: int = 60) -> str:
    """The first differing path (for a registration: its URN and field) and a unified diff excerpt."""
    first = _first_difference(expected, actual) or "(no difference)"
    diff = list(
        difflib.unified_diff(
            dumps(expected).splitlines(), dumps(actual).splitlines(), "golden", "now", lineterm="", n=2
        )
    )
    more = f"\n... {len(diff) - context_lines} more diff lines" if len(diff) > context_lines else ""
    hint = ""
    if "<secret sha256:" in first:
        hint = (
            "\n(a secret's value changed; to see how, compare "
            "`python -m tests.support.registrations --show PROGRAM STACK --reveal-secrets` "
            "of this checkout and of the old one, e.g. a `git worktree` of the previous commit)"
        )
    return f"first difference: {first}{hint}\n" + "\n".join(diff[:context_lines]) + more


# --------------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.registrations", description=__doc__.split("\n")[0]
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--update", action="store_true", help="regenerate the golden files")
    action.add_argument("--check", action="store_true", help="compare against the golden files")
    action.add_argument("--show", nargs=2, metavar=("PROGRAM", "STACK"), help="print one capture")
    parser.add_argument("--root", type=Path, default=REPO, help="the checkout whose programs run")
    parser.add_argument("--no-gate", action="store_true", help="registrations only, no CLI reports")
    parser.add_argument(
        "--reveal-secrets",
        action="store_true",
        help="with --show: print secret values in clear (registrations only; to find what a hash change is)",
    )
    parser.add_argument("--out", type=Path, help="with --update: write here instead of tests/data/golden")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    import secure_scoring  # what the program imports: it must be the checkout's

    here = Path(secure_scoring.__file__).resolve()
    if not here.is_relative_to(root):
        parser.error(
            f"secure_scoring is imported from {here}, not from {root} (set PYTHONPATH={root}/components)"
        )
    print(f"secure_scoring (in process): {here}", file=sys.stderr)
    if not args.no_gate:
        print(f"secure_scoring (CLI): {package_file(root)}", file=sys.stderr)
    if args.show:
        case = Case(*args.show)
        if args.reveal_secrets:
            print(dumps(capture_registrations(root, case, reveal_secrets=True)), end="")
        else:
            print(dumps(capture(root, case, gate=not args.no_gate)), end="")
        return 0
    todo = cases(root)
    regs: dict[Case, dict[str, Any]] = {}
    failed = 0
    for c in todo:  # in process, one after the other
        try:
            regs[c] = capture(root, c, gate=False)
        except Exception as exc:  # noqa: BLE001 - a program that no longer runs: report it, go on
            failed += 1
            print(f"FAILED  {c.id}: the program raised {type(exc).__name__}: {exc}\n")
    if not args.no_gate:
        done = list(regs)
        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            hours = [validity_hours(regs[c]["registrations"]) for c in done]
            gates = dict(zip(done, pool.map(lambda c, h: capture_gate(root, c, h), done, hours), strict=True))
        for c in done:
            regs[c]["gate"] = gates[c]
    for c, data in regs.items():
        if args.update:
            target = (args.out / c.golden.name) if args.out else c.golden
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dumps(data))
            print(
                f"wrote {target} ({len(data['registrations']['resources'])} registrations)", file=sys.stderr
            )
            continue
        expected = load_golden(c) if c.golden.is_file() else None
        if args.no_gate and expected is not None:
            expected.pop("gate", None)
        if expected != data:
            failed += 1
            print(f"DIFFERS {c.id}\n{describe_difference(expected, data)}\n")
        else:
            print(f"same    {c.id}")
    if args.check:
        extra = sorted({p.name for p in GOLDEN_DIR.glob("*.json")} - {c.golden.name for c in todo})
        for name in extra:
            failed += 1
            print(f"golden without a program: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
