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


class PolicyRefusal(ConfigurationError):
    """A component refused a setting that a policy rule forbids; ``rule`` names that rule (its
    ``ruleId``). The offline gate reports it as a mandatory violation of the rule, at the program
    line (exit code 1), not as a failed program."""

    def __init__(self, input_name: str, problem: str, fix: str | None = None, *, rule: str) -> None:
        self.rule = rule
        super().__init__(input_name, problem, fix)

    def __reduce__(self):  # type: ignore[override]
        return (_policy_refusal, (self.input_name, self.problem, self.fix, self.rule))


def _policy_refusal(input_name: str, problem: str, fix: str | None, rule: str) -> PolicyRefusal:
    return PolicyRefusal(input_name, problem, fix, rule=rule)


class UsageError(SecureScoringError):
    """Invalid command-line input (exit code 2)."""
