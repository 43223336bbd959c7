"""Post-deploy verifier: is a live scoring endpoint really safe?

:func:`verify` walks one URL through the checks a client's trip goes through and reports every step
as ``pass``, ``fail``, ``warn`` or ``skip`` with a detail and a fix. It uses the standard library
(``socket``, ``ssl``, ``http.client``), dnspython and ``cryptography``; never Pulumi.

Steps (names are stable; automation keys on them):

``dns``                   the URL's host → CNAME chain (TTLs) → A/AAAA addresses, against ``dns_server``
                          (dnspython, the system resolver is never read) or the system resolver;
                          compared with ``expect_ip`` / ``expect_target``.
``tcp``                   a TCP connection to the resolved address on the URL's port (443).
``tls-handshake``         a TLS handshake (TLS 1.2 or newer) with SNI = the URL's host (no SNI for an IP).
``certificate-chain``     the chain verifies against ``ca_bundle`` (or the system's trust store).
``certificate-hostname``  the certificate's subjectAltName covers the URL's host (RFC 6125).
``certificate-expiry``    valid now; days left (``warn`` under ``min_days``).
``tls-versions``          TLS 1.0 and 1.1 refused, TLS 1.2 accepted (TLS 1.3 reported).
``plain-http``            plain HTTP on the same port gets no normal HTTP answer.
``http-port``             optional (``http_port``, e.g. 80): that port serves no plain HTTP either.
``auth-no-credential``    ``POST <path>`` without credential is refused with 401.
``auth-credential``       the same request with ``Authorization: Bearer <key or token>`` is not refused
                          (skipped, the credential unsent, when the request without one was served).
``hsts``                  HTTPS responses carry ``Strict-Transport-Security`` with a max-age.

Safety rules: every connection goes to the one address DNS gave (or the URL's IP literal); when DNS
does not match ``expect_ip``/``expect_target`` nothing is sent anywhere; the key or token is sent
only over a connection whose certificate verified (chain, hostname and dates), and it never appears
in the report.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..errors import UsageError

__all__ = [
    "FAIL",
    "PASS",
    "SKIP",
    "STEP_NAMES",
    "WARN",
    "DnsServer",
    "Step",
    "Target",
    "VerifyReport",
    "format_text",
    "parse_dns_server",
    "parse_url",
    "verify",
]

PASS, FAIL, WARN, SKIP = "pass", "fail", "warn", "skip"
STEP_NAMES = (
    "dns",
    "tcp",
    "tls-handshake",
    "certificate-chain",
    "certificate-hostname",
    "certificate-expiry",
    "tls-versions",
    "plain-http",
    "http-port",
    "auth-no-credential",
    "auth-credential",
    "hsts",
)
DEFAULT_SCORING_PATH = "/score"
MAX_CNAME_HOPS = 10
HSTS_MIN_RECOMMENDED = 15_552_000  # 180 days
_READ_LIMIT = 16_384

# OpenSSL X509_V_ERR_* codes the chain step explains
_X509_NOT_YET_VALID = 9
_X509_EXPIRED = 10
_X509_SELF_SIGNED_LEAF = 18
_X509_SELF_SIGNED_IN_CHAIN = 19
_X509_NO_LOCAL_ISSUER = 20
_X509_UNABLE_TO_VERIFY_LEAF = 21
_X509_HOSTNAME_MISMATCH = 62


# ------------------------------------------------------------------------------------------ results
@dataclass
class Step:
    """One check: ``status`` is pass | fail | warn | skip; ``fix`` says what to do (None on pass)."""

    name: str
    status: str
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class VerifyReport:
    url: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no step failed (warnings and skipped steps do not fail the run)."""
        return not any(step.status == FAIL for step in self.steps)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def failed(self) -> list[Step]:
        return [s for s in self.steps if s.status == FAIL]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape: ``{"ok", "url", "steps": [{"name", "status", "detail", "fix"}]}``."""
        return {"ok": self.ok, "url": self.url, "steps": [s.to_dict() for s in self.steps]}


# ------------------------------------------------------------------------------------------ inputs
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


def _hostport(host: str, port: int) -> str:
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
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UsageError("URL", f"{text!r} has no host name", fix)
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            "URL", "contains credentials (user:password@)", "pass the key with --key or SECURE_SCORING_KEY"
        )
    host_is_ip = _ip(host) is not None
    if not host_is_ip:
        try:
            host.encode("ascii")
        except UnicodeEncodeError:
            host = host.encode("idna").decode("ascii")
        labels = host.split(".")
        if any(not label or len(label) > 63 for label in labels) or len(host) > 253:
            raise UsageError("URL", f"host {host!r} is not a valid DNS name", fix)
        bad = next((c for c in host if not (c.isalnum() or c in "-_.")), None)
        if bad is not None:
            # '%20', a space, '!' ...: no DNS name has it, so a look-up could only fail as NXDOMAIN
            raise UsageError(
                "URL",
                f"host {host!r} is not a valid DNS name (it contains {bad!r})",
                "use the endpoint's host name as clients use it, letters, digits, '-' and '.' only ("
                + fix
                + ")",
            )
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
    value = (text or "").strip()
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
        if not sep or (rest and port_text is None):
            raise UsageError("--dns-server", f"{text!r} is not IP:PORT", fix)
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    else:
        host, port_text = value, None
    address = _ip(host)
    if address is None:
        raise UsageError("--dns-server", f"{host!r} is not an IP address (a name would need DNS itself)", fix)
    port = 53
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise UsageError("--dns-server", f"port {port_text!r} is not a number from 1 to 65535", fix)
        port = int(port_text)
    return DnsServer(str(address), port)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _fqdn(name: str) -> str:
    return name.strip().rstrip(".").lower()


# ------------------------------------------------------------------------------------------ DNS
@dataclass
class _Resolution:
    addresses: list[str]
    chain: list[str]  # human-readable hops
    canonical: str  # the last name of the CNAME chain (the host itself without CNAME)
    names: list[str]  # every name on the chain, host first


def _query(name: str, rdtype: str, server: DnsServer, timeout: float) -> Any:
    """One query to ``server`` (UDP, TCP when truncated), retried once on a UDP timeout."""
    import dns.exception
    import dns.message
    import dns.query

    request = dns.message.make_query(name + ".", rdtype)  # recursion desired, like a stub resolver
    for attempt in (1, 2):
        try:
            response, _tcp = dns.query.udp_with_fallback(
                request, server.address, timeout=timeout / 2, port=server.port
            )
            return response
        except dns.exception.Timeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _resolve_with_server(host: str, server: DnsServer, timeout: float) -> _Resolution:
    """Follow ``host``'s CNAME chain to its addresses, asking ``server`` only.

    The chain is walked in each answer (an authoritative server includes the chain through the zones
    it serves) and, where it leaves the answer, asked again for its end.
    """
    import dns.rcode

    names, hops = [host], []
    for rdtype in ("A", "AAAA"):
        name, names, hops = host, [host], []
        for _ in range(MAX_CNAME_HOPS + 1):
            response = _query(name, rdtype, server, timeout)
            rcode = response.rcode()
            if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                raise _DnsProblem(
                    f"the DNS server answered {dns.rcode.to_text(rcode)} for {name}",
                    "check that this server serves the zone (an authoritative server answers REFUSED for "
                    "zones it does not have) or use a recursive resolver",
                )
            current = name
            addresses: list[str] = []
            while True:
                cname = _find_rrset(response, current, "CNAME")
                if cname is not None:
                    target = _fqdn(cname[0].target.to_text())
                    hops.append(f"{current} CNAME {target} (TTL {cname.ttl} s)")
                    if target in names:
                        raise _DnsProblem(
                            f"CNAME loop: {' → '.join([*names, target])}",
                            "point the record at the service's FQDN, not at a name that points back",
                        )
                    names.append(target)
                    if len(names) > MAX_CNAME_HOPS:
                        raise _DnsProblem(
                            f"CNAME chain longer than {MAX_CNAME_HOPS}: {' → '.join(names)}",
                            "point the record directly at the service's FQDN",
                        )
                    current = target
                    continue
                rrset = _find_rrset(response, current, rdtype)
                if rrset is not None:
                    addresses = [r.address for r in rrset]
                    hops.append(f"{current} {rdtype} {', '.join(addresses)} (TTL {rrset.ttl} s)")
                break
            if addresses:
                return _Resolution(addresses, hops, current, names)
            if rcode == dns.rcode.NXDOMAIN:
                if current == host:
                    raise _DnsProblem(
                        f"{host} does not exist (NXDOMAIN)",
                        "create the record (A to the endpoint's IP or CNAME to its FQDN, e.g. with "
                        "DnsRecordBinding); if it was just created, wait for the zone's negative-cache TTL",
                    )
                raise _DnsProblem(
                    f"{host} leads to {current}, which does not exist (NXDOMAIN): {'; '.join(hops)}",
                    f"point the CNAME at the service's current FQDN; {current} may belong to a deleted service",
                )
            if current == name:
                break  # no data of this type at the end of the chain
            name = current  # the chain leaves the answer: ask for its end
    raise _DnsProblem(
        f"{host} has no A or AAAA record"
        + (f" (the chain ends at {names[-1]}: {'; '.join(hops)})" if hops else ""),
        "create an A record (or a CNAME to the service's FQDN) for the name",
    )


def _find_rrset(response: Any, name: str, rdtype: str) -> Any:
    import dns.rdatatype

    wanted = dns.rdatatype.from_text(rdtype)
    for rrset in response.answer:
        if rrset.rdtype == wanted and _fqdn(rrset.name.to_text()) == name:
            return rrset
    return None


def _resolve_with_system(host: str) -> _Resolution:
    infos = socket.getaddrinfo(host, None, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    canonical = _fqdn(next((info[3] for info in infos if info[3]), host))
    addresses: list[str] = []
    for family in (socket.AF_INET, socket.AF_INET6):  # IPv4 first, like most clients
        for info in infos:
            if info[0] == family and info[4][0] not in addresses:
                addresses.append(str(info[4][0]))
    chain = []
    names = [host]
    if canonical != host:
        chain.append(f"{host} → {canonical} (canonical name)")
        names.append(canonical)
    chain.append(f"{canonical} → {', '.join(addresses)}")
    return _Resolution(addresses, chain, canonical, names)


class _DnsProblem(Exception):
    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.fix = fix


def _dns_step(
    target: Target,
    server: DnsServer | None,
    expect_ip: str | None,
    expect_target: str | None,
    timeout: float,
) -> tuple[Step, str | None]:
    """The DNS step and the address to connect to (None: do not connect anywhere)."""
    if target.host_is_ip:
        address = str(_ip(target.host))
        if expect_ip is not None and _ip(expect_ip) != _ip(address):
            return (
                Step(
                    "dns",
                    FAIL,
                    f"the URL names the address {address}, expected {expect_ip}; nothing was sent to {address}",
                    f"use the URL with {expect_ip} (or the DNS name clients use)",
                ),
                None,
            )
        detail = f"the URL names the address {address}: no DNS lookup"
        if expect_target:
            return (
                Step(
                    "dns",
                    FAIL,
                    detail + f"; cannot check that it points at {expect_target}",
                    "verify the DNS name clients use, not an IP address",
                ),
                None,
            )
        return Step("dns", SKIP, detail), address

    via = f"DNS server {server}" if server else "the system resolver"
    try:
        if server is not None:
            resolution = _resolve_with_server(target.host, server, timeout)
        else:
            resolution = _resolve_with_system(target.host)
    except _DnsProblem as exc:
        return Step("dns", FAIL, f"{exc} (asked {via})", exc.fix), None
    except Exception as exc:  # dnspython and socket errors
        return _dns_error_step(target.host, via, exc), None

    chain = " → ".join(resolution.chain)
    if expect_ip is not None:
        wanted = _ip(expect_ip)
        got = [_ip(a) for a in resolution.addresses]
        if got != [wanted] and not (wanted in got and all(a == wanted for a in got)):
            others = ", ".join(str(a) for a in got if a != wanted)
            return (
                Step(
                    "dns",
                    FAIL,
                    f"{target.host} resolves to {', '.join(resolution.addresses)}, expected {expect_ip} "
                    f"({chain}; asked {via}); nothing was sent to {others}",
                    f"point the record for {target.host} at {expect_ip} (A record, or CNAME to the service "
                    "FQDN), then wait for the old TTL shown above to pass; see docs/runbooks/dns-change.md",
                ),
                None,
            )
    if expect_target is not None:
        wanted_name = _fqdn(expect_target)
        if wanted_name not in resolution.names[1:] and wanted_name != target.host:
            return (
                Step(
                    "dns",
                    FAIL,
                    f"{target.host} does not point at {wanted_name}: {chain} (asked {via}); "
                    f"nothing was sent to {', '.join(resolution.addresses)}",
                    f"set the CNAME of {target.host} to {wanted_name}, then wait for the old TTL to pass; "
                    "see docs/runbooks/dns-change.md",
                ),
                None,
            )
    address = resolution.addresses[0]
    detail = f"{chain} (asked {via})"
    if len(resolution.addresses) > 1:
        detail += f"; checking {address}, the first address"
    if server is None:
        detail += "; TTLs are shown with --dns-server"
    return Step("dns", PASS, detail), address


def _dns_error_step(host: str, via: str, exc: Exception) -> Step:
    name = type(exc).__name__
    if name == "NXDOMAIN" or (isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_NONAME):
        problem = f"{host} does not exist (NXDOMAIN from {via})"
        fix = (
            "create the record (A to the endpoint's IP or CNAME to its FQDN, e.g. with DnsRecordBinding); "
            "if it was just created, wait for the negative-cache TTL of the zone's SOA"
        )
    elif name in ("Timeout", "LifetimeTimeout", "NoNameservers") or isinstance(exc, OSError | EOFError):
        problem = f"no usable answer for {host} from {via} ({exc})"
        fix = "check that the DNS server is reachable and serves the zone (--dns-server IP:PORT)"
    else:
        problem = f"looking up {host} via {via} failed: {exc}"
        fix = "check the name and the DNS server"
    return Step("dns", FAIL, problem, fix)


# ------------------------------------------------------------------------------------------ sockets / TLS
def _connect(address: str, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _tls_connect(address: str, port: int, host: str, ctx: ssl.SSLContext, timeout: float) -> ssl.SSLSocket:
    """TLS to ``address`` (the resolved IP) with SNI and hostname check against ``host``."""
    sock = _connect(address, port, timeout)
    try:
        return ctx.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


def _verified_context(ca_bundle: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_bundle)  # cafile=None: the system's trust store
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _chain_only_context(ca_bundle: str | None) -> ssl.SSLContext:
    ctx = _verified_context(ca_bundle)
    ctx.check_hostname = False
    return ctx


def _unverified_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _version_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that offers exactly ``version``. For TLS 1.0/1.1 the security level is lowered to 0:
    OpenSSL 3 at its default level refuses to offer them at all (SHA-1 signatures), and then the
    probe would prove nothing."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = version
        ctx.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


def _describe_cert(der: bytes, now: datetime) -> dict[str, Any]:
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [
            *san.get_values_for_type(x509.DNSName),
            *(str(i) for i in san.get_values_for_type(x509.IPAddress)),
        ]
        has_san = True
    except x509.ExtensionNotFound:
        names, has_san = [], False
    from ..certs.pem import days_left as _days_left

    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    days_left = _days_left(not_after, now)  # the same figure as cert check's days_left
    return {
        "subject": cert.subject.rfc4514_string() or "(empty)",
        "issuer": cert.issuer.rfc4514_string() or "(empty)",
        "names": names,
        "has_san": has_san,
        "not_before": not_before,
        "not_after": not_after,
        "days_left": days_left,
        "self_signed": cert.issuer == cert.subject,
    }


def _credential_problem(value: str) -> str | None:
    """Why ``value`` cannot go in an ``Authorization: Bearer`` header, or ``None``.

    HTTP sends header values as bytes: a non-ASCII character (a key pasted with a typographic dash or
    a Cyrillic letter) or a control character cannot be sent as typed. Keys and tokens are ASCII. The
    reason never quotes the value.
    """
    if any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in value):
        return "contains a control character, which cannot be sent in an HTTP header"
    if not value.isascii():
        return (
            "contains a non-ASCII character, which cannot be sent in an HTTP header "
            "(keys and tokens are ASCII; was it retyped or pasted with a typographic dash or quote?)"
        )
    return None


def _fmt_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    if isinstance(exc, ssl.SSLError):
        return exc.reason or exc.strerror or str(exc)
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer in time"
    return str(exc) or type(exc).__name__


@dataclass
class _TlsOutcome:
    steps: list[Step]
    http_context: ssl.SSLContext | None  # context for the probes without credential (None: no TLS)
    verified: bool  # chain, hostname and dates verified: the credential may be sent


def _tls_steps(
    target: Target, address: str, ca_bundle: str | None, timeout: float, min_days: int, now: datetime
) -> _TlsOutcome:
    host = target.host
    trust = f"the CA bundle {ca_bundle}" if ca_bundle else "the system's trust store"
    full = _verified_context(ca_bundle)
    cert_der: bytes | None = None
    try:
        with _tls_connect(address, target.port, host, full, timeout) as tls:
            version, cipher = tls.version(), (tls.cipher() or ("?",))[0]
            cert_der = tls.getpeercert(binary_form=True)
        verify_error: ssl.SSLCertVerificationError | None = None
    except ssl.SSLCertVerificationError as exc:
        verify_error = exc
    except (ssl.SSLError, OSError) as exc:
        return _TlsOutcome(
            [_handshake_failure(target, exc), *_skipped_cert_steps("no TLS handshake")], None, False
        )

    if verify_error is None:
        assert cert_der is not None
        info = _describe_cert(cert_der, now)
        steps = [
            Step("tls-handshake", PASS, f"{version}, {cipher}, {target.sni}"),
            Step("certificate-chain", PASS, f"issued by {info['issuer']}, verified with {trust}"),
            Step(
                "certificate-hostname",
                PASS,
                f"{host} is covered by the certificate (subjectAltName: {', '.join(info['names'])})",
            ),
            _expiry_step(info, min_days, None, now),
        ]
        return _TlsOutcome(steps, full, True)

    # The verifying handshake failed: find out which part (trust, hostname, dates) is wrong. A second
    # handshake verifies the chain without the hostname (OpenSSL reports trust problems before
    # dates); a third one without any verification fetches the certificate to explain the rest.
    chain_error: ssl.SSLCertVerificationError | None = None
    try:
        with _tls_connect(address, target.port, host, _chain_only_context(ca_bundle), timeout) as tls:
            version, cipher = tls.version(), (tls.cipher() or ("?",))[0]
            cert_der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        chain_error = exc
    except (ssl.SSLError, OSError) as exc:
        return _TlsOutcome(
            [_handshake_failure(target, exc), *_skipped_cert_steps("no TLS handshake")], None, False
        )
    sent: list[bytes] = []
    if cert_der is None:
        try:
            with _tls_connect(address, target.port, host, _unverified_context(), timeout) as tls:
                version, cipher = tls.version(), (tls.cipher() or ("?",))[0]
                cert_der = tls.getpeercert(binary_form=True)
                sent = _sent_chain(tls)
        except (ssl.SSLError, OSError) as exc:
            return _TlsOutcome(
                [_handshake_failure(target, exc), *_skipped_cert_steps("no TLS handshake")], None, False
            )
    info = _describe_cert(cert_der, now)
    steps = [Step("tls-handshake", PASS, f"{version}, {cipher}, {target.sni}")]

    dates_error = chain_error is not None and chain_error.verify_code in (_X509_EXPIRED, _X509_NOT_YET_VALID)
    if chain_error is None or dates_error:
        steps.append(Step("certificate-chain", PASS, f"issued by {info['issuer']}, trusted by {trust}"))
    else:
        steps.append(_chain_failure(chain_error, info, trust, ca_bundle, sent))

    names = info["names"]
    from ..certs.pem import covers

    if not info["has_san"]:
        steps.append(
            Step(
                "certificate-hostname",
                FAIL,
                f"the certificate ({info['subject']}) has no subjectAltName; clients ignore the CN and "
                f"refuse it for {host}",
                f"issue a certificate with subjectAltName {_san_entry(host)} (check it with secure-scoring cert check)",
            )
        )
    elif not covers(names, host) or (
        chain_error is None and verify_error.verify_code == _X509_HOSTNAME_MISMATCH
    ):
        steps.append(
            Step(
                "certificate-hostname",
                FAIL,
                f"the certificate is for {', '.join(names) or '(no names)'}, not {host}",
                _hostname_fix(host),
            )
        )
    else:
        steps.append(
            Step("certificate-hostname", PASS, f"{host} is covered (subjectAltName: {', '.join(names)})")
        )
    steps.append(_expiry_step(info, min_days, chain_error if dates_error else None, now))
    if all(s.status != FAIL for s in steps):
        # each part passed on its own, yet the verifying handshake did not: report OpenSSL's reason
        steps[1] = Step(
            "certificate-chain",
            FAIL,
            f"the certificate did not verify for {host}: {_ssl_reason(verify_error)}",
            "check the chain and names with 'secure-scoring cert check'",
        )
    return _TlsOutcome(steps, _unverified_context(), False)


def _san_entry(host: str) -> str:
    return f"IP:{host}" if _ip(host) is not None else f"DNS:{host}"


def _hostname_fix(host: str) -> str:
    """How to get a certificate that covers ``host``: an IP entry for an address (a wildcard never
    covers one), a one-label wildcard only where it would be valid (not ``*.com``, not for ``localhost``)."""
    check = f"check it with 'secure-scoring cert check --hostname {host}'"
    if _ip(host) is not None:
        return (
            f"serve a certificate whose subjectAltName holds {_san_entry(host)} (wildcards never cover an "
            f"IP address), or check the name the certificate was issued for, with --connect-to {host}; {check}"
        )
    parent = host.partition(".")[2]
    wildcard = f" (or a *.{parent} wildcard)" if "." in parent else ""
    return (
        f"serve a certificate whose subjectAltName covers {host}{wildcard}, or use the name the "
        f"certificate was issued for; {check}"
    )


def _handshake_failure(target: Target, exc: BaseException) -> Step:
    reason = _ssl_reason(exc)
    lowered = reason.lower().replace("_", " ")
    if "wrong version number" in lowered or "record layer failure" in lowered or "http request" in lowered:
        detail = f"no TLS on {_hostport(target.host, target.port)}: the server answered something else ({reason}), likely plain HTTP"
        fix = "serve HTTPS on this port (the gateway listens with TLS only); never expose the scorer's plain HTTP port"
    elif "unsupported protocol" in lowered or "protocol version" in lowered:
        detail = f"no TLS 1.2 or newer handshake: {reason} (the server offers only older versions)"
        fix = "enable TLS 1.2 and 1.3 (gateway min_tls_version '1.2'); TLS 1.0/1.1 are refused by clients"
    else:
        detail = f"TLS handshake with {_hostport(target.host, target.port)} failed: {reason}"
        fix = "check that the port serves HTTPS with a certificate and key that match (secure-scoring cert check)"
    return Step("tls-handshake", FAIL, detail, fix)


def _skipped_cert_steps(why: str) -> list[Step]:
    return [Step(n, SKIP, why) for n in ("certificate-chain", "certificate-hostname", "certificate-expiry")]


def _sent_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """The certificates the server sent, leaf first, as DER; ``[]`` where Python cannot tell.

    Public as ``SSLSocket.get_unverified_chain()`` from Python 3.13; 3.10-3.12 have it on the
    internal ``_sslobj``. Used only to explain a chain failure, so anything unexpected gives ``[]``.
    """
    getter = getattr(tls, "get_unverified_chain", None) or getattr(
        getattr(tls, "_sslobj", None), "get_unverified_chain", None
    )
    try:
        chain = getter() if getter is not None else None
        return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain or ()]
    except Exception:  # noqa: BLE001 - an explanation aid only
        return []


def _chain_top(sent: list[bytes]) -> tuple[str, str, bool] | None:
    """Follow issuer names from the leaf through the certificates the server sent.

    Returns (subject, issuer, self_signed) of the last certificate reached, or ``None`` when the
    server sent nothing that issued the leaf (or Python could not tell what it sent).
    """
    from cryptography import x509

    try:
        certs = [x509.load_der_x509_certificate(der) for der in sent]
    except ValueError:
        return None
    if len(certs) < 2:
        return None
    current, used = certs[0], {0}
    while current.issuer != current.subject:
        following = next(
            (i for i, c in enumerate(certs) if i not in used and c.subject == current.issuer), None
        )
        if following is None:
            break
        used.add(following)
        current = certs[following]
    if current is certs[0]:
        return None
    return (
        current.subject.rfc4514_string() or "(empty)",
        current.issuer.rfc4514_string() or "(empty)",
        current.issuer == current.subject,
    )


def _chain_failure(
    exc: ssl.SSLCertVerificationError,
    info: dict[str, Any],
    trust: str,
    ca_bundle: str | None,
    sent: list[bytes] | None = None,
) -> Step:
    code = exc.verify_code
    reason = _ssl_reason(exc)
    top = _chain_top(sent or [])
    if code == _X509_SELF_SIGNED_LEAF:
        detail = f"the certificate is self-signed ({info['subject']}) and not trusted by {trust}"
        fix = (
            "serve a certificate from a CA clients trust (self-signed is for development only); to check a "
            "development endpoint pass its certificate with --ca-bundle"
        )
    elif code == _X509_SELF_SIGNED_IN_CHAIN:
        root = f" {top[0]}" if top and top[2] else ""
        detail = f"the chain ends in a root{root} that {trust} does not trust ({reason})"
        if ca_bundle:
            fix = (
                f"--ca-bundle {ca_bundle} does not hold this root: pass the file with the root CA "
                f"certificate{root} (or use a certificate from a CA clients trust)"
            )
        else:
            fix = "use a certificate from a CA clients trust, or pass your private root with --ca-bundle"
    elif code in (_X509_NO_LOCAL_ISSUER, _X509_UNABLE_TO_VERIFY_LEAF) and top is not None:
        # the server sent the leaf's issuer: the chain is there, the CA above its top is not trusted
        subject, issuer, _ = top
        detail = (
            f"the chain the server sent ends at {subject}, whose issuer {issuer} cannot be found in "
            f"{trust} ({reason})"
        )
        if ca_bundle:
            fix = (
                f"--ca-bundle {ca_bundle} does not hold {issuer}: pass the file with that root CA "
                f"certificate (if {issuer} is an intermediate, serve it in the chain after {subject})"
            )
        else:
            fix = (
                f"use a certificate from a CA clients trust, or pass your private root ({issuer}) with "
                f"--ca-bundle (if {issuer} is an intermediate, serve it in the chain after {subject})"
            )
    elif code in (_X509_NO_LOCAL_ISSUER, _X509_UNABLE_TO_VERIFY_LEAF):
        detail = (
            f"the issuer of {info['subject']} ({info['issuer']}) cannot be found in {trust} or in what the "
            f"server sent ({reason})"
        )
        fix = (
            "serve the full chain (leaf first, then every intermediate) in the certificate PEM you deploy"
            + (
                f"; if {info['issuer']} is itself your root CA, --ca-bundle {ca_bundle} does not hold it"
                if ca_bundle
                else ", or pass the private root with --ca-bundle"
            )
            + "; 'secure-scoring cert check' reports chain-incomplete"
        )
    else:
        detail = f"the chain does not verify against {trust}: {reason}"
        fix = "serve a full chain from a trusted CA; check it with 'secure-scoring cert check'"
    return Step("certificate-chain", FAIL, detail, fix)


def _expiry_step(
    info: dict[str, Any],
    min_days: int,
    chain_dates_error: ssl.SSLCertVerificationError | None,
    now: datetime,
) -> Step:
    days_left = info["days_left"]
    after, before = info["not_after"], info["not_before"]
    renew = "renew it and deploy the new certificate: see docs/runbooks/certificate-renewal.md"
    if after <= now:
        return Step(
            "certificate-expiry",
            FAIL,
            f"the certificate expired on {_fmt_date(after)} (days left: {days_left})",
            renew,
        )
    if before > now:
        return Step(
            "certificate-expiry",
            FAIL,
            f"the certificate is not valid before {_fmt_date(before)}",
            "serve a certificate that is valid now (check the issuing CA's clock)",
        )
    if chain_dates_error is not None:
        return Step(
            "certificate-expiry",
            FAIL,
            f"a CA certificate of the chain is outside its validity period ({_ssl_reason(chain_dates_error)}); "
            f"the server's own certificate is valid until {_fmt_date(after)}",
            "serve the CA's current intermediate certificate in the chain",
        )
    if days_left < min_days:
        return Step(
            "certificate-expiry",
            WARN,
            f"valid until {_fmt_date(after)}: {days_left} days left, under the {min_days}-day threshold",
            renew,
        )
    return Step("certificate-expiry", PASS, f"valid until {_fmt_date(after)} ({days_left} days left)")


# ------------------------------------------------------------------------------------------ protocol floor
def _probe_version(
    address: str, port: int, host: str, version: ssl.TLSVersion, timeout: float
) -> tuple[str, str]:
    """→ (outcome, detail): outcome accepted | refused | untestable | unreachable."""
    try:
        ctx = _version_context(version)
    except (ssl.SSLError, ValueError) as exc:
        return "untestable", f"this machine's OpenSSL cannot offer it ({exc})"
    try:
        sock = _connect(address, port, timeout)
    except OSError as exc:
        return "unreachable", f"could not connect ({exc})"
    try:
        with ctx.wrap_socket(sock, server_hostname=host) as tls:
            return "accepted", f"accepted ({tls.version()}, {(tls.cipher() or ('?',))[0]})"
    except ssl.SSLError as exc:
        reason = _ssl_reason(exc)
        if exc.reason in (
            "NO_PROTOCOLS_AVAILABLE",
            "NO_CIPHERS_AVAILABLE",
            "NO_SUITABLE_SIGNATURE_ALGORITHM",
        ):
            return "untestable", f"this machine's OpenSSL cannot offer it ({reason})"
        return "refused", f"refused ({reason})"
    except (ConnectionError, TimeoutError, OSError) as exc:
        return "refused", f"refused ({_ssl_reason(exc)})"
    finally:
        sock.close()


def _versions_step(target: Target, address: str, timeout: float, *, handshake_failed: bool = False) -> Step:
    """TLS 1.0/1.1 refused, TLS 1.2 accepted. After a failed handshake the probes still run (a server
    that speaks only TLS 1.0 is caught here); when no version at all is accepted the step is skipped,
    as ``tls-handshake`` already failed for it."""
    names = {
        ssl.TLSVersion.TLSv1: "TLS 1.0",
        ssl.TLSVersion.TLSv1_1: "TLS 1.1",
        ssl.TLSVersion.TLSv1_2: "TLS 1.2",
        ssl.TLSVersion.TLSv1_3: "TLS 1.3",
    }
    results = {v: _probe_version(address, target.port, target.host, v, timeout) for v in names}
    detail = "; ".join(f"{names[v]} {text}" for v, (_, text) in results.items())
    if handshake_failed and all(outcome != "accepted" for outcome, _ in results.values()):
        return Step("tls-versions", SKIP, f"no TLS version is accepted: {detail}")
    old_accepted = [
        names[v] for v in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1) if results[v][0] == "accepted"
    ]
    if old_accepted:
        return Step(
            "tls-versions",
            FAIL,
            f"the server accepts {' and '.join(old_accepted)}, "
            f"{'which are' if len(old_accepted) > 1 else 'which is'} broken and must be refused: {detail}",
            "allow only TLS 1.2 and 1.3 (gateway min_tls_version '1.2', nginx 'ssl_protocols TLSv1.2 "
            "TLSv1.3'); on AKS the inference router enforces 1.2",
        )
    tls12, tls13 = results[ssl.TLSVersion.TLSv1_2][0], results[ssl.TLSVersion.TLSv1_3][0]
    untested = [
        names[v] for v in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1) if results[v][0] != "refused"
    ]
    if tls12 != "accepted":
        if tls13 == "accepted":
            return Step(
                "tls-versions",
                WARN,
                f"TLS 1.3 only: clients limited to TLS 1.2 cannot connect ({detail})",
                "allow TLS 1.2 too (gateway min_tls_version '1.2') unless every client speaks TLS 1.3",
            )
        return Step(
            "tls-versions",
            FAIL,
            f"TLS 1.2 is not accepted: {detail}",
            "enable TLS 1.2 (gateway min_tls_version '1.2')",
        )
    if untested:
        return Step(
            "tls-versions",
            WARN,
            f"could not test {' and '.join(untested)} from this machine: {detail}",
            "run the check from a machine whose OpenSSL can still offer TLS 1.0/1.1, or use sslyze",
        )
    return Step("tls-versions", PASS, detail)


# ------------------------------------------------------------------------------------------ HTTP
@dataclass
class _Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


def _https_request(
    address: str,
    target: Target,
    ctx: ssl.SSLContext,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    timeout: float,
) -> _Response:
    with _tls_connect(address, target.port, target.host, ctx, timeout) as tls:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        conn.sock = tls  # already connected (to the resolved address, SNI = host)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", target.host_header)
            conn.putheader("User-Agent", "secure-scoring-verify")
            conn.putheader("Connection", "close")
            for name, value in headers.items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read(_READ_LIMIT)
            return _Response(
                response.status,
                response.reason,
                {k.lower(): v for k, v in response.getheaders()},
                data,
            )
        finally:
            conn.sock = None
            conn.close()


def _plain_http_probe(address: str, port: int, host_header: str, timeout: float) -> tuple[str, str]:
    """Send a plain HTTP request. → (verdict, detail): verdict refused | served | unreachable."""
    try:
        sock = _connect(address, port, timeout)
    except OSError as exc:
        return "unreachable", f"port {port} does not accept connections ({_ssl_reason(exc)})"
    data = b""
    try:
        sock.sendall(
            f"GET / HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: secure-scoring-verify\r\n"
            "Connection: close\r\n\r\n".encode("ascii")
        )
        deadline = time.monotonic() + timeout
        while len(data) < _READ_LIMIT and b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        if not data:
            return "refused", "no answer to a plain HTTP request"
    except OSError as exc:
        if not data:
            return "refused", f"connection closed on a plain HTTP request ({_ssl_reason(exc)})"
    finally:
        sock.close()
    if not data:
        return "refused", "connection closed without an answer to a plain HTTP request"
    if data[:1] == b"\x15":
        return "refused", "answered with a TLS alert (TLS only)"
    if not data.startswith(b"HTTP/"):
        return "refused", f"no HTTP answer ({len(data)} bytes that are not HTTP)"
    status_line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = status_line.split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers_text = data.split(b"\r\n\r\n", 1)[0].decode("latin-1", "replace").lower()
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    if status == 400:
        # nginx (and most TLS servers) answer a plain request on a TLS port with 400
        hint = " (plain HTTP request was sent to HTTPS port)" if b"https port" in body.lower() else ""
        return "refused", f"refused with '{status_line}'{hint}"
    if 300 <= status < 400:
        location = next(
            (
                line.split(":", 1)[1].strip()
                for line in headers_text.splitlines()
                if line.startswith("location:")
            ),
            "",
        )
        if location.startswith("https://"):
            return "refused", f"redirects to HTTPS ('{status_line}', Location {location})"
    return "served", f"answered plain HTTP with '{status_line}'"


def _plain_http_step(name: str, target: Target, address: str, port: int, timeout: float) -> Step:
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if port == 80 else f"{host}:{port}"
    verdict, detail = _plain_http_probe(address, port, host_header, timeout)
    where = _hostport(address, port)
    if verdict == "served":
        return Step(
            name,
            FAIL,
            f"{where} serves plain HTTP: {detail}; requests and keys would cross the network unencrypted",
            "serve only HTTPS: remove the plain 'listen' (gateway renders TLS only), expose only 443 "
            "(ACI ports / load balancer rules) and never publish the scorer's own port",
        )
    if verdict == "unreachable":
        if name == "http-port":
            return Step(name, PASS, f"{where}: {detail}")
        return Step(name, WARN, f"{where}: {detail}", "run verify again; the TCP step connected a moment ago")
    return Step(name, PASS, f"{where}: {detail}")


def _parse_hsts(value: str) -> int | None:
    for part in value.split(";"):
        key, _, raw = part.strip().partition("=")
        if key.strip().lower() == "max-age":
            with contextlib.suppress(ValueError):
                return int(raw.strip().strip('"'))
    return None


def _hsts_step(response: _Response | None) -> Step:
    if response is None:
        return Step("hsts", SKIP, "no HTTPS response to inspect")
    value = response.headers.get("strict-transport-security")
    fix = "add 'Strict-Transport-Security: max-age=63072000' to every HTTPS response (the gateway does)"
    if not value:
        return Step(
            "hsts",
            FAIL,
            f"the HTTPS response ({response.status}) has no Strict-Transport-Security header",
            fix,
        )
    max_age = _parse_hsts(value)
    if max_age is None or max_age <= 0:
        return Step("hsts", FAIL, f"Strict-Transport-Security '{value}' has no positive max-age", fix)
    if max_age < HSTS_MIN_RECOMMENDED:
        return Step(
            "hsts",
            WARN,
            f"Strict-Transport-Security '{value}': max-age {max_age} s is under 180 days",
            "use max-age=63072000 (two years)",
        )
    return Step("hsts", PASS, f"Strict-Transport-Security: {value}")


def _no_answer_fix(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        # the gateway held the connection open: most often a scorer slower than --timeout
        return (
            f"nothing came back within {timeout:g} s: if the scorer's run() is that slow, raise --timeout; "
            "otherwise check the gateway's and the scorer's logs (a hung or overloaded scorer)"
        )
    return "check the gateway and the scorer behind it are running"


def _auth_steps(
    target: Target,
    address: str,
    tls: _TlsOutcome,
    credential: str | None,
    credential_kind: str,
    timeout: float,
) -> tuple[list[Step], _Response | None]:
    body = b"{}"
    headers = {"Content-Type": "application/json"}
    steps: list[Step] = []
    response: _Response | None = None
    auth_off = False  # the request without a credential was served
    assert tls.http_context is not None
    over = "" if tls.verified else " (sent over a connection whose certificate did not verify)"
    try:
        response = _https_request(
            address, target, tls.http_context, "POST", target.path, headers, body, timeout
        )
    except (ssl.SSLError, OSError, http.client.HTTPException) as exc:
        steps.append(
            Step(
                "auth-no-credential",
                FAIL,
                f"POST {target.path} without a credential got no HTTP answer: {_ssl_reason(exc)}",
                _no_answer_fix(exc, timeout),
            )
        )
    else:
        status = response.status
        if status == 401:
            steps.append(
                Step("auth-no-credential", PASS, f"POST {target.path} without a credential → 401{over}")
            )
        elif status == 403:
            steps.append(
                Step(
                    "auth-no-credential",
                    WARN,
                    f"POST {target.path} without a credential → 403 (refused, but Azure ML answers 401){over}",
                    "answer 401 with WWW-Authenticate so clients know to send a key",
                )
            )
        elif 200 <= status < 300:
            auth_off = True
            steps.append(
                Step(
                    "auth-no-credential",
                    FAIL,
                    f"auth turned off: POST {target.path} without a credential → {status} {response.reason}; "
                    f"anyone who finds the URL can use the model{over}",
                    "turn authentication on (component auth='key'; AKS endpoint auth_mode Key or AMLToken), "
                    "then 'pulumi up'",
                )
            )
        else:
            steps.append(
                Step(
                    "auth-no-credential",
                    FAIL,
                    f"POST {target.path} without a credential → {status} {response.reason}, expected 401{over}",
                    "check the scoring path (the URL's path, default /score) and that the endpoint requires a key "
                    "or token",
                )
            )

    if credential is None:
        steps.append(
            Step(
                "auth-credential",
                SKIP,
                "no key or token given (--key / SECURE_SCORING_KEY, --token / SECURE_SCORING_TOKEN)",
            )
        )
    elif auth_off:
        steps.append(
            Step(
                "auth-credential",
                SKIP,
                f"the endpoint accepts requests without a credential, so the {credential_kind} proves "
                f"nothing (the {credential_kind} was not sent)",
                "turn authentication on first (see auth-no-credential), then verify again with the "
                f"{credential_kind}",
            )
        )
    elif not tls.verified:
        steps.append(
            Step(
                "auth-credential",
                SKIP,
                f"the {credential_kind} was not sent: the certificate did not verify, so the server may not be "
                "the endpoint",
                "fix the certificate steps first",
            )
        )
    else:
        try:
            with_key = _https_request(
                address,
                target,
                tls.http_context,
                "POST",
                target.path,
                {**headers, "Authorization": f"Bearer {credential}"},
                body,
                timeout,
            )
        except (ssl.SSLError, OSError, http.client.HTTPException) as exc:
            steps.append(
                Step(
                    "auth-credential",
                    FAIL,
                    f"POST {target.path} with the {credential_kind} got no HTTP answer: {_ssl_reason(exc)}",
                    _no_answer_fix(exc, timeout),
                )
            )
        else:
            status = with_key.status
            if status in (401, 403):
                steps.append(
                    Step(
                        "auth-credential",
                        FAIL,
                        f"the {credential_kind} was refused: POST {target.path} → {status} {with_key.reason}",
                        "use the endpoint's current primary or secondary key (after a rotation the old one "
                        "stops working; see docs/runbooks/key-rotation.md), or a fresh token",
                    )
                )
            elif 200 <= status < 300:
                steps.append(
                    Step("auth-credential", PASS, f"POST {target.path} with the {credential_kind} → {status}")
                )
            else:
                steps.append(
                    Step(
                        "auth-credential",
                        WARN,
                        f"the {credential_kind} was accepted (not 401) but POST {target.path} → {status} "
                        f"{with_key.reason}: the scorer did not like the probe body '{{}}' or the path",
                        "check the scoring path and that the scorer is healthy",
                    )
                )
    if response is None:
        with contextlib.suppress(ssl.SSLError, OSError, http.client.HTTPException):
            response = _https_request(address, target, tls.http_context, "GET", "/", {}, None, timeout)
    return steps, response


# ------------------------------------------------------------------------------------------ driver
def verify(
    url: str,
    *,
    expect_ip: str | None = None,
    expect_target: str | None = None,
    ca_bundle: str | Path | None = None,
    key: str | None = None,
    token: str | None = None,
    dns_server: str | DnsServer | None = None,
    timeout: float = 5.0,
    min_days: int = 30,
    http_port: int | None = None,
    connect_to: str | None = None,
    now: datetime | None = None,
) -> VerifyReport:
    """Check the endpoint at ``url`` and return the report (never raises for a network problem).

    ``connect_to``: an IP address to check instead of resolving the URL's host (like curl's
    ``--resolve``), e.g. a new endpoint before DNS points at it; the ``dns`` step is skipped and the
    URL's host is still used for SNI, the certificate check and ``Host``.

    Raises :class:`~secure_scoring.errors.UsageError` for bad input: an invalid URL, IP, DNS server,
    an unreadable or empty CA bundle, both a key and a token.
    """
    target = parse_url(url)
    if connect_to is not None:
        if _ip(connect_to) is None:
            raise UsageError("--connect-to", f"{connect_to!r} is not an IP address", "pass e.g. 20.50.1.2")
        if expect_ip is not None or expect_target is not None or dns_server is not None:
            raise UsageError(
                "--connect-to",
                "cannot be combined with --expect-ip, --expect-target or --dns-server (no DNS lookup is made)",
                "drop --connect-to to check DNS, or drop the DNS options",
            )
    if expect_ip is not None and expect_target is not None:
        raise UsageError("--expect-ip/--expect-target", "give one of them, not both", "keep the one you know")
    if expect_ip is not None and _ip(expect_ip) is None:
        raise UsageError("--expect-ip", f"{expect_ip!r} is not an IP address", "pass e.g. 20.50.1.2")
    if expect_target is not None and (not _fqdn(expect_target) or " " in expect_target.strip()):
        raise UsageError(
            "--expect-target",
            f"{expect_target!r} is not a DNS name",
            "pass e.g. svc.eastus.azurecontainer.io",
        )
    if key is not None and token is not None:
        raise UsageError(
            "--key/--token", "give a key or a token, not both", "an endpoint has exactly one auth mode"
        )
    credential, kind = (key, "key") if key is not None else (token, "token")
    if credential is not None:
        if not credential or any(c in credential for c in "\r\n\0"):
            raise UsageError(
                f"--{kind}", "is empty or contains a line break", f"pass the {kind} exactly as issued"
            )
        problem = _credential_problem(credential)
        if problem:
            raise UsageError(f"--{kind}", problem, f"pass the {kind} exactly as issued")
    if not isinstance(timeout, int | float) or timeout <= 0 or timeout > 300:
        raise UsageError(
            "--timeout", f"must be a number of seconds from 0 to 300, got {timeout!r}", "use e.g. 5"
        )
    if not isinstance(min_days, int) or min_days < 0:
        raise UsageError("--min-days", f"must be a whole number of days ≥ 0, got {min_days!r}", "use e.g. 30")
    if http_port is not None and not 1 <= int(http_port) <= 65535:
        raise UsageError("--http-port", f"{http_port} is not a port", "use e.g. 80")
    bundle = _check_ca_bundle(ca_bundle)
    server = parse_dns_server(dns_server) if isinstance(dns_server, str) else dns_server
    now = now or datetime.now(UTC)

    report = VerifyReport(url=target.url)
    if connect_to is not None:
        address = str(_ip(connect_to))
        dns_step = Step(
            "dns",
            SKIP,
            f"not looked up: checking {address} as given (--connect-to); {target.host} is used for "
            + ("the certificate and Host" if target.host_is_ip else "SNI, the certificate and Host"),
        )
    else:
        dns_step, address = _dns_step(target, server, expect_ip, expect_target, timeout)
    report.steps.append(dns_step)
    if address is None:
        _skip_rest(report, "nothing was contacted: the DNS step failed", http_port)
        return report

    started = time.monotonic()
    try:
        _connect(address, target.port, timeout).close()
    except OSError as exc:
        report.steps.append(
            Step(
                "tcp",
                FAIL,
                f"cannot connect to {_hostport(address, target.port)}: {_ssl_reason(exc)}",
                f"check that the endpoint is running and that port {target.port} is open to you (ACI exposes "
                "443; on AKS the load balancer and network security group must allow it)",
            )
        )
        _skip_rest(report, "no TCP connection", http_port)
        return report
    report.steps.append(
        Step(
            "tcp",
            PASS,
            f"connected to {_hostport(address, target.port)} in {(time.monotonic() - started) * 1000:.0f} ms",
        )
    )

    tls = _tls_steps(target, address, bundle, timeout, min_days, now)
    report.steps.extend(tls.steps)
    report.steps.append(_versions_step(target, address, timeout, handshake_failed=tls.http_context is None))
    report.steps.append(_plain_http_step("plain-http", target, address, target.port, timeout))
    if http_port is not None:
        report.steps.append(_plain_http_step("http-port", target, address, int(http_port), timeout))
    if tls.http_context is None:
        for name in ("auth-no-credential", "auth-credential", "hsts"):
            report.steps.append(Step(name, SKIP, "no TLS handshake"))
        return report
    auth, response = _auth_steps(target, address, tls, credential, kind, timeout)
    report.steps.extend(auth)
    report.steps.append(_hsts_step(response))
    return report


def _skip_rest(report: VerifyReport, why: str, http_port: int | None) -> None:
    done = {s.name for s in report.steps}
    for name in STEP_NAMES:
        if name in done or (name == "http-port" and http_port is None):
            continue
        report.steps.append(Step(name, SKIP, why))


def _check_ca_bundle(ca_bundle: str | Path | None) -> str | None:
    if ca_bundle is None:
        return None
    path = Path(ca_bundle)
    fix = "pass a readable PEM file with the CA certificate(s) to trust (the root of your private CA)"
    if not path.is_file():
        raise UsageError("--ca-bundle", f"{path} does not exist or is not a file", fix)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError("--ca-bundle", f"cannot read {path}: {exc.strerror or exc}", fix) from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise UsageError("--ca-bundle", f"{path} holds no PEM certificate", fix)
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError) as exc:
        raise UsageError(
            "--ca-bundle", f"{path} is not a usable PEM bundle ({_ssl_reason(exc)})", fix
        ) from None
    return str(path)


def format_text(report: VerifyReport) -> str:
    """Human-readable report: one line per step, the fix under every failure or warning."""
    width = max(len(n) for n in STEP_NAMES)
    lines = [f"secure-scoring verify {report.url}"]
    for step in report.steps:
        lines.append(f"  {step.status.upper():<4}  {step.name:<{width}}  {step.detail}")
        if step.fix and step.status in (FAIL, WARN):
            lines.append(f"  {'':<4}  {'':<{width}}  fix: {step.fix}")
    counts = {s: sum(1 for st in report.steps if st.status == s) for s in (PASS, FAIL, WARN, SKIP)}
    summary = ", ".join(
        f"{counts[s]} {label}"
        for s, label in (
            (FAIL, "failed"),
            (WARN, "warning" if counts[WARN] == 1 else "warnings"),
            (PASS, "passed"),
            (SKIP, "skipped"),
        )
        if counts[s]
    )
    lines.append(("OK: " if report.ok else "FAILED: ") + summary)
    return "\n".join(lines)
