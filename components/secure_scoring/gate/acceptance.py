"""Accepting an advisory on one resource, with a reason: the tag ``secure-scoring:accept``.

A resource (or, for one of our components, any of its children: components hand their ``tags``
down) carries ``{"secure-scoring:accept": "<rule>: <reason>"}``; several rules are separated by
``;``. An accepted advisory leaves the findings and is listed in the report with its reason (SARIF:
a result with an ``inSource`` suppression and the reason as justification). A mandatory finding is
never accepted: the tag is then reported as a note, and the finding stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..facts import CONFIG_NAMESPACE, MANDATORY
from .report import Finding, Note

ACCEPT_TAG = f"{CONFIG_NAMESPACE}:accept"


@dataclass
class Accepted:
    finding: Finding
    reason: str


def parse_acceptances(value: Any) -> dict[str, str]:
    """``"<rule>: <reason>; <rule>: <reason>"`` as ``{rule: reason}`` (entries without a reason are ignored)."""
    out: dict[str, str] = {}
    if not isinstance(value, str):
        return out
    for entry in value.split(";"):
        rule, sep, reason = entry.partition(":")
        if sep and rule.strip() and reason.strip():
            out[rule.strip()] = reason.strip()
    return out


def _tags(res: Any) -> Mapping[str, Any]:
    tags = (getattr(res, "inputs", None) or {}).get("tags")
    return tags if isinstance(tags, Mapping) else {}


def acceptances_by_urn(resources: Sequence[Any], urns: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Engine URN -> {rule: reason}: the resource's own tag, plus its children's for a component."""
    out: dict[str, dict[str, str]] = {}
    for r in resources:
        accepted = parse_acceptances(_tags(r).get(ACCEPT_TAG))
        if not accepted:
            continue
        for urn in (r.urn, r.parent if not r.custom or r.parent else None):
            if urn:
                out.setdefault(urns.get(urn, urn), {}).update(accepted)
    return out


def apply_acceptances(
    findings: list[Finding], resources: Sequence[Any], urns: Mapping[str, str], notes: list[Note]
) -> tuple[list[Finding], list[Accepted]]:
    """The findings still open, and the advisories accepted with their reasons."""
    by_urn = acceptances_by_urn(resources, urns)
    if not by_urn:
        return findings, []
    kept: list[Finding] = []
    accepted: list[Accepted] = []
    for f in findings:
        reason = by_urn.get(f.urn, {}).get(f.rule)
        if reason is None:
            kept.append(f)
        elif f.level == MANDATORY:
            kept.append(f)
            notes.append(
                Note(
                    "acceptance",
                    f"{ACCEPT_TAG} on {f.resource_type.rsplit(':', 1)[-1]} '{f.resource_name}' accepts "
                    f"{f.rule}, but it is mandatory in this stack: only advisories can be accepted",
                    urn=f.urn,
                )
            )
        else:
            accepted.append(Accepted(f, reason))
    return kept, accepted
