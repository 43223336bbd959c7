"""Every complete program in docs/ runs under mocks and registers what its page says.

A fenced ``python`` block is a program when it imports from ``secure_scoring`` and declares one of
our components. Fragments that cannot run on their own are marked ``<!-- fragment -->`` on the line
before the block (keep that list short). Certificates for ``CertificateBundle.from_files`` are made
with openssl (``support.certs``) for the hostnames the example names and written to the paths it
uses, in a temporary working directory; ``cfg.require("key")`` values come from ``CONFIG`` below.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from secure_scoring.mocking import run_with_mocks

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
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


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


def _is_program(code: str) -> bool:
    imports_ours = re.search(r"^\s*(from secure_scoring\b|import secure_scoring\b)", code, flags=re.M)
    names = "|".join(COMPONENTS)
    declares = re.search(rf"\b({names})(\(|\.from_files\()", code)
    return bool(imports_ours and declares)


BLOCKS = _python_blocks()
PROGRAMS = [b for b in BLOCKS if _is_program(b.code) and not b.fragment]


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


def _declared(tree: ast.AST) -> list[tuple[str, str]]:
    """(component type, resource name) for every component the program declares with a literal name."""
    out = []
    for call in _calls(tree):
        name = _func_name(call)
        cls = name.removesuffix(".from_files")
        if cls in COMPONENTS and call.args and isinstance(call.args[0], ast.Constant):
            out.append((cls, call.args[0].value))
    return out


def _write_certificates(tree: ast.AST, cert_factory, workdir: Path) -> None:
    """openssl-made chain + key at the paths of every ``CertificateBundle.from_files`` call."""
    root = cert_factory.ca("Docs Root CA")
    inter = cert_factory.intermediate(root, "Docs Intermediate CA")
    for call in _calls(tree):
        if _func_name(call) != "CertificateBundle.from_files":
            continue
        cert_path, key_path = (ast.literal_eval(a) for a in call.args[1:3])
        hostnames = next((ast.literal_eval(k.value) for k in call.keywords if k.arg == "hostnames"), [])
        assert hostnames, "a from_files example must name its hostnames"
        leaf = cert_factory.leaf(inter, list(hostnames))
        for p in (cert_path, key_path):
            (workdir / p).parent.mkdir(parents=True, exist_ok=True)
        leaf.write_chain(workdir / cert_path)
        shutil.copy(leaf.key_path, workdir / key_path)


def _config(tree: ast.AST, block: Block) -> dict[str, str]:
    config = {}
    for call in _calls(tree):
        if isinstance(call.func, ast.Attribute) and call.func.attr in ("require", "require_secret"):
            key = ast.literal_eval(call.args[0])
            if key not in CONFIG:
                pytest.fail(f"{block.id}: add a value for config key {key!r} to CONFIG in this test")
            config[f"{PROJECT}:{key}"] = CONFIG[key]
    return config


def _run(block: Block, cert_factory, tmp_path: Path, monkeypatch):
    tree = ast.parse(block.code, filename=block.id)
    _write_certificates(tree, cert_factory, tmp_path)
    monkeypatch.chdir(tmp_path)
    code = compile(block.code, block.id, "exec")

    def program() -> None:
        exec(code, {"__name__": "__main__"})  # noqa: S102 - runs our own documentation

    rec = run_with_mocks(program, project=PROJECT, stack="production", config=_config(tree, block))
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


# What each page's program says it builds, checked beyond "every declared component registered".
PAGE_CHECKS = {
    "docs/secure-aci-service.md": _check_aci_page,
    "docs/dns-record-binding.md": _check_dns_page,
    "docs/secure-aks-cluster.md": _check_aks_page,
}


def test_discovery_finds_the_component_examples():
    pages = {str(b.path.relative_to(ROOT)) for b in PROGRAMS}
    assert set(PAGE_CHECKS) <= pages, f"program blocks found only in {sorted(pages)}"


def test_fragment_markers_are_few_and_mark_python_blocks():
    fragments = [b.id for b in BLOCKS if b.fragment]
    assert len(fragments) <= 3, f"too many skipped fragments: {fragments}"
    for page in list((ROOT / "docs").glob("*.md")) + list((ROOT / "docs/runbooks").glob("*.md")):
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() == FRAGMENT:
                assert i + 1 < len(lines) and lines[i + 1].startswith("```python"), f"{page}:{i + 1}"


@pytest.mark.parametrize("block", PROGRAMS, ids=[b.id for b in PROGRAMS])
def test_doc_program_runs_under_mocks(block, cert_factory, tmp_path, monkeypatch):
    tree, rec = _run(block, cert_factory, tmp_path, monkeypatch)
    registered = {(r.type, r.name) for r in rec.resources}
    for cls, name in _declared(tree):
        assert (f"secure-scoring:index:{cls}", name) in registered, f"{cls}({name!r}) not registered"
    check = PAGE_CHECKS.get(str(block.path.relative_to(ROOT)))
    if check is not None:
        check(rec)
    from secure_scoring.policy_pack import evaluate

    mandatory = [
        d
        for d in evaluate(rec.resources, stack="production", project=PROJECT)
        if d.enforcement == "mandatory"
    ]
    assert mandatory == [], [(d.rule, d.name, d.message) for d in mandatory]


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
    problems = []
    for where, cmd in commands:
        rest = re.sub(r"\$\([^)]*\)", "URL", cmd.removeprefix("secure-scoring").strip())
        words = rest.split()
        if not words or words[0].endswith(":"):  # the bare name in prose, or an error message shown
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
