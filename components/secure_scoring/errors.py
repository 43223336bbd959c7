"""Errors for users: each names the input, the problem and the fix."""

from __future__ import annotations


class SecureScoringError(Exception):
    """A problem the user can fix. ``str()`` gives ``<input>: <problem>. Fix: <fix>``."""

    def __init__(self, input_name: str, problem: str, fix: str | None = None) -> None:
        self.input_name = input_name
        self.problem = problem.rstrip(".")
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        if "\n" in self.problem:  # a multi-line problem (findings, a log excerpt): the fix on its own line
            text = f"{self.input_name}: {self.problem}"
            return text + (f"\nFix: {self.fix}" if self.fix else "")
        text = f"{self.input_name}: {self.problem}."
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class ConfigurationError(SecureScoringError, ValueError):
    """Invalid component arguments, raised at construction before any resource is registered."""


class UsageError(SecureScoringError):
    """Invalid command-line input (exit code 2)."""
