"""The offline policy gate behind ``secure-scoring check``.

It does what ``pulumi preview --policy-pack policies`` does, without the Pulumi CLI and without cloud
credentials:

1. reads ``Pulumi.yaml`` (name, runtime, ``main``, ``stackConfigDir``, project-level ``config``) and
   ``Pulumi.<stack>.yaml`` (``config:``), turning the values into the ``{"<namespace>:<key>": "<string>"}``
   map the CLI hands to a program (keys without a namespace get the project name; numbers, booleans,
   lists and objects are JSON-encoded). ``secure:`` values cannot be decrypted offline: they are
   unknown, as during a preview (``get_secret``/``require_secret`` return an unknown secret Output,
   ``get`` the unknown sentinel), the key is marked secret, and the report carries a note
   "could not judge <key>: secure value";
2. runs the Python program like the language host (``runpy`` of the ``main`` directory, the program
   directory and ``main`` on ``sys.path``, cwd = the program directory) under
   :func:`secure_scoring.gate.mocking.run_with_mocks` in **preview** mode (``pulumi.runtime.is_dry_run()`` is
   true, as in ``pulumi preview``; outputs the fake cloud does not compute stay unknown), recording
   every registered resource, components included;
3. evaluates the policy pack in-process (:func:`secure_scoring.policy.pack.evaluate`) with
   ``PULUMI_STACK`` / ``PULUMI_PROJECT`` / ``PULUMI_ORGANIZATION`` / ``PULUMI_CONFIG`` set as the CLI
   sets them for a pack;
4. reports findings as text, JSON or SARIF 2.1.0, each finding located at the program line that
   created the resource (for children of a component: the line that created the component).

Known fidelity gaps against a real preview (also in ``--help`` and docs/check.md): there is no
provider ``Check``, so provider-side defaults are missing (the SDK-injected defaults are present);
cloud outputs are fakes from :class:`~secure_scoring.gate.mocking.RealisticMocks`; secure config values
are unknown; Pulumi ESC environments are not resolved; mock URNs carry ``pulumi:pulumi:Stack`` in the
type chain of top-level resources; no ``pulumi:providers:*`` resources are registered.

Errors: :class:`~secure_scoring.errors.UsageError` for a bad program directory, project or stack
file (exit 2); :class:`ProgramError` when the program itself fails (exit 2, the program's own error
with its file and line, never our traceback).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError

TOOL_NAME = "secure-scoring"
DOCS_PAGE = "docs/check.md"
RULE_HELP_PATH = "docs/policies.md"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
JSON_SCHEMA_VERSION = 1

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""Pulumi's wire sentinel for a value not known during preview (``pulumi.runtime.rpc.UNKNOWN``)."""

MANDATORY = "mandatory"
ADVISORY = "advisory"
SECURE_SCORING_NAMESPACE = "secure-scoring"
"""The config namespace the policy pack reads (``secure-scoring:environment``, ``:productionStacks``)."""

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_STACK_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$")
# a stack config file: Pulumi.<stack>.yaml, or .yml beside a Pulumi.yml project
_STACK_FILE_RE = re.compile(r"^Pulumi\.(.+)\.ya?ml$")

# A PEM private key (any flavour), whole or cut off (an exception's repr may shorten it, and its
# newlines may be escaped as `\n`): up to its END line, else up to the next quote or the end.
_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[^'\"]*)",
    re.DOTALL,
)


def redact(text: str) -> str:
    """``text`` without private key material. The program's own messages (its exception, its
    ``pulumi.log`` calls) end up in reports that CI uploads (SARIF, JSON); a program that fails on a
    key (``int(key_pem)``, ``raise ValueError(f"bad key {key}")``) must not publish it."""
    return _PRIVATE_KEY_RE.sub(_redacted, text)


# key material: a run of base64 (a PEM body line is 64 characters; its escaped newlines `\n` cut it)
_KEY_MATERIAL_RE = re.compile(r"[A-Za-z0-9+/]{16,}")


def _redacted(m: re.Match[str]) -> str:
    """The match redacted, unless it holds no key material: a message that only names the markers
    (the PEM checks' "begins with '-----BEGIN RSA PRIVATE KEY-----' but ends with '-----END PRIVATE
    KEY-----'") keeps its text."""
    body = m.group(0)[len(f"-----BEGIN {m.group(1)}PRIVATE KEY-----") :]
    body = re.sub(r"-----END [A-Z0-9 ]*PRIVATE KEY-----$", "", body)
    if not _KEY_MATERIAL_RE.search(body):
        return m.group(0)
    return f"<{m.group(1)}PRIVATE KEY redacted>"


# --------------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------------
@dataclass
class Project:
    """What ``Pulumi.yaml`` says, resolved against the program directory."""

    name: str
    root: Path
    """The program directory (holds ``Pulumi.yaml``)."""
    file: Path
    main: Path
    """The directory (or ``.py`` file) the language host runs."""
    stack_config_dir: Path
    config: dict[str, Any] = field(default_factory=dict)
    """Project-level ``config:`` block (defaults for every stack), as written."""

    @property
    def main_file(self) -> Path:
        return self.main / "__main__.py" if self.main.is_dir() else self.main

    def stack_file(self, stack: str) -> Path:
        """``Pulumi.<stack>`` with the project file's extension, as the Pulumi CLI names it
        (``Pulumi.yml`` -> ``Pulumi.<stack>.yml``)."""
        return self.stack_config_dir / f"Pulumi.{stack.split('/')[-1]}{self.file.suffix}"


@dataclass
class StackConfig:
    """The config map a program receives, as the CLI builds it."""

    stack: str
    file: Path
    values: dict[str, str]
    secret_keys: list[str]
    undecryptable: list[str]
    """Keys whose value is (or contains) a ``secure:`` ciphertext: unknown offline."""
    notes: list[str] = field(default_factory=list)


@dataclass
class Location:
    path: Path
    line: int

    def display(self, base: Path | None = None) -> str:
        return f"{_relative(self.path, base)}:{self.line}"


@dataclass
class ResourceInfo:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    location: Location


@dataclass
class Finding:
    """One policy diagnostic, attached to a resource and a program location."""

    rule: str
    level: str  # "mandatory" | "advisory"
    severity: str  # "low" | "medium" | "high" | "critical"
    urn: str
    resource_type: str
    resource_name: str
    message: str
    remediation: str
    location: Location


@dataclass
class Note:
    """Something the gate could not judge or wants the reader to know (never fails the gate)."""

    kind: str  # "secure-config" | "unknown-value" | "program-warning" | "environment"
    message: str
    key: str | None = None
    urn: str | None = None


@dataclass
class RuleInfo:
    name: str
    description: str
    remediation: str
    severity: str
    enforcement: str
    url: str | None = None


@dataclass
class Report:
    project: str
    stack: str
    program_dir: Path
    main_file: Path
    preview: bool
    resources: list[ResourceInfo]
    findings: list[Finding]
    notes: list[Note]
    rules: list[RuleInfo]
    program_seconds: float = 0.0
    policy_seconds: float = 0.0

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.level == MANDATORY]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if f.level != MANDATORY]

    @property
    def ok(self) -> bool:
        return not self.mandatory

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


class ProgramError(Exception):
    """The Pulumi program failed: its own error, located in its own source (exit code 2)."""

    def __init__(self, message: str, location: Location | None, kind: str, hint: str | None = None):
        self.message = message
        self.location = location
        self.kind = kind
        self.hint = hint
        self.program_dir: Path | None = None
        """The program directory (set by :func:`check`; report paths are relative to it)."""
        super().__init__(message)

    def render(self, base: Path | None = None) -> str:
        where = f"{self.location.display(base)}: " if self.location else ""
        text = f"{where}{self.kind}: {self.message}"
        if self.hint:
            text += f"\n  note: {self.hint}"
        return text


# --------------------------------------------------------------------------------------------------
# project and stack files
# --------------------------------------------------------------------------------------------------
def _yaml_load(path: Path, what: str) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            str(path),
            f"cannot read the {what}: {exc.strerror or exc}",
            "make the file readable (check its permissions) or fix the path",
        ) from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            str(path),
            f"the {what} is not UTF-8 text (byte {exc.start} cannot be decoded)",
            "save it as UTF-8 YAML",
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(
            str(path), f"the {what} is not valid YAML{where}: {problem}", "fix the YAML syntax"
        ) from None


def _find_project_file(start: Path) -> Path | None:
    """``Pulumi.yaml`` (or ``.yml``) in ``start`` or the nearest parent, as the Pulumi CLI looks for it
    (so ``check stacks`` works for a project whose ``Pulumi.yaml`` says ``main: stacks/``)."""
    for d in (start, *start.parents):
        for n in ("Pulumi.yaml", "Pulumi.yml"):
            if (d / n).is_file():
                return d / n
    return None


def load_project(program_dir: str | os.PathLike[str]) -> Project:
    """Read and validate the ``Pulumi.yaml`` (``.yml`` accepted too) of ``program_dir``, or of its
    nearest parent that has one (the Pulumi CLI's search)."""
    start = Path(program_dir).resolve()
    if not start.exists():
        raise UsageError(
            "PROGRAM_DIR", f"{program_dir} does not exist", "give the directory that holds Pulumi.yaml"
        )
    if not start.is_dir():
        raise UsageError(
            "PROGRAM_DIR", f"{program_dir} is not a directory", "give the directory that holds Pulumi.yaml"
        )
    file = _find_project_file(start)
    if file is None:
        raise UsageError(
            "PROGRAM_DIR",
            f"no Pulumi.yaml in {start} or any parent directory",
            "run check on a Pulumi project directory (the one that holds Pulumi.yaml), e.g. `secure-scoring check . --stack dev`",
        )
    root = file.parent
    data = _yaml_load(file, "project file")
    if not isinstance(data, Mapping):
        raise UsageError(
            str(file), "the project file is not a YAML mapping", "start it with `name:` and `runtime:`"
        )
    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise UsageError(
            f"{file.name}: name",
            "missing or invalid project name" if name is None else f"invalid project name {name!r}",
            "set `name:` to letters, digits, '-', '_' or '.'",
        )
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if runtime_name is None:
        raise UsageError(f"{file.name}: runtime", "missing", "set `runtime: python`")
    if runtime_name != "python":
        raise UsageError(
            f"{file.name}: runtime",
            f"the program's runtime is {runtime_name!r}; the offline gate runs Python programs only",
            "use `pulumi preview --policy-pack policies` for programs in other languages",
        )
    main_value = data.get("main")
    if main_value is not None and not isinstance(main_value, str):
        raise UsageError(f"{file.name}: main", "must be a path string", "e.g. `main: stacks/`")
    main = (root / main_value).resolve() if main_value else root
    if main.is_dir():
        if not (main / "__main__.py").is_file():
            raise UsageError(
                f"{file.name}: main",
                f"{_relative(main, root)} has no __main__.py",
                "point `main:` at the directory that holds the program's __main__.py",
            )
    elif not (main.is_file() and main.suffix == ".py"):
        raise UsageError(
            f"{file.name}: main",
            f"{main_value!r} does not exist"
            if not main.exists()
            else f"{main_value!r} is not a directory or a .py file",
            "point `main:` at the program's directory",
        )
    scd_value = data.get("stackConfigDir")
    if scd_value is not None and not isinstance(scd_value, str):
        raise UsageError(
            f"{file.name}: stackConfigDir", "must be a path string", "e.g. `stackConfigDir: stacks`"
        )
    stack_config_dir = (root / scd_value).resolve() if scd_value else root
    if not stack_config_dir.is_dir():
        raise UsageError(
            f"{file.name}: stackConfigDir",
            f"{scd_value!r} is not a directory",
            "create it or fix the path (it is relative to Pulumi.yaml)",
        )
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        raise UsageError(
            f"{file.name}: config",
            "must be a mapping of keys to values",
            "write `config:` followed by indented `key: value` lines (or leave it out)",
        )
    return Project(
        name=name, root=root, file=file, main=main, stack_config_dir=stack_config_dir, config=dict(config)
    )


def _full_key(key: Any, project: str, where: str) -> str:
    if not isinstance(key, str) or not key:
        raise UsageError(where, f"config key {key!r} is not a string", "quote the key")
    parts = key.split(":")
    if len(parts) == 1:
        return f"{project}:{key}"
    if len(parts) == 2 and all(parts):
        return key
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:  # legacy `ns:config:key`
        return f"{parts[0]}:{parts[2]}"
    raise UsageError(where, f"config key {key!r} is not of the form `key` or `namespace:key`", None)


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"} and isinstance(value["secure"], str)


def _replace_secure(value: Any) -> tuple[Any, bool]:
    """Replace every ``{secure: ...}`` inside ``value`` with the unknown placeholder."""
    if _is_secure(value):
        return UNKNOWN, True
    if isinstance(value, Mapping):
        found = False
        out = {}
        for k, v in value.items():
            out[k], f = _replace_secure(v)
            found = found or f
        return out, found
    if isinstance(value, list):
        items = [_replace_secure(v) for v in value]
        return [v for v, _ in items], any(f for _, f in items)
    return value, False


def _encode(value: Any) -> str:
    """A config value as the CLI passes it to a program: strings as is, everything else JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, separators=(",", ":"), default=str)


def load_stack_config(project: Project, stack: str, *, allow_missing_stack_file: bool = False) -> StackConfig:
    """Build the program's config map from ``Pulumi.yaml`` defaults and ``Pulumi.<stack>.yaml``.

    A stack without its file is refused when other stack files exist (a typo in the stack name
    would run the wrong rules: production is decided by the stack name), unless
    ``allow_missing_stack_file``; with no stack file at all it runs on the project's config.
    """
    if not stack or not _STACK_RE.match(stack):
        raise UsageError(
            "--stack",
            f"invalid stack name {stack!r}",
            "use letters, digits, '-', '_' or '.' (optionally org/project/stack)",
        )
    file_like = re.fullmatch(r"(?:.*/)?Pulumi\.(.+)\.ya?ml", stack)
    if file_like:  # the stack file given for the stack: it would run as a stack without config
        raise UsageError(
            "--stack",
            f"{stack!r} is a stack file name, not a stack name",
            f"use --stack {file_like.group(1)} (check reads {project.stack_file(file_like.group(1)).name} itself)",
        )
    values: dict[str, str] = {}
    secret: set[str] = set()
    undecryptable: set[str] = set()
    notes: list[str] = []

    def put(key: Any, raw: Any, where: str) -> None:
        full = _full_key(key, project.name, where)
        replaced, had_secure = _replace_secure(raw)
        if had_secure:
            secret.add(full)
            undecryptable.add(full)
            values[full] = UNKNOWN if _is_secure(raw) else _encode(replaced)
        else:
            values[full] = _encode(raw)

    # project-level defaults: `key: value` or `key: {type:, default:, value:, secret:}`
    for key, spec in project.config.items():
        where = f"{project.file.name}: config.{key}"
        if (
            isinstance(spec, Mapping)
            and not _is_secure(spec)
            and ({"type", "default", "value", "description", "secret", "items"} & set(spec))
        ):
            if "value" in spec:
                put(key, spec["value"], where)
            elif "default" in spec:
                put(key, spec["default"], where)
            if spec.get("secret") is True:
                secret.add(_full_key(key, project.name, where))
        else:
            put(key, spec, where)

    file = project.stack_file(stack)
    if file.is_file():
        data = _yaml_load(file, "stack config file") or {}
    else:
        # the Pulumi CLI runs a stack that has no config file with the project's config only
        data = {}
        others = sorted(
            p.name for p in project.stack_config_dir.glob("Pulumi.*") if _STACK_FILE_RE.fullmatch(p.name)
        )
        twin = file.with_suffix(".yml" if file.suffix == ".yaml" else ".yaml")
        if twin.is_file() and not allow_missing_stack_file:
            raise UsageError(
                "--stack",
                f"there is no {_relative(file, project.root)}, but there is {twin.name}: the Pulumi CLI "
                f"reads stack files with the extension of {project.file.name}, so it ignores {twin.name} too",
                f"rename {twin.name} to {file.name}",
            )
        if others and not allow_missing_stack_file:
            names = ", ".join(_STACK_FILE_RE.sub(r"\1", o) for o in others)
            raise UsageError(
                "--stack",
                f"there is no {_relative(file, project.root)}; the stacks with a config file here are: {names}",
                "check the stack name (a typo runs the wrong rules: production rules follow the stack "
                "name), or pass --allow-missing-stack-file to run a stack that has no config file with "
                "the project's config only",
            )
        seen = f"; stack files found: {', '.join(others)}" if others else ""
        notes.append(
            f"no {_relative(file, project.root)}: running with project defaults only "
            f"(the Pulumi CLI treats a missing stack config file as empty config){seen}"
        )
    if not isinstance(data, Mapping):
        raise UsageError(str(file), "the stack config file is not a YAML mapping", "start it with `config:`")
    if data.get("environment"):
        notes.append(
            f"{file.name} imports Pulumi ESC environments ({_encode(data['environment'])}); "
            "they are not resolved offline, so values they provide are missing"
        )
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        raise UsageError(
            f"{file.name}: config",
            "must be a mapping of keys to values",
            "write `config:` followed by indented `key: value` lines, e.g. `  secure-scoring:environment: production`",
        )
    for key, raw in config.items():
        put(key, raw, f"{file.name}: config.{key}")
    for key in ("environment", "productionStacks"):
        ours, theirs = f"{SECURE_SCORING_NAMESPACE}:{key}", f"{project.name}:{key}"
        if theirs in values and ours not in values and project.name != SECURE_SCORING_NAMESPACE:
            notes.append(
                f"{theirs} is set but the policy pack reads {ours}: the project-namespace key is "
                f"ignored when judging production; set `{ours}: ...` in {file.name} instead"
            )
    return StackConfig(
        stack=stack,
        file=file,
        values=values,
        secret_keys=sorted(secret),
        undecryptable=sorted(undecryptable),
        notes=notes,
    )


# --------------------------------------------------------------------------------------------------
# running the program
# --------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _program_context(project: Project) -> Iterator[None]:
    """cwd, sys.path and sys.argv as the Python language host sets them; undone afterwards."""
    old_cwd = os.getcwd()
    old_path = list(sys.path)
    old_argv = list(sys.argv)
    old_modules = set(sys.modules)
    main_dir = project.main if project.main.is_dir() else project.main.parent
    for p in (str(project.root), str(main_dir)):
        if p not in sys.path:
            sys.path.insert(0, p)
    sys.argv = [str(project.main_file)]
    os.chdir(project.root)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        sys.argv = old_argv
        # Forget the program's own modules (helpers next to __main__.py), so that the next program
        # run in this process starts clean. Installed packages (a venv inside the tree, or a package
        # such as secure_scoring that was imported before the run) stay: re-importing a Pulumi
        # provider SDK fails ("Cannot re-register package").
        roots = (str(project.root) + os.sep, str(main_dir) + os.sep)
        old_tops = {n.split(".", 1)[0] for n in old_modules}
        for name in set(sys.modules) - old_modules:
            if name.split(".", 1)[0] in old_tops:
                continue
            mod_file = getattr(sys.modules.get(name), "__file__", None) or ""
            if mod_file.startswith(roots) and not _is_venv(mod_file):
                del sys.modules[name]


def _program_dirs(project: Project) -> list[Path]:
    """Where the program's own code lives, most specific first: ``main``, then the program directory."""
    main_dir = project.main if project.main.is_dir() else project.main.parent
    return [main_dir] if main_dir == project.root else [main_dir, project.root]


_LIBRARY_DIR = Path(__file__).resolve().parents[1]  # the secure_scoring package


@functools.lru_cache(maxsize=4096)
def _resolved(path: str) -> Path | None:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return None


@functools.lru_cache(maxsize=4096)
def _is_program_file(path: str, within: Path) -> bool:
    """``path`` is program code under ``within``: not a venv, not this library (even when the
    library's source tree sits inside the program directory, as in this repository). Pseudo files
    (``<frozen runpy>``, ``<string>``) are never program code, although ``abspath`` makes them look
    like files of the working directory, which is the program directory during the run."""
    if Path(path).name.startswith("<"):
        return False
    p = _resolved(path)
    if p is None:
        return False
    if not p.is_relative_to(within) or p.is_relative_to(_LIBRARY_DIR):
        return False
    return not _is_venv(str(p.relative_to(within)))


def _user_location(tb_frames: Sequence[traceback.FrameSummary], project: Project) -> Location | None:
    """The innermost frame in the program's own code (``main`` first), else None."""
    for within in _program_dirs(project):
        for fr in reversed(tb_frames):
            if fr.filename and _is_program_file(os.path.abspath(fr.filename), within):
                return Location(Path(fr.filename).resolve(), fr.lineno or 1)
    return None


def _is_venv(path: str) -> bool:
    parts = Path(path).parts
    return any(p.startswith(".venv") or p == "site-packages" for p in parts)


def _program_error(exc: BaseException, project: Project, config: StackConfig) -> ProgramError:
    from ..errors import SecureScoringError

    frames = traceback.extract_tb(exc.__traceback__)
    location = _user_location(frames, project)
    kind = type(exc).__name__
    if isinstance(exc, SyntaxError) and exc.filename:
        location = Location(Path(exc.filename).resolve(), exc.lineno or 1)
        message = f"{exc.msg}"
    elif isinstance(exc, SecureScoringError):
        message = str(exc)
    else:
        message = str(exc) or kind
    if location is None:
        location = Location(project.main_file, 1)
    hint = None
    mentioned = [k for k in config.undecryptable if k in message or k.split(":", 1)[1] in message]
    if mentioned or (config.undecryptable and UNKNOWN in message):
        keys = mentioned or config.undecryptable
        hint = (
            f"{', '.join(keys)} {'is a secure value' if len(keys) == 1 else 'are secure values'} that the "
            "offline gate cannot decrypt; the program received Pulumi's unknown placeholder. Pass secure "
            "values on as Outputs (config.require_secret) instead of parsing them in the program"
        )
    return ProgramError(redact(message.strip()), location, kind, hint)


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_unknown(v) for v in value)
    return False


@contextlib.contextmanager
def _secure_config_as_unknown(enabled: bool) -> Iterator[None]:
    """Make ``pulumi.Config(...).get_secret/require_secret(_object)`` of an undecryptable secure value
    an *unknown* secret Output, as an unresolved value is during a preview: ``apply`` callbacks on it
    do not run (a component that inspects a secret PEM inside ``apply`` skips it instead of failing on
    the placeholder) and resource inputs carry the unknown sentinel, so rules report it as "could not
    judge". Only ``pulumi/config.py``'s own reference to ``Output`` is replaced, for the run."""
    if not enabled:
        yield
        return
    import asyncio

    from pulumi import config as _pconfig
    from pulumi.output import Output

    class _ConfigOutput:
        @staticmethod
        def secret(value: Any) -> Any:
            if not _contains_unknown(value):
                return Output.secret(value)
            loop = asyncio.get_event_loop()

            def done(v: Any) -> asyncio.Future:
                fut = loop.create_future()
                fut.set_result(v)
                return fut

            return Output(set(), done(None), done(False), done(True))

    original = _pconfig.Output
    _pconfig.Output = _ConfigOutput  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        _pconfig.Output = original  # type: ignore[misc]


def run_program(project: Project, config: StackConfig, *, preview: bool = True):
    """Run the program under realistic mocks; return the :class:`~secure_scoring.gate.mocking.Recording`.

    Raises :class:`ProgramError` when the program raises (directly, in an ``apply``, or via
    ``pulumi.log.error``), with the program's message and its own file:line.
    """
    import runpy

    from . import mocking

    def program() -> None:
        target = project.main if project.main.is_dir() else project.main_file
        runpy.run_path(str(target), run_name="__main__")

    error_calls: list[tuple[str, Location | None]] = []
    created: dict[tuple[str, str], list[tuple[str, int]]] = {}
    with (
        _program_context(project),
        _secure_config_as_unknown(bool(config.undecryptable)),
        _locate_log_errors(project, error_calls),
        _stack_trace_for_direct_resources(created),
        contextlib.redirect_stdout(sys.stderr),
    ):
        error: ProgramError | None = None
        try:
            recording = mocking.run_with_mocks(
                program,
                project=project.name,
                stack=config.stack.split("/")[-1],
                config=config.values,
                secret_keys=config.secret_keys,
                preview=preview,
            )
        except SystemExit as exc:
            if exc.code in (0, None):
                error = ProgramError(
                    "the program called sys.exit() before registering its resources", None, "SystemExit"
                )
            else:
                error = _program_error(exc, project, config)
        except Exception as exc:  # the user's program failed: report it as theirs
            error = _program_error(_unwrap(exc), project, config)
            if error.location is None or error.location == Location(project.main_file, 1):
                # raised while Pulumi prepared a resource's inputs (an apply of one of our
                # components, e.g. a CertificateBundle whose PEM is an Output): no program frame
                # is on that stack; the line that created the resource is the one to fix
                where = _created_at(exc, created, project)
                if where is not None:
                    error.location = where
        if error is not None:  # raised outside the handlers: the error keeps no link to the run
            _collect_failed_run()
            raise error
    seen: set[str] = set()
    for res in recording.resources:  # the engine refuses these; the mock monitor does not
        if res.urn in seen:
            raise ProgramError(
                f"Duplicate resource URN '{res.urn}'; try giving it a unique name",
                resource_location(res, project),
                "ResourceError",
                "two resources of the same type have the same name under the same parent",
            )
        seen.add(res.urn)
    errors = [msg for level, msg in recording.logs if level == "error"]
    if errors:
        located = [loc for msg, loc in error_calls if loc is not None and msg in errors]
        raise ProgramError(
            redact("; ".join(errors)),
            located[0] if located else Location(project.main_file, 1),
            "pulumi.log.error",
            "a program that logs an error fails `pulumi preview` too",
        )
    return recording


@contextlib.contextmanager
def _locate_log_errors(project: Project, calls: list[tuple[str, Location | None]]) -> Iterator[None]:
    """Record where the program calls ``pulumi.log.error`` (the engine's log request carries no
    source position): ``pulumi.log.error`` is wrapped for the run, and the wrapper records the
    message with the innermost program frame of the call stack."""
    from pulumi import log as _plog

    original = _plog.error

    @functools.wraps(original)
    def error(msg: str, *args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(Exception):  # locating must never change what the program does
            calls.append((str(msg), _user_location(traceback.extract_stack()[:-1], project)))
        return original(msg, *args, **kwargs)

    _plog.error = error  # type: ignore[assignment]
    try:
        yield
    finally:
        _plog.error = original  # type: ignore[assignment]


@contextlib.contextmanager
def _stack_trace_for_direct_resources(
    created: dict[tuple[str, str], list[tuple[str, int]]] | None = None,
) -> Iterator[None]:
    """Give a stack trace to resources the program creates with ``pulumi.CustomResource(...)`` or
    ``pulumi.ComponentResource(...)`` directly (a versioned or foreign type token, a component
    registered by hand): the SDK's ``_get_stack_trace`` expects a concrete subclass's ``__init__``
    and sends no frames for them, so their findings fell back to ``__main__.py`` line 1. For the
    run, an empty trace is replaced by the whole call stack (innermost first);
    :func:`resource_location` picks the first frame in the program, as for every resource.

    ``created`` also receives every resource's creation frames by ``(type, name)`` (read from the
    SDK's ``register_resource``/``read_resource`` caller), so that an error Pulumi raises later,
    while it prepares the resource's inputs, can be located at the line that created it."""
    from pulumi.runtime import resource as _pres

    original = getattr(_pres, "_get_stack_trace", None)
    to_position = getattr(_pres, "_get_source_position_for_frame", None)
    if original is None or to_position is None:  # another SDK layout: keep its behaviour
        yield
        return

    @functools.wraps(original)
    def get_stack_trace() -> Any:
        trace = original()
        if len(trace.frames) == 0:
            with contextlib.suppress(Exception):  # locating must never change what the program does
                frames = [to_position(f) for f in reversed(traceback.extract_stack()[:-1])]
                for pos in frames:
                    if pos is not None:
                        trace.frames.add(pc=pos)
        if created is not None:
            with contextlib.suppress(Exception):
                caller = sys._getframe(1).f_locals
                key = (str(caller["ty"]), str(caller["name"]))
                created[key] = [(_uri_path(f.pc.uri), int(f.pc.line)) for f in trace.frames if f.pc.uri]
        return trace

    _pres._get_stack_trace = get_stack_trace  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _pres._get_stack_trace = original  # type: ignore[attr-defined]


# The SDK re-raises an error from preparing a resource's inputs as a new ValueError/AssertionError
# "While processing resource: 'name', type: 'token'\nValueError has risen: ..." (and "While
# processing input: 'key', type ..., value <Output ...>" inside it), chained with `from`.
_SDK_WRAPPER_RE = re.compile(
    r"^While processing (?:resource: (?P<q>['\"])(?P<name>.*?)(?P=q), type:? (?P<q2>['\"])(?P<type>.*?)(?P=q2)|input: )"
)


def _uri_path(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path) if uri.startswith("file:") else uri


def _collect_failed_run() -> None:
    """Collect what a failed run left behind now. The failed program's tasks, futures and frames sit
    in reference cycles with its exception; their finalizers would otherwise run at an arbitrary
    later point, inside whatever the caller does next (on CPython 3.11 a finalizer that runs while
    ``compile()`` builds an AST makes it fail with "AST constructor recursion depth mismatch")."""
    import asyncio
    import gc

    with contextlib.suppress(Exception):  # the SDK keeps the failed RPC's exception (and its tasks)
        from pulumi.runtime import settings as _settings

        _settings.SETTINGS.rpc_manager.clear()
        _settings.SETTINGS.outputs.clear()
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        gc.collect()
        return
    previous = loop.get_exception_handler()
    # the failed futures' "exception was never retrieved" reports: the error is reported already
    loop.set_exception_handler(lambda _loop, _context: None)
    try:
        if not loop.is_running() and not loop.is_closed():
            # let the cancelled tasks of the run finish and the loop drop its pending callbacks,
            # which hold the failed futures (otherwise the next run in this process frees them)
            for _ in range(5):
                with contextlib.suppress(BaseException):
                    loop.run_until_complete(asyncio.sleep(0))
        gc.collect()
    finally:
        loop.set_exception_handler(previous)


def _unwrap(exc: BaseException) -> BaseException:
    """Pulumi sometimes wraps the program's exception; report the original one."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = next(
            (e for e in (exc.__cause__, exc.__context__) if e is not None and id(e) not in seen), None
        )
        wrapper = type(exc).__name__ in ("RunError", "InputPropertyError") or (
            isinstance(exc, ValueError | AssertionError) and _SDK_WRAPPER_RE.match(str(exc)) is not None
        )
        if wrapper and inner is not None:
            exc = inner
            continue
        break
    return exc


def _created_at(
    exc: BaseException, created: Mapping[tuple[str, str], list[tuple[str, int]]], project: Project
) -> Location | None:
    """The program line that created the resource an SDK wrapper error names, if it was recorded."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        m = _SDK_WRAPPER_RE.match(str(exc))
        if m and m.group("name") is not None:
            frames = created.get((m.group("type"), m.group("name")))
            if frames:
                from types import SimpleNamespace

                return resource_location(SimpleNamespace(stack_frames=frames, source=None), project)
        exc = exc.__cause__ or exc.__context__
    return None


# --------------------------------------------------------------------------------------------------
# locations
# --------------------------------------------------------------------------------------------------
def resource_location(res: Any, project: Project) -> Location:
    """The program line that created ``res``: the first recorded frame in the program's own code
    (frames under ``main`` first, then under the program directory).

    For a child of a library component the first frames are in the library (site-packages, or this
    package's source tree, which never counts as program code), so the first program frame is the
    line that created the component. Falls back to the program's ``__main__.py`` line 1.
    """
    candidates: list[tuple[str, int]] = list(getattr(res, "stack_frames", None) or [])
    src = getattr(res, "source", None)
    if src:
        candidates.insert(0, src)
    for within in _program_dirs(project):
        for path, line in candidates:
            if path and _is_program_file(str(path), within):
                return Location(_resolved(str(path)) or Path(path), max(1, int(line)))
    return Location(project.main_file, 1)


def _relative(path: Path, base: Path | None) -> str:
    path = Path(path)
    for b in (base, Path.cwd()):
        if b is None:
            continue
        try:
            return path.resolve().relative_to(Path(b).resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def artifact_uri(path: Path, project: Project) -> str:
    """Repo-relative URI for SARIF: relative to cwd when inside it, else to the program directory."""
    path = path.resolve()
    cwd = Path.cwd().resolve()
    if path.is_relative_to(cwd):
        return path.relative_to(cwd).as_posix()
    if path.is_relative_to(project.root):
        return path.relative_to(project.root).as_posix()
    return path.as_posix()


# --------------------------------------------------------------------------------------------------
# policy evaluation
# --------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _policy_env(project: Project, config: StackConfig, organization: str) -> Iterator[None]:
    """The environment the CLI gives a policy pack (stack, project, organization, config, dry run)."""
    env = {
        "PULUMI_STACK": config.stack.split("/")[-1],
        "PULUMI_PROJECT": project.name,
        "PULUMI_ORGANIZATION": organization,
        "PULUMI_CONFIG": json.dumps(config.values),
        "PULUMI_CONFIG_SECRET_KEYS": json.dumps(config.secret_keys),
        "PULUMI_DRY_RUN": "true",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, Mapping) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default


def _level(value: Any) -> str:
    text = str(getattr(value, "value", value) or "").lower()
    return MANDATORY if text in ("mandatory", "remediate") else ADVISORY


def _severity(value: Any) -> str:
    text = str(getattr(value, "value", value) or "").lower()
    return text if text in ("low", "medium", "high", "critical") else "medium"


def _configured_level(name: str, default: str, policy_config: Mapping[str, Any] | None) -> str:
    """A rule's level after ``--policy-config`` (``"all"`` first, then the rule's own entry)."""
    level = default
    for key in ("all", name):
        entry = (policy_config or {}).get(key)
        value = entry.get("enforcementLevel") if isinstance(entry, Mapping) else entry
        if isinstance(value, str) and value:
            level = value.lower()
    return level


def rule_catalogue(
    stack: str | None = None,
    config: Mapping[str, Any] | None = None,
    policy_config: Mapping[str, Any] | None = None,
) -> list[RuleInfo]:
    """The pack's rules (name, description, remediation, severity, url) with their level in this
    stack: the pack's default for the stack (production-only rules are advisory outside
    production), then ``--policy-config``. Disabled rules are left out."""
    from ..policy import pack as policy_pack

    out = []
    for r in policy_pack.rule_metadata(stack, dict(config or {})):
        level = _configured_level(r["name"], r["enforcement"], policy_config)
        if level == "disabled":
            continue
        out.append(
            RuleInfo(
                name=r["name"],
                description=r["description"],
                remediation=r["remediation"],
                severity=_severity(r["severity"]),
                enforcement=_level(level),
                url=r.get("url"),
            )
        )
    return out


def evaluate(
    recording: Any,
    project: Project,
    config: StackConfig,
    policy_config: Mapping[str, Any] | None,
    organization: str = "organization",
) -> list[Any]:
    """Run the pack over the recorded resources (in process, through pulumi_policy's analyzer
    servicer, see :func:`secure_scoring.policy.pack.evaluate`); returns its diagnostics."""
    from ..policy import pack as policy_pack

    with _policy_env(project, config, organization):
        try:
            return list(
                policy_pack.evaluate(
                    recording.resources,
                    stack=config.stack.split("/")[-1],
                    project=project.name,
                    config=dict(config.values),
                    policy_config=dict(policy_config) if policy_config else None,
                    organization=organization,
                    dry_run=True,
                )
            )
        except policy_pack.PolicyConfigError as exc:
            raise UsageError("--policy-config", exc.render(), None) from None


def check(
    program_dir: str | os.PathLike[str],
    stack: str,
    *,
    policy_config: Mapping[str, Any] | None = None,
    preview: bool = True,
    organization: str = "organization",
    allow_missing_stack_file: bool = False,
) -> Report:
    """Run the whole gate on one program and stack; returns the :class:`Report`.

    Raises :class:`UsageError` (bad directory, project or stack file) and :class:`ProgramError`.
    """
    import time

    project = load_project(program_dir)
    config = load_stack_config(project, stack, allow_missing_stack_file=allow_missing_stack_file)
    t0 = time.perf_counter()
    try:
        recording = run_program(project, config, preview=preview)
    except ProgramError as exc:
        exc.program_dir = project.root
        raise
    t1 = time.perf_counter()
    diagnostics = evaluate(recording, project, config, policy_config, organization)
    t2 = time.perf_counter()
    return build_report(project, config, recording, diagnostics, preview, t1 - t0, t2 - t1, policy_config)


def engine_urns(resources: Sequence[Any]) -> dict[str, str]:
    """Map each recorded (mock) URN to the URN the Pulumi engine gives the resource.

    Pulumi's mock monitor builds a child's type from its parent's *last* type only, and puts
    ``pulumi:pulumi:Stack`` in front of top-level types
    (``urn:pulumi:dev::proj::pulumi:pulumi:Stack$azure-native:dns:RecordSet::api``). The engine uses
    the parent's whole type chain and leaves the stack out (``urn:pulumi:dev::proj::azure-native:dns:RecordSet::api``;
    ``A$B$C`` for a child of a child of a component). Reports and SARIF fingerprints use the
    engine's form, so they match ``pulumi stack export`` and stay stable if the mocks change."""
    by_urn = {r.urn: r for r in resources}
    chains: dict[str, str] = {}

    def chain(urn: str) -> str:
        if urn in chains:
            return chains[urn]
        res = by_urn[urn]
        parent = res.parent if res.parent in by_urn else None
        chains[urn] = f"{chain(parent)}${res.type}" if parent else res.type
        return chains[urn]

    out = {}
    for r in resources:
        head = "::".join(r.urn.split("::")[:2])  # urn:pulumi:<stack>::<project>
        out[r.urn] = f"{head}::{chain(r.urn)}::{r.name}"
    return out


FOLDED_RULES = ("no-self-signed-in-production",)
"""Rules whose findings on a resource are folded into the same finding on one of our components
that is its ancestor (a dev certificate shows once, at the component that made it)."""


def _fold_into_components(
    findings: list[Finding], resources: Sequence[Any], urns: Mapping[str, str]
) -> list[Finding]:
    """Report a :data:`FOLDED_RULES` finding once, at the outermost ancestor that is one of our
    components (``secure-scoring:index:*``) and has the same rule's finding; the children it
    replaces are named in its message and its level is the strictest of them. Every resource is
    still judged: a finding whose ancestors carry no such finding (a raw SelfSignedCert, or one
    inside the user's own component) stays where it is."""
    from ..policy import rules

    ours = {rules.ACI_SERVICE, rules.AKS_CLUSTER, rules.CERTIFICATE_BUNDLE, rules.DNS_RECORD_BINDING}
    parent_of = {
        urns.get(r.urn, r.urn): urns.get(r.parent, r.parent) if r.parent else None for r in resources
    }
    type_of = {urns.get(r.urn, r.urn): r.type for r in resources}
    by_key = {(f.urn, f.rule): f for f in findings if f.rule in FOLDED_RULES}
    target: dict[int, Finding] = {}
    for f in findings:
        if f.rule not in FOLDED_RULES:
            continue
        outer, urn, seen = None, parent_of.get(f.urn), set()
        while urn and urn not in seen:
            seen.add(urn)
            if type_of.get(urn) in ours and (urn, f.rule) in by_key:
                outer = by_key[(urn, f.rule)]
            urn = parent_of.get(urn)
        if outer is not None:
            target[id(f)] = outer
    if not target:
        return findings
    folded: dict[int, list[Finding]] = {}
    for f in findings:
        if id(f) in target:
            folded.setdefault(id(target[id(f)]), []).append(f)
    out = []
    for f in findings:
        if id(f) in target:
            continue
        children = folded.get(id(f))
        if children:
            names = ", ".join(
                sorted({f"{c.resource_type.rsplit(':', 1)[-1]} '{c.resource_name}'" for c in children})
            )
            level = MANDATORY if any(c.level == MANDATORY for c in [f, *children]) else f.level
            f = Finding(
                rule=f.rule,
                level=level,
                severity=f.severity,
                urn=f.urn,
                resource_type=f.resource_type,
                resource_name=f.resource_name,
                message=f"{f.message.rstrip('.')} (also found on its children: {names})",
                remediation=f.remediation,
                location=f.location,
            )
        out.append(f)
    return out


def _strip_fix(message: str, remediation: str) -> str:
    """The pack ends each message with ``. Fix: <remediation>``; reports show the fix separately."""
    message = message.strip()
    if remediation and message.endswith(f"Fix: {remediation}"):
        message = message[: -len(f"Fix: {remediation}")].rstrip()
    return message


def build_report(
    project: Project,
    config: StackConfig,
    recording: Any,
    diagnostics: Sequence[Any],
    preview: bool = True,
    program_s: float = 0.0,
    policy_s: float = 0.0,
    policy_config: Mapping[str, Any] | None = None,
) -> Report:
    by_urn = {r.urn: r for r in recording.resources}
    urns = engine_urns(recording.resources)
    locations = {r.urn: resource_location(r, project) for r in recording.resources}
    resources = [
        ResourceInfo(
            urns[r.urn], r.type, r.name, urns.get(r.parent or "", r.parent), r.custom, locations[r.urn]
        )
        for r in recording.resources
    ]
    notes: list[Note] = [Note("environment", n) for n in config.notes]
    for key in config.undecryptable:
        notes.append(
            Note(
                "secure-config",
                f"could not judge {key}: secure value (not decrypted offline; rules that read it treat it as unknown)",
                key=key,
            )
        )
    for level, msg in recording.logs:
        if level == "warning":
            notes.append(Note("program-warning", redact(msg)))
    stack_name = config.stack.split("/")[-1]
    catalogue = {r.name: r for r in rule_catalogue(stack_name, config.values, policy_config)}
    findings: list[Finding] = []
    for d in diagnostics:
        rule = str(_get(d, "rule", default="") or "")
        urn = str(_get(d, "urn", default="") or "")
        raw_level = str(_get(d, "enforcement", default="") or "").lower()
        if raw_level == "disabled":
            continue
        level = _level(raw_level)
        res = by_urn.get(urn)
        info = catalogue.get(rule)
        remediation = str(_get(d, "remediation", default="") or (info.remediation if info else ""))
        message = _strip_fix(str(_get(d, "message", default="") or ""), remediation)
        if _get(d, "judged", default=True) is False:
            text = message if message.lower().startswith("could not judge") else f"could not judge: {message}"
            notes.append(Note("unknown-value", f"{rule}: {text}", urn=urns.get(urn, urn) or None))
            continue
        findings.append(
            Finding(
                rule=rule,
                level=level,
                severity=_severity(_get(d, "severity", default=None) or (info.severity if info else None)),
                urn=urns.get(urn, urn),
                resource_type=str(
                    _get(d, "resource_type", default="") or (res.type if res else "pulumi:pulumi:Stack")
                ),
                resource_name=str(_get(d, "name", default="") or (res.name if res else project.name)),
                message=message,
                remediation=remediation,
                location=locations.get(urn) or Location(project.main_file, 1),
            )
        )
    findings = _fold_into_components(findings, recording.resources, urns)
    findings.sort(
        key=lambda f: (0 if f.level == MANDATORY else 1, str(f.location.path), f.location.line, f.urn, f.rule)
    )
    return Report(
        project=project.name,
        stack=config.stack,
        program_dir=project.root,
        main_file=project.main_file,
        preview=preview,
        resources=resources,
        findings=findings,
        notes=notes,
        rules=list(catalogue.values()),
        program_seconds=program_s,
        policy_seconds=policy_s,
    )


# --------------------------------------------------------------------------------------------------
# reports
# --------------------------------------------------------------------------------------------------
def information_uri() -> str | None:
    """Absolute URI of this gate's docs page (``docs/check.md``), for SARIF ``informationUri``.

    In GitHub Actions it is the page in the repository at the analysed commit; elsewhere the file in
    the source tree when the package runs from one; otherwise None (the field is then left out).
    """
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if server and repo:
        return f"{server}/{repo}/blob/{sha or 'HEAD'}/{DOCS_PAGE}"
    page = Path(__file__).resolve().parents[3] / DOCS_PAGE
    return page.as_uri() if page.is_file() else None


def tool_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("secure-scoring")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def summary_line(report: Report) -> str:
    m, a, n = len(report.mandatory), len(report.advisory), len(report.notes)
    verdict = "PASS" if report.ok else "FAIL"
    return (
        f"{verdict}: stack {report.stack} of {report.project}: {len(report.resources)} resources, "
        f"{m} mandatory violation{'s' if m != 1 else ''}, {a} advisor{'ies' if a != 1 else 'y'}, "
        f"{n} note{'s' if n != 1 else ''}"
    )


def render_text(report: Report) -> str:
    base = Path.cwd()
    lines: list[str] = []
    groups: dict[str, list[Finding]] = {}
    for f in report.findings:
        groups.setdefault(f.urn, []).append(f)
    for urn, items in groups.items():
        items.sort(key=lambda f: (0 if f.level == MANDATORY else 1, f.rule))
        first = items[0]
        lines.append(f"{first.resource_type}  {first.resource_name}  ({first.location.display(base)})")
        lines.append(f"  urn: {urn}")
        for i, f in enumerate(items):
            lines.append(f"  [{f.level}] {f.rule} ({f.severity}): {_one_line(f.message)}")
            last_of_rule = i + 1 == len(items) or items[i + 1].rule != f.rule
            if f.remediation and last_of_rule:  # one fix line per rule of the resource
                lines.append(f"      fix: {_one_line(f.remediation)}")
        lines.append("")
    if report.notes:
        lines.append("notes:")
        for n in report.notes:
            lines.append(f"  - {_one_line(n.message)}")
        lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_json(report: Report) -> str:
    base = report.program_dir

    def loc(location: Location) -> dict[str, Any]:
        return {"path": _relative(location.path, base), "line": location.line}

    doc = {
        "schemaVersion": JSON_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version()},
        "project": report.project,
        "stack": report.stack,
        "programDir": str(report.program_dir),
        "preview": report.preview,
        "ok": report.ok,
        "exitCode": report.exit_code,
        "summary": {
            "resources": len(report.resources),
            "mandatory": len(report.mandatory),
            "advisory": len(report.advisory),
            "notes": len(report.notes),
        },
        "findings": [
            {
                "rule": f.rule,
                "level": f.level,
                "severity": f.severity,
                "urn": f.urn,
                "resourceType": f.resource_type,
                "resourceName": f.resource_name,
                "message": f.message,
                "remediation": f.remediation,
                "location": loc(f.location),
            }
            for f in report.findings
        ],
        "notes": [
            {
                k: v
                for k, v in {"kind": n.kind, "message": n.message, "key": n.key, "urn": n.urn}.items()
                if v is not None
            }
            for n in report.notes
        ],
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "location": loc(r.location),
            }
            # by URN: registration order depends on when each resource's inputs resolve, and a
            # report that CI keeps should not change from run to run for the same program
            for r in sorted(report.resources, key=lambda r: r.urn)
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def render_sarif(report: Report, project: Project | None = None) -> str:
    """SARIF 2.1.0 for GitHub code scanning (one run; rules from the pack; one result per finding)."""
    project = project or load_project(report.program_dir)
    rules = {r.name: r for r in report.rules}
    for f in report.findings:  # a rule the catalogue does not list still gets a descriptor
        rules.setdefault(f.rule, RuleInfo(f.rule, f.rule, f.remediation, f.severity, f.level))
    ordered = sorted(rules.values(), key=lambda r: r.name)
    index = {r.name: i for i, r in enumerate(ordered)}
    sarif_rules = []
    for r in ordered:
        description = r.description or r.name
        remediation = r.remediation or description
        sarif_rules.append(
            {
                "id": r.name,
                "name": "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", r.name) if part),
                "shortDescription": {"text": _first_sentence(description)},
                "fullDescription": {"text": description},
                "help": {
                    "text": f"{description}\n\nFix: {remediation}",
                    "markdown": f"**{r.name}**: {description}\n\n**Fix:** {remediation}\n\n"
                    f"See `{RULE_HELP_PATH}` for the rule catalogue and its configuration.",
                },
                **({"helpUri": r.url} if r.url else {}),
                "defaultConfiguration": {"level": "error" if r.enforcement == MANDATORY else "warning"},
                "properties": {
                    "security-severity": _SECURITY_SEVERITY.get(r.severity, "5.5"),
                    "tags": ["security", "pulumi", "azure", "tls"],
                    "precision": "high",
                },
            }
        )
    # one result per (resource, rule): that pair is the alert's identity (its fingerprint)
    merged: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        merged.setdefault((f.urn, f.rule), []).append(f)
    results = []
    for group in merged.values():
        f = group[0]
        level = MANDATORY if any(g.level == MANDATORY for g in group) else ADVISORY
        text = " ".join(_one_line(g.message) for g in group)
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": "error" if level == MANDATORY else "warning",
                "message": {"text": f"{text} (resource {f.urn}; {level} in stack {report.stack})"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": artifact_uri(f.location.path, project)},
                            "region": {"startLine": f.location.line},
                        },
                        "logicalLocations": [
                            {"name": f.resource_name, "fullyQualifiedName": f.urn, "kind": "resource"}
                        ],
                    }
                ],
                "partialFingerprints": {
                    "pulumiUrn/v1": hashlib.sha256((f.urn + f.rule).encode()).hexdigest()
                },
                "properties": {"urn": f.urn, "resourceType": f.resource_type, "enforcement": level},
            }
        )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "semanticVersion": tool_version(),
                        "rules": sarif_rules,
                    }
                },
                "automationDetails": {"id": f"{TOOL_NAME}/{report.stack}/"},
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"level": "note", "message": {"text": _one_line(n.message)}} for n in report.notes
                        ],
                    }
                ],
            }
        ],
    }
    info_uri = information_uri()
    if info_uri:
        doc["runs"][0]["tool"]["driver"]["informationUri"] = info_uri
    return json.dumps(doc, indent=2) + "\n"


def _first_sentence(text: str) -> str:
    text = _one_line(text)
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return m.group(1) if m else text


# --------------------------------------------------------------------------------------------------
# reports when the gate could not run (exit 2)
# --------------------------------------------------------------------------------------------------
def error_details(exc: BaseException) -> dict[str, Any]:
    """What went wrong, for machine-readable reports: ``kind``, ``message``, ``file``, ``line``
    (``None`` when unknown), ``hint``; ``input`` for usage errors (the argument or file at fault)."""
    from ..errors import SecureScoringError

    if isinstance(exc, ProgramError):
        base = exc.program_dir
        return {
            "kind": exc.kind,
            "message": exc.message,
            "file": _relative(exc.location.path, base) if exc.location else None,
            "line": exc.location.line if exc.location else None,
            "hint": exc.hint,
        }
    if isinstance(exc, SecureScoringError):
        return {
            "kind": "UsageError",
            "message": exc.render(),
            "input": exc.input_name,
            "file": None,
            "line": None,
            "hint": exc.fix,
        }
    return {"kind": type(exc).__name__, "message": str(exc), "file": None, "line": None, "hint": None}


def render_error_json(exc: BaseException, stack: str) -> str:
    """The JSON report when the program or its configuration failed (exit code 2)."""
    doc = {
        "schemaVersion": JSON_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version()},
        "stack": stack,
        "ok": False,
        "exitCode": 2,
        "error": error_details(exc),
    }
    return json.dumps(doc, indent=2) + "\n"


def render_error_sarif(exc: BaseException, stack: str) -> str:
    """A SARIF 2.1.0 run for a failed check: no results, ``executionSuccessful: false`` and the
    error as a tool execution notification (GitHub code scanning accepts it and shows the run as
    failed instead of keeping the previous upload's alerts as if nothing happened)."""
    details = error_details(exc)
    text = f"{details['kind']}: {details['message']}"
    if details.get("hint"):
        text += f" (note: {details['hint']})"
    notification: dict[str, Any] = {"level": "error", "message": {"text": _one_line(text)}}
    if details.get("file"):
        base = exc.program_dir if isinstance(exc, ProgramError) else None
        path = Path(base or ".") / details["file"]
        cwd = Path.cwd().resolve()
        uri = (
            path.resolve().relative_to(cwd).as_posix()
            if path.resolve().is_relative_to(cwd)
            else details["file"]
        )
        notification["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": max(1, int(details["line"] or 1))},
                }
            }
        ]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL_NAME, "semanticVersion": tool_version(), "rules": []}},
                "automationDetails": {"id": f"{TOOL_NAME}/{stack}/"},
                "results": [],
                "invocations": [
                    {
                        "executionSuccessful": False,
                        "exitCode": 2,
                        "toolExecutionNotifications": [notification],
                    }
                ],
            }
        ],
    }
    info_uri = information_uri()
    if info_uri:
        doc["runs"][0]["tool"]["driver"]["informationUri"] = info_uri
    return json.dumps(doc, indent=2) + "\n"
