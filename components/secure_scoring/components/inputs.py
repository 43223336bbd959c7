"""Shared input refusals of the components: one home for the checks every component applies.

Run before anything is registered; each refusal is a :class:`ConfigurationError` naming the input.
Host names and labels are decided by :mod:`secure_scoring.names` (the one parser); this module only
chooses the error type and refuses a ``pulumi.Output`` where the name decides structure.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import pulumi

from ..errors import ConfigurationError
from ..names import InvalidHostname, parse_host, parse_label

__all__ = [
    "b64",
    "check_string_map",
    "config_number_fix",
    "config_string_hint",
    "host_input",
    "label_input",
    "require_str_input",
]


def require_str_input(value: object, input_name: str, example: str, *, required: bool = True) -> None:
    """Refuse a missing, empty or non-string value for an ``Input[str]`` argument (an Output passes).

    The SDK would otherwise fail later with a TypeError ("Missing required property") after other
    children were registered, or send a number where Azure wants a string.
    """
    if isinstance(value, pulumi.Output) or (value is None and not required):
        return
    if value is None:
        raise ConfigurationError(input_name, "is required", f"pass it, e.g. {input_name}={example}")
    if not isinstance(value, str) or not value.strip():
        got = "an empty string" if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        raise ConfigurationError(
            input_name,
            f"expected a non-empty string (or a pulumi Output of one), got {got}",
            f"pass e.g. {example}",
        )


def config_string_hint(value: object) -> str:
    """For a number input given as a string (``pulumi.Config().get()`` returns strings): why it is refused."""
    if isinstance(value, str):
        return " (a string: pulumi.Config().get() and require() return strings)"
    return ""


def config_number_fix(value: object, kind: str) -> str:
    """The fix for a number given as a string: read it as a number (``get_float``/``get_int``)."""
    if isinstance(value, str):
        return (
            f" as a number, not a string: read it with pulumi.Config().require_{kind}(...) "
            f"(or get_{kind}), or convert it ({kind}({value!r}))"
        )
    return ""


def check_string_map(value: object, input_name: str, *, what: str = "tag") -> None:
    """Refuse a map that Azure would reject: not a mapping, empty names, or values that are not strings.

    Azure tags, record set metadata and environment values are strings; a number or a bool sent as
    is fails at deployment (or, for memory-like values, means something else).
    """
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            input_name,
            f"expected a mapping of {what} names to values, got {type(value).__name__}",
            f"pass e.g. {input_name}={{'owner': 'ml-platform'}}",
        )
    for k, v in value.items():
        if not isinstance(k, str) or not k.strip():
            raise ConfigurationError(
                input_name, f"{k!r} is not a {what} name", f"use non-empty strings as {what} names"
            )
        if not isinstance(v, str | pulumi.Output):
            raise ConfigurationError(
                f"{input_name}[{k!r}]",
                f"{v!r} is not a string ({type(v).__name__}); Azure accepts only strings as {what} values",
                f"quote it: {k!r}: {str(v)!r}",
            )


def host_input(
    value: object,
    input_name: str,
    *,
    allow_wildcard: bool = False,
    allow_ip: bool = False,
    what: str = "host name",
) -> str:
    """A host name input as its canonical text (A-labels, lower case, no trailing dot).

    :func:`secure_scoring.names.parse_host` decides; a refusal becomes ``ConfigurationError(input_name,
    problem, fix)``. A ``pulumi.Output`` is refused: the name decides structure (a record, a
    certificate check) at construction.
    """
    if not isinstance(value, str):
        raise ConfigurationError(
            input_name,
            f"{what} must be one plain string known at construction, got {type(value).__name__}",
            f"give the fully qualified {what} as a string such as 'scoring.example.com'"
            + (
                " (not a pulumi Output: the name decides the record and its certificate check)"
                if isinstance(value, pulumi.Output)
                else ""
            ),
        )
    try:
        return str(parse_host(value, allow_wildcard=allow_wildcard, allow_ip=allow_ip))
    except InvalidHostname as e:
        raise ConfigurationError(input_name, e.problem, e.fix) from None


def label_input(value: object, input_name: str) -> str:
    """One DNS label input (no dots) as its A-label, lower case, decided by :func:`names.parse_label`."""
    try:
        return parse_label(value)  # type: ignore[arg-type]
    except InvalidHostname as e:
        raise ConfigurationError(input_name, e.problem, e.fix) from None


def b64(text: str | None) -> str:
    """Base64 of ``text`` in UTF-8 (``None`` is the empty text), for secret volumes and chart values."""
    return base64.b64encode((text or "").encode()).decode("ascii")
