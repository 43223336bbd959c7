"""Every program in docs/ runs under mocks and registers what its page says.

Which blocks run (fenced ``python`` blocks in docs/*.md and docs/runbooks/*.md):

- a block that imports from ``secure_scoring`` and declares one of our components is a program;
- a block that declares a component without importing runs after the page's *header*: the page's
  first python block when it declares no component (its imports and setup, e.g. ``cfg``);
- a block preceded by ``<!-- fragment -->`` on the line before is skipped (keep that list short).

Certificates for ``CertificateBundle.from_files`` are made with openssl (``support.certs``) for the
hostnames the example names and written to the paths it uses, in a temporary working directory; a
``CertificateBundleArgs(source="pem", cert_pem=cfg.require(K1), key_pem=cfg.require_secret(K2))``
gets such a chain and key as config values; other ``cfg.require("key")`` values come from
``CONFIG``. A block runs in the ``production`` stack when it says ``environment="production"`` (or
``environment=pulumi.get_stack()``), otherwise in ``dev``; then the policy pack must find no
mandatory violation.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from secure_scoring.gate.mocking import run_with_mocks

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ("CertificateBundle", "SecureAciService", "SecureAksCluster", "DnsRecordBinding")
FRAGMENT = "<!-- fragment -->"
PROJECT = "docs"
SUB = "00000000-0000-0000-0000-000000000000"

# Values for the stack config the examples read (cfg.require / require_secret).
CONFIG = {
    "aksClusterId": f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod",
    "codeAssetId": f"/subscriptions/{SUB}/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod/codes/fraud-code/versions/1",
    "azuremlFeIp": "20.50.10.20",
}

CG = "azure-native:containerinstance:ContainerGroup"
RECORD = "azure-native:dns:RecordSet"


@dataclass
class Block:
    path: Path
    line: int
    code: str
    fragment: bool

    @property
    def page(self) -> str:
        return str(self.path.relative_to(ROOT))

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Runnable:
    block: Block
    code: str  # the block, after the page header when it has no imports of its own
    key: str  # "<page>#<n>": the n-th runnable block of the page, from 1

    @property
    def stack(self) -> str:
        production = re.search(r'environment=("production"|pulumi\.get_stack\(\))', self.block.code)
        return "production" if production else "dev"


def _python_blocks() -> list[Block]:
    pages = sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "docs/runbooks").glob("*.md"))
    blocks = []
    for page in pages:
        text = page.read_text()
        for m in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
            before = text[: m.start()].rstrip().splitlines()
            fragment = bool(before) and before[-1].strip() == FRAGMENT
            blocks.append(Block(page, text[: m.start()].count("\n") + 1, m.group(1), fragment))
    return blocks


def _imports_ours(code: str) -> bool:
    return bool(re.search(r"^\s*(from secure_scoring\b|import secure_scoring\b)", code, flags=re.M))


def _declares(code: str) -> bool:
    names = "|".join(COMPONENTS)
    return bool(re.search(rf"\b({names})(\(|\.from_files\()", code))


def _runnables(blocks: list[Block]) -> list[Runnable]:
    out: list[Runnable] = []
    headers: dict[str, str] = {}
    for block in blocks:
        if block.page not in headers:
            first = block.code if not _declares(block.code) and not block.fragment else ""
            headers[block.page] = first
        if block.fragment or not _declares(block.code):
            continue
        if _imports_ours(block.code):
            code = block.code
        elif headers[block.page]:
            code = headers[block.page] + "\n" + block.code
        else:
            continue  # a snippet on a page without a header: not runnable on its own
        n = sum(1 for r in out if r.block.page == block.page) + 1
        out.append(Runnable(block, code, f"{block.page}#{n}"))
    return out


BLOCKS = _python_blocks()
RUNNABLE = _runnables(BLOCKS)


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _func_name(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        base = f.value.id if isinstance(f.value, ast.Name) else "?"
        return f"{base}.{f.attr}"
    return "?"


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _config_key(node: ast.expr | None) -> str | None:
    """``K`` for ``cfg.require("K")`` / ``cfg.require_secret("K")``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
        return None
    if node.func.attr in ("require", "require_secret") and isinstance(node.args[0], ast.Constant):
        return node.args[0].value
    return None


def _declared(tree: ast.AST) -> list[tuple[str, str]]:
    """(component type, resource name) for every component the program declares with a literal name."""
    out = []
    for call in _calls(tree):
        name = _func_name(call)
        cls = name.removesuffix(".from_files")
        if cls in COMPONENTS and call.args and isinstance(call.args[0], ast.Constant):
            out.append((cls, call.args[0].value))
    return out


def _certificates(tree: ast.AST, cert_factory, workdir: Path) -> dict[str, str]:
    """openssl-made chains + keys where the program reads them; returns config values it reads."""
    root = cert_factory.ca("Docs Root CA")
    inter = cert_factory.intermediate(root, "Docs Intermediate CA")
    config = {}
    for call in _calls(tree):
        name = _func_name(call)
        hostnames = _keyword(call, "hostnames")
        if name == "CertificateBundle.from_files":
            cert_path, key_path = (ast.literal_eval(a) for a in call.args[1:3])
            assert hostnames is not None, "a from_files example must name its hostnames"
            leaf = cert_factory.leaf(inter, list(ast.literal_eval(hostnames)))
            for p in (cert_path, key_path):
                (workdir / p).parent.mkdir(parents=True, exist_ok=True)
            leaf.write_chain(workdir / cert_path)
            shutil.copy(leaf.key_path, workdir / key_path)
        elif name == "CertificateBundleArgs":
            cert_key, key_key = (
                _config_key(_keyword(call, "cert_pem")),
                _config_key(_keyword(call, "key_pem")),
            )
            if cert_key and key_key and hostnames is not None:
                leaf = cert_factory.leaf(inter, list(ast.literal_eval(hostnames)))
                config[cert_key], config[key_key] = leaf.chain_pem(), Path(leaf.key_path).read_text()
    return config


def _config(tree: ast.AST, item: Runnable, pem_config: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    config, secret_keys = {}, []
    for call in _calls(tree):
        key = _config_key(call)
        if key is None:
            continue
        values = {**CONFIG, **pem_config}
        if key not in values:
            pytest.fail(f"{item.block.id}: add a value for config key {key!r} to CONFIG in this test")
        config[f"{PROJECT}:{key}"] = values[key]
        if call.func.attr == "require_secret":
            secret_keys.append(f"{PROJECT}:{key}")
    return config, secret_keys


def _run(item: Runnable, cert_factory, tmp_path: Path, monkeypatch):
    tree = ast.parse(item.code, filename=item.block.id)
    pem_config = _certificates(tree, cert_factory, tmp_path)
    config, secret_keys = _config(tree, item, pem_config)
    monkeypatch.chdir(tmp_path)
    code = compile(item.code, item.block.id, "exec")

    def program() -> None:
        exec(code, {"__name__": "__main__"})  # noqa: S102 - runs our own documentation

    rec = run_with_mocks(program, project=PROJECT, stack=item.stack, config=config, secret_keys=secret_keys)
    return tree, rec


def _cg_containers(rec) -> list[str]:
    return [c["name"] for c in rec.one(CG).inputs["containers"]]


def _records(rec) -> dict[str, dict]:
    return {r.inputs["relativeRecordSetName"]: r.inputs for r in rec.by_type(RECORD)}


def _check_aci_page(rec) -> None:
    # "a container group with the scorer and a TLS/authentication gateway sidecar", CNAME to its FQDN
    assert sorted(_cg_containers(rec)) == ["gateway", "scorer"]
    cg = rec.one(CG).inputs
    assert cg["ipAddress"]["dnsNameLabel"] == "contoso-scoring"
    assert [p["port"] for p in cg["ipAddress"]["ports"]] == [443]
    assert (cg["osType"], cg["restartPolicy"], cg["sku"]) == ("Linux", "Always", "Standard")
    assert [v["name"] for v in cg["volumes"]] == ["gateway-config"]
    gateway = next(c for c in cg["containers"] if c["name"] == "gateway")
    assert gateway["volumeMounts"] == [
        {"name": "gateway-config", "mountPath": "/etc/nginx/secure-scoring", "readOnly": True}
    ]
    # "What it creates": <name>-group, <name>-primary-key, <name>-secondary-key (48 [A-Za-z0-9])
    svc = rec.one("secure-scoring:index:SecureAciService")
    children = {r.name: r for r in rec.children_of(svc.urn)}
    assert set(children) == {"scoring-group", "scoring-primary-key", "scoring-secondary-key"}
    for key in ("scoring-primary-key", "scoring-secondary-key"):
        assert (children[key].inputs["length"], children[key].inputs["special"]) == (48, False)
    rs = _records(rec)["scoring"]
    assert rs["recordType"] == "CNAME"
    assert rs["cnameRecord"]["cname"] == "contoso-scoring.westeurope.azurecontainer.io"


def _check_dns_page(rec) -> None:
    # ACI: CNAME to the container group's FQDN; AKS static IP: alias A record to the public IP
    # "One child named <name>-record"
    for binding in rec.by_type("secure-scoring:index:DnsRecordBinding"):
        assert [r.name for r in rec.children_of(binding.urn)] == [f"{binding.name}-record"]
    rs = _records(rec)
    assert rs["scoring"]["recordType"] == "CNAME"
    assert rs["scoring"]["cnameRecord"]["cname"].endswith(".azurecontainer.io")
    assert rs["ml"]["recordType"] == "A"
    assert rs["ml"]["targetResource"]["id"].endswith("/publicIPAddresses/router-ip")


def _check_aks_page(rec) -> None:
    # extension mode: Extension (inference on, TLS settings, protected PEM) -> Compute -> one
    # OnlineEndpoint (Key) + one OnlineDeployment per endpoint; an A record for the router IP
    ext = rec.one("azure-native:kubernetesconfiguration:Extension")
    assert ext.inputs["extensionType"] == "microsoft.azureml.kubernetes"
    settings = ext.inputs["configurationSettings"]
    assert (settings["enableInference"], settings["allowInsecureConnections"]) == ("True", "False")
    assert settings["sslCname"] == "scoring.contoso.com"
    assert ext.is_secret("configurationProtectedSettings")
    assert set(ext.inputs["configurationProtectedSettings"]) == {"scoringFe.sslCert", "scoringFe.sslKey"}
    assert rec.one("azure-native:machinelearningservices:Compute").name == "scoring-compute"
    assert rec.one("azure-native:machinelearningservices:OnlineDeployment").name == "scoring-fraud-score-blue"
    endpoints = rec.by_type("azure-native:machinelearningservices:OnlineEndpoint")
    assert [e.inputs["properties"]["authMode"] for e in endpoints] == ["Key"]
    rs = _records(rec)["scoring"]
    assert rs["recordType"] == "A"
    assert rs["aRecords"] == [{"ipv4Address": CONFIG["azuremlFeIp"]}]


def _check_aks_v1_microsoft_cert(rec) -> None:
    # v1-attach: compute with sslConfiguration Auto + leafDomainLabel; no DnsRecordBinding, no
    # ARM endpoints (SDK v1 web services are not ARM resources)
    compute = rec.one("azure-native:machinelearningservices:Compute").inputs["properties"]
    assert compute["computeType"] == "AKS"
    assert compute["properties"]["sslConfiguration"] == {
        "status": "Auto",
        "leafDomainLabel": "contoso-scoring",
        "overwriteExistingDomain": False,
    }
    assert rec.by_type("secure-scoring:index:DnsRecordBinding") == []
    assert rec.by_type("azure-native:machinelearningservices:OnlineEndpoint") == []


def _check_aks_internal(rec) -> None:
    # internal load balancer: internalLoadBalancerProvider=azure; private zone A record to 10.20.0.50
    settings = rec.one("azure-native:kubernetesconfiguration:Extension").inputs["configurationSettings"]
    assert settings["internalLoadBalancerProvider"] == "azure"
    assert settings["scoringFe.serviceType.internalLoadBalancer"] == "True"
    record = rec.one("azure-native:privatedns:PrivateRecordSet").inputs
    assert (record["recordType"], record["relativeRecordSetName"]) == ("A", "scoring")
    assert record["aRecords"] == [{"ipv4Address": "10.20.0.50"}]
    endpoint = rec.one("azure-native:machinelearningservices:OnlineEndpoint")
    assert endpoint.inputs["properties"]["authMode"] == "AMLToken"


def _bundle_source(source: str, children: dict[str, str]):
    """The bundle's ``source`` output and its children as the page's tables list them (name suffix -> type)."""

    def check(rec) -> None:
        bundle = rec.one("secure-scoring:index:CertificateBundle")
        assert bundle.outputs["source"] == source
        found = {r.name.removeprefix(f"{bundle.name}-"): r.type for r in rec.children_of(bundle.urn)}
        assert found == children

    return check


def _slots(children: set[str], cname: str):
    """docs/runbooks/zero-downtime.md: one group per slot and the keys by version; the CNAME at the active slot."""

    def check(rec) -> None:
        svc = rec.one("secure-scoring:index:SecureAciService")
        assert {r.name for r in rec.children_of(svc.urn)} == children
        assert _records(rec)["scoring"]["cnameRecord"]["cname"] == f"{cname}.westeurope.azurecontainer.io"

    return check


TLS = "tls:index/"
KEY, SELF_SIGNED = f"{TLS}privateKey:PrivateKey", f"{TLS}selfSignedCert:SelfSignedCert"
# What each page's programs say they build, beyond "every declared component is registered".
# Keys: "<page>#<n>", the n-th runnable block of the page.
CHECKS = {
    "docs/secure-aci-service.md#1": _check_aci_page,
    "docs/dns-record-binding.md#1": _check_dns_page,
    "docs/secure-aks-cluster.md#1": _check_aks_page,
    "docs/secure-aks-cluster.md#2": _check_aks_v1_microsoft_cert,
    "docs/secure-aks-cluster.md#3": _check_aks_internal,
    "docs/certificate-bundle.md#1": _bundle_source("pem", {}),
    "docs/certificate-bundle.md#2": _bundle_source("pem", {}),
    "docs/certificate-bundle.md#3": _bundle_source("self_signed", {"key": KEY, "cert": SELF_SIGNED}),
    "docs/certificate-bundle.md#4": _bundle_source(
        "dev_ca",
        {
            "ca-key": KEY,
            "ca-cert": SELF_SIGNED,
            "key": KEY,
            "csr": f"{TLS}certRequest:CertRequest",
            "cert": f"{TLS}locallySignedCert:LocallySignedCert",
        },
    ),
    "docs/certificate-bundle.md#5": _bundle_source("microsoft_managed", {}),
    "docs/runbooks/zero-downtime.md#1": _slots(
        {
            "scoring-blue-group",
            "scoring-green-group",
            "scoring-primary-key-3",
            "scoring-primary-key-4",
            "scoring-secondary-key-2",
        },
        "contoso-scoring-blue",
    ),
    "docs/runbooks/zero-downtime.md#2": _slots(
        {
            "scoring-blue-group",
            "scoring-green-group",
            "scoring-primary-key-3",
            "scoring-primary-key-4",
            "scoring-secondary-key-2",
        },
        "contoso-scoring",
    ),
}


def test_discovery_finds_the_component_examples():
    found = {r.key for r in RUNNABLE}
    assert set(CHECKS) <= found, f"runnable blocks found: {sorted(found)}"
    assert found <= set(CHECKS), f"add what the page says to CHECKS for {sorted(found - set(CHECKS))}"


def test_fragment_markers_are_few_and_mark_python_blocks():
    fragments = [b.id for b in BLOCKS if b.fragment]
    assert len(fragments) <= 3, f"too many skipped fragments: {fragments}"
    for page in list((ROOT / "docs").glob("*.md")) + list((ROOT / "docs/runbooks").glob("*.md")):
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() == FRAGMENT:
                assert i + 1 < len(lines) and lines[i + 1].startswith("```python"), f"{page}:{i + 1}"


@pytest.mark.parametrize("item", RUNNABLE, ids=[f"{r.key}({r.block.id})" for r in RUNNABLE])
def test_doc_program_runs_under_mocks(item, cert_factory, tmp_path, monkeypatch):
    tree, rec = _run(item, cert_factory, tmp_path, monkeypatch)
    registered = {(r.type, r.name) for r in rec.resources}
    for cls, name in _declared(tree):
        assert (f"secure-scoring:index:{cls}", name) in registered, f"{cls}({name!r}) not registered"
    CHECKS[item.key](rec)
    from secure_scoring.policy.pack import evaluate

    diagnostics = evaluate(rec.resources, stack=item.stack, project=PROJECT)
    mandatory = [d for d in diagnostics if d.enforcement == "mandatory"]
    assert mandatory == [], [(d.rule, d.name, d.message) for d in mandatory]


def _api_problems(block: Block) -> list[str]:
    """Names imported from secure_scoring, module attributes used, and call arguments that do not exist."""
    import importlib
    import inspect
    import textwrap
    import types

    tree = ast.parse(textwrap.dedent(block.code))
    bound: dict[str, object] = {}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "secure_scoring":
            module = importlib.import_module(node.module)
            for alias in node.names:
                try:
                    bound[alias.asname or alias.name] = getattr(module, alias.name)
                except AttributeError:
                    try:
                        bound[alias.asname or alias.name] = importlib.import_module(
                            f"{node.module}.{alias.name}"
                        )
                    except ImportError:
                        problems.append(f"{node.module} has no {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target = bound.get(node.value.id)
            if isinstance(target, types.ModuleType) and not hasattr(target, node.attr):
                problems.append(f"{node.value.id} has no {node.attr}")
        if isinstance(node, ast.Call):
            func = None
            if isinstance(node.func, ast.Name):
                func = bound.get(node.func.id)
            elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                func = getattr(bound.get(node.func.value.id), node.func.attr, None)
            if func is None or not callable(func) or any(isinstance(a, ast.Starred) for a in node.args):
                continue
            try:
                inspect.signature(func).bind(*node.args, **{k.arg: k.value for k in node.keywords if k.arg})
            except TypeError as exc:
                problems.append(f"line {node.lineno}: {ast.unparse(node.func)}(...): {exc}")
    return problems


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_documented_python_api_exists(block):
    """Every python block: what it imports from secure_scoring exists and its calls bind."""
    assert _api_problems(block) == []


# --- `secure-scoring ...` commands shown in the docs and the README ---------------------------------


def _command_lines() -> list[tuple[str, str]]:
    """(where, command) for every ``secure-scoring`` invocation in code blocks and inline code."""
    pages = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
    found = []
    for page in pages:
        text = page.read_text()
        rel = page.relative_to(ROOT)
        for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
            if m.group(1) == "python":
                continue
            first = text[: m.start()].count("\n") + 2
            body = re.sub(r"\\\n\s*", " ", m.group(2))
            for i, line in enumerate(body.splitlines()):
                line = line.split(" #")[0]
                for c in re.finditer(r"(?:^|[\s;&|])secure-scoring(\s[^\n]*)", line):
                    found.append((f"{rel}:{first + i}", "secure-scoring" + c.group(1)))
        prose = re.sub(r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S | re.M)
        for c in re.finditer(r"`(secure-scoring [^`]+)`", prose):
            found.append((f"{rel}:{prose[: c.start()].count(chr(10)) + 1}", c.group(1)))
    return found


def _parsers() -> tuple[set[str], dict[str, set[str]]]:
    import argparse

    from secure_scoring.cli import build_parser

    def subparsers(parser):
        return next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})

    parser = build_parser()
    top = {o for a in parser._actions for o in a.option_strings}
    subs = {}
    for name, sub in subparsers(parser).items():
        subs[name] = {o for a in sub._actions for o in a.option_strings}
        for inner, inner_parser in subparsers(sub).items():
            subs[f"{name} {inner}"] = {o for a in inner_parser._actions for o in a.option_strings}
    return top, subs


def test_every_documented_command_and_option_exists():
    commands = _command_lines()
    assert len(commands) > 40, "the command scan found too little: check _command_lines"
    top, subs = _parsers()
    # commands shown on purpose with an option that does not exist, next to the error the CLI
    # prints for it (test_exact_output_example_is_what_the_cli_prints checks that error)
    refused = {
        " ".join(command.split())
        for _, lines in _exact_blocks()
        for command, output in _transcript(lines)
        if any("error: unrecognized arguments:" in line for line in output)
    }
    problems = []
    for where, cmd in commands:
        rest = re.sub(r"\$\([^)]*\)", "URL", cmd.removeprefix("secure-scoring").strip())
        words = rest.split()
        if not words or any(w.endswith(":") for w in words[:2]):  # the bare name, or an error shown
            continue
        if " ".join(cmd.split()) in refused:
            continue
        if words[0].startswith("-"):
            known, sub = top, "(top level)"
        else:
            sub = " ".join(words[:2]) if " ".join(words[:2]) in subs else words[0]
            if sub not in subs:
                problems.append(f"{where}: no subcommand {sub!r}: {cmd}")
                continue
            known = subs[sub]
        unknown = [o for o in re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", rest) if o not in known]
        if unknown:
            problems.append(f"{where}: {sub} has no option {unknown}: {cmd}")
    assert problems == []


# --- JSON shapes the command pages document ------------------------------------------------------


def _doc_json(page: str, marker: str) -> dict:
    """The first ```json block of ``page`` that contains ``marker``, with ``// comments`` removed."""
    import json

    text = (ROOT / page).read_text()
    for m in re.finditer(r"^```json\n(.*?)^```", text, flags=re.S | re.M):
        if marker in m.group(1):
            return json.loads(re.sub(r"\s//[^\n]*", "", m.group(1)))
    raise AssertionError(f"no JSON block with {marker!r} in {page}")


def _shape_problems(doc, real, where: str = "$") -> list[str]:
    """Keys the doc shows that the real output lacks, or the reverse; a doc dict with "..." is partial."""
    if isinstance(doc, dict) and isinstance(real, dict):
        partial = "..." in doc
        shown = set(doc) - {"..."}
        problems = (
            [f"{where}: documented but not produced: {sorted(shown - set(real))}"]
            if shown - set(real)
            else []
        )
        if not partial and set(real) - shown:
            problems.append(f"{where}: produced but not documented: {sorted(set(real) - shown)}")
        for key in shown & set(real):
            problems += _shape_problems(doc[key], real[key], f"{where}.{key}")
        return problems
    if isinstance(doc, list) and isinstance(real, list) and doc and real:
        return _shape_problems(doc[0], real[0], f"{where}[0]")
    return []


def _cli_json(argv: list[str], capsys) -> tuple[int, dict]:
    import json

    from secure_scoring.cli import main

    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_cert_check_json_matches_its_page(pki, capsys):
    code, real = _cli_json(
        [
            "cert",
            "check",
            "--cert",
            str(pki.leaf.cert_path),
            "--key",
            str(pki.leaf.key_path),
            "--format",
            "json",
        ],
        capsys,
    )
    doc = _doc_json("docs/cert-check.md", '"hostnames_checked"')
    assert _shape_problems(doc, real) == []
    assert real["findings"], "the leaf alone (no intermediate) must give a finding to compare"
    assert code == (0 if real["ok"] else 1)


def test_check_json_matches_its_page(capsys):
    code, real = _cli_json(
        [
            "check",
            str(ROOT / "examples/insecure/aci-public-port-80"),
            "--stack",
            "production",
            "--format",
            "json",
        ],
        capsys,
    )
    doc = _doc_json("docs/check.md", '"schemaVersion"')
    assert _shape_problems(doc, real) == []
    assert (code, real["exitCode"], real["ok"]) == (1, 1, False)


def test_verify_json_matches_its_page():
    from secure_scoring.verify import Step, VerifyReport

    real = VerifyReport("https://scoring.example.test/score", [Step("dns", "fail", "x", "y")]).to_dict()
    doc = _doc_json("docs/verify.md", '"steps"')
    assert _shape_problems(doc, real) == []


# --- console examples whose output the page shows exactly -----------------------------------------

EXACT = "<!-- exact-output -->"


def _exact_blocks() -> list[tuple[str, list[str]]]:
    """(where, lines) of every code block marked ``<!-- exact-output -->`` on the line before."""
    pages = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
    found = []
    for page in pages:
        text = page.read_text()
        for m in re.finditer(r"^```\w*\n(.*?)^```", text, flags=re.S | re.M):
            before = text[: m.start()].rstrip().splitlines()
            if before and before[-1].strip() == EXACT:
                where = f"{page.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
                found.append((where, m.group(1).splitlines()))
    return found


def _transcript(lines: list[str]) -> list[tuple[str, list[str]]]:
    """[(command, expected output lines)]: ``$ `` starts a command (``\\`` continues it)."""
    steps: list[tuple[str, list[str]]] = []
    command = None
    for line in lines:
        if command is not None and command.endswith("\\"):
            command = command[:-1] + " " + line.strip()
            steps[-1] = (command, [])
        elif line.startswith("$ "):
            command = line[2:].strip()
            steps.append((command, []))
        else:
            assert steps, f"output before the first '$ ' command: {line!r}"
            steps[-1][1].append(line)
    return steps


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line, whitespace runs equal; a line ``...`` stands for any number of lines."""

    def norm(line: str) -> str:
        return " ".join(line.split())

    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and norm(expected[0]) == norm(actual[0]) and _matches(expected[1:], actual[1:])


def _run_cli(command: str, capsys) -> tuple[int, list[str]]:
    import shlex

    from secure_scoring.cli import main

    argv = shlex.split(command)
    assert argv[0] == "secure-scoring", f"only secure-scoring commands can be checked: {command}"
    try:
        code = main(argv[1:])
    except SystemExit as exc:  # argparse errors
        code = exc.code
    captured = capsys.readouterr()
    return int(code or 0), (captured.out + captured.err).splitlines()


EXACT_BLOCKS = _exact_blocks()


def test_exact_output_examples_are_found():
    pages = {where.split(":")[0] for where, _ in EXACT_BLOCKS}
    assert {"docs/cert-check.md", "docs/check.md", "docs/verify.md"} <= pages, pages


@pytest.mark.parametrize("where,lines", EXACT_BLOCKS, ids=[w for w, _ in EXACT_BLOCKS])
def test_exact_output_example_is_what_the_cli_prints(where, lines, capsys, monkeypatch):
    """A block marked exact-output shows what the command prints, and ``echo $?`` its exit code."""
    monkeypatch.chdir(ROOT)
    for var in ("SECURE_SCORING_KEY", "SECURE_SCORING_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    code = None
    for command, expected in _transcript(lines):
        if command == "echo $?":
            assert code is not None, f"{where}: 'echo $?' before any command"
            assert expected == [str(code)], f"{where}: exit code {code}, the page says {expected}"
            continue
        code, actual = _run_cli(command, capsys)
        assert _matches(expected, actual), f"{where}: `{command}` printed:\n" + "\n".join(actual)


def test_every_page_names_the_nginx_version_the_gateway_needs():
    """The gateway starts nginx with ``-e stderr`` (nginx 1.19.5+); each page says the same minimum."""
    from secure_scoring.dataplane.gateway import GatewaySettings, container_command

    assert "-e" in container_command(GatewaySettings(hostnames=("scoring.example.com",)))
    source = (ROOT / "components/secure_scoring/dataplane/nginx.py").read_text()  # NginxGateway
    wanted = re.search(r"nginx >= (\d+(?:\.\d+)+)", source).group(1)
    assert wanted == "1.19.5"
    found = []
    for page in sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]:
        for m in re.finditer(r"nginx\s*(?:≥|>=)\s*(\d+(?:\.\d+)+)", page.read_text()):
            found.append((str(page.relative_to(ROOT)), m.group(1)))
    assert found, "no page names the nginx minimum"
    assert [f for f in found if f[1] != wanted] == []


def test_gateway_page_names_the_methods_the_health_route_allows():
    """nginx's ``limit_except GET`` also lets HEAD through; the page names every method allowed."""
    from secure_scoring.dataplane.gateway import GatewaySettings, render_nginx_config

    conf = render_nginx_config(GatewaySettings(hostnames=("scoring.example.com",)))
    allowed = set(re.search(r"limit_except ([A-Z ]+)\{", conf).group(1).split())
    if "GET" in allowed:
        allowed.add("HEAD")  # nginx: "Allowing the GET method makes the HEAD method also allowed"
    row = next(
        line for line in (ROOT / "docs/gateway.md").read_text().splitlines() if line.startswith("| health |")
    )
    named = set(re.findall(r"`([A-Z]+) /`", row))
    assert named == allowed, row
