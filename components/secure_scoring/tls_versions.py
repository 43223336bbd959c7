"""TLS versions: the one place that parses, orders, names and maps them (pure, no Pulumi).

Importing this module costs only ``enum`` and ``re`` (usually already loaded); ``ssl`` (which loads
OpenSSL, several milliseconds) is imported only when :attr:`TlsVersion.ssl` is read.

- :class:`TlsVersion`: TLS 1.0, 1.1, 1.2, 1.3, ordered (``TLS1_0 < TLS1_3``), with ``.text``
  ``"1.2"``, ``.label`` ``"TLS 1.2"``, ``.nginx`` ``"TLSv1.2"`` (also OpenSSL's name, what
  ``SSLSocket.version()`` returns), ``.pair`` ``(1, 2)``, ``.wire`` ``0x0303`` and ``.ssl``
  (``ssl.TLSVersion.TLSv1_2``).
- :func:`parse` / :func:`parse_pair`: every spelling the policy pack reads (see :func:`parse_pair`).
- :data:`SUPPORTED_FLOORS`, :data:`DEFAULT_FLOOR`, :func:`require_floor`: what the gateway and
  ``serve-local`` accept as their minimum version (exactly ``"1.2"`` or ``"1.3"``).
- :data:`BROKEN`: TLS 1.0 and 1.1, which must be refused.
- :func:`nginx_protocols`, :func:`floor_of_nginx_protocols`, :func:`nginx_protocols_below`: the
  nginx ``ssl_protocols`` directive value, rendered and read back.
- :func:`from_ssl`, :func:`label_of`: names for ``ssl.TLSVersion`` members (the verifier's probes).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "BROKEN",
    "DEFAULT_FLOOR",
    "FLOOR_FIX",
    "SUPPORTED_FLOORS",
    "InvalidTlsVersion",
    "TlsVersion",
    "floor_of_nginx_protocols",
    "from_ssl",
    "label_of",
    "nginx_protocols",
    "nginx_protocols_below",
    "parse",
    "parse_pair",
    "require_floor",
]


class TlsVersion(enum.Enum):
    """A TLS version; members are ordered by version (``TlsVersion.TLS1_1 < TlsVersion.TLS1_2``).

    The value is ``(major, minor)`` as written in "TLS 1.2": ``TlsVersion((1, 2)) is TLS1_2``.
    Comparing with anything but another member raises ``TypeError`` (compare ``.pair`` with a
    tuple from :func:`parse_pair` explicitly).
    """

    TLS1_0 = (1, 0)
    TLS1_1 = (1, 1)
    TLS1_2 = (1, 2)
    TLS1_3 = (1, 3)

    @property
    def pair(self) -> tuple[int, int]:
        """``(1, 2)``."""
        return self.value

    @property
    def text(self) -> str:
        """``"1.2"``: the spelling of ``min_tls_version``, the ``minTlsVersion`` fact and ``minVersion``."""
        return f"{self.value[0]}.{self.value[1]}"

    @property
    def label(self) -> str:
        """``"TLS 1.2"``: for people (reports, messages)."""
        return f"TLS {self.text}"

    @property
    def nginx(self) -> str:
        """``"TLSv1.2"``: nginx's ``ssl_protocols`` token, also OpenSSL's protocol name (what
        ``ssl.SSLSocket.version()`` returns). TLS 1.0 is ``"TLSv1"``, not ``"TLSv1.0"``."""
        return "TLSv1" if self is TlsVersion.TLS1_0 else f"TLSv{self.text}"

    @property
    def wire(self) -> int:
        """The protocol version on the wire (``0x0303`` for TLS 1.2), also the value of the
        matching ``ssl.TLSVersion`` member."""
        return 0x0301 + self.value[1]

    @property
    def ssl(self) -> Any:
        """The ``ssl.TLSVersion`` member (``ssl.TLSVersion.TLSv1_2``). Imports ``ssl`` on first use."""
        import ssl

        return ssl.TLSVersion(self.wire)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TlsVersion):
            return NotImplemented
        return self.value < other.value

    def __le__(self, other: object) -> bool:
        if not isinstance(other, TlsVersion):
            return NotImplemented
        return self.value <= other.value

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, TlsVersion):
            return NotImplemented
        return self.value > other.value

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, TlsVersion):
            return NotImplemented
        return self.value >= other.value

    def __str__(self) -> str:
        return self.label


#: What the gateway's ``min_tls_version`` and ``serve-local --min-tls-version`` accept, lowest
#: first; also the policy pack's ``minVersion`` enum.
SUPPORTED_FLOORS: tuple[str, ...] = ("1.2", "1.3")
#: The default floor everywhere (gateway, facts, policy pack, serve-local).
DEFAULT_FLOOR = "1.2"
#: Versions that are broken and must be refused (by servers) / reported (by the verifier).
BROKEN: tuple[TlsVersion, ...] = (TlsVersion.TLS1_0, TlsVersion.TLS1_1)

_BY_PAIR = {v.value: v for v in TlsVersion}
_BY_WIRE = {v.wire: v for v in TlsVersion}

# ------------------------------------------------------------------------------------------ parsing
_VERSION_RE = re.compile(r"(\d+)(?:[._](\d+))?")


def parse_pair(value: Any) -> tuple[int, int] | None:
    """``(major, minor)`` of any version spelling, or None; exactly what ``rules._tls_version``
    (the policy pack's reader of ``minTlsVersion`` / ``minVersion``) accepts and refuses.

    Accepted (case-insensitive, surrounding whitespace ignored): ``"1.2"``, ``"1_2"``, ``"1"``
    (= 1.0), with any ``"tls"`` / ``"tlsv"`` removed wherever it stands and then spaces,
    underscores and ``v`` stripped from both ends: ``"TLS1.2"``, ``"TLSv1.2"``, ``"TLS 1.2"``,
    ``"tls1_2"``, ``"TLS1_2"`` / ``"TLS1_0"`` (Azure's ``minimalTlsVersion`` enums), ``"TLS_1_2"``,
    ``"v1.2"``, ``"TLSv1"`` (= 1.0, OpenSSL's name). Numbers (from pulumi-policy props or YAML
    config): ``1.2`` → (1, 2), ``1`` → (1, 0), ``2`` → (2, 0).

    Refused (None): ``None``, booleans, other types, NaN/infinity/overflowing numbers, negative
    numbers, ``""``, ``"TLS"``, three parts (``"1.2.0"``), other separators (``"1-2"``,
    ``"1,2"``), two versions (``"TLSv1.2 TLSv1.3"``), SSL (``"SSLv3"``), other words.

    Any numbers are read, so this does not judge them: ``"1.4"`` → (1, 4), and (a quirk kept from
    ``rules._tls_version``) ``"TLS12"`` → (12, 0), ``"TLS10"`` → (10, 0). :func:`parse` refuses
    what is not TLS 1.0 to 1.3. A :class:`TlsVersion` gives its own pair.
    """
    if isinstance(value, TlsVersion):
        return value.value
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        try:
            value = str(float(value))
        except OverflowError:  # an int too large for a float
            return None
    text = value.strip().lower().replace("tlsv", "").replace("tls", "").strip(" _v")
    m = _VERSION_RE.fullmatch(text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0)


def parse(value: Any) -> TlsVersion | None:
    """The :class:`TlsVersion` that ``value`` spells (every spelling of :func:`parse_pair`), or
    None: not a version, or a version other than TLS 1.0-1.3 (``"1.4"``, ``"2"``, ``"TLS12"``).

    ``parse("TLSv1.2") is parse("tls1_2") is parse(1.2) is TlsVersion.TLS1_2``.
    """
    pair = parse_pair(value)
    return None if pair is None else _BY_PAIR.get(pair)


# ------------------------------------------------------------------------------------------ floors
#: The fix of :class:`InvalidTlsVersion` (gateway.py's text).
FLOOR_FIX = "use '1.2' (TLS 1.2 and 1.3) or '1.3' (TLS 1.3 only)"


class InvalidTlsVersion(ValueError):
    """A value that is not an accepted TLS floor. ``.problem`` and ``.fix`` are sentences for the
    caller's own error (``ConfigurationError(field, e.problem, e.fix)``)."""

    def __init__(self, problem: str, fix: str = FLOOR_FIX) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}; {fix}")


def require_floor(value: Any) -> str:
    """``value`` as a supported floor, ``"1.2"`` or ``"1.3"``; else :class:`InvalidTlsVersion`.

    Strict, as the gateway's ``min_tls_version`` is today: only the strings ``"1.2"`` and ``"1.3"``
    (and the members ``TLS1_2``/``TLS1_3``); ``"TLSv1.2"``, ``1.2`` and ``"1.1"`` are refused.
    """
    if isinstance(value, TlsVersion):
        if value.text in SUPPORTED_FLOORS:
            return value.text
    elif isinstance(value, str):
        for floor in SUPPORTED_FLOORS:
            if value == floor:
                return floor
    raise InvalidTlsVersion(
        f"must be '1.2' or '1.3', got {value!r}; TLS 1.0 and 1.1 are broken and refused",
    )


def _as_version(floor: Any, *, allow_broken: bool) -> TlsVersion:
    if allow_broken:
        version = parse(floor)
        if version is None:
            raise InvalidTlsVersion(f"not a TLS version, got {floor!r}", "use '1.0', '1.1', '1.2' or '1.3'")
        return version
    return _BY_PAIR[parse_pair(require_floor(floor))]  # type: ignore[index]


# ------------------------------------------------------------------------------------------ nginx
# nginx's ssl_protocols tokens (matched case-insensitively, as nginx does) -> (major, minor);
# SSLv2/SSLv3 sort below every TLS version.
_NGINX_TOKENS: dict[str, tuple[int, int]] = {
    "sslv2": (0, 2),
    "sslv3": (0, 3),
    "tlsv1": (1, 0),
    "tlsv1.1": (1, 1),
    "tlsv1.2": (1, 2),
    "tlsv1.3": (1, 3),
}


def _tokens(value: str | Iterable[str]) -> list[str]:
    return value.split() if isinstance(value, str) else [str(t) for t in value]


def nginx_protocols(floor: Any = DEFAULT_FLOOR, *, allow_broken: bool = False) -> str:
    """The ``ssl_protocols`` value that enables ``floor`` and every newer version:
    ``"1.2"`` → ``"TLSv1.2 TLSv1.3"``, ``"1.3"`` → ``"TLSv1.3"``.

    ``floor`` is checked by :func:`require_floor` (InvalidTlsVersion otherwise); with
    ``allow_broken=True`` any :func:`parse` spelling of TLS 1.0-1.3 is taken (tests that need a weak
    server: ``nginx_protocols("1.0", allow_broken=True)`` → ``"TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"``).
    """
    low = _as_version(floor, allow_broken=allow_broken)
    return " ".join(v.nginx for v in TlsVersion if v >= low)


def floor_of_nginx_protocols(value: str | Iterable[str]) -> TlsVersion | None:
    """The lowest TLS version an ``ssl_protocols`` value (the text, or its arguments) enables:
    ``"TLSv1.2 TLSv1.3"`` → ``TLS1_2``; ``"TLSv1 TLSv1.2"`` → ``TLS1_0`` (gaps do not matter, the
    lowest enabled version is what an attacker gets).

    None means "nothing this module can vouch for": the value enables SSLv2 or SSLv3 (below every
    TLS version: treat None as failing any floor), or no TLS version at all. Tokens nginx does not
    know (nginx refuses to start with them) are ignored, as ``rules.check_min_tls`` ignores them.
    Tokens are matched case-insensitively, as nginx does.
    """
    pairs = [_NGINX_TOKENS[t.lower()] for t in _tokens(value) if t.lower() in _NGINX_TOKENS]
    if not pairs or min(pairs) < TlsVersion.TLS1_0.value:
        return None
    return _BY_PAIR[min(pairs)]


def nginx_protocols_below(value: str | Iterable[str], floor: Any) -> list[str]:
    """The tokens of an ``ssl_protocols`` value (text or arguments) that enable a protocol below
    ``floor`` (a :class:`TlsVersion` or a :func:`parse` spelling), as written, sorted and without
    duplicates: ``nginx_protocols_below("TLSv1 TLSv1.1 TLSv1.2", "1.2") == ["TLSv1", "TLSv1.1"]``.
    SSLv2/SSLv3 are always below; unknown tokens never. This is ``rules.check_min_tls``'s
    ``weak`` list. InvalidTlsVersion when ``floor`` is not TLS 1.0-1.3.
    """
    low = _as_version(floor, allow_broken=True).value
    return sorted({t for t in _tokens(value) if _NGINX_TOKENS.get(t.lower(), (9, 9)) < low})


# ------------------------------------------------------------------------------------------ ssl
def from_ssl(version: Any) -> TlsVersion | None:
    """The :class:`TlsVersion` of an ``ssl.TLSVersion`` member (or its wire value); None for
    ``SSLv3``, ``MINIMUM_SUPPORTED``/``MAXIMUM_SUPPORTED`` and anything else. Does not import ssl."""
    if isinstance(version, TlsVersion):
        return version
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    return _BY_WIRE.get(int(version))


def label_of(version: Any) -> str:
    """``"TLS 1.1"`` for ``ssl.TLSVersion.TLSv1_1`` (or ``TlsVersion.TLS1_1``); ``str(version)``
    for anything else (``ssl.TLSVersion.SSLv3`` → its enum name)."""
    known = from_ssl(version)
    if known is not None:
        return known.label
    return getattr(version, "name", None) or str(version)
