"""Reading resource properties defensively, as pulumi-policy hands them to a rule.

Properties arrive as plain dicts and lists or as pulumi_policy's ``_DictProxy``/``_ListProxy``;
numbers are floats; secrets are envelopes (``{SECRET_SIG_KEY: SECRET_SIG, "value": ...}``) holding
the plaintext; values not known during preview are the engine's sentinels (or a proxy raising
``UnknownValueError``). :func:`plain` makes one plain copy (the pack does it once per resource);
:func:`get` reads a path from it, trying camelCase (resource inputs) then snake_case (component
outputs); :data:`UNKNOWN` marks what is not known. Pure: no Pulumi, no pulumi_policy.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..facts import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_SENTINELS

__all__ = [
    "UNKNOWN",
    "UNKNOWN_SENTINELS",
    "Unknown",
    "as_list",
    "fmt_port",
    "get",
    "is_unknown",
    "maybe_base64",
    "num",
    "parse_time",
    "plain",
    "string_list",
    "truthy",
]


class Unknown:
    """The type of :data:`UNKNOWN` (falsy; one instance)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN = Unknown()
"""A value not known during preview, as :func:`plain` and :func:`get` return it."""


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in UNKNOWN_SENTINELS)


def plain(value: Any) -> Any:
    """A plain copy of ``value``: dicts and lists (proxies included), secrets unwrapped, unknown
    values (sentinels or a proxy raising ``UnknownValueError``) replaced by :data:`UNKNOWN`."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, (bool, int, float)) or value is None or value is UNKNOWN:
        return value
    if isinstance(value, Mapping):
        keys = list(iter(value))
        if SECRET_SIG_KEY in keys and _read(value, SECRET_SIG_KEY) == SECRET_SIG:
            return plain(_read(value, "value"))
        return {str(k): plain(_read(value, k)) for k in keys}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(_read(value, i)) for i in range(len(value))]
    return value


def _read(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except Exception as exc:  # pulumi_policy's UnknownValueError (not imported: rules stay pure)
        if hasattr(exc, "unknown_type_sentinel") or type(exc).__name__ == "UnknownValueError":
            return UNKNOWN
        raise


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def get(props: Any, path: str, default: Any = None) -> Any:
    """``props[a][b]...`` for ``path`` ``"a.b"``; each key is tried camelCase then snake_case.

    Returns :data:`UNKNOWN` when the value or one of its parents is unknown, ``default`` when
    missing. Integer path parts index lists.
    """
    cur = props
    for part in path.split("."):
        if is_unknown(cur):
            return UNKNOWN
        if isinstance(cur, Mapping):
            if part in cur:
                cur = cur[part]
            elif (snake := _camel_to_snake(part)) in cur:
                cur = cur[snake]
            else:
                return default
        elif isinstance(cur, list) and part.isdigit():
            idx = int(part)
            if idx >= len(cur):
                return default
            cur = cur[idx]
        else:
            return default
    return UNKNOWN if is_unknown(cur) else cur


def string_list(value: Any) -> list[str] | None:
    """A list of names from config: a list, a JSON list or comma-separated text; None when absent
    or unknown."""
    if value is None or is_unknown(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                loaded = None
            if isinstance(loaded, list):
                return [str(x) for x in loaded]
        return [p for p in (x.strip() for x in text.split(",")) if p]
    if isinstance(value, (list, tuple)):
        return [str(x) for x in value if isinstance(x, str)]
    return None


def truthy(value: Any) -> bool | None:
    """Booleans as Azure settings spell them: True/"True"/"true"/"1"/"yes" → True; None when not a
    recognisable boolean (or unknown)."""
    if is_unknown(value) or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "1", "yes", "on", "enabled"):
            return True
        if v in ("false", "0", "no", "off", "disabled"):
            return False
    return None


def num(value: Any) -> float | None:
    """A number (int, float or numeric text) as a float; None otherwise (booleans included)."""
    if isinstance(value, bool) or value is None or is_unknown(value):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def fmt_port(value: float) -> str:
    """``443.0`` → ``"443"`` (ports arrive as floats)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else ``[]``."""
    return value if isinstance(value, list) else []


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 / RFC 3339 timestamp (``Z`` allowed) as an aware UTC datetime, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def maybe_base64(content: Any) -> str | None:
    """A file of a secret volume (base64 as Azure wants it, or the text itself); None when not text."""
    if not isinstance(content, str):
        return None
    try:
        return base64.b64decode(content, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return content
