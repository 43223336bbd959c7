"""Where a finding or a program error points: the program line that created a resource.

A resource's recorded stack frames run from the library (site-packages, or this package's source
tree) out to the program; the first frame in the program's own code (under ``main`` first, then the
program directory, never a virtual environment) is the line to show.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .project import Project

LIBRARY_DIR = Path(__file__).resolve().parents[1]
"""The secure_scoring package: never program code, even when its source tree sits inside the
program directory (as in this repository)."""


@dataclass
class Location:
    path: Path
    line: int

    def display(self, base: Path | None = None) -> str:
        return f"{relative(self.path, base)}:{self.line}"


def relative(path: Path, base: Path | None) -> str:
    """``path`` relative to ``base``, else to the working directory, else as given (POSIX form)."""
    path = Path(path)
    for b in (base, Path.cwd()):
        if b is None:
            continue
        try:
            return path.resolve().relative_to(Path(b).resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def is_venv(path: str) -> bool:
    parts = Path(path).parts
    return any(p.startswith(".venv") or p == "site-packages" for p in parts)


def main_dir(project: Project) -> Path:
    """The directory of the program's ``main`` (``main`` itself, or the directory of a ``.py`` main)."""
    return project.main if project.main.is_dir() else project.main.parent


def program_dirs(project: Project) -> list[Path]:
    """Where the program's own code lives, most specific first: ``main``, then the program directory."""
    main = main_dir(project)
    return [main] if main == project.root else [main, project.root]


@functools.lru_cache(maxsize=4096)
def _resolved(path: str) -> Path | None:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return None


@functools.lru_cache(maxsize=4096)
def is_program_file(path: str, within: Path) -> bool:
    """``path`` is program code under ``within``: not a venv, not this library (even when the
    library's source tree sits inside the program directory, as in this repository). Pseudo files
    (``<frozen runpy>``, ``<string>``) are never program code, although ``abspath`` makes them look
    like files of the working directory, which is the program directory during the run."""
    if Path(path).name.startswith("<"):
        return False
    p = _resolved(path)
    if p is None:
        return False
    if not p.is_relative_to(within) or p.is_relative_to(LIBRARY_DIR):
        return False
    return not is_venv(str(p.relative_to(within)))


def user_location(tb_frames: Sequence[traceback.FrameSummary], project: Project) -> Location | None:
    """The innermost frame in the program's own code (``main`` first), else None."""
    for within in program_dirs(project):
        for fr in reversed(tb_frames):
            if fr.filename and is_program_file(os.path.abspath(fr.filename), within):
                return Location(Path(fr.filename).resolve(), fr.lineno or 1)
    return None


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
    for within in program_dirs(project):
        for path, line in candidates:
            if path and is_program_file(str(path), within):
                return Location(_resolved(str(path)) or Path(path), max(1, int(line)))
    return Location(project.main_file, 1)


def artifact_uri(path: Path, project: Project) -> str:
    """Repo-relative URI for SARIF: relative to cwd when inside it, else to the program directory."""
    path = path.resolve()
    cwd = Path.cwd().resolve()
    if path.is_relative_to(cwd):
        return path.relative_to(cwd).as_posix()
    if path.is_relative_to(project.root):
        return path.relative_to(project.root).as_posix()
    return path.as_posix()
