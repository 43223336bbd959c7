"""``--hostname`` values of the CLI: :func:`secure_scoring.names.parse_host` decides, a usage error says why.

The parser's problem and fix are used as they are, except two fixes that name the option to retype
(a port, a wildcard), in the words ``cert check`` and ``serve-local`` have always used.
"""

from __future__ import annotations

from .. import names
from ..errors import UsageError

EXAMPLE = "scoring.example.com"


def parse_option_host(
    option: str, value: str, *, certificate_name: bool = False
) -> names.DnsName | names.IpAddress:
    """``value`` of ``option`` as the one parser reads it (no wildcard, no port); :class:`UsageError` otherwise.

    ``certificate_name``: accept what a certificate may legitimately name, to match it (``cert check``):
    an underscore, and an ``xn--`` label IDNA 2008 refuses, kept as an opaque label."""
    try:
        if certificate_name:
            return names.parse_host(value, allow_underscore=True, opaque_a_labels=True)
        return names.parse_host(value)
    except names.InvalidHostname as e:
        problem, fix = e.problem, e.fix
        if e.code == "port":
            bare = _without_port(value)
            if bare is not None:
                fix = f"drop the port: pass {option} {bare} (a certificate covers names, not ports)"
        elif e.code == "wildcard-not-allowed":
            problem = f"{value!r} is a wildcard pattern, not a name clients use"
            fix = (
                f"pass a concrete name clients connect to, e.g. {option} {_concrete(value)} "
                "(the certificate's wildcard covers it)"
            )
        raise UsageError(option, problem, fix) from None


def _without_port(value: str) -> str | None:
    try:
        return str(names.split_host_port(value)[0])
    except names.InvalidHostname:
        return None


def _concrete(pattern: str) -> str:
    """``*.example.org`` -> ``a.example.org`` (what the wildcard covers); else the usual example."""
    text = pattern.strip()
    if text.startswith("*.") and "*" not in text[2:]:
        try:
            return names.normalize("a" + text[1:])
        except names.InvalidHostname:
            pass
    return EXAMPLE
