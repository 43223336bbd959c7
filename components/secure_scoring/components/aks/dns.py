"""The ``dns`` step of the AKS plan: the record that makes the TLS hostname resolve to the router.

Only for a custom certificate with TLS on. Everything the ``DnsRecordBinding`` child will check is
checked here, under this component's input names: a refusal from the child would come after the
extension and the compute were registered. Host names are decided by :mod:`secure_scoring.names`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from ...errors import ConfigurationError
from ..dns_binding import record_address
from ..inputs import host_input
from .args import STATIC_IP_REASON, AksDnsArgs
from .endpoints import whole

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .plan import Tls

_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")

# DnsRecordBindingArgs field -> the AksDnsArgs field it comes from
_DNS_INPUTS = {
    "zone_name": "dns.zone_name",
    "resource_group_name": "dns.resource_group_name",
    "relative_name": "dns.relative_name",
    "target": "dns",
    "target_ip": "dns.router_ip",
    "target_resource_id": "dns.static_ip_resource_id",
    "ttl": "dns.ttl",
    "private": "dns.private",
    "certificate": "certificate",
    "metadata": "dns",
}


@dataclass(frozen=True)
class AksDnsPlan:
    """The record the component creates: ``relative_name`` in ``zone`` (public or private)."""

    zone: str
    relative_name: str
    private: bool


def fully_qualified_name(value: object, input_name: str) -> str:
    """A DNS name (``names.parse_host``: no IP, no wildcard; IDNA, one trailing dot dropped) with
    AKS's extra rules on top: at least two labels and a top-level label of letters or an ``xn--``
    A-label, as the router's sslCname and a DNS zone need."""
    host = host_input(value, input_name, what="DNS name")
    labels = host.split(".")
    if len(labels) < 2 or not _TLD.match(labels[-1]):
        raise ConfigurationError(
            input_name,
            f"{host!r} is not a valid DNS name: a fully qualified name has at least two labels and a "
            "top-level label of letters",
            "pass a fully qualified name such as 'scoring.example.com'",
        )
    return host


def resolve_dns(
    name: str, dns: Any, tls: Tls, load_balancer: str, cert: Any, service_type: str = "LoadBalancer"
) -> AksDnsPlan | None:
    """The record for ``tls.hostname`` (None without ``dns``); refused for TLS off or a Microsoft
    certificate, and an alias to a static IP unless your own ingress holds it (``service_type``
    ClusterIP): nothing pins azureml-fe's load balancer to that IP."""
    if dns is None:
        return None
    if not isinstance(dns, AksDnsArgs):
        raise ConfigurationError(
            "dns", f"expected AksDnsArgs, got {type(dns).__name__}", "pass AksDnsArgs(zone_name=..., ...)"
        )
    if not tls.enabled:
        raise ConfigurationError(
            "dns",
            "a DNS record for the TLS hostname was asked for with TLS turned off",
            "turn TLS on or drop dns",
        )
    if tls.microsoft_cert:
        raise ConfigurationError(
            "dns",
            "Azure creates and maintains the DNS record of a Microsoft-managed certificate; a record of your own would not match the certificate",
            "drop dns, or use your own certificate (source 'pem') with the DNS name it covers",
        )
    if (dns.router_ip is None) == (dns.static_ip_resource_id is None):
        raise ConfigurationError(
            "dns",
            "give exactly one target: router_ip (A record) or static_ip_resource_id (alias A record)"
            + ("" if dns.router_ip is None else ", not both"),
            "the azureml-fe IP is assigned by Kubernetes: read it with `kubectl get svc azureml-fe -n azureml` and pass router_ip, "
            "or pass the ARM id of a static public IP as static_ip_resource_id",
        )
    whole(dns.ttl, "dns.ttl", 1, 86400)
    zone = fully_qualified_name(dns.zone_name, "dns.zone_name")
    if dns.private is not None and not isinstance(dns.private, bool):
        raise ConfigurationError(
            "dns.private",
            f"expected True or False, got {dns.private!r}",
            "pass private=True for a private DNS zone, or leave it out (private for an internal load balancer)",
        )
    private = dns.private if dns.private is not None else load_balancer == "internal"
    check_router_ip(dns.router_ip, private, dns.zone_name, load_balancer)
    if private and dns.static_ip_resource_id is not None:
        raise ConfigurationError(
            "dns.static_ip_resource_id",
            "private DNS zones have no alias records",
            "pass the router's private IP as router_ip for a private zone",
        )
    if dns.static_ip_resource_id is not None and service_type != "ClusterIP":
        raise ConfigurationError(
            "dns.static_ip_resource_id",
            f"an alias record to a static IP with router_service_type={service_type!r}: {STATIC_IP_REASON}",
            "pass the IP azureml-fe got as router_ip (`kubectl get svc azureml-fe -n azureml`), or put "
            "your own ingress pinned to the static IP in front of it with router_service_type='ClusterIP'",
        )
    assert tls.hostname is not None  # custom certificate with TLS on
    relative = record_name(dns.relative_name, zone, tls.hostname)
    check_dns_binding(name, dns, zone, relative, private, cert)
    return AksDnsPlan(zone=zone, relative_name=relative, private=private)


def check_router_ip(router_ip: Any, private: bool, zone_name: str, load_balancer: str) -> None:
    """One IP address; in a public zone, a public one (the same rule as DnsRecordBinding's target_ip)."""
    if isinstance(router_ip, str):
        record_address(
            router_ip,
            "dns.router_ip",
            zone_name,
            private,
            not_ip_fix="pass the azureml-fe service's IP (`kubectl get svc azureml-fe -n azureml`)",
            not_public_fix="use a private DNS zone (private=True, the default for an internal load balancer), "
            "or the router's public IP",
            why_not_public=" (the load balancer is internal)" if load_balancer == "internal" else "",
        )
    elif router_ip is not None and not isinstance(router_ip, pulumi.Output):
        raise ConfigurationError(
            "dns.router_ip",
            f"must be one IP address (a string or a pulumi Output of one), got {type(router_ip).__name__}",
            "pass a single address such as '20.50.1.2'",
        )


def record_name(relative_name: Any, zone: str, hostname: str) -> str:
    """The record's name in ``zone``: ``hostname`` minus the zone by default; a given one must be it."""
    if relative_name is None:
        if hostname == zone:
            return "@"
        if hostname.endswith("." + zone):
            return hostname[: -len(zone) - 1]
        raise ConfigurationError(
            "dns.zone_name",
            f"the hostname {hostname!r} is not inside the zone {zone!r}",
            "use the zone that contains the hostname, or change hostname",
        )
    from ..dns_binding import relative_name as binding_relative_name

    # the same checks (and lower-casing) DnsRecordBinding makes, named as this argument
    relative = binding_relative_name(relative_name, zone, "dns.relative_name")
    fqdn = zone if relative == "@" else f"{relative}.{zone}"
    if fqdn != hostname:
        raise ConfigurationError(
            "dns.relative_name",
            f"the record {fqdn!r} is not the TLS hostname {hostname!r}; clients of that name would get a certificate mismatch",
            f"use relative_name={hostname[: -len(zone) - 1] if hostname.endswith('.' + zone) else '<name>'!r} or drop it",
        )
    return relative


def check_dns_binding(name: str, dns: AksDnsArgs, zone: str, relative: str, private: bool, cert: Any) -> None:
    """Run the DnsRecordBinding child's own plan now; its refusals renamed to this component's inputs."""
    from ..dns_binding import DnsRecordBindingArgs, plan_dns_record

    try:
        plan_dns_record(
            f"{name}-dns",
            DnsRecordBindingArgs(
                zone_name=zone,
                resource_group_name=dns.resource_group_name,
                relative_name=relative,
                target_ip=dns.router_ip,
                target_resource_id=dns.static_ip_resource_id,
                ttl=dns.ttl,
                private=private,
                certificate=cert,
            ),
        )
    except ConfigurationError as exc:
        head, _, rest = exc.input_name.partition("[")
        renamed = _DNS_INPUTS.get(head, f"dns.{head}") + (f"[{rest}" if rest else "")
        raise ConfigurationError(renamed, exc.problem, exc.fix) from None
