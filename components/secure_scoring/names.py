"""Host names and IP addresses: one parser and one certificate-name matcher for the whole project.

Pure (no Pulumi, no ``cryptography``), cheap to import: the ``idna`` package is imported only when a
name has a non-ASCII character or an ``xn--`` label. Like ``cryptography``'s ``x509.DNSName`` /
``x509.IPAddress``, a text is decided once to be a DNS name or an IP address, and the answer is a typed
value: :class:`DnsName` or :class:`IpAddress`.

API::

    parse_host(text, *, allow_wildcard=False, allow_ip=True, allow_underscore=False,
               opaque_a_labels=False) -> DnsName | IpAddress
    parse_label(text, *, allow_underscore=False) -> str          # one label, as its A-label
    split_host_port(text, *, default_port=None) -> (DnsName | IpAddress, int)
    normalize(text, **flags) -> str                               # str(parse_host(text, **flags))
    is_ip(text) -> bool
    matches(pattern, host) -> bool                                # RFC 6125, never raises
    covers(patterns, host) -> bool
    san_entry(host) -> str                                        # "DNS:x" / "IP:x"

Every refusal is an :class:`InvalidHostname` (a ``ValueError``) with ``text``, ``problem``, ``fix`` and a
stable ``code``; a caller chooses only the error type it raises::

    try:
        host = parse_host(value)
    except InvalidHostname as e:
        raise ConfigurationError("hostname", e.problem, e.fix) from None

The rules (the same for every caller):

- Surrounding whitespace is stripped (every caller strips, or refuses, it; none keeps it). Whitespace
  inside is refused.
- IP literals: IPv4 in dotted-quad form without leading zeros, IPv6 in any RFC 4291 form, either one
  optionally in brackets (``[::1]``, ``[127.0.0.1]``). The value is the ``ipaddress`` object; ``str`` is
  the compressed form. An IPv6 zone index (``fe80::1%eth0``) is refused: it means something on one
  machine only, and no certificate or DNS record carries it. One trailing dot after an IPv4 address is
  dropped, as browsers do (``127.0.0.1.``).
- A dotted all-digit text that is not an IPv4 address (``1.2.3``, ``01.2.3.4``, ``300.1.1.1``) is
  neither an IP address nor a host name (a mistyped address); nor is any name whose last label is all
  digits (``host.example.123``).
- Exactly one trailing dot is the absolute form of the same name and is dropped. Any other empty
  label (``a..b``, ``.a``, ``a.b..``) is refused, with the name without empty labels as the fix; ``.``
  alone (the DNS root) is refused.
- Lower case. Internationalised names are mapped with IDNA UTS #46 (non-transitional, as browsers do:
  ``faß.de`` is ``xn--fa-hia.de``; IDNA 2003 gave ``fass.de``) and converted to A-labels with IDNA
  2008 rules (the ``idna`` package). A label that starts with ``xn--`` must be a valid A-label
  (``xn--zz`` is refused).
- Labels are letters, digits and hyphens, 1-63 characters, not starting or ending with a hyphen. The
  underscore is refused unless ``allow_underscore`` (record names such as ``_acme-challenge`` and the
  SRV-style names DNS does hold; ``verify`` accepts them in a URL, and the matcher compares them).
- At most 253 characters in the A-label form, without the trailing dot.
- A wildcard only with ``allow_wildcard``, and only as the whole left-most label with at least two
  labels under it: ``*.example.com``; not ``f*.example.com``, ``a.*.example.com``, ``*.*.example.com``
  or ``*.com``.
- Without ``allow_ip``, an IP literal is refused (code ``ip-not-allowed``).

A name may be a single label (``localhost``); a caller that needs a fully qualified name checks
``len(name.labels) >= 2``.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DnsName",
    "Host",
    "InvalidHostname",
    "IpAddress",
    "covers",
    "is_ip",
    "matches",
    "normalize",
    "parse_host",
    "parse_label",
    "san_entry",
    "split_host_port",
]

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63
_LDH = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_LDH_UNDERSCORE = _LDH | {"_"}
_DIGITS = frozenset("0123456789")
_EXAMPLE = "scoring.example.com"


class InvalidHostname(ValueError):
    """``text`` is not a host name (or IP address) the project accepts.

    ``problem`` says what is wrong (it names the text), ``fix`` what to do instead; both are short
    sentences without a final period, ready for ``ConfigurationError(input, problem, fix)`` or
    ``UsageError(...)``. ``code`` is a stable identifier of the rule, for callers that word one case
    differently (``ip-not-allowed``, ``wildcard-not-allowed``, ``empty-label``...).
    """

    def __init__(self, text: object, problem: str, fix: str, code: str) -> None:
        self.text = text
        self.problem = problem
        self.fix = fix
        self.code = code
        super().__init__(f"{problem}. Fix: {fix}")


@dataclass(frozen=True)
class DnsName:
    """A valid DNS host name (or wildcard pattern) in its canonical A-label form.

    Build it with :func:`parse_host`; the constructor does not validate. Equal names are equal
    values: ``parse_host("Bücher.Example.com.") == parse_host("xn--bcher-kva.example.com")``.
    """

    ascii: str
    """The A-label form: lower case, no trailing dot (what certificates, nginx and DNS use)."""

    def __str__(self) -> str:
        return self.ascii

    @property
    def labels(self) -> tuple[str, ...]:
        """The A-labels, left to right (a wildcard's first label is ``*``)."""
        return tuple(self.ascii.split("."))

    @property
    def is_wildcard(self) -> bool:
        return self.ascii.startswith("*.")

    @property
    def unicode(self) -> str:
        """The U-label form, for messages (``bücher.example.com``); equal to ``ascii`` for ASCII names."""
        if "xn--" not in self.ascii:
            return self.ascii
        idna = _idna()
        out = []
        for label in self.labels:
            if label.startswith("xn--"):
                with contextlib.suppress(UnicodeError, ValueError):  # not built by parse_host: as it is
                    label = idna.ulabel(label)
            out.append(label)
        return ".".join(out)


@dataclass(frozen=True)
class IpAddress:
    """An IPv4 or IPv6 address (an ``ipaddress`` object); ``str`` is the compressed form."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address

    def __str__(self) -> str:
        return str(self.address)

    @property
    def version(self) -> int:
        return self.address.version

    @property
    def url_form(self) -> str:
        """As in a URL or ``host:port``: IPv6 in brackets (``[::1]``), IPv4 as is."""
        return f"[{self.address}]" if self.address.version == 6 else str(self.address)


Host = DnsName | IpAddress


# ------------------------------------------------------------------------------------------ parsing
def parse_host(
    text: str,
    *,
    allow_wildcard: bool = False,
    allow_ip: bool = True,
    allow_underscore: bool = False,
    opaque_a_labels: bool = False,
) -> DnsName | IpAddress:
    """Decide whether ``text`` is an IP address or a DNS name, and return it in canonical form.

    ``opaque_a_labels``: an ``xn--`` label that IDNA 2008 does not produce (``xn--628h``, an emoji) is
    kept as an opaque letters-digits-hyphens label instead of refused. Only for matching a name a
    certificate may carry (``cert check --hostname``); never for names the project creates.

    Raises :class:`InvalidHostname` (and nothing else) for any input that breaks the module's rules.
    """
    if not isinstance(text, str):
        raise InvalidHostname(
            text,
            f"a host name must be a string, got {type(text).__name__}",
            f"pass the name as a string such as {_EXAMPLE!r}",
            "not-a-string",
        )
    s = text.strip()
    if not s:
        raise InvalidHostname(text, "the host name is empty", f"give a name such as {_EXAMPLE!r}", "empty")
    if not s.isascii():
        s = _uts46_map(text, s)
    if "://" in s:
        host = s.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
        raise InvalidHostname(
            text,
            f"{text!r} is a URL, not a hostname",
            f"pass only the host part{f' ({host})' if host else ''}",
            "url",
        )
    if s.startswith("["):
        return _bracketed(text, s, allow_ip)
    if ":" in s:
        address = _ip_literal(text, s)
        if address is not None:
            return _checked_ip(text, address, allow_ip)
        head, sep, port = s.rpartition(":")
        if sep and s.count(":") == 1 and port.isascii() and port.isdigit():
            raise InvalidHostname(
                text,
                f"{text!r} includes a port ({port})",
                f"drop the port: pass {head!r} (a certificate or DNS record covers names, not ports)",
                "port",
            )
        raise InvalidHostname(
            text,
            f"{text!r} is not a hostname or IP address",
            f"pass a DNS name such as {_EXAMPLE!r} or an IP address such as '192.0.2.10'",
            "characters",
        )
    if s == ".":
        raise InvalidHostname(
            text, "'.' is the DNS root, not a hostname", f"give a name such as {_EXAMPLE!r}", "root"
        )
    body = s[:-1] if s.endswith(".") else s  # exactly one trailing dot: the absolute form
    labels = body.split(".")
    if all(label.isascii() and label.isdigit() for label in labels):
        try:
            address = ipaddress.IPv4Address(body)
        except ValueError:
            raise InvalidHostname(
                text,
                f"{text!r} is not a valid IP address (and an all-digit name is not a DNS name)",
                "pass an IPv4 address as four numbers 0-255 without leading zeros (e.g. 192.0.2.10), "
                "or a DNS name",
                "invalid-ip",
            ) from None
        return _checked_ip(text, address, allow_ip)
    if "" in labels:
        raise _empty_label(text, s, labels)
    if "*" in body:
        _check_wildcard(text, labels, allow_wildcard)
    if labels[-1].isascii() and labels[-1].isdigit():
        raise InvalidHostname(
            text,
            f"{text!r} is not a hostname: an all-digit top-level label ({labels[-1]})",
            "pass a DNS name (its last label has a letter) or an IPv4 address of four numbers 0-255",
            "numeric-tld",
        )
    out = [labels[0]] if labels[0] == "*" else []
    for label in labels[len(out) :]:
        out.append(_label(text, label, allow_underscore, opaque_a_labels))
    name = ".".join(out)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidHostname(
            text,
            f"{_short(text)} is {len(name)} characters long"
            + (" in its IDNA (xn--) form" if name != body.lower() else "")
            + f"; a DNS name has at most {MAX_NAME_LENGTH}",
            "use a shorter name",
            "name-too-long",
        )
    return DnsName(name)


def parse_label(text: str, *, allow_underscore: bool = False) -> str:
    """One DNS label (no dots) under the same rules, returned as its A-label (lower case).

    For inputs that are a single label of a longer name: a record name relative to its zone, an Azure
    DNS name label. An all-digit label is valid here (``1.example.com`` is a host name).
    """
    if not isinstance(text, str):
        raise InvalidHostname(
            text,
            f"a DNS label must be a string, got {type(text).__name__}",
            "pass the label as a string such as 'scoring'",
            "not-a-string",
        )
    s = text.strip()
    if s and not s.isascii():
        s = _uts46_map(text, s)
    if not s:
        raise InvalidHostname(text, "the DNS label is empty", "give a label such as 'scoring'", "empty")
    if "." in s:
        raise InvalidHostname(
            text,
            f"{text!r} is not one DNS label: it contains '.'",
            "give a single label (letters, digits and hyphens, no dots)",
            "characters",
        )
    if s == "*":
        raise InvalidHostname(
            text, "'*' is a wildcard, not a DNS label", "give a label such as 'scoring'", "wildcard"
        )
    return _label(text, s, allow_underscore)


def split_host_port(text: str, *, default_port: int | None = None) -> tuple[DnsName | IpAddress, int]:
    """``host:port``, ``[IPv6]:port``, or (with ``default_port``) a host alone → (host, port).

    An IPv6 address with a port must be in brackets; an unbracketed IPv6 address is a host alone
    (``::1:53`` is the address ``::1:53``). The host follows :func:`parse_host` (no wildcard, no
    underscore); the port is 1-65535 in decimal digits.
    """
    if not isinstance(text, str):
        parse_host(text)  # raises the not-a-string error
    s = text.strip()
    fix = "pass host:port, e.g. 127.0.0.1:5001, localhost:5001 or [::1]:5001"
    port_text: str | None
    if s.startswith("["):
        inner, sep, rest = s[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InvalidHostname(text, f"{text!r} is not host:port", fix, "port")
        host_text, port_text = f"[{inner}]", (rest[1:] if rest else None)
    elif s.count(":") == 1:
        host_text, port_text = s.split(":")
    else:
        host_text, port_text = s, None
    host = parse_host(host_text)
    if port_text is None:
        if default_port is None:
            raise InvalidHostname(text, f"{text!r} has no port", fix, "port")
        return host, default_port
    if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
        raise InvalidHostname(
            text, f"port {port_text!r} of {text!r} is not a number from 1 to 65535", fix, "port"
        )
    return host, int(port_text)


def normalize(
    text: str, *, allow_wildcard: bool = False, allow_ip: bool = True, allow_underscore: bool = False
) -> str:
    """``str(parse_host(text, ...))``: the canonical text (A-labels, compressed IPv6 without brackets)."""
    return str(
        parse_host(text, allow_wildcard=allow_wildcard, allow_ip=allow_ip, allow_underscore=allow_underscore)
    )


def is_ip(text: object) -> bool:
    """True when ``text`` is an IP literal under :func:`parse_host`'s rules (``[::1]`` included)."""
    return isinstance(_lenient(text), IpAddress) if isinstance(text, str) else isinstance(text, IpAddress)


# ------------------------------------------------------------------------------------------ matching
def matches(pattern: str | Host, host: str | Host) -> bool:
    """Does the certificate name ``pattern`` (a SAN entry) cover ``host``? RFC 6125; never raises.

    Both sides are read with :func:`parse_host` (wildcards and underscores allowed), so case, one
    trailing dot, brackets around an IPv6 address and internationalised forms do not matter. An entry
    that is not a valid name covers nothing. An IP address matches only the same address. A wildcard is
    only a whole left-most label over at least two labels (``*.example.com``) and covers exactly one
    label: not ``example.com`` itself and not ``a.b.example.com``. Asked about a wildcard name itself,
    only the identical pattern covers it.
    """
    try:
        h = host if isinstance(host, DnsName | IpAddress) else _lenient(host)
        p = pattern if isinstance(pattern, DnsName | IpAddress) else _lenient(pattern)
        if h is None or p is None:
            return False
        if isinstance(h, IpAddress) or isinstance(p, IpAddress) or h.is_wildcard or not p.is_wildcard:
            return p == h
        h_labels, p_labels = h.labels, p.labels
        return len(h_labels) == len(p_labels) and h_labels[1:] == p_labels[1:]
    except Exception:  # noqa: BLE001 - a matcher never raises
        return False


def covers(patterns: Iterable[str | Host], host: str | Host) -> bool:
    """True when any of a certificate's names ``patterns`` covers ``host`` (see :func:`matches`)."""
    try:
        h = host if isinstance(host, DnsName | IpAddress) else _lenient(host)
        if h is None:
            return False
        return any(matches(p, h) for p in patterns)
    except Exception:  # noqa: BLE001 - never raises, like matches
        return False


def san_entry(host: str | Host) -> str:
    """The subjectAltName entry for ``host`` as openssl's ``-addext`` writes it: ``DNS:x`` or ``IP:x``.

    A string is parsed with wildcards allowed (a SAN may be ``*.example.com``); raises
    :class:`InvalidHostname` for anything else invalid.
    """
    value = host if isinstance(host, DnsName | IpAddress) else parse_host(host, allow_wildcard=True)
    return f"IP:{value}" if isinstance(value, IpAddress) else f"DNS:{value}"


# ------------------------------------------------------------------------------------------ internals
@functools.lru_cache(maxsize=2048)
def _lenient(text: Any) -> DnsName | IpAddress | None:
    """The matcher's reading of one name: parse_host with everything a certificate may hold allowed."""
    try:
        return parse_host(text, allow_wildcard=True, allow_underscore=True)
    except InvalidHostname:
        return None


def _idna() -> Any:
    import idna  # lazily: only internationalised names need it

    return idna


def _short(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= 60 else shown[:40] + "…" + shown[-12:]


def _uts46_map(text: str, s: str) -> str:
    """UTS #46 mapping (non-transitional) of a text with non-ASCII characters: case folding, width
    and compatibility forms (full-width dots are label separators); the labels are checked later."""
    idna = _idna()
    try:
        return idna.uts46_remap(s, std3_rules=False, transitional=False)
    except (UnicodeError, ValueError) as exc:
        raise InvalidHostname(
            text,
            f"{_short(text)} is not a valid internationalised domain name ({exc})",
            "check the spelling, or pass its A-label form (xn--...)",
            "idna",
        ) from None


def _bracketed(text: str, s: str, allow_ip: bool) -> IpAddress:
    inner, sep, rest = s[1:].partition("]")
    if sep and rest:
        port = rest[1:] if rest.startswith(":") else rest
        raise InvalidHostname(
            text,
            f"{text!r} includes a port ({port})"
            if rest.startswith(":")
            else f"{text!r} is not an IP address",
            f"drop the port: pass {inner!r} (a certificate or DNS record covers names, not ports)"
            if rest.startswith(":")
            else "pass an IPv6 address in brackets (e.g. [2001:db8::1]) or without them",
            "port" if rest.startswith(":") else "brackets",
        )
    address = _ip_literal(text, inner) if sep else None
    if address is None:
        raise InvalidHostname(
            text,
            f"{text!r} is not an IP address in brackets (brackets enclose only an IP address)",
            "pass a DNS name without brackets, or an address such as [2001:db8::1]",
            "brackets",
        )
    return _checked_ip(text, address, allow_ip)


def _ip_literal(text: str, s: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``s`` (no brackets) spells, None when it is none; a zone index is refused."""
    try:
        address = ipaddress.ip_address(s)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        bare = s.split("%", 1)[0]
        raise InvalidHostname(
            text,
            f"{text!r} has an IPv6 zone index (%{address.scope_id}); it means an interface of one machine and "
            "no certificate or DNS record carries it",
            f"drop it: pass {bare!r}",
            "invalid-ip",
        )
    return address


def _checked_ip(
    text: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_ip: bool
) -> IpAddress:
    if not allow_ip:
        raise InvalidHostname(
            text,
            f"{text!r} is an IP address; a DNS name is needed here",
            f"pass the DNS name clients use, such as {_EXAMPLE!r}",
            "ip-not-allowed",
        )
    return IpAddress(address)


def _empty_label(text: str, s: str, labels: list[str]) -> InvalidHostname:
    kept = ".".join(label for label in labels if label)
    if s.endswith(".."):
        where = "two dots at the end: one trailing dot marks an absolute name, a second leaves an empty label"
    elif labels[0] == "":
        where = "a leading dot"
    else:
        where = "two dots in a row"
    return InvalidHostname(
        text,
        f"{text!r} is not a hostname: an empty label ({where})",
        f"write it as {kept!r}" if kept and kept != "*" else f"give a name such as {_EXAMPLE!r}",
        "empty-label",
    )


def _check_wildcard(text: str, labels: list[str], allow_wildcard: bool) -> None:
    # the labels under the last one with a '*': what a valid wildcard would stand over
    under = labels[max(i for i, label in enumerate(labels) if "*" in label) + 1 :]
    if not allow_wildcard:
        concrete = (
            "a." + ".".join(under)
            if labels[0] == "*" and under and len(under) == len(labels) - 1
            else _EXAMPLE
        )
        raise InvalidHostname(
            text,
            f"{text!r} is a wildcard pattern, not a name clients connect to",
            f"pass a concrete name, e.g. {concrete!r} (a certificate's wildcard covers it)",
            "wildcard-not-allowed",
        )
    suggestion = "*." + ".".join(under) if len(under) >= 2 else "*.example.com"
    if labels[0] != "*":
        problem = (
            f"{text!r} has a wildcard inside a label; a wildcard is only the whole left-most label"
            if "*" in labels[0]
            else f"{text!r} has a wildcard below the left-most label; a wildcard is only the whole left-most label"
        )
        raise InvalidHostname(text, problem, f"use {suggestion}", "wildcard")
    if len(under) != len(labels) - 1:
        raise InvalidHostname(
            text,
            f"{text!r} has more than one wildcard; a wildcard is only the whole left-most label",
            f"use one wildcard, e.g. {suggestion}",
            "wildcard",
        )
    if len(labels) < 3:
        raise InvalidHostname(
            text,
            f"{text!r} is a wildcard over a single label; clients and certificate authorities refuse a "
            "wildcard directly under a top-level domain",
            f"use a wildcard with at least two labels under it, e.g. *.example.{under[0] if under else 'com'}",
            "wildcard",
        )


def _label(text: str, label: str, allow_underscore: bool, opaque_a_labels: bool = False) -> str:
    """One label (not empty, not ``*``) → its A-label, lower case; refuses what no host name has."""
    if not label.isascii():
        idna = _idna()
        try:
            label = idna.alabel(label).decode("ascii")
        except (UnicodeError, ValueError) as exc:
            raise InvalidHostname(
                text,
                f"{_short(text)} is not a valid internationalised domain name: label {label!r} ({exc})",
                "check the spelling, or pass its A-label form (xn--...)",
                "idna",
            ) from None
    label = label.lower()
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidHostname(
            text,
            f"{_short(text)} is not a hostname: a label longer than {MAX_LABEL_LENGTH} characters "
            f"({len(label)}: {label[:20]}…)",
            f"shorten the label to {MAX_LABEL_LENGTH} characters or fewer",
            "label-too-long",
        )
    bad = set(label) - (_LDH_UNDERSCORE if allow_underscore else _LDH)
    if bad:
        if bad == {"_"}:
            raise InvalidHostname(
                text,
                f"{_short(text)} is not a hostname: '_' (in {label!r}) is allowed in DNS record names such "
                "as _acme-challenge, not in host names",
                "use a hyphen instead of the underscore",
                "underscore",
            )
        shown = "".join(sorted(bad))
        raise InvalidHostname(
            text,
            f"{_short(text)} is not a hostname: it contains {shown!r}; host names allow only letters, "
            "digits, '-' and '.'",
            f"use letters, digits and hyphens only, e.g. {_EXAMPLE!r}",
            "characters",
        )
    if label.startswith("-") or label.endswith("-"):
        raise InvalidHostname(
            text,
            f"{_short(text)} is not a hostname: label {label!r} starts or ends with '-'",
            "start and end every label with a letter or digit",
            "hyphen",
        )
    if label.startswith("xn--") and not opaque_a_labels:
        _check_a_label(text, label)
    return label


def _check_a_label(text: str, label: str) -> None:
    idna = _idna()
    try:
        valid = idna.alabel(idna.ulabel(label)).decode("ascii") == label
    except (UnicodeError, ValueError):
        valid = False
    if not valid:
        raise InvalidHostname(
            text,
            f"{_short(text)} is not a hostname: {label!r} starts with xn-- but is not a valid IDNA A-label",
            "write the name in Unicode, or copy its A-label from an IDNA 2008 converter",
            "idna",
        )
