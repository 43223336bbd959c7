"""Running the Pulumi program as the Python language host does, under realistic mocks.

``runpy`` of the ``main`` directory, with the program directory and ``main`` on ``sys.path`` and
cwd = the program directory, under :func:`secure_scoring.gate.mocking.run_with_mocks` in **preview**
mode (``pulumi.runtime.is_dry_run()`` is true, as in ``pulumi preview``; outputs the fake cloud does
not compute stay unknown), recording every registered resource, components included. Afterwards the
program's own modules are forgotten (installed packages stay), so the next run starts clean.

A failing program is reported as :class:`ProgramError`: its own error, located at its own
file:line, with private key material redacted, never our traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..facts import UNKNOWN
from . import pulumi_hooks
from .locations import Location, is_venv, main_dir, relative, resource_location, user_location
from .project import Project, StackConfig, site_packages
from .redaction import redact

# The SDK re-raises an error from preparing a resource's inputs as a new ValueError/AssertionError
# "While processing resource: 'name', type: 'token'\nValueError has risen: ..." (and "While
# processing input: 'key', type ..., value <Output ...>" inside it), chained with `from`.
_SDK_WRAPPER_RE = re.compile(
    r"^While processing (?:resource: (?P<q>['\"])(?P<name>.*?)(?P=q), type:? (?P<q2>['\"])(?P<type>.*?)(?P=q2)|input: )"
)


class ProgramError(Exception):
    """The Pulumi program failed: its own error, located in its own source (exit code 2)."""

    def __init__(self, message: str, location: Location | None, kind: str, hint: str | None = None):
        self.message = message
        self.location = location
        self.kind = kind
        self.hint = hint
        self.program_dir: Path | None = None
        """The program directory (set by :func:`~secure_scoring.gate.check`; report paths are relative to it)."""
        self.rule: str | None = None
        """A component's refusal that a policy rule names (:class:`~secure_scoring.errors.PolicyRefusal`):
        the rule; :func:`~secure_scoring.gate.check` reports it as a mandatory violation."""
        self.remediation: str | None = None
        super().__init__(message)

    def __reduce__(self):  # the isolated run sends it from its child process
        state = {"program_dir": self.program_dir, "rule": self.rule, "remediation": self.remediation}
        return (ProgramError, (self.message, self.location, self.kind, self.hint), state)

    def render(self, base: Path | None = None) -> str:
        where = f"{self.location.display(base)}: " if self.location else ""
        text = f"{where}{self.kind}: {self.message}"
        if self.hint:
            text += f"\n  note: {self.hint}"
        return text


def run_program(project: Project, config: StackConfig, *, preview: bool = True):
    """Run the program under realistic mocks; return the :class:`~secure_scoring.gate.mocking.Recording`.

    Raises :class:`ProgramError` when the program raises (directly, in an ``apply``, or via
    ``pulumi.log.error``), with the program's message and its own file:line.
    """
    from . import mocking

    def program() -> None:
        import runpy

        target = project.main if project.main.is_dir() else project.main_file
        runpy.run_path(str(target), run_name="__main__")

    error_calls: list[tuple[str, Location | None]] = []
    created: pulumi_hooks.CreationFrames = {}
    with (
        _program_context(project),
        pulumi_hooks.secure_config_as_unknown(bool(config.undecryptable)),
        pulumi_hooks.locate_log_errors(project, error_calls),
        pulumi_hooks.stack_trace_for_direct_resources(created),
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
            error = _exit_error(exc, project, config)
        except BaseException as exc:  # noqa: BLE001 - the program failed (CancelledError too): theirs
            error = _raised_error(exc, project, config, created)
        if error is not None:  # raised outside the handlers: the error keeps no link to the run
            pulumi_hooks.collect_failed_run()
            raise error
    _refuse_duplicate_urns(recording, project)
    _refuse_logged_errors(recording, project, error_calls)
    return recording


@contextlib.contextmanager
def _program_context(project: Project) -> Iterator[None]:
    """cwd, sys.path and sys.argv as the Python language host sets them; undone afterwards."""
    old_cwd = os.getcwd()
    old_path = list(sys.path)
    old_argv = list(sys.argv)
    old_modules = set(sys.modules)
    for p in (str(project.root), str(main_dir(project))):
        if p not in sys.path:
            sys.path.insert(0, p)
    if project.virtualenv is not None:
        # the program's own dependencies, as under the Pulumi CLI (which runs the program with the
        # virtualenv's python); appended, so that the gate's pulumi and secure_scoring stay the ones used
        import site

        for sp in site_packages(project.virtualenv):
            site.addsitedir(str(sp))
    sys.argv = [str(project.main_file)]
    os.chdir(project.root)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        sys.argv = old_argv
        _forget_program_modules(project, old_modules)


def _forget_program_modules(project: Project, old_modules: set[str]) -> None:
    """Forget the program's own modules (helpers next to __main__.py), so that the next program
    run in this process starts clean. Installed packages (a venv inside the tree, or a package
    such as secure_scoring that was imported before the run) stay: re-importing a Pulumi
    provider SDK fails ("Cannot re-register package")."""
    roots = (str(project.root) + os.sep, str(main_dir(project)) + os.sep)
    old_tops = {n.split(".", 1)[0] for n in old_modules}
    for name in set(sys.modules) - old_modules:
        if name.split(".", 1)[0] in old_tops:
            continue
        mod_file = getattr(sys.modules.get(name), "__file__", None) or ""
        if mod_file.startswith(roots) and not is_venv(mod_file):
            del sys.modules[name]


# --------------------------------------------------------------------------------------------------
# the program's errors
# --------------------------------------------------------------------------------------------------
def _exit_error(exc: SystemExit, project: Project, config: StackConfig) -> ProgramError:
    if exc.code in (0, None):
        return ProgramError(
            "the program called sys.exit() before registering its resources", None, "SystemExit"
        )
    return program_error(exc, project, config)


def _raised_error(
    exc: BaseException, project: Project, config: StackConfig, created: pulumi_hooks.CreationFrames
) -> ProgramError:
    from ..errors import PolicyRefusal

    inner = unwrap(exc)
    error = program_error(inner, project, config)
    if isinstance(inner, PolicyRefusal):
        error.rule, error.remediation = inner.rule, inner.fix
    if error.location is None or error.location == Location(project.main_file, 1):
        # raised while Pulumi prepared a resource's inputs (an apply of one of our
        # components, e.g. a CertificateBundle whose PEM is an Output): no program frame
        # is on that stack; the line that created the resource is the one to fix
        where = _created_at(exc, created, project)
        if where is not None:
            error.location = where
    return error


def program_error(exc: BaseException, project: Project, config: StackConfig) -> ProgramError:
    """``exc`` as the program's own error: its message (key material redacted), its innermost
    program frame, and a hint when it names an undecryptable secure value."""
    from ..errors import SecureScoringError

    frames = traceback.extract_tb(exc.__traceback__)
    location = user_location(frames, project)
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
    hint = _secure_value_hint(message, config) or _missing_module_hint(exc, project)
    return ProgramError(redact(message.strip()), location, kind, hint)


def _missing_module_hint(exc: BaseException, project: Project) -> str | None:
    """For a module the program cannot import: where the gate looked (the program's virtualenv)."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    top = exc.name.split(".", 1)[0]
    venv = project.virtualenv
    if venv is None:
        return (
            f"module '{top}' is not installed where secure-scoring runs, and {project.file.name} names no "
            "virtualenv: install it next to secure-scoring (pip install ...), or set "
            "`runtime: {name: python, options: {virtualenv: venv}}` to use the program's own virtualenv"
        )
    shown = relative(venv, project.root)
    if not site_packages(venv):
        return (
            f"the program's virtualenv {shown} ({project.file.name} runtime.options.virtualenv) does not "
            f"exist or has no site-packages: create it (python -m venv {shown} && {shown}/bin/pip install "
            "-r requirements.txt)"
        )
    return (
        f"module '{top}' is not installed in the program's virtualenv {shown} ({project.file.name} "
        f"runtime.options.virtualenv): install it there ({shown}/bin/pip install ...)"
    )


def _secure_value_hint(message: str, config: StackConfig) -> str | None:
    mentioned = [k for k in config.undecryptable if k in message or k.split(":", 1)[1] in message]
    if not (mentioned or (config.undecryptable and UNKNOWN in message)):
        return None
    keys = mentioned or config.undecryptable
    return (
        f"{', '.join(keys)} {'is a secure value' if len(keys) == 1 else 'are secure values'} that the "
        "offline gate cannot decrypt; the program received Pulumi's unknown placeholder. Pass secure "
        "values on as Outputs (config.require_secret) instead of parsing them in the program"
    )


def unwrap(exc: BaseException) -> BaseException:
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


def _refuse_duplicate_urns(recording: Any, project: Project) -> None:
    """The engine refuses two resources with one URN; the mock monitor does not."""
    seen: set[str] = set()
    for res in recording.resources:
        if res.urn in seen:
            raise ProgramError(
                f"Duplicate resource URN '{res.urn}'; try giving it a unique name",
                resource_location(res, project),
                "ResourceError",
                "two resources of the same type have the same name under the same parent",
            )
        seen.add(res.urn)


def _refuse_logged_errors(
    recording: Any, project: Project, error_calls: list[tuple[str, Location | None]]
) -> None:
    """A program that logs an error fails like ``pulumi preview``, located at its first call."""
    errors = [msg for level, msg in recording.logs if level == "error"]
    if errors:
        located = [loc for msg, loc in error_calls if loc is not None and msg in errors]
        raise ProgramError(
            redact("; ".join(errors)),
            located[0] if located else Location(project.main_file, 1),
            "pulumi.log.error",
            "a program that logs an error fails `pulumi preview` too",
        )
