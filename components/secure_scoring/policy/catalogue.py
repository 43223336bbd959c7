"""The pack's rules, in their stable order (the order of the policies, of SARIF's rule list and of
docs/policies.md), and the lookups the pack dispatches with."""

from __future__ import annotations

from .model import Rule
from .rules import (
    auth_required,
    cert_expiry,
    cert_hostname_match,
    min_tls_1_2,
    no_self_signed_in_production,
    single_auth_mode,
    tls_required,
    token_auth_aks_only,
)

RULES: tuple[Rule, ...] = (
    tls_required.RULE,
    no_self_signed_in_production.RULE,
    single_auth_mode.RULE,
    auth_required.RULE,
    token_auth_aks_only.RULE,
    min_tls_1_2.RULE,
    cert_hostname_match.RULE,
    cert_expiry.RULE,
)

RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
RULE_NAMES: tuple[str, ...] = tuple(RULES_BY_NAME)
RULE_TYPES: dict[str, tuple[str, ...]] = {r.name: r.resource_types for r in RULES}
"""The resource types each rule reads (others are never judged by it)."""

RESOURCE_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.kind == "resource")
STACK_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.kind == "stack")
RESOURCE_TYPES: frozenset[str] = frozenset(t for r in RESOURCE_RULES for t in r.resource_types)
"""Types some resource rule judges (others are never sent to a resource rule)."""
STACK_TYPES: frozenset[str] = frozenset(t for r in STACK_RULES for t in r.resource_types)
"""Types some stack rule reads."""


def resource_rules_for(resource_type: str) -> tuple[str, ...]:
    """Names of the resource rules that judge ``resource_type`` (a canonical type token)."""
    return _RESOURCE_RULES_BY_TYPE.get(resource_type, ())


_RESOURCE_RULES_BY_TYPE: dict[str, tuple[str, ...]] = {
    t: tuple(r.name for r in RESOURCE_RULES if t in r.validators) for t in RESOURCE_TYPES
}
