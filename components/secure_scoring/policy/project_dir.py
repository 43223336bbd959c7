"""The project directory (where ``Pulumi.yaml`` is), from which the pack reads the relative file paths of
``secure-scoring:trustedCaCertificates``.

The Pulumi CLI does not tell a policy pack where the project is: it runs the pack from the pack's own
directory (``pulumi preview --policy-pack policies``), or from a download directory for a published
pack. So the pack looks, in this order:

1. ``SECURE_SCORING_PROJECT_DIR`` (set it when nothing else works);
2. the working directory and its parents: the first holding a ``Pulumi.yaml`` (``Pulumi.yml``) of the
   project being judged (``PULUMI_PROJECT``, which the CLI and the offline gate set; any project when
   it is not set). The offline gate runs the pack in the project directory; a pack kept inside the
   project (``policies/``) finds it one level up;
3. the working directory of the ``pulumi`` process that started the pack (an ancestor process) and
   its parents, the same way: where the user ran ``pulumi preview`` (or its ``--cwd``);
4. else the working directory, as it is.

No Pulumi import; ``psutil`` is imported only for step 3.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

ENV_PROJECT_DIR = "SECURE_SCORING_PROJECT_DIR"
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
_CLI_NAMES = frozenset({"pulumi", "pulumi.exe"})
_MAX_ANCESTORS = 8  # pulumi -> language host / analyzer shim -> python: a few levels, never the whole tree


def project_name(project_file: Path) -> str | None:
    """The ``name:`` of a Pulumi project file, or None when it cannot be read."""
    import yaml  # lazy: only when a relative path is resolved

    try:
        data = yaml.safe_load(project_file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name.strip() if isinstance(name, str) else None


def find_project_file(start: Path, name: str | None = None) -> Path | None:
    """The project file (``Pulumi.yaml``, else ``Pulumi.yml``) in ``start`` or its nearest parent, as
    the Pulumi CLI looks for it; with ``name``, the nearest one of that project."""
    for directory in (start, *start.parents):
        for file_name in PROJECT_FILES:
            candidate = directory / file_name
            if candidate.is_file() and (name is None or project_name(candidate) == name):
                return candidate
    return None


def find_project(start: Path, name: str | None) -> Path | None:
    """``start`` or its nearest parent holding the project file of project ``name`` (any project when
    ``name`` is None)."""
    found = find_project_file(start, name)
    return None if found is None else found.parent


def pulumi_cli_directory() -> Path | None:
    """The working directory of the nearest ancestor process named ``pulumi`` (None when there is none
    or it cannot be read)."""
    try:
        import psutil

        process = psutil.Process().parent()
        for _ in range(_MAX_ANCESTORS):
            if process is None:
                return None
            if process.name().lower() in _CLI_NAMES:
                return Path(process.cwd())
            process = process.parent()
    except Exception:  # noqa: BLE001 - psutil.Error, permissions, a process gone: no answer
        return None
    return None


def project_directory() -> tuple[Path, str]:
    """(the project directory, how it was found: for messages). See the module docstring."""
    return _project_directory(
        str(Path.cwd()), os.environ.get(ENV_PROJECT_DIR), os.environ.get("PULUMI_PROJECT")
    )


@functools.lru_cache(maxsize=16)
def _project_directory(cwd: str, explicit: str | None, name: str | None) -> tuple[Path, str]:
    if explicit and explicit.strip():
        return Path(explicit.strip()).expanduser().resolve(), f"${ENV_PROJECT_DIR}"
    name = name.strip() if name and name.strip() else None
    here = Path(cwd)
    found = find_project(here, name)
    if found is not None:
        return found, f"the {PROJECT_FILES[0]} found from the working directory"
    cli = pulumi_cli_directory()
    if cli is not None:
        found = find_project(cli, name)
        if found is not None:
            return found, f"the {PROJECT_FILES[0]} found from the directory `pulumi` runs in"
    return here, f"the working directory (no {PROJECT_FILES[0]} of the project found; set ${ENV_PROJECT_DIR})"


def resolve(path: str) -> tuple[str, str | None]:
    """(``path`` made absolute, how its project directory was found; None for an absolute path)."""
    expanded = os.path.expanduser(path)
    if os.path.isabs(expanded):
        return expanded, None
    directory, how = project_directory()
    return str(directory / expanded), f"relative to the project directory {directory} ({how})"
