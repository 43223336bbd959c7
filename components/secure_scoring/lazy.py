"""Lazy exports for a package's ``__init__``: a public name is imported from its module on first use.

``import secure_scoring`` (and ``secure_scoring.certs``) must stay cheap: the CLI's start-up is
benchmarked, and the components' modules import Pulumi. A package lists ``name -> module`` once::

    __getattr__, __dir__ = lazy_exports(__name__, globals(), {"inspect_bundle": ".inspect"})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, namespace: dict[str, Any], table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package`` for the names in ``table``
    (module paths relative to ``package``); a looked-up value is cached in ``namespace``."""

    def __getattr__(name: str) -> Any:
        module_name = table.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name, package), name)
        namespace[name] = value  # cache: later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
