"""The ``dns`` step: the URL's host -> CNAME chain (TTLs) -> addresses, compared with what is expected.

With ``dns_server`` the server is asked directly (dnspython; the CNAME chain inside one answer is
followed by dnspython's ``resolve_chaining``); otherwise the system resolver.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from . import net
from .report import FAIL, PASS, SKIP, Step
from .target import DnsServer, Target, as_ip

__all__ = ["MAX_CNAME_HOPS", "dns_step"]

MAX_CNAME_HOPS = 10


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
                request, server.address, timeout=net.request_timeout(timeout) / 2, port=server.port
            )
            return response
        except dns.exception.Timeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _resolve_with_server(host: str, server: DnsServer, timeout: float) -> _Resolution:
    """Follow ``host``'s CNAME chain to its addresses, asking ``server`` only.

    The chain inside each answer (an authoritative server includes the chain through the zones it
    serves) is followed by dnspython's ``resolve_chaining``; where the chain leaves the answer, its end
    is asked for again.
    """
    import dns.message
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
            try:
                chain = response.resolve_chaining()
            except dns.message.ChainTooLong:
                raise _chain_too_long(response, names) from None
            except dns.message.AnswerForNXDOMAIN:
                raise _DnsProblem(
                    f"the DNS server answered NXDOMAIN for {name} and records for it at once",
                    "check the server's zone data (or ask another server with --dns-server)",
                ) from None
            for cname in chain.cnames:
                current, target = _dns_name(cname.name), _dns_name(cname[0].target)
                hops.append(f"{current} CNAME {target} (TTL {cname.ttl} s)")
                if target in names:
                    raise _DnsProblem(
                        f"CNAME loop: {' → '.join([*names, target])}",
                        "point the record at the service's FQDN, not at a name that points back",
                    )
                names.append(target)
                if len(names) > MAX_CNAME_HOPS:
                    raise _too_many_hops(names)
            current = _dns_name(chain.canonical_name)
            if chain.answer is not None:
                addresses = [r.address for r in chain.answer]
                hops.append(f"{current} {rdtype} {', '.join(addresses)} (TTL {chain.answer.ttl} s)")
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


def _chain_too_long(response: Any, names: list[str]) -> _DnsProblem:
    """``resolve_chaining`` gave up inside one answer: a loop of CNAMEs, or a chain too long to follow."""
    import dns.rdatatype

    hops = [
        (_dns_name(r.name), _dns_name(r[0].target))
        for r in response.answer
        if r.rdtype == dns.rdatatype.CNAME
    ]
    chain = [*names, *(owner for owner, _ in hops if owner not in names)]
    owners = {owner for owner, _ in hops}
    if hops and all(target in owners for _, target in hops):
        return _DnsProblem(
            f"CNAME loop: {' → '.join([*chain, hops[-1][1]])}",
            "point the record at the service's FQDN, not at a name that points back",
        )
    return _too_many_hops(chain)


def _too_many_hops(names: list[str]) -> _DnsProblem:
    return _DnsProblem(
        f"CNAME chain longer than {MAX_CNAME_HOPS}: {' → '.join(names)}",
        "point the record directly at the service's FQDN",
    )


def _resolve_with_system(host: str) -> _Resolution:
    infos = socket.getaddrinfo(host, None, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    canonical = next((info[3] for info in infos if info[3]), host).rstrip(".").lower()
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


def dns_step(
    target: Target,
    server: DnsServer | None,
    expect_ip: str | None,
    expect_target: str | None,
    timeout: float,
) -> tuple[Step, str | None]:
    """The DNS step and the address to connect to (None: do not connect anywhere)."""
    if target.host_is_ip:
        address = target.host
        if expect_ip is not None and as_ip(expect_ip) != address:
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
        wanted = as_ip(expect_ip)
        got = [as_ip(a) for a in resolution.addresses]
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
        wanted_name = expect_target  # canonical: verify() read it with secure_scoring.names
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


def _dns_name(name: Any) -> str:
    """A dnspython name as the chain shows it: lower case, no final dot."""
    return name.to_text(omit_final_dot=True).lower()
