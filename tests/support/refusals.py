"""Running a component that must refuse its input, under mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from secure_scoring.errors import ConfigurationError
from secure_scoring.gate.mocking import Recording, run_with_mocks


def refused(build: Callable[[], Any], *, stack: str = "production") -> tuple[ConfigurationError, Recording]:
    """Run ``build`` under mocks; return its ConfigurationError and what was registered."""
    caught: dict[str, ConfigurationError] = {}

    def program() -> None:
        try:
            build()
        except ConfigurationError as exc:
            caught["e"] = exc

    rec = run_with_mocks(program, stack=stack)
    assert "e" in caught, "the component did not refuse"
    return caught["e"], rec
