"""The whole gate on one program and stack: project, stack config, program run, evaluation, report."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from .evaluation import evaluate
from .findings import build_report, refusal_report
from .isolation import DEFAULT_TIMEOUT, run_isolated
from .production import apply_pack_settings
from .program import ProgramError, run_program
from .project import Project, StackConfig, load_project, load_stack_config
from .report import Report


def check(
    program_dir: str | os.PathLike[str],
    stack: str,
    *,
    policy_config: Mapping[str, Any] | None = None,
    preview: bool = True,
    organization: str = "organization",
    allow_missing_stack_file: bool = False,
    isolate: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Report:
    """Run the whole gate on one program and stack; returns the :class:`Report`.

    With ``isolate`` (the default) the program runs in a child process
    (:func:`~secure_scoring.gate.isolation.run_isolated`): ``os._exit``, writes to file descriptor
    1 and leftover threads cannot reach the caller, and a program still running after ``timeout``
    seconds is stopped (a :class:`ProgramError` of kind ``Timeout``). The child is forked: a caller
    whose process runs other threads that hold locks across ``fork`` (a gRPC server, for one)
    passes ``isolate=False``, as a forked child of such a process can crash.

    Raises :class:`~secure_scoring.errors.UsageError` (bad directory, project or stack file) and
    :class:`ProgramError`.
    """
    project = load_project(program_dir)
    config = load_stack_config(project, stack, allow_missing_stack_file=allow_missing_stack_file)
    policy_config, config = apply_pack_settings(policy_config, config)

    def judge() -> Report:
        return _judge(project, config, policy_config, preview, organization)

    if not isolate:
        return judge()
    try:
        return run_isolated(judge, timeout=timeout)
    except ProgramError as exc:
        exc.program_dir = project.root
        raise


def _judge(
    project: Project,
    config: StackConfig,
    policy_config: Mapping[str, Any] | None,
    preview: bool,
    organization: str,
) -> Report:
    t0 = time.perf_counter()
    try:
        recording = run_program(project, config, preview=preview)
    except ProgramError as exc:
        exc.program_dir = project.root
        if exc.rule:  # a component refused what a rule forbids: a violation of that rule
            return refusal_report(project, config, exc, preview, time.perf_counter() - t0, policy_config)
        raise
    t1 = time.perf_counter()
    diagnostics = evaluate(recording, project, config, policy_config, organization)
    t2 = time.perf_counter()
    return build_report(project, config, recording, diagnostics, preview, t1 - t0, t2 - t1, policy_config)
