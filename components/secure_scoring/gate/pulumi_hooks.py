"""Changes to the Pulumi SDK's behaviour for the length of one program run, each undone afterwards.

- :func:`secure_config_as_unknown`: an undecryptable ``secure:`` value read with ``get_secret`` is an
  unknown secret Output, as during a preview;
- :func:`locate_log_errors`: record where the program calls ``pulumi.log.error``;
- :func:`stack_trace_for_direct_resources`: give a stack trace to resources created with the SDK's
  base classes, and record each resource's creation frames;
- :func:`collect_failed_run`: collect what a failed run left behind, now;
- :func:`event_loop`: the thread's event loop, made current first when there is none.

Locating must never change what the program does: every hook swallows its own failures.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import traceback
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..facts import UNKNOWN
from .locations import Location, user_location

if TYPE_CHECKING:
    from .project import Project

CreationFrames = dict[tuple[str, str], list[tuple[str, int]]]
"""Each resource's creation frames (path, line), innermost first, by ``(type, name)``."""


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_unknown(v) for v in value)
    return False


@contextlib.contextmanager
def secure_config_as_unknown(enabled: bool) -> Iterator[None]:
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


@contextlib.contextmanager
def locate_log_errors(project: Project, calls: list[tuple[str, Location | None]]) -> Iterator[None]:
    """Record where the program calls ``pulumi.log.error`` (the engine's log request carries no
    source position): ``pulumi.log.error`` is wrapped for the run, and the wrapper records the
    message with the innermost program frame of the call stack."""
    from pulumi import log as _plog

    original = _plog.error

    @functools.wraps(original)
    def error(msg: str, *args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(Exception):  # locating must never change what the program does
            calls.append((str(msg), user_location(traceback.extract_stack()[:-1], project)))
        return original(msg, *args, **kwargs)

    _plog.error = error  # type: ignore[assignment]
    try:
        yield
    finally:
        _plog.error = original  # type: ignore[assignment]


@contextlib.contextmanager
def stack_trace_for_direct_resources(created: CreationFrames | None = None) -> Iterator[None]:
    """Give a stack trace to resources the program creates with ``pulumi.CustomResource(...)`` or
    ``pulumi.ComponentResource(...)`` directly (a versioned or foreign type token, a component
    registered by hand): the SDK's ``_get_stack_trace`` expects a concrete subclass's ``__init__``
    and sends no frames for them, so their findings fell back to ``__main__.py`` line 1. For the
    run, an empty trace is replaced by the whole call stack (innermost first);
    :func:`~secure_scoring.gate.locations.resource_location` picks the first frame in the program,
    as for every resource.

    ``created`` also receives every resource's creation frames by ``(type, name)`` (read from the
    SDK's ``register_resource``/``read_resource`` caller), so that an error Pulumi raises later,
    while it prepares the resource's inputs, can be located at the line that created it."""
    from pulumi.runtime import resource as _pres

    from .mocking import uri_to_path

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
                created[key] = [(uri_to_path(f.pc.uri), int(f.pc.line)) for f in trace.frames if f.pc.uri]
        return trace

    _pres._get_stack_trace = get_stack_trace  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _pres._get_stack_trace = original  # type: ignore[attr-defined]


def event_loop() -> Any:
    """The thread's current event loop; a new one is made current when there is none. The SDK calls
    ``asyncio.get_event_loop()`` and ``asyncio.Future()`` outside a running loop, which on Python 3.12
    and 3.13 warn "There is no current event loop" when they have to make one (an error under
    ``-W error``; Python 3.14 raises): a run sets its loop first, so they find it."""
    import asyncio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with contextlib.suppress(RuntimeError):  # 3.14, or not the main thread: no loop is made
            loop = asyncio.get_event_loop()
            if not loop.is_closed():
                return loop
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def collect_failed_run() -> None:
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
