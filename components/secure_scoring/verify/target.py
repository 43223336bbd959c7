"""What ``verify`` checks: the URL (:class:`Target`) and the DNS server to ask (:class:`DnsServer`).

Host names and addresses are read by :mod:`secure_scoring.names` (the one parser); a bad input is a
:class:`~secure_scoring.errors.UsageError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from .. import names
from ..errors import UsageError

__all__ = [
    "DEFAULT_SCORING_PATH",
    "DnsServer",
    "Target",
    "as_ip",
    "hostport",
    "parse_dns_server",
    "parse_url",
]

DEFAULT_SCORING_PATH = "/score"


@dataclass(frozen=True)
class Target:
    url: str
    host: str  # lower case, no trailing dot, IPv6 without brackets
    port: int
    path: str  # the scoring path probed for authentication
    host_is_ip: bool

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 443 else f"{host}:{self.port}"

    @property
    def sni(self) -> str:
        """What the TLS client sends as server name: nothing for an IP address (RFC 6066 forbids it)."""
        return "no SNI (IP address)" if self.host_is_ip else f"SNI {self.host}"


def hostport(host: str, port: int) -> str:
    """``host:port`` with an IPv6 address in brackets: ``[::1]:443``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class DnsServer:
    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def parse_url(url: str) -> Target:
    """The endpoint to verify: ``https://HOST[:PORT][/scoring/path]``. Raises :class:`UsageError`."""
    fix = "pass the scoring URL, e.g. https://scoring.example.com/score"
    if not isinstance(url, str) or not url.strip():
        raise UsageError("URL", "is empty", fix)
    text = url.strip()
    if "://" not in text:
        raise UsageError("URL", f"{text!r} has no scheme", "start it with https:// (" + fix + ")")
    bad = next((ch for ch in text if ord(ch) <= 0x20 or 0x7F <= ord(ch) <= 0x9F), None)
    if bad is not None:
        what = "a space" if bad == " " else f"a control character ({bad!r})"
        raise UsageError(
            "URL",
            f"{text!r} contains {what}, which cannot be sent in an HTTP request line",
            "percent-encode it (a space is %20) and quote the URL in the shell, e.g. "
            "https://scoring.example.com/my%20model/score",
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UsageError("URL", f"{text!r} is not a valid URL ({exc})", fix) from None
    if parts.scheme.lower() != "https":
        raise UsageError(
            "URL",
            f"scheme {parts.scheme!r} is not https: a scoring endpoint must be verified over TLS",
            "use the https:// URL clients use (plain HTTP is checked as part of the run)",
        )
    if not parts.hostname:
        raise UsageError("URL", f"{text!r} has no host name", fix)
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            "URL", "contains credentials (user:password@)", "pass the key with --key or SECURE_SCORING_KEY"
        )
    try:
        # '%20', '!', a 64-character label...: no DNS name has it, so a look-up could only fail
        parsed = names.parse_host(parts.hostname, allow_underscore=True)  # SRV-style _labels exist
    except names.InvalidHostname as e:
        raise UsageError("URL", e.problem, e.fix) from None
    host, host_is_ip = str(parsed), isinstance(parsed, names.IpAddress)
    if port == 0:
        raise UsageError("URL", "port 0 is not valid", "use the port the endpoint listens on (443)")
    path = parts.path if parts.path not in ("", "/") else DEFAULT_SCORING_PATH
    if parts.query:
        path += "?" + parts.query
    # non-ASCII characters (an IRI) go on the wire percent-encoded as UTF-8, as browsers send them
    path = quote(path, safe="!#$%&'()*+,/:;=?@[]~")
    return Target(url=text, host=host, port=port or 443, path=path, host_is_ip=host_is_ip)


def parse_dns_server(text: str) -> DnsServer:
    """``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` → :class:`DnsServer`. Raises :class:`UsageError`."""
    fix = "pass the DNS server as IP or IP:PORT, e.g. 127.0.0.1:5353 or [::1]:53"
    try:
        host, port = names.split_host_port(text, default_port=53)
    except names.InvalidHostname as e:
        raise UsageError("--dns-server", e.problem, fix) from None
    if not isinstance(host, names.IpAddress):
        raise UsageError(
            "--dns-server", f"{str(host)!r} is not an IP address (a name would need DNS itself)", fix
        )
    return DnsServer(str(host), port)


def as_ip(text: str) -> str | None:
    """The canonical text of the IP address ``text`` spells (:mod:`secure_scoring.names`), else None."""
    try:
        host = names.parse_host(text)
    except names.InvalidHostname:
        return None
    return str(host) if isinstance(host, names.IpAddress) else None
