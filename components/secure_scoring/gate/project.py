"""The project and its stack: ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``, read as the Pulumi CLI reads them.

``load_project`` finds ``Pulumi.yaml`` (or ``.yml``) in the program directory or its nearest parent
and resolves ``main`` and ``stackConfigDir``. ``load_stack_config`` turns the project's ``config:``
defaults and the stack file's ``config:`` into the ``{"<namespace>:<key>": "<string>"}`` map the CLI
hands to a program (keys without a namespace get the project name; numbers, booleans, lists and
objects are JSON-encoded). ``secure:`` values cannot be decrypted offline: they become Pulumi's
unknown placeholder and their keys are marked secret and undecryptable.

Stack files carry the project file's extension (``Pulumi.yml`` -> ``Pulumi.<stack>.yml``). A stack
without its file is refused when other stack files exist (a typo in the stack name would run the
wrong rules: production is decided by the stack name) unless ``allow_missing_stack_file``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..facts import CONFIG_NAMESPACE, UNKNOWN, is_production_name
from ..policy.project_dir import find_project_file
from .locations import relative

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_STACK_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$")
# a stack config file: Pulumi.<stack>.yaml, or .yml beside a Pulumi.yml project
_STACK_FILE_RE = re.compile(r"^Pulumi\.(.+)\.ya?ml$")
_PROJECT_SPEC_KEYS = {"type", "default", "value", "description", "secret", "items"}
_PRODUCTION_KEYS = ("environment", "productionStacks")
_STACK_CONFIG_EXAMPLE = ", e.g. `  secure-scoring:environment: production`"


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
    virtualenv: Path | None = None
    """``runtime.options.virtualenv``, resolved: the program's own dependencies live there."""

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


MAX_YAML_BYTES = 4 * 1024 * 1024
"""A project or stack file larger than this is refused (stack files are a few kilobytes)."""
MAX_YAML_DEPTH = 64
"""Nesting deeper than this is refused (Pulumi config is a few levels deep)."""
MAX_YAML_NODES = 200_000
"""A file whose values, with every alias expanded, hold more nodes than this is refused (an alias
bomb, "billion laughs": a few lines that expand to billions of values)."""


class YamlRefused(Exception):
    """A YAML file the gate will not read: duplicate keys, too deep, too large once expanded."""

    def __init__(self, problem: str, line: int | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


def _safe_loader(text: str) -> Any:
    """PyYAML's pure-Python safe loader (no Python objects), refusing duplicate keys and nesting
    deeper than :data:`MAX_YAML_DEPTH` while it composes, before any value is built."""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            try:
                if self.depth > MAX_YAML_DEPTH:
                    mark = self.peek_event().start_mark
                    raise YamlRefused(f"it is nested more than {MAX_YAML_DEPTH} levels deep", mark.line + 1)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise YamlRefused(
                        f"the key {key!r} appears twice in one mapping (lines {seen[key]} and {line}); "
                        "tools disagree on which value wins",
                        line,
                    )
                seen[key] = line
            return super().construct_mapping(node, deep=deep)

    return Loader(text)


def _check_expanded_size(node: Any) -> None:
    """Refuse ``node`` when it holds more than :data:`MAX_YAML_NODES` nodes with every alias expanded
    (a shared node counts once per use; each distinct node is visited once)."""
    sizes: dict[int, int] = {}

    def size(n: Any) -> int:
        if id(n) in sizes:
            return sizes[id(n)]
        total = 1
        if isinstance(n.value, list):
            for item in n.value:
                for child in item if isinstance(item, tuple) else (item,):
                    total += size(child)
                    if total > MAX_YAML_NODES:
                        raise YamlRefused(
                            f"with its aliases expanded it holds more than {MAX_YAML_NODES:,} values "
                            "(an alias bomb?)",
                            n.start_mark.line + 1,
                        )
        sizes[id(n)] = total
        return total

    if node is not None:
        size(node)


def parse_yaml(text: str) -> Any:
    """``text`` parsed safely; raises ``yaml.YAMLError`` or :class:`YamlRefused`."""
    loader = _safe_loader(text)
    try:
        node = loader.get_single_node()
        _check_expanded_size(node)
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def load_yaml(path: Path, what: str) -> Any:
    """``path`` parsed as YAML (safely: no Python objects, no duplicate keys, bounded size, depth and
    alias expansion); an unreadable, non-UTF-8, oversized or invalid file is a :class:`UsageError`."""
    import yaml

    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise UsageError(
                str(path),
                f"the {what} is larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB",
                "keep config values small (large values belong in files the program reads)",
            )
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
        return parse_yaml(text)
    except YamlRefused as exc:
        where = f" at line {exc.line}" if exc.line else ""
        raise UsageError(
            str(path),
            f"the {what} is refused{where}: {exc.problem}",
            "write each key once, and plain values (no deep nesting, no alias chains)",
        ) from None
    except RecursionError:
        raise UsageError(str(path), f"the {what} is nested too deeply", "write plain values") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(
            str(path), f"the {what} is not valid YAML{where}: {problem}", "fix the YAML syntax"
        ) from None


# --------------------------------------------------------------------------------------------------
# Pulumi.yaml
# --------------------------------------------------------------------------------------------------
def load_project(program_dir: str | os.PathLike[str]) -> Project:
    """Read and validate the ``Pulumi.yaml`` (``.yml`` accepted too) of ``program_dir``, or of its
    nearest parent that has one (the Pulumi CLI's search)."""
    file = _locate_project_file(program_dir)
    root = file.parent
    data = load_yaml(file, "project file")
    if not isinstance(data, Mapping):
        raise UsageError(
            str(file), "the project file is not a YAML mapping", "start it with `name:` and `runtime:`"
        )
    name = _project_name(data, file)
    _require_python_runtime(data, file)
    data = _legacy_config_dir(data, file)
    return Project(
        name=name,
        root=root,
        file=file,
        main=_resolve_main(data, file),
        stack_config_dir=_resolve_stack_config_dir(data, file),
        config=dict(_config_block(data, file, " (or leave it out)")),
        virtualenv=_resolve_virtualenv(data, file),
    )


def _resolve_virtualenv(data: Mapping[str, Any], file: Path) -> Path | None:
    """``runtime.options.virtualenv`` (relative to ``Pulumi.yaml``), or None."""
    runtime = data.get("runtime")
    options = runtime.get("options") if isinstance(runtime, Mapping) else None
    value = options.get("virtualenv") if isinstance(options, Mapping) else None
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise UsageError(
            f"{file.name}: runtime.options.virtualenv", "must be a path string", "e.g. `virtualenv: venv`"
        )
    return (file.parent / value).resolve()


def site_packages(virtualenv: Path) -> list[Path]:
    """The ``site-packages`` directories of a virtual environment, this Python's version first."""
    own = f"python{sys.version_info.major}.{sys.version_info.minor}"
    found = [p for p in sorted(virtualenv.glob("lib*/python3*/site-packages")) if p.is_dir()]
    found += [p for p in (virtualenv / "Lib" / "site-packages",) if p.is_dir()]  # Windows layout
    return sorted(found, key=lambda p: p.parent.name != own)


def _locate_project_file(program_dir: str | os.PathLike[str]) -> Path:
    start = Path(program_dir).resolve()
    if not start.exists():
        raise UsageError(
            "PROGRAM_DIR", f"{program_dir} does not exist", "give the directory that holds Pulumi.yaml"
        )
    if not start.is_dir():
        raise UsageError(
            "PROGRAM_DIR", f"{program_dir} is not a directory", "give the directory that holds Pulumi.yaml"
        )
    file = find_project_file(start)
    if file is None:
        raise UsageError(
            "PROGRAM_DIR",
            f"no Pulumi.yaml in {start} or any parent directory",
            "run check on a Pulumi project directory (the one that holds Pulumi.yaml), e.g. `secure-scoring check . --stack dev`",
        )
    return file


def _project_name(data: Mapping[str, Any], file: Path) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise UsageError(
            f"{file.name}: name",
            "missing or invalid project name" if name is None else f"invalid project name {name!r}",
            "set `name:` to letters, digits, '-', '_' or '.'",
        )
    return name


def _require_python_runtime(data: Mapping[str, Any], file: Path) -> None:
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


def _resolve_main(data: Mapping[str, Any], file: Path) -> Path:
    root = file.parent
    main_value = data.get("main")
    if main_value is not None and not isinstance(main_value, str):
        raise UsageError(f"{file.name}: main", "must be a path string", "e.g. `main: stacks/`")
    main = (root / main_value).resolve() if main_value else root
    if main.is_dir():
        if not (main / "__main__.py").is_file():
            raise UsageError(
                f"{file.name}: main",
                f"{relative(main, root)} has no __main__.py",
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
    return main


def _legacy_config_dir(data: Mapping[str, Any], file: Path) -> Mapping[str, Any]:
    """``config: <dir>`` is the old spelling of ``stackConfigDir: <dir>``: the Pulumi CLI still reads it
    that way (and refuses it next to ``stackConfigDir``)."""
    legacy = data.get("config")
    if not isinstance(legacy, str):
        return data
    if data.get("stackConfigDir") is not None:
        raise UsageError(
            f"{file.name}: config",
            f"`config: {legacy}` (the old spelling of stackConfigDir) is given together with stackConfigDir",
            "keep only `stackConfigDir:` (the Pulumi CLI refuses both)",
        )
    updated = {k: v for k, v in data.items() if k != "config"}
    updated["stackConfigDir"] = legacy
    return updated


def _resolve_stack_config_dir(data: Mapping[str, Any], file: Path) -> Path:
    scd_value = data.get("stackConfigDir")
    if scd_value is not None and not isinstance(scd_value, str):
        raise UsageError(
            f"{file.name}: stackConfigDir", "must be a path string", "e.g. `stackConfigDir: stacks`"
        )
    stack_config_dir = (file.parent / scd_value).resolve() if scd_value else file.parent
    if not stack_config_dir.is_dir():
        raise UsageError(
            f"{file.name}: stackConfigDir",
            f"{scd_value!r} is not a directory",
            "create it or fix the path (it is relative to Pulumi.yaml)",
        )
    return stack_config_dir


def _config_block(data: Mapping[str, Any], file: Path, tail: str) -> Mapping[str, Any]:
    """The ``config:`` mapping of a project or stack file (empty when absent); ``tail`` ends the fix."""
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        raise UsageError(
            f"{file.name}: config",
            "must be a mapping of keys to values",
            f"write `config:` followed by indented `key: value` lines{tail}",
        )
    return config


# --------------------------------------------------------------------------------------------------
# config values
# --------------------------------------------------------------------------------------------------
def full_key(key: Any, project: str, where: str) -> str:
    """``key`` with its namespace: the project name when it has none; legacy ``ns:config:key`` -> ``ns:key``."""
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


def encode(value: Any) -> str:
    """A config value as the CLI passes it to a program: strings as is, everything else JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, separators=(",", ":"), default=str)


class _ConfigMap:
    """The config map under construction: values, secret keys, undecryptable keys."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.values: dict[str, str] = {}
        self.secret: set[str] = set()
        self.undecryptable: set[str] = set()

    def put(self, key: Any, raw: Any, where: str) -> None:
        full = full_key(key, self.project.name, where)
        replaced, had_secure = _replace_secure(raw)
        if had_secure:
            self.secret.add(full)
            self.undecryptable.add(full)
            self.values[full] = UNKNOWN if _is_secure(raw) else encode(replaced)
        else:
            self.values[full] = encode(raw)

    def put_project_defaults(self) -> None:
        """Project-level defaults: ``key: value`` or ``key: {type:, default:, value:, secret:}``."""
        project = self.project
        for key, spec in project.config.items():
            where = f"{project.file.name}: config.{key}"
            if isinstance(spec, Mapping) and not _is_secure(spec) and (_PROJECT_SPEC_KEYS & set(spec)):
                if "value" in spec:
                    self.put(key, spec["value"], where)
                elif "default" in spec:
                    self.put(key, spec["default"], where)
                if spec.get("secret") is True:
                    self.secret.add(full_key(key, project.name, where))
            else:
                self.put(key, spec, where)


# --------------------------------------------------------------------------------------------------
# Pulumi.<stack>.yaml
# --------------------------------------------------------------------------------------------------
def load_stack_config(project: Project, stack: str, *, allow_missing_stack_file: bool = False) -> StackConfig:
    """Build the program's config map from ``Pulumi.yaml`` defaults and ``Pulumi.<stack>.yaml``.

    A stack without its file is refused when other stack files exist (a typo in the stack name
    would run the wrong rules: production is decided by the stack name), unless
    ``allow_missing_stack_file``; with no stack file at all it runs on the project's config.
    """
    check_stack_name(project, stack)
    config = _ConfigMap(project)
    notes: list[str] = []
    config.put_project_defaults()
    file = project.stack_file(stack)
    if file.is_file():
        data = load_yaml(file, "stack config file") or {}
    else:  # the Pulumi CLI runs a stack that has no config file with the project's config only
        data = {}
        notes.append(_missing_stack_file(project, file, allow_missing_stack_file))
    if not isinstance(data, Mapping):
        raise UsageError(str(file), "the stack config file is not a YAML mapping", "start it with `config:`")
    if data.get("environment"):
        esc = data["environment"]
        note = (
            f"{file.name} imports Pulumi ESC environments ({encode(esc)}); "
            "they are not resolved offline, so values they provide are missing"
        )
        if is_production_name(esc):
            note += (
                f". If you meant the stack's environment, write `{CONFIG_NAMESPACE}:environment: production` "
                "under `config:` (a top-level `environment:` imports an ESC environment)"
            )
        notes.append(note)
    for key, raw in _config_block(data, file, _STACK_CONFIG_EXAMPLE).items():
        config.put(key, raw, f"{file.name}: config.{key}")
    notes.extend(_project_namespace_notes(project, config.values, file))
    return StackConfig(
        stack=stack,
        file=file,
        values=config.values,
        secret_keys=sorted(config.secret),
        undecryptable=sorted(config.undecryptable),
        notes=notes,
    )


def check_stack_name(project: Project, stack: str) -> None:
    """Refuse a stack name Pulumi would refuse, and a stack *file* name given as the stack."""
    if not stack or not _STACK_RE.match(stack):
        raise UsageError(
            "--stack",
            f"invalid stack name {stack!r}",
            "use letters, digits, '-', '_' or '.' (optionally org/project/stack)",
        )
    parts = stack.split("/")
    if len(parts) == 3 and parts[1] != project.name:  # the CLI: "provided project name doesn't match"
        raise UsageError(
            "--stack",
            f"{stack!r} names project {parts[1]!r}, but {project.file.name} is project {project.name!r}",
            f"use --stack {parts[0]}/{project.name}/{parts[2]} (or just --stack {parts[2]}), or check the "
            f"program of project {parts[1]!r}",
        )
    file_like = re.fullmatch(r"(?:.*/)?Pulumi\.(.+)\.ya?ml", stack)
    if file_like:  # the stack file given for the stack: it would run as a stack without config
        raise UsageError(
            "--stack",
            f"{stack!r} is a stack file name, not a stack name",
            f"use --stack {file_like.group(1)} (check reads {project.stack_file(file_like.group(1)).name} itself)",
        )


def _missing_stack_file(project: Project, file: Path, allow_missing_stack_file: bool) -> str:
    """The note for a stack without its config file, after the typo guard: a stack file with the
    other extension, or other stacks' files, refuse the run unless ``allow_missing_stack_file``."""
    others = sorted(
        p.name for p in project.stack_config_dir.glob("Pulumi.*") if _STACK_FILE_RE.fullmatch(p.name)
    )
    twin = file.with_suffix(".yml" if file.suffix == ".yaml" else ".yaml")
    if twin.is_file() and not allow_missing_stack_file:
        raise UsageError(
            "--stack",
            f"there is no {relative(file, project.root)}, but there is {twin.name}: the Pulumi CLI "
            f"reads stack files with the extension of {project.file.name}, so it ignores {twin.name} too",
            f"rename {twin.name} to {file.name}",
        )
    if others and not allow_missing_stack_file:
        names = ", ".join(_STACK_FILE_RE.sub(r"\1", o) for o in others)
        raise UsageError(
            "--stack",
            f"there is no {relative(file, project.root)}; the stacks with a config file here are: {names}",
            "check the stack name (a typo runs the wrong rules: production rules follow the stack "
            "name), or pass --allow-missing-stack-file to run a stack that has no config file with "
            "the project's config only",
        )
    seen = f"; stack files found: {', '.join(others)}" if others else ""
    return (
        f"no {relative(file, project.root)}: running with project defaults only "
        f"(the Pulumi CLI treats a missing stack config file as empty config){seen}"
    )


def _yaml_scalar(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_.,\[\]\" -]+", value) else json.dumps(value)


def _project_namespace_notes(project: Project, values: Mapping[str, str], file: Path) -> list[str]:
    """A production key set in the project's namespace is ignored by the pack: say so."""
    notes = []
    for key in _PRODUCTION_KEYS:
        ours, theirs = f"{CONFIG_NAMESPACE}:{key}", f"{project.name}:{key}"
        if theirs in values and ours not in values and project.name != CONFIG_NAMESPACE:
            notes.append(
                f"{theirs} is set but the policy pack reads {ours}: the project-namespace key is "
                f"ignored when judging production; write `{ours}: {_yaml_scalar(values[theirs])}` under "
                f"`config:` in {file.name} (the key needs the {CONFIG_NAMESPACE}: namespace)"
            )
    return notes
