"""Issue 11's structural promises, checked on the package as it is (docs/architecture.md).

- pure logic imports no Pulumi (each pure module imported alone, in a fresh interpreter);
- no module reaches into another module's private names;
- every name in ``secure_scoring.__all__`` and every module path the README, docs, examples, stacks,
  policies, bench and scripts show still imports (``tests/test_docs_examples.py`` already binds the
  python blocks of docs/*.md; this covers the rest: inline code, the README, programs and scripts).
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "components" / "secure_scoring"
PULUMI = ("pulumi", "pulumi_azure_native", "pulumi_tls", "pulumi_random", "pulumi_policy")

# the old flat paths: each file replaces itself in sys.modules by the moved module
SHIMS = ("aci", "aks", "certificates", "dns", "gateway", "local", "mocking", "pem", "policy_pack", "rules")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules_under(folder: str, *, exclude: tuple[str, ...] = ()) -> list[str]:
    names = [_module_name(p) for p in sorted((PACKAGE / folder).rglob("*.py")) if p.name != "__main__.py"]
    return [n for n in names if n not in exclude]


# ----------------------------------------------------------------------------- pure logic, no Pulumi
PURE = [
    "secure_scoring",
    "secure_scoring.names",
    "secure_scoring.tls_versions",
    "secure_scoring.facts",
    "secure_scoring.errors",
    *_modules_under("certs"),
    *_modules_under("policy", exclude=("secure_scoring.policy.pack",)),  # pack: pulumi-policy wiring
    "secure_scoring.dataplane.gateway",
    "secure_scoring.dataplane.gateway_settings",
    "secure_scoring.dataplane.gateway_render",
    *_modules_under("verify"),
    "secure_scoring.components.keys",  # auth modes and key pairs: no Output checks, no resources
    # the old paths of pure modules resolve to them without importing more
    "secure_scoring.pem",
    "secure_scoring.gateway",
    "secure_scoring.rules",
]
# Not pure (by design, not asserted): components.aci.plan and components.aks.plan refuse
# ``pulumi.Output`` values where a value decides structure (isinstance checks), and the component
# packages import their Pulumi classes on import; components.inputs and dns_binding likewise.

# Imports every module in its own forked child of one fresh interpreter (which itself imports
# nothing of ours), so one module's imports cannot hide another's; prints {module: [pulumi modules]}.
_PROBE = r"""
import importlib, json, os, sys
found = {}
for name in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            bad = sorted(m for m in sys.modules if m.split(".")[0] in PULUMI)
        except BaseException as exc:
            bad = ["import failed: " + repr(exc)]
        os.write(write, json.dumps(bad).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        found[name] = json.loads(f.read() or b'["no answer"]')
    os.waitpid(pid, 0)
print(json.dumps(found))
"""


def test_pure_modules_import_no_pulumi():
    assert len(PURE) > 40  # the folders were found
    code = f"PULUMI = {PULUMI!r}\n" + _PROBE
    proc = subprocess.run(
        [sys.executable, "-c", code, *PURE], capture_output=True, text=True, timeout=300, check=True
    )
    found = json.loads(proc.stdout)
    assert set(found) == set(PURE)
    assert {name: bad for name, bad in found.items() if bad} == {}


def test_the_probe_sees_pulumi_where_it_is_imported():
    code = f"PULUMI = {PULUMI!r}\n" + _PROBE
    proc = subprocess.run(
        [sys.executable, "-c", code, "secure_scoring.components.certificate_bundle"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "pulumi" in json.loads(proc.stdout)["secure_scoring.components.certificate_bundle"]


# ----------------------------------------------------------------- no reaching into private names
def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _private_reaches(path: Path, source: str | None = None) -> list[str]:
    """``from <ours> import _x`` and ``<imported ours>._x`` in one source file."""
    module = _module_name(path)
    tree = ast.parse(path.read_text() if source is None else source, filename=str(path))
    ours: dict[str, str] = {}  # local name -> what of ours it is bound to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(module, path.name == "__init__.py", node)
            if source.split(".")[0] != "secure_scoring":
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {source} import {alias.name}")
                ours[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "secure_scoring":
                    ours[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            target = node.value
            while isinstance(target, ast.Attribute):  # secure_scoring.certs.facts._x
                target = target.value
            if isinstance(target, ast.Name) and target.id in ours:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in ours
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def _sources() -> list[Path]:
    shims = {PACKAGE / f"{name}.py" for name in SHIMS}
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p not in shims]


def test_no_module_reaches_into_another_modules_private_names():
    # The sources are parsed in a fresh interpreter: after many Pulumi programs have run in this
    # process, CPython 3.11.7's AST constructor can miscount its C recursion budget and raise
    # "SystemError: AST constructor recursion depth mismatch" on an ordinary file (a CPython bug,
    # fixed in later 3.11 releases); a fresh process judges the files, not the interpreter's state.
    proc = subprocess.run(
        [sys.executable, __file__, "--private-reaches"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["files"] > 80
    assert result["found"] == []


def test_the_private_name_check_finds_both_forms():
    fake = PACKAGE / "verify" / "_architecture_probe.py"  # never written: parsed from a string
    code = (
        "from ..certs import facts as _facts\n"  # aliasing a module is not reaching
        "from ..certs.facts import _hidden\n"
        "from secure_scoring.names import _LABEL\n"
        "import secure_scoring.tls_versions\n"
        "x = _facts._private_helper()\n"
        "y = secure_scoring.tls_versions._ORDER\n"
        "z = getattr(_facts, '_other')\n"
        "w = _facts.public, _facts.__name__\n"
    )
    hits = {h.split(": ", 1)[1] for h in _private_reaches(fake, code)}
    assert hits == {
        "from secure_scoring.certs.facts import _hidden",
        "from secure_scoring.names import _LABEL",
        "_facts._private_helper",
        "secure_scoring.tls_versions._ORDER",
        "getattr(_facts, '_other')",
    }


# ------------------------------------------------------- public names and the paths the docs show
def _from_import(module: str, name: str) -> object:
    """What ``from <module> import <name>`` binds (an attribute, or else a submodule)."""
    return getattr(__import__(module, fromlist=[name]), name)


def test_every_name_in_all_is_a_top_level_import():
    import secure_scoring

    assert secure_scoring.__all__, "secure_scoring.__all__ is empty"
    for name in secure_scoring.__all__:
        value = _from_import("secure_scoring", name)  # what `from secure_scoring import name` binds
        assert value is getattr(secure_scoring, name)
        assert getattr(value, "__name__", name) == name


def test_the_old_flat_paths_are_the_moved_modules():
    for name in SHIMS:
        old = importlib.import_module(f"secure_scoring.{name}")
        assert old.__name__ != f"secure_scoring.{name}", f"{name}: not an alias"
        assert sys.modules[f"secure_scoring.{name}"] is old


_SCANNED = ("README.md", "docs", "examples", "stacks", "policies", "bench", "scripts", "__main__.py")
_FROM = re.compile(r"from\s+(secure_scoring(?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n]*)")
_DOTTED = re.compile(r"(?<![\w/.])secure_scoring(?:\.\w+)+")


def _scanned_files() -> list[Path]:
    files = []
    for entry in _SCANNED:
        path = ROOT / entry
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [
            p
            for p in candidates
            if p.is_file()
            and p.suffix in {".md", ".py", ".sh", ".yaml", ".yml", ".toml", ".txt"}
            and "__pycache__" not in p.parts
        ]
    return files


def _text_outside_checked_blocks(path: Path) -> str:
    """The file's text; for docs/*.md pages without the python blocks test_docs_examples binds."""
    text = path.read_text()
    if path.suffix == ".md" and path.is_relative_to(ROOT / "docs"):
        text = re.sub(r"^```python\n.*?^```", "", text, flags=re.S | re.M)
    return text


def _documented_references() -> list[tuple[str, str, tuple[str, ...]]]:
    """(where, module path, names imported from it) for every reference to our package."""
    found = []
    for path in _scanned_files():
        text = _text_outside_checked_blocks(path)
        rel = path.relative_to(ROOT)
        for m in _FROM.finditer(text):
            names = re.sub(r"#[^\n]*", "", m.group(2)).strip("(")
            names = re.match(r"[\w\s,]*", names).group(0)  # up to `;`, a quote, `...`
            imported = tuple(
                n.split()[0] for n in names.split(",") if n.split() and n.split()[0].isidentifier()
            )
            line = text[: m.start()].count("\n") + 1
            found.append((f"{rel}:{line}", m.group(1), imported))
        after_from = {m.start(1) for m in _FROM.finditer(text)}
        for m in _DOTTED.finditer(text):
            if m.start() in after_from:
                continue  # the module of a `from ... import` above
            line = text[: m.start()].count("\n") + 1
            found.append((f"{rel}:{line}", m.group(0), ()))
    return found


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted``, then follow attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError as exc:
            if exc.name is None or not ".".join(parts[:i]).startswith(exc.name):
                raise
            continue
        for attr in parts[i:]:
            value = getattr(value, attr)
        return value
    raise ModuleNotFoundError(dotted)


REFERENCES = _documented_references()


def test_references_are_found():
    modules = {module for _, module, _ in REFERENCES}
    assert {"secure_scoring.aci", "secure_scoring.dns", "secure_scoring.pem"} <= modules
    assert any(where.startswith("README.md") for where, _, _ in REFERENCES)
    assert any(where.startswith("stacks/") for where, _, _ in REFERENCES)


@pytest.mark.parametrize(("where", "module", "names"), REFERENCES, ids=[f"{w}:{m}" for w, m, _ in REFERENCES])
def test_every_documented_module_path_and_name_resolves(where, module, names):
    value = _resolve(module)
    for name in names:
        assert _from_import(module, name) is not None, f"{where}: from {module} import {name}"
    assert value is not None


if __name__ == "__main__" and sys.argv[1:] == ["--private-reaches"]:
    print(
        json.dumps({"files": len(_sources()), "found": [h for p in _sources() for h in _private_reaches(p)]})
    )
