"""What several rules read about a scoring endpoint: the Azure ML extension, a component's endpoint
list and its authentication settings (pure; values read with :mod:`.props`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .model import RuleViolation, note
from .props import UNKNOWN, Unknown, as_list, get, is_unknown
from .types import AZUREML_EXTENSION_TYPE


def is_azureml_extension(props: Mapping[str, Any]) -> bool | None:
    """The Kubernetes extension is Azure ML's; None when its ``extensionType`` is not known."""
    etype = get(props, "extensionType")
    if is_unknown(etype):
        return None
    return isinstance(etype, str) and etype.strip().lower() == AZUREML_EXTENSION_TYPE


def endpoints(props: Mapping[str, Any]) -> list[Any] | Unknown:
    """A component's ``endpoints`` fact (mappings, or unknown entries); UNKNOWN when not known."""
    eps = get(props, "endpoints")
    if is_unknown(eps):
        return UNKNOWN
    return [e for e in as_list(eps) if isinstance(e, Mapping) or is_unknown(e)]


def endpoint_label(endpoint: Any, index: int) -> str:
    """``endpoint 'name'`` for messages, or ``endpoints[i]`` when the endpoint has no name."""
    name = get(endpoint, "name")
    return f"endpoint '{name}'" if isinstance(name, str) else f"endpoints[{index}]"


def is_none_mode(mode: Any) -> bool:
    """An auth mode that means no authentication (missing, empty, none, off, anonymous, disabled)."""
    return mode is None or (
        isinstance(mode, str) and mode.strip().lower() in ("", "none", "off", "anonymous", "disabled")
    )


def each_endpoint(props: Mapping[str, Any], rule: str, out: list[RuleViolation]) -> Iterator[tuple[str, Any]]:
    """``(label, endpoint)`` for each known endpoint of a component, in order; what is not known
    yet (the list, or one entry) becomes a note in ``out`` where it stands."""
    eps = endpoints(props)
    if is_unknown(eps):
        out.append(note(rule, "endpoints is not known yet"))
        return
    for i, ep in enumerate(eps):
        if is_unknown(ep):
            out.append(note(rule, f"endpoints[{i}] is not known yet"))
            continue
        yield endpoint_label(ep, i), ep
