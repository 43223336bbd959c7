"""Is the stack production, and why: the decision every report shows first.

The policy pack decides (:meth:`secure_scoring.policy.model.RuleContext.production_decision`); the
gate shows the decision and its reason at the top of every report, warns about a stack whose name
looks like production (``prod-westeurope``, ``production-eu``, ``live``) but is not declared, and
takes ``productionStackPatterns`` from the pack config (``--policy-config``) into the stack config
the pack reads (``secure-scoring:productionStackPatterns``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import UsageError
from ..facts import CONFIG_NAMESPACE
from .project import StackConfig

PATTERNS_SETTING = "productionStackPatterns"
"""The pack config's top-level key for production name patterns (not a rule)."""
_PATTERNS_KEY = f"{CONFIG_NAMESPACE}:{PATTERNS_SETTING}"
_LOOKS_LIKE_PRODUCTION = re.compile(r"(?:^|[-_.])(?:prod|production|prd|live)(?:$|[-_.0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class ProductionDecision:
    stack: str
    production: bool | None
    """True, False, or None (not known: judged as production, fail closed)."""
    reason: str

    def line(self) -> str:
        """``stack X: production because ...`` / ``stack X: not production because ...``."""
        verdict = "not production" if self.production is False else "production"
        return f"stack {self.stack}: {verdict} because {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"production": self.production, "reason": self.reason, "line": self.line()}


def apply_pack_settings(
    policy_config: Mapping[str, Any] | None, config: StackConfig
) -> tuple[dict[str, Any] | None, StackConfig]:
    """Move the pack config's ``productionStackPatterns`` into the stack config the pack reads
    (added to any ``secure-scoring:productionStackPatterns`` of the stack)."""
    if not policy_config or PATTERNS_SETTING not in policy_config:
        return (dict(policy_config) if policy_config else None), config
    rest = {k: v for k, v in policy_config.items() if k != PATTERNS_SETTING}
    patterns = policy_config[PATTERNS_SETTING]
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise UsageError(
            "--policy-config",
            f"{PATTERNS_SETTING} must be a list of stack name patterns",
            f'e.g. {{"{PATTERNS_SETTING}": ["prod-*", "*-live"]}}',
        )
    existing = config.values.get(_PATTERNS_KEY)
    merged = list(patterns)
    if existing:
        try:
            loaded = json.loads(existing)
        except ValueError:
            loaded = [p for p in existing.split(",") if p.strip()]
        merged = [*(loaded if isinstance(loaded, list) else []), *merged]
    values = {**config.values, _PATTERNS_KEY: json.dumps(merged)}
    return (rest or None), replace(config, values=values)


def decide(config: StackConfig) -> ProductionDecision:
    from ..policy.model import RuleContext

    stack = config.stack.split("/")[-1]
    production, reason = RuleContext(stack=stack, stack_config=config.values).production_decision()
    return ProductionDecision(config.stack, production, reason)


def lookalike_warning(decision: ProductionDecision, config: StackConfig) -> str | None:
    """A warning when the stack's name looks like production but the stack is not production."""
    short = decision.stack.split("/")[-1]
    if decision.production is not False or not _LOOKS_LIKE_PRODUCTION.search(short):
        return None
    return (
        f"warning: stack '{short}' looks like a production stack but is not declared production, so "
        "production rules are only advisory here. If it is production, add "
        f"`{CONFIG_NAMESPACE}:environment: production` under `config:` in {config.file.name} (or list it "
        f'in {CONFIG_NAMESPACE}:productionStacks, or add a pattern such as {{"{PATTERNS_SETTING}": '
        f'["{_pattern_for(short)}"]}} to the policy config)'
    )


def _pattern_for(name: str) -> str:
    m = _LOOKS_LIKE_PRODUCTION.search(name)
    if m is None:
        return name
    word = m.group(0).strip("-_.0123456789")
    start = name.lower().find(word.lower())
    return f"{name[: start + len(word)]}*" if start == 0 else f"*{name[start:]}"
