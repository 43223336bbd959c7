"""Hostnames: does the leaf's subjectAltName cover the names the endpoint is reached by?

The ``no-san`` and ``hostname-mismatch`` findings. Every rule about a name (what it is, what a SAN entry
covers) is :mod:`secure_scoring.names`'s; this module only words the findings.
"""

from __future__ import annotations

from .. import names
from .cert_input import CertRecord
from .findings import Findings

__all__ = ["check_hostnames"]


def check_hostnames(findings: Findings, hostnames: list[str], leaf: CertRecord, leaf_index: int) -> None:
    label = leaf.label(leaf_index)
    if leaf.san_error:
        findings.add(
            "no-san",
            f"{label}: the subjectAltName extension cannot be read ({leaf.san_error})",
            "Have the certificate re-issued with a well-formed subjectAltName listing every hostname",
        )
        return
    if not leaf.has_san or not leaf.hostnames:
        cn = leaf.facts.common_name
        asked = f"; hostname(s) asked: {', '.join(hostnames)}" if hostnames else ""
        findings.add(
            "no-san",
            f"{label} has no subjectAltName DNS/IP names (CN={cn or 'none'}); clients ignore the CN "
            f"(Go, Chrome, Python reject the certificate){asked}",
            _no_san_fix(leaf, hostnames),
        )
        for host in hostnames:
            if not (cn and names.matches(cn, host)) and not _invalid_host(findings, host, label):
                findings.add(
                    "hostname-mismatch",
                    f"hostname '{host}' is not in {label}: no subjectAltName, CN={cn or 'none'}",
                    f"Have the certificate re-issued with {names.san_entry(_host(host))} in subjectAltName",
                )
        return
    for host in hostnames:
        if names.covers(leaf.hostnames, host) or _invalid_host(findings, host, label):
            continue
        asked = _host(host)
        sans = ", ".join(leaf.hostnames)
        hint = ""
        is_ip = isinstance(asked, names.IpAddress)
        if is_ip:
            hint = " (an IP address is covered only by the same IP address SAN entry)"
        elif any(p.startswith("*.") for p in leaf.hostnames):
            hint = " (a wildcard covers exactly one left-most label, not the bare domain or deeper names)"
        wanted = names.san_entry(asked)
        labels = asked.labels if isinstance(asked, names.DnsName) else ()
        if len(labels) >= 3:  # *.com would cover nothing
            wanted += f" (or the wildcard DNS:*.{'.'.join(labels[1:])})"
        findings.add(
            "hostname-mismatch",
            f"hostname '{host}' is not covered by {label}; its subjectAltName has: {sans}{hint}",
            f"Have the certificate re-issued with {wanted} in subjectAltName, or use a hostname it "
            f"covers ({sans})",
        )


def _no_san_fix(leaf: CertRecord, hostnames: list[str]) -> str:
    """A self-signed leaf is made again with ``openssl req -x509 -addext``; a CA-issued one is signed again
    with the names: ``openssl x509 -req`` drops the CSR's extensions unless told to copy them."""
    entries = []
    for host in hostnames:
        try:
            entries.append(names.san_entry(_host(host)))
        except names.InvalidHostname:
            continue
    san = "subjectAltName=" + (",".join(entries) or "DNS:scoring.example.com")
    if leaf.self_signed:
        return f"Have the certificate re-issued with the hostnames in subjectAltName, e.g. openssl req ... -addext '{san}'"
    return (
        "Have the CA sign it again with the hostnames in subjectAltName, e.g. openssl x509 -req -in CSR -CA ca.pem "
        f"-CAkey ca.key ... -extfile FILE, FILE holding the line '{san}' ('openssl x509 -req' drops the CSR's "
        "-addext extensions unless you also pass -copy_extensions copy)"
    )


def _invalid_host(findings: Findings, host: str, label: str) -> bool:
    """A requested name no certificate can cover (names.parse_host refuses it): a finding that says
    why, instead of advice to put it in a subjectAltName."""
    try:
        _host(host)
        return False
    except names.InvalidHostname as e:
        findings.add(
            "hostname-mismatch",
            f"hostname '{host}' is not covered by {label}: {e.problem}",
            e.fix[:1].upper() + e.fix[1:],
        )
        return True


def _host(text: str) -> names.Host:
    """A requested hostname as the matcher reads it (a wildcard or an underscore is compared as is)."""
    return names.parse_host(text, allow_wildcard=True, allow_underscore=True)
