"""Blue/green slots of a :class:`SecureAciService`: :func:`plan_slots` decides them, before anything is
registered (docs/runbooks/zero-downtime.md).

Each slot is one container group of its own (child ``f"{name}-{slot}-group"``, DNS label
``f"{label}-{slot}"``), planned as the service itself would be with the slot's overrides
(:func:`~.plan.plan_aci_service`), so each group is the same kind of group the service builds without
slots, judged by the policy pack the same way. Steps:

``check_slot_inputs`` → ``slot_name`` (each) → ``check_unique_names`` → ``resolve_active_slot`` →
``plan_slot`` (each) → ``check_distinct_groups``.

Every refusal is a :class:`~secure_scoring.errors.ConfigurationError` naming the input
(``slots[1].cpu``, ``active_slot``...), the problem and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi

from ...errors import ConfigurationError
from ..keys import NONE
from .args import AciSlotArgs, SecureAciServiceArgs
from .plan import AciPlan, plan_aci_service

__all__ = ["SLOT_OVERRIDES", "SlotPlan", "SlotsPlan", "plan_slots"]

# the fields of AciSlotArgs that replace the service's value of the same name when given
SLOT_OVERRIDES = (
    "certificate",
    "primary_key_version",
    "secondary_key_version",
    "image",
    "gateway_image",
    "cpu",
    "memory_gb",
    "gateway_cpu",
    "gateway_memory_gb",
    "gateway_options",
    "dns_name_label",
    "container_group_name",
)
# a slot's name ends up in a child name and a DNS label: short, lower case, starts with a letter
_SLOT_NAME = re.compile(r"^(?!.*--)[a-z](?:[a-z0-9-]{0,14}[a-z0-9])?$")


@dataclass(frozen=True)
class SlotPlan:
    """One slot: its group's child name, the arguments it is built from, and the plan of those."""

    name: str
    child_name: str
    args: SecureAciServiceArgs
    plan: AciPlan
    existing_group: bool

    @property
    def certificate(self) -> Any:
        return self.args.certificate


@dataclass(frozen=True)
class SlotsPlan:
    """Every slot (in the order given) and the one that serves."""

    slots: tuple[SlotPlan, ...]
    active: str

    @property
    def active_slot(self) -> SlotPlan:
        return next(s for s in self.slots if s.name == self.active)

    def key_versions(self) -> list[tuple[str, str]]:
        """(role, version) of every key some slot accepts, each once, in slot order."""
        seen: list[tuple[str, str]] = []
        for s in self.slots:
            if s.plan.auth.mode == NONE:
                continue
            for pair in (
                ("primary", s.plan.auth.primary_version),
                ("secondary", s.plan.auth.secondary_version),
            ):
                if pair not in seen:
                    seen.append(pair)
        return seen

    def adopted_versions(self) -> dict[str, str]:
        """role -> version of the keys the ``existing_group`` slot keeps from the service without slots."""
        for s in self.slots:
            if s.existing_group and s.plan.auth.mode != NONE:
                return {"primary": s.plan.auth.primary_version, "secondary": s.plan.auth.secondary_version}
        return {}


def plan_slots(name: str, args: SecureAciServiceArgs, base: AciPlan) -> SlotsPlan | None:
    """The slots of ``args`` (None without slots: the service is one group, as it always was).

    ``base`` is the service's own plan (every service-level input already checked); a refusal here
    names the slot's input."""
    slots = check_slot_inputs(args.slots, args.active_slot)
    if slots is None:
        return None
    names = [slot_name(s, i) for i, s in enumerate(slots)]
    check_unique_names(names)
    active = resolve_active_slot(args.active_slot, names)
    check_single_existing_group(slots)
    planned = tuple(plan_slot(name, args, base, s, i) for i, s in enumerate(slots))
    check_distinct_groups(planned)
    return SlotsPlan(slots=planned, active=active)


# ------------------------------------------------------------------------------------------- steps
def check_slot_inputs(slots: object, active_slot: object) -> tuple[Any, ...] | None:
    """``slots`` is None or a non-empty list of AciSlotArgs; ``active_slot`` goes with it."""
    if slots is None:
        if active_slot is not None:
            raise ConfigurationError(
                "active_slot",
                f"{active_slot!r} is given but the service has no slots",
                "drop active_slot, or give slots=[AciSlotArgs(name='blue'), ...] (docs/runbooks/zero-downtime.md)",
            )
        return None
    if isinstance(slots, AciSlotArgs):
        raise ConfigurationError(
            "slots",
            "expected a list of AciSlotArgs, got one AciSlotArgs",
            "wrap it in a list: slots=[AciSlotArgs(...)]",
        )
    if isinstance(slots, str | bytes | Mapping | pulumi.Output) or not isinstance(slots, Sequence):
        raise ConfigurationError(
            "slots",
            f"expected a list of AciSlotArgs, got {type(slots).__name__}",
            "pass slots=[AciSlotArgs(name='blue'), AciSlotArgs(name='green', ...)]",
        )
    if not slots:
        raise ConfigurationError(
            "slots",
            "is empty: a service with slots needs at least the one that serves",
            "give slots=[AciSlotArgs(name='blue')] with active_slot='blue', or slots=None for one group",
        )
    for i, s in enumerate(slots):
        if not isinstance(s, AciSlotArgs):
            raise ConfigurationError(
                f"slots[{i}]",
                f"expected AciSlotArgs, got {type(s).__name__}",
                "pass AciSlotArgs(name='blue', ...)",
            )
    return tuple(slots)


def slot_name(slot: AciSlotArgs, index: int) -> str:
    """The slot's name: a short lower-case label (it is part of the group's child name and DNS label)."""
    value = slot.name
    if not isinstance(value, str) or not _SLOT_NAME.match(value):
        raise ConfigurationError(
            f"slots[{index}].name",
            f"{value!r} is not a slot name: 1-16 lower-case letters, digits and hyphens, starting with a "
            "letter (it becomes part of the group's child name and DNS label)",
            "use 'blue' or 'green'",
        )
    return value


def check_unique_names(names: list[str]) -> None:
    """Each slot once: two slots of one name would be one child registered twice."""
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ConfigurationError(
                f"slots[{i}].name",
                f"slot {n!r} is given twice (slots[{names.index(n)}] and slots[{i}])",
                "give each slot its own name, e.g. 'blue' and 'green'",
            )


def resolve_active_slot(value: object, names: list[str]) -> str:
    """The serving slot: one of the slots' names."""
    if value is None:
        raise ConfigurationError(
            "active_slot",
            "is required with slots: it chooses the group the DnsRecordBinding CNAME points at",
            f"give active_slot={names[0]!r} (the slot that serves now)",
        )
    if isinstance(value, pulumi.Output) or not isinstance(value, str):
        raise ConfigurationError(
            "active_slot",
            f"expected a slot name (a plain string), got {type(value).__name__}",
            f"give one of {', '.join(repr(n) for n in names)}",
        )
    if value not in names:
        raise ConfigurationError(
            "active_slot",
            f"{value!r} is not one of the slots ({', '.join(names)}); the record would point at no group",
            f"give one of {', '.join(repr(n) for n in names)}, or add the slot {value!r} first "
            "(remove a slot only after the record has moved away from it)",
        )
    return value


def check_single_existing_group(slots: Sequence[AciSlotArgs]) -> None:
    """At most one slot takes over the group the service had without slots."""
    flagged = [i for i, s in enumerate(slots) if s.existing_group is not False]
    for i in flagged:
        if not isinstance(slots[i].existing_group, bool):
            raise ConfigurationError(
                f"slots[{i}].existing_group",
                f"expected True or False, got {slots[i].existing_group!r}",
                "pass existing_group=True on the slot that keeps the service's current group",
            )
    if len(flagged) > 1:
        raise ConfigurationError(
            f"slots[{flagged[1]}].existing_group",
            f"slots[{flagged[0]}] already takes over the service's existing group; there is only one",
            f"set existing_group=True on one slot only (slots[{flagged[0]}])",
        )


def slot_args(args: SecureAciServiceArgs, slot: AciSlotArgs) -> SecureAciServiceArgs:
    """The service's arguments with the slot's overrides, its DNS label and group name."""
    given = {f: getattr(slot, f) for f in SLOT_OVERRIDES if getattr(slot, f) is not None}
    if slot.existing_group:
        given.setdefault("dns_name_label", args.dns_name_label)
        given.setdefault("container_group_name", args.container_group_name)
    else:
        given.setdefault("dns_name_label", f"{args.dns_name_label}-{slot.name}")
        if args.container_group_name is not None:
            given.setdefault(
                "container_group_name",
                pulumi.Output.concat(args.container_group_name, "-", slot.name)
                if isinstance(args.container_group_name, pulumi.Output)
                else f"{args.container_group_name}-{slot.name}",
            )
    return replace(args, slots=None, active_slot=None, **given)


def plan_slot(
    name: str, args: SecureAciServiceArgs, base: AciPlan, slot: AciSlotArgs, index: int
) -> SlotPlan:
    """The slot's plan: the service's planning applied to the slot's arguments; a refusal names the
    slot's input (``slots[i].<field>``; a certificate that does not cover the hostname: ``slots[i].certificate``)."""
    if base.auth.mode == NONE:
        for field_name in ("primary_key_version", "secondary_key_version"):
            if getattr(slot, field_name) is not None:
                raise ConfigurationError(
                    f"slots[{index}].{field_name}",
                    "auth='none' has no keys",
                    f"drop {field_name} from the slot, or use auth='key'",
                )
    effective = slot_args(args, slot)
    try:
        plan = plan_aci_service(f"{name}-{slot.name}", effective)
    except ConfigurationError as exc:
        raise slot_refusal(exc, index, slot) from None
    return SlotPlan(
        name=slot.name,
        child_name=f"{name}-{slot.name}-group",
        args=effective,
        plan=plan,
        existing_group=slot.existing_group,
    )


def slot_refusal(exc: ConfigurationError, index: int, slot: AciSlotArgs) -> ConfigurationError:
    """The same refusal (same type, problem and fix) naming the slot's input."""
    field_name = exc.input_name.split("[", 1)[0].split(".", 1)[0]
    if field_name == "hostname" and slot.certificate is not None:
        field_name, rest = "certificate", ""  # the service's hostname is fine: the slot's certificate is not
    else:
        rest = exc.input_name[len(field_name) :]
    renamed = exc.__class__.__new__(exc.__class__)
    renamed.__dict__.update(exc.__dict__)  # the same type, problem, fix (and rule, for a PolicyRefusal)
    renamed.input_name = f"slots[{index}].{field_name}{rest}"
    Exception.__init__(renamed, renamed.render())
    return renamed


def check_distinct_groups(slots: Sequence[SlotPlan]) -> None:
    """Two slots are two groups: their DNS labels (and given Azure names) must differ."""
    labels: dict[str, int] = {}
    names: dict[str, int] = {}
    for i, s in enumerate(slots):
        label = s.plan.dns_name_label.lower()
        if label in labels:
            raise ConfigurationError(
                f"slots[{i}].dns_name_label",
                f"{s.plan.dns_name_label!r} is also the label of slots[{labels[label]}]; two groups cannot "
                "share <label>.<region>.azurecontainer.io",
                "give each slot its own label (default: '<dns_name_label>-<slot name>')",
            )
        labels[label] = i
        group_name = s.args.container_group_name
        if isinstance(group_name, str):
            if group_name in names:
                raise ConfigurationError(
                    f"slots[{i}].container_group_name",
                    f"{group_name!r} is also the group name of slots[{names[group_name]}]; the second group "
                    "would overwrite the first in the resource group",
                    "give each slot its own container_group_name (default: '<container_group_name>-<slot name>')",
                )
            names[group_name] = i
