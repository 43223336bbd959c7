"""The rule model: a :class:`Rule` is one object holding its metadata and its validators.

- :class:`Rule`: ``name`` (the policy name, the SARIF ``ruleId``), a one-line ``description``, a
  ``remediation``, a ``severity``, a JSON-schema ``config_schema`` (thresholds, with defaults), and
  either ``validators`` (``{type_token: validator}``, a resource rule: each validator judges one
  resource of its type from its *inputs*, ``validator(props, ctx)``) or a ``stack_validator`` (a
  stack rule: ``stack_validator(resources, ctx)`` judges every resource of the stack whose type is in
  ``stack_types``, from its *outputs*). No validator looks at the type token: the pack dispatches
  once, on :func:`~secure_scoring.policy.types.canonical_type`.
- :class:`RuleViolation`: one finding; ``judged=False`` is a *could-not-judge* note (a value not
  known during preview), never a violation: the pack reports it as advisory.
- :class:`RuleContext`: the stack, its config, the rule's merged config and the time; it decides
  whether the stack is production.

Production: a stack is production when its name is ``production`` or ``prod`` (always), or is
listed in the stack config ``secure-scoring:productionStacks`` (a list, JSON or comma-separated; it
*adds* names), or matches a pattern of ``secure-scoring:productionStackPatterns`` (shell-style,
``["prod-*"]``, case-insensitive; the gate also takes it from the pack config's top-level
``productionStackPatterns``), or its config sets ``secure-scoring:environment: production``. A stack whose name is
unknown (``None``, empty or Pulumi's placeholder ``"stack"``) is treated as production (fail
closed). A component whose ``environment`` is ``production`` is judged as production whatever the
stack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..facts import ADVISORY, CONFIG_NAMESPACE, MANDATORY, PRODUCTION_NAMES, is_production_name
from .props import is_unknown, plain, string_list
from .types import parent_type

SEVERITIES = ("low", "medium", "high", "critical")
UNKNOWN_STACK_NAMES = ("", "stack")
"""Stack names that mean "not known" (Pulumi's placeholder is ``stack``): production rules fail closed."""

_ENVIRONMENT_KEY = f"{CONFIG_NAMESPACE}:environment"
_PRODUCTION_STACKS_KEY = f"{CONFIG_NAMESPACE}:productionStacks"
PRODUCTION_PATTERNS_KEY = f"{CONFIG_NAMESPACE}:productionStackPatterns"
"""Stack config: shell-style name patterns (``["prod-*", "*-live"]``) that make a stack production."""


# --------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class RuleViolation:
    """One finding of a rule.

    ``judged=False`` marks a *could-not-judge* note (an unknown value during preview): never a
    violation; the pack reports it as advisory. ``urn`` is set by stack rules (the resource at fault;
    ``""`` for the whole stack) and left ``None`` by resource rules (the judged resource).
    """

    rule: str
    message: str
    urn: str | None = None
    judged: bool = True
    resource_name: str | None = None


def note(rule: str, what: str, urn: str | None = None, name: str | None = None) -> RuleViolation:
    """A *could-not-judge* note: ``could not judge: <what>``."""
    return RuleViolation(rule, f"could not judge: {what}", urn=urn, judged=False, resource_name=name)


@dataclass(frozen=True)
class StackResource:
    """A resource as stack rules see it: its outputs (components: the registered outputs)."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str | None = None


# --------------------------------------------------------------------------------------------- context
@dataclass(frozen=True)
class RuleContext:
    """Where the rules run: the stack, its config and the rule's own (merged) config.

    ``stack``: the stack name (``None``/``""``/``"stack"`` = unknown: production rules fail closed).
    ``stack_config``: the stack's config with full keys (``"secure-scoring:environment"``).
    ``config``: this rule's policy config (thresholds); missing keys take the schema defaults.
    ``now``: the time certificate expiry is measured from (default: now, UTC).
    ``urn``: the URN of the resource a resource rule judges (None in stack rules and plain calls): its
    qualified type names the resource's parent (:meth:`parent_type`).
    """

    stack: str | None = None
    stack_config: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    now: datetime | None = None
    urn: str | None = None

    def for_rule(self, rule: Rule, config: Mapping[str, Any] | None, urn: str | None = None) -> RuleContext:
        merged = dict(rule.defaults())
        for k, v in dict(config or {}).items():
            if k != "enforcementLevel":
                merged[k] = v
        return replace(self, config=merged, urn=urn)

    def parent_type(self) -> str | None:
        """The type of the judged resource's direct parent (from its URN), or None."""
        return parent_type(self.urn)

    def when(self) -> datetime:
        if self.now is None:
            return datetime.now(UTC)
        return self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)

    def production_stacks(self) -> tuple[str, ...]:
        """``production`` and ``prod``, plus the names listed in ``secure-scoring:productionStacks``
        (the list adds names: it never makes ``production`` a non-production stack)."""
        names = string_list(self.stack_config.get(_PRODUCTION_STACKS_KEY)) or []
        extra = [n.strip().lower() for n in names if n.strip()]
        return tuple(dict.fromkeys([*PRODUCTION_NAMES, *extra]))

    def _environment_production(self) -> bool:
        return is_production_name(self.stack_config.get(_ENVIRONMENT_KEY))

    def _unknown_production_keys(self) -> list[str]:
        """The production keys whose value is not known (a ``secure:`` value the offline gate
        cannot decrypt arrives as the unknown sentinel): either could make the stack production."""
        keys = (_ENVIRONMENT_KEY, _PRODUCTION_STACKS_KEY)
        return [k for k in keys if is_unknown(self.stack_config.get(k))]

    def _name_production(self) -> bool | None:
        name = (self.stack or "").strip()
        if name.lower() in UNKNOWN_STACK_NAMES:
            return None
        # "org/project/production" style names: judge the last segment
        short = name.rsplit("/", 1)[-1].lower()
        return (
            short in self.production_stacks()
            or name.lower() in self.production_stacks()
            or self.matching_pattern() is not None
        )

    def production_patterns(self) -> tuple[str, ...]:
        """The shell-style patterns of ``secure-scoring:productionStackPatterns`` (lower case)."""
        patterns = string_list(self.stack_config.get(PRODUCTION_PATTERNS_KEY)) or []
        return tuple(p.strip().lower() for p in patterns if isinstance(p, str) and p.strip())

    def matching_pattern(self) -> str | None:
        """The first production pattern the stack name (its last segment) matches, or None."""
        from fnmatch import fnmatchcase

        short = (self.stack or "").strip().rsplit("/", 1)[-1].lower()
        return next((p for p in self.production_patterns() if fnmatchcase(short, p)), None)

    def stack_production(self) -> bool | None:
        """True/False when the stack is known to be production or not; None when it is unknown
        (unknown name, or a production key whose value is not known: fail closed)."""
        if self._environment_production():
            return True
        by_name = self._name_production()
        if by_name is False and self._unknown_production_keys():
            return None
        return by_name

    def production_decision(self) -> tuple[bool | None, str]:
        """Whether the stack is production (None: not known, judged as production) and why, in
        words that complete "production because ..." / "not production because ..."."""
        env = self.stack_config.get(_ENVIRONMENT_KEY)
        if self._environment_production():
            return True, f"{_ENVIRONMENT_KEY} is {str(env).strip()!r}"
        status = self._name_production()
        if status is None:
            return None, "the stack name is unknown (production rules fail closed)"
        short = (self.stack or "").strip().rsplit("/", 1)[-1].lower()
        if status:
            if short in PRODUCTION_NAMES:
                return True, f"its name is '{short}'"
            if short in self.production_stacks():
                return True, f"it is listed in {_PRODUCTION_STACKS_KEY}"
            return True, f"its name matches the production pattern '{self.matching_pattern()}'"
        unknown_keys = self._unknown_production_keys()
        if unknown_keys:
            return None, (
                f"the value of {' and '.join(unknown_keys)} is not known (a secure value?): "
                "production rules fail closed"
            )
        why = f"its name is not {' or '.join(PRODUCTION_NAMES)}, it is not listed in {_PRODUCTION_STACKS_KEY}"
        if self.production_patterns():
            why += f", it matches no pattern of {PRODUCTION_PATTERNS_KEY}"
        if env is not None and str(env).strip():
            why += f" and {_ENVIRONMENT_KEY} is {str(env).strip()!r}"
        else:
            why += f" and {_ENVIRONMENT_KEY} is not set"
        return False, why

    def is_production(self, environment: Any = None) -> bool:
        """Production for judging: the stack is (or may be: unknown name) production, or the
        resource itself declares ``environment: production``."""
        if is_production_name(environment):
            return True
        return self.stack_production() is not False

    def stack_label(self) -> str:
        """Why the stack counts as production or not, for messages."""
        if self._environment_production():
            return f"stack '{self.stack}' is a production stack via secure-scoring:environment"
        status = self._name_production()
        if status is None:
            return "the stack name is unknown, so it is treated as production"
        unknown_keys = self._unknown_production_keys()
        if not status and unknown_keys:
            return (
                f"stack '{self.stack}' is treated as production: the value of {' and '.join(unknown_keys)} "
                "is not known (a secure value?)"
            )
        if not status:
            return f"stack '{self.stack}' is not a production stack"
        short = (self.stack or "").strip().rsplit("/", 1)[-1].lower()
        if short in PRODUCTION_NAMES:
            return f"stack '{self.stack}' is a production stack"
        if short not in self.production_stacks() and self.matching_pattern() is not None:
            return (
                f"stack '{self.stack}' is a production stack: its name matches the production "
                f"pattern '{self.matching_pattern()}'"
            )
        return f"stack '{self.stack}' is a production stack, listed in secure-scoring:productionStacks"

    def production_label(self, environment: Any = None) -> str:
        """Why a resource is judged as production, for messages: its own ``environment`` first,
        else :meth:`stack_label`."""
        if is_production_name(environment):
            return "the resource declares environment production"
        return self.stack_label()


# --------------------------------------------------------------------------------------------- rules
ResourceValidator = Callable[[Mapping[str, Any], RuleContext], list[RuleViolation]]
"""``validator(props, ctx)``: judges one resource of one type from its plain props."""
StackValidator = Callable[[Sequence[StackResource], RuleContext], list[RuleViolation]]
"""``stack_validator(resources, ctx)``: judges the stack (only resources of ``stack_types``, plain)."""


@dataclass(frozen=True)
class Rule:
    """A rule: its metadata and its validators (see the module docstring).

    ``rule.check(resource_type, props, ctx)`` (resource rules) and ``rule.check(resources, ctx)``
    (stack rules) run it the way the pack does: props are made plain once, a resource of a type the
    rule does not judge gets no finding, a stack rule sees only the types it reads.
    """

    name: str
    description: str
    remediation: str
    severity: str
    validators: Mapping[str, ResourceValidator] = field(default_factory=dict)
    stack_validator: StackValidator | None = None
    stack_types: tuple[str, ...] = ()
    stack_skip: Callable[[StackResource], bool] | None = None
    """Stack rules: resources of ``stack_types`` the rule does not read (judged on their type and URN,
    before their props are made plain: a stack of 400 services should not pay for them)."""
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    production_only: bool = False
    default_enforcement: str = MANDATORY
    url: str | None = None

    def __post_init__(self) -> None:
        if bool(self.validators) == (self.stack_validator is not None):
            raise ValueError(f"rule {self.name}: give validators or a stack validator, not both")
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.name}: severity {self.severity!r} is not one of {SEVERITIES}")

    @property
    def kind(self) -> str:
        """``"resource"`` or ``"stack"``."""
        return "stack" if self.stack_validator is not None else "resource"

    @property
    def resource_types(self) -> tuple[str, ...]:
        """The types the rule reads (others are never sent to it)."""
        return self.stack_types if self.stack_validator is not None else tuple(self.validators)

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config_schema.items() if "default" in v}

    def check(self, *args: Any) -> list[RuleViolation]:
        """``check(resource_type, props, ctx)`` or ``check(resources, ctx)``: see the class docstring."""
        if self.stack_validator is not None:
            resources, ctx = args
            wanted = set(self.stack_types)
            skip = self.stack_skip
            judged = [
                replace(r, props=plain(r.props))
                for r in resources
                if r.type in wanted and not (skip is not None and skip(r))
            ]
            return self.stack_validator(judged, ctx)
        resource_type, props, ctx = args
        validator = self.validators.get(resource_type)
        return [] if validator is None else validator(plain(props), ctx)

    __call__ = check


def enforcement_for(rule: Rule, ctx: RuleContext) -> str:
    """The default enforcement of ``rule`` in ``ctx``: production-only rules are advisory in a stack
    known not to be production, mandatory in production and when the stack is unknown."""
    if rule.production_only and ctx.stack_production() is False:
        return ADVISORY
    return rule.default_enforcement
