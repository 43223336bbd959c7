"""``DnsRecordBinding``: the DNS record that points the certificate's hostname at a scoring endpoint.

One record set in an Azure DNS zone (``dns.RecordSet``, public) or a private DNS zone
(``privatedns.PrivateRecordSet``, for an internal load balancer):

- ``CNAME`` to an FQDN: the default for ACI (``target=service`` or ``target_fqdn=service.fqdn``),
  because a container group's IP can change when Azure restarts it; the FQDN follows the IP.
- ``A`` (or ``AAAA``) to an IP address: for a static IP such as an AKS inference router.
- alias ``A`` to a public IP resource (``target_resource_id``, public zones only): Azure keeps the
  record in step with the IP resource.

Before anything is registered the component refuses a record name that the bound certificate does
not cover (clients would get a hostname mismatch), a name the zone cannot contain, a CNAME at the
zone apex, invalid labels and unusable TTLs. :func:`plan_dns_record` decides, reading top to bottom
as a guard clause, then named steps, each tested alone (``tests/components/test_dns_plan.py``):

``resolve_zone`` → ``check_args`` → ``resolve_record_name`` → ``resolve_target`` →
``check_certificate_coverage`` → ``check_service_hostname`` → ``resolve_ttl``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pulumi

from ..errors import ConfigurationError, PolicyRefusal
from ..facts import type_token
from ..names import covers, is_ip, normalize
from .inputs import (
    check_string_map,
    config_number_fix,
    config_string_hint,
    host_input,
    label_input,
    require_str_input,
)

if TYPE_CHECKING:
    from .certificate_bundle import CertificateBundle

__all__ = [
    "DEFAULT_TTL",
    "DnsPlan",
    "DnsRecordBinding",
    "DnsRecordBindingArgs",
    "DnsTarget",
    "check_args",
    "check_certificate_coverage",
    "check_service_hostname",
    "is_public_address",
    "name_in_zone",
    "plan_dns_record",
    "record_address",
    "relative_name",
    "resolve_record_name",
    "resolve_target",
    "resolve_ttl",
    "resolve_zone",
]

DEFAULT_TTL = 300
MIN_TTL = 1
MAX_TTL = 86400


# -- the component -----------------------------------------------------------------------------------


@dataclass
class DnsRecordBindingArgs:
    """Arguments of :class:`DnsRecordBinding`.

    Exactly one target: ``target`` (a service object such as ``SecureAciService``), ``target_fqdn``,
    ``target_ip`` or ``target_resource_id``. Exactly one name: ``relative_name`` or ``fqdn``.
    """

    zone_name: str
    """The DNS zone, e.g. ``example.com`` (a trailing dot is accepted and dropped). Required."""
    resource_group_name: pulumi.Input[str]
    """The resource group that holds the zone. Required."""
    relative_name: str | None = None
    """The record name relative to the zone (``scoring``, ``scoring.dev``; ``@`` for the apex)."""
    fqdn: str | None = None
    """Alternative to ``relative_name``: the full name; it must lie inside ``zone_name``."""
    target: Any = None
    """A service component: ``SecureAciService`` → CNAME to its Azure FQDN, and its certificate is
    used for the coverage check when ``certificate`` is not given."""
    target_fqdn: pulumi.Input[str] | None = None
    """CNAME target (e.g. ``service.fqdn``). Not allowed at the zone apex."""
    target_ip: pulumi.Input[str] | None = None
    """A record (AAAA for an IPv6 address) to this address."""
    target_resource_id: pulumi.Input[str] | None = None
    """Alias A record to this public IP resource id (public zones only)."""
    ttl: int = DEFAULT_TTL
    """Seconds resolvers may cache the record; default 300, allowed 1..86400 (floats like 300.0 accepted)."""
    private: bool = False
    """False: public zone, ``dns.RecordSet``. True: private zone, ``privatedns.PrivateRecordSet``."""
    certificate: CertificateBundle | None = None
    """The certificate clients will see on this name; the record name must be covered by it."""
    certificate_hostnames: Sequence[str] | None = None
    """Instead of ``certificate``: the hostnames (SANs) of the certificate, for the same check."""
    metadata: Mapping[str, pulumi.Input[str]] | None = None
    """Metadata (Azure DNS's tags) on the record set. Default none."""


class DnsRecordBinding(pulumi.ComponentResource):
    """A DNS record for a scoring endpoint's hostname, checked against its certificate.

    Children: one ``azure-native:dns:RecordSet`` (public) or ``azure-native:privatedns:PrivateRecordSet``
    (private) named ``f"{name}-record"``. Outputs: ``fqdn`` (no trailing dot), ``record_type``,
    ``target``. Props for the policy pack: ``fqdn``, ``recordType``, ``certificateHostnames``,
    ``ttl``, ``private``, ``zoneName``, ``relativeName``.
    """

    # No class-level annotations for these attributes: the Pulumi SDK evaluates a resource class's
    # annotations (typing.get_type_hints) at every registration, ~0.1 ms per component.

    def __init__(
        self, name: str, args: DnsRecordBindingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        plan = plan_dns_record(name, args)
        props = {
            "fqdn": plan.fqdn,
            "zoneName": plan.zone,
            "relativeName": plan.relative,
            "recordType": plan.record_type,
            "targetKind": plan.target_kind,
            "certificateHostnames": list(plan.cert_hostnames) if plan.cert_hostnames is not None else None,
            "ttl": plan.ttl,
            "private": plan.private,
        }
        super().__init__(type_token("DnsRecordBinding"), name, props, opts)

        self.record_type = plan.record_type
        self.zone_name = plan.zone
        self.relative_name = plan.relative
        self.hostname = plan.fqdn
        self.ttl = plan.ttl
        self.private = plan.private
        record = self._declare(name, args, plan)
        self.record = record
        computed = plan.fqdn
        self.fqdn = record.fqdn.apply(lambda f: (f or computed).rstrip("."))
        self.target = pulumi.Output.from_input(plan.target).apply(
            lambda t: t.rstrip(".") if isinstance(t, str) else t
        )
        self.register_outputs(
            {
                "fqdn": self.fqdn,
                "record_type": self.record_type,
                "target": self.target,
                "ttl": plan.ttl,
                "private": plan.private,
                "certificate_hostnames": props["certificateHostnames"],
                "record_id": record.id,
            }
        )

    def _declare(self, name: str, args: DnsRecordBindingArgs, plan: DnsPlan):
        kind = plan.target_kind
        rtype = plan.record_type
        target = plan.target
        opts = pulumi.ResourceOptions(parent=self)
        common: dict[str, Any] = {
            "resource_group_name": args.resource_group_name,
            "relative_record_set_name": plan.relative,
            "record_type": rtype,
            "ttl": float(plan.ttl),
        }
        if args.metadata:
            common["metadata"] = dict(args.metadata)
        if plan.private:
            from pulumi_azure_native import privatedns as mod

            common["private_zone_name"] = plan.zone
            cls = mod.PrivateRecordSet
        else:
            from pulumi_azure_native import dns as mod

            common["zone_name"] = plan.zone
            cls = mod.RecordSet
        if kind == "cname":
            common["cname_record"] = mod.CnameRecordArgs(cname=target)
        elif kind == "ip" and rtype == "AAAA":
            common["aaaa_records"] = [mod.AaaaRecordArgs(ipv6_address=target)]
        elif kind == "ip":
            common["a_records"] = [mod.ARecordArgs(ipv4_address=target)]
        else:  # alias, public zones only (checked by check_alias_target)
            common["target_resource"] = mod.SubResourceArgs(id=target)
        return cls(f"{name}-record", opts=opts, **common)


# -- the plan (pure: no Pulumi calls) -----------------------------------------------------------------


@dataclass(frozen=True)
class DnsPlan:
    """Everything :class:`DnsRecordBinding` decided at construction, before any registration."""

    zone: str
    relative: str
    fqdn: str
    target_kind: str  # "cname", "ip" or "alias"
    record_type: str  # "CNAME", "A" or "AAAA"
    target: Any  # a host name or IP address (plain or an Output), or a public IP resource id
    ttl: int
    private: bool
    cert_hostnames: tuple[str, ...] | None


@dataclass(frozen=True)
class DnsTarget:
    """What the record points at (:func:`resolve_target`)."""

    kind: str  # "cname", "ip" or "alias"
    record_type: str  # "CNAME", "A" or "AAAA"
    value: Any  # a host name or IP address (plain or an Output), or a public IP resource id
    certificate: Any = None  # the certificate of a service passed as ``target``
    service_hostname: str | None = None  # the hostname of a service passed as ``target``


def plan_dns_record(name: str, args: DnsRecordBindingArgs) -> DnsPlan:
    """Validate ``args`` and decide the record; raises ConfigurationError before any registration.

    Guard clauses, then named steps, each tested alone (tests/components/test_dns_plan.py); the first
    wrong input is the one reported. ``name`` is the component's name (unused: the record's decisions
    do not depend on it; the parameter gives DnsRecordBinding the plan_<component>(name, args) shape of
    the other components)."""
    if not isinstance(args, DnsRecordBindingArgs):
        raise ConfigurationError("args", f"expected DnsRecordBindingArgs, got {type(args).__name__}", None)
    zone = resolve_zone(args.zone_name)
    check_args(args)
    relative, fqdn = resolve_record_name(args, zone)
    target = resolve_target(args, zone, relative, fqdn)
    cert_hostnames = check_certificate_coverage(args, target.certificate, fqdn)
    check_service_hostname(args, target.service_hostname, fqdn)
    return DnsPlan(
        zone=zone,
        relative=relative,
        fqdn=fqdn,
        target_kind=target.kind,
        record_type=target.record_type,
        target=target.value,
        ttl=resolve_ttl(args.ttl),
        private=args.private,
        cert_hostnames=cert_hostnames,
    )


# ------------------------------------------------------------------------------------ guard clauses
def resolve_zone(zone_name: object) -> str:
    """The zone's name (names.py decides; a trailing dot is dropped), with Azure DNS's 2..34 labels."""
    zone = host_input(zone_name, "zone_name", what="zone name")
    labels = zone.count(".") + 1
    if not 2 <= labels <= 34:
        raise ConfigurationError(
            "zone_name",
            f"{zone!r} has {labels} label{'s' if labels != 1 else ''}; Azure DNS zones, public and private, have "
            "2 to 34 (a single-label zone such as a top-level domain cannot be created or hosted in Azure)",
            "use the zone you host, e.g. 'contoso.com', and put the rest in relative_name",
        )
    return zone


def check_args(args: DnsRecordBindingArgs) -> None:
    """The inputs that only flow into properties: metadata, the resource group, the ``private`` flag."""
    check_string_map(args.metadata, "metadata", what="metadata")
    if args.resource_group_name is None:
        raise ConfigurationError(
            "resource_group_name", "is required", "pass the resource group that holds the DNS zone"
        )
    require_str_input(args.resource_group_name, "resource_group_name", "'rg-dns'")
    if not isinstance(args.private, bool):
        raise ConfigurationError(
            "private", f"{args.private!r} is not True or False", "use private=True for a private zone"
        )


# ------------------------------------------------------------------------------------ the name
def resolve_record_name(args: DnsRecordBindingArgs, zone: str) -> tuple[str, str]:
    """(relative name, fqdn) from exactly one of ``relative_name`` and ``fqdn``."""
    if (args.relative_name is None) == (args.fqdn is None):
        raise ConfigurationError(
            "relative_name",
            "give exactly one of relative_name (e.g. 'scoring') and fqdn (e.g. 'scoring." + zone + "')",
            "remove one of them"
            if args.relative_name is not None
            else "add relative_name='scoring' or similar",
        )
    if args.relative_name is not None:
        relative = relative_name(args.relative_name, zone, "relative_name")
    else:
        relative = relative_from_fqdn(args.fqdn, zone)
    fqdn = zone if relative == "@" else f"{relative}.{zone}"
    if len(fqdn) > 253:
        raise ConfigurationError(
            "relative_name", f"{fqdn} is longer than 253 characters", "use a shorter name"
        )
    return relative, fqdn


def relative_name(relative_name: str, zone: str, input_name: str) -> str:
    """A record name relative to ``zone`` (``@`` for the apex), its labels decided by names.py."""
    if not isinstance(relative_name, str):
        raise ConfigurationError(
            input_name,
            f"the record name must be a plain string known at construction, got {type(relative_name).__name__}",
            "give the name relative to the zone as a string (e.g. 'scoring'), or '@' for the apex",
        )
    if not relative_name.strip():
        raise ConfigurationError(
            input_name,
            "the record name is empty",
            "give the name relative to the zone (e.g. 'scoring'), or '@' for the apex",
        )
    text = relative_name.strip().lower()
    if text == "@":
        return "@"
    if text.endswith("."):
        raise ConfigurationError(
            input_name,
            f"{relative_name!r} ends with a dot, i.e. it is an absolute name, but relative_name is relative to "
            f"the zone {zone!r}",
            f"give the part before '.{zone}' (for 'scoring.{zone}.' use 'scoring'), or pass the full name as fqdn=",
        )
    text = ".".join(label_input(label, input_name) for label in text.split("."))
    inside = name_in_zone(text, zone)
    if inside is not None:
        raise ConfigurationError(
            input_name,
            f"{relative_name!r} already ends with the zone name {zone!r}; the record would be {text}.{zone}",
            f"use relative_name={inside!r}, or pass the full name as fqdn=",
        )
    if len(text) + 1 + len(zone) > 253:
        raise ConfigurationError(
            input_name, f"{text}.{zone} is longer than 253 characters", "use a shorter name"
        )
    return text


def relative_from_fqdn(fqdn: object, zone: str) -> str:
    """The record name of the full name ``fqdn`` (input ``fqdn``) inside ``zone``."""
    name = host_input(fqdn, "fqdn")
    inside = name_in_zone(name, zone)
    if inside is None:
        raise ConfigurationError(
            "zone_name",
            f"the zone {zone!r} cannot contain {name!r} (a record in a zone is always <name>.{zone})",
            f"use the zone that {name!r} belongs to, or a name under {zone!r}",
        )
    return inside


def name_in_zone(host: str, zone: str) -> str | None:
    """``host``'s record name inside ``zone`` (``@`` for the apex), or None when the zone cannot hold it.

    Both are normalized names (names.py's form: lower case, no trailing dot)."""
    if host == zone:
        return "@"
    if host.endswith("." + zone):
        return host[: -len(zone) - 1]
    return None


# ------------------------------------------------------------------------------------ the target
TARGET_INPUTS = ("target", "target_fqdn", "target_ip", "target_resource_id")


def resolve_target(args: DnsRecordBindingArgs, zone: str, relative: str, fqdn: str) -> DnsTarget:
    """Exactly one target: a service (its ``dns_target()`` or CNAME to its ``fqdn``), a CNAME target,
    an IP address (A or AAAA) or a public IP resource (alias A); each checked for its record type."""
    present = [k for k in TARGET_INPUTS if getattr(args, k) is not None]
    if len(present) != 1:
        raise ConfigurationError(
            "target",
            f"exactly one target is needed, got {len(present)}"
            + (f" ({', '.join(present)})" if present else ""),
            "give one of target (a service), target_fqdn (CNAME), target_ip (A) or target_resource_id (alias A)",
        )
    if args.target is not None:
        target = service_target(args.target)
    elif args.target_fqdn is not None:
        target = DnsTarget("cname", "CNAME", cname_target(args.target_fqdn))
    elif args.target_ip is not None:
        target = DnsTarget("ip", "A", ip_input(args.target_ip))
    else:
        require_str_input(args.target_resource_id, "target_resource_id", "public_ip.id")
        target = DnsTarget("alias", "A", args.target_resource_id)

    if target.kind == "ip" and isinstance(target.value, str):
        address = ip_target(target.value, zone, args.private)
        record_type = "AAAA" if address.version == 6 else "A"
        target = replace(target, value=str(address), record_type=record_type)
    if target.kind == "alias":
        check_alias_target(target.value, args.private)
    if target.kind == "cname":
        check_cname_name(target.value, relative, zone, fqdn)
    return target


def service_target(service: Any) -> DnsTarget:
    """The target of a service component passed as ``target``, with its certificate and hostname.

    A service may define ``dns_target() -> (record_type, Output)`` with record_type "CNAME" or "A";
    otherwise its ``fqdn`` output is used as a CNAME target.
    """
    hostname = getattr(service, "hostname", None)
    hostname = host_input(hostname, "target", allow_ip=True) if isinstance(hostname, str) else None
    certificate = getattr(service, "certificate", None)
    if hasattr(service, "dns_target"):
        rtype, value = service.dns_target()
        kind = {"CNAME": "cname", "A": "ip"}.get(rtype)
        if kind is None:
            raise ConfigurationError(
                "target", f"the service asked for an unsupported record type {rtype!r}", None
            )
        return DnsTarget(kind, rtype, value, certificate, hostname)
    fqdn = getattr(service, "fqdn", None)
    if fqdn is None or isinstance(service, str):
        raise ConfigurationError(
            "target",
            f"{type(service).__name__} is not a service with an fqdn output",
            "pass a SecureAciService, or use target_fqdn / target_ip / target_resource_id",
        )
    return DnsTarget("cname", "CNAME", fqdn, certificate, hostname)


def cname_target(target: Any) -> Any:
    """``target_fqdn``: a host name (never an IP address), or a pulumi Output of one."""
    if isinstance(target, str):
        if is_ip(target):  # names decides, as for every host input ('[::1]', '20.50.1.2.' included)
            raise ConfigurationError(
                "target_fqdn",
                f"{target!r} is an IP address; a CNAME must point at a host name, and resolvers would look up "
                f"the name '{target.strip()}' and find nothing",
                f"use target_ip={normalize(target)!r} for an A record",
            )
        return host_input(target, "target_fqdn", what="CNAME target")
    if not isinstance(target, pulumi.Output):
        raise ConfigurationError(
            "target_fqdn",
            f"must be a host name (a string or a pulumi Output of one), got {type(target).__name__}",
            "pass e.g. service.fqdn or 'scoring.westeurope.azurecontainer.io'",
        )
    return target


def ip_input(target: Any) -> Any:
    """``target_ip``: one address, a string or a pulumi Output of one."""
    if not isinstance(target, str | pulumi.Output):
        raise ConfigurationError(
            "target_ip",
            f"must be one IP address (a string or a pulumi Output of one), got {type(target).__name__}",
            "pass a single address such as '20.50.1.2'; one DnsRecordBinding makes one record",
        )
    return target


def ip_target(target: str, zone: str, private: bool) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """A known address: an IP address, and a public one for a public zone."""
    return record_address(
        target,
        "target_ip",
        zone,
        private,
        not_ip_fix="give an IPv4 address such as 20.50.1.2, or use target_fqdn",
        not_public_fix="point the public record at the public IP, or use private=True with a private zone",
    )


def record_address(
    text: str,
    input_name: str,
    zone: str,
    private: bool,
    *,
    not_ip_fix: str,
    not_public_fix: str,
    why_not_public: str = "",
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address an A/AAAA record points at: one IP address, and in a public zone a public one
    (DnsRecordBinding's target_ip, SecureAksCluster's dns.router_ip). The fixes are the caller's."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ConfigurationError(input_name, f"{text!r} is not an IP address", not_ip_fix) from None
    if not private and not is_public_address(address):
        raise ConfigurationError(
            input_name,
            f"{address} is not a public address, so a record in the public zone {zone!r} cannot reach it"
            + why_not_public,
            not_public_fix,
        )
    return address


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a record in a public zone can point at ``address`` (not private, loopback, link-local
    or unspecified); a private zone's record may point anywhere."""
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified)


def check_alias_target(target: Any, private: bool) -> None:
    """An alias record: public zones only, to a public IP address resource."""
    if private:
        raise ConfigurationError(
            "target_resource_id",
            "alias records (target_resource) exist only in public Azure DNS zones",
            "use target_ip with the IP address for a private zone",
        )
    if isinstance(target, str) and "/providers/microsoft.network/publicipaddresses/" not in target.lower():
        raise ConfigurationError(
            "target_resource_id",
            f"{target!r} is not the id of a public IP address resource",
            "pass public_ip.id of a network.PublicIPAddress (a static Standard IP)",
        )


def check_cname_name(target: Any, relative: str, zone: str, fqdn: str) -> None:
    """A CNAME: not at the zone apex, not to itself."""
    if relative == "@":
        raise ConfigurationError(
            "relative_name",
            f"a CNAME cannot live at the zone apex {zone!r} (it would clash with the zone's SOA and NS records)",
            "use a name below the apex such as 'scoring', or an A/alias record (target_ip / target_resource_id)",
        )
    if isinstance(target, str) and target == fqdn:
        raise ConfigurationError(
            "target_fqdn", f"the CNAME {fqdn} points at itself", "point it at the service's Azure FQDN"
        )


# ------------------------------------------------------------------------------------ the certificate
def check_certificate_coverage(
    args: DnsRecordBindingArgs, service_certificate: Any, fqdn: str
) -> tuple[str, ...] | None:
    """The certificate's hostnames (``certificate``, ``certificate_hostnames`` or the service's
    certificate), which must cover ``fqdn``; None when no certificate is known."""
    certificate = args.certificate
    if certificate is None and args.certificate_hostnames is None:
        certificate = service_certificate
    if certificate is not None and args.certificate_hostnames is not None:
        raise ConfigurationError(
            "certificate_hostnames",
            "both certificate and certificate_hostnames are given",
            "give only one of them",
        )
    if certificate is not None:
        cert_hostnames = bundle_hostnames(certificate)
    elif args.certificate_hostnames is not None:
        cert_hostnames = listed_hostnames(args.certificate_hostnames)
    else:
        return None
    covered = certificate.covers(fqdn) if certificate is not None else covers(cert_hostnames, fqdn)
    if not covered:
        raise PolicyRefusal(
            name_input(args),
            f"the certificate does not cover {fqdn} (it covers {', '.join(cert_hostnames) or 'no hostnames'}); "
            "clients would get a hostname mismatch",
            f"use a name the certificate lists, or issue a certificate with {fqdn} in its subjectAltName",
            rule="cert-hostname-match",
        )
    return cert_hostnames


def bundle_hostnames(certificate: Any) -> tuple[str, ...]:
    """The hostnames of a CertificateBundle; a Microsoft-managed one is refused (Azure sets its DNS)."""
    if getattr(certificate, "source", None) == "microsoft_managed":
        raise ConfigurationError(
            "certificate",
            "a Microsoft-managed certificate covers only its own <label>.<region>.cloudapp.azure.com name, "
            "which Azure already publishes in DNS",
            "drop the DnsRecordBinding, or use your own certificate (source 'pem') for a custom name",
        )
    return tuple(certificate.hostname_list)


def listed_hostnames(hostnames: object) -> tuple[str, ...]:
    """``certificate_hostnames``: a list of host names, wildcards or IP addresses (names.py decides)."""
    if isinstance(hostnames, str):
        raise ConfigurationError(
            "certificate_hostnames",
            "expected a list of hostnames, got one string",
            f"use [{hostnames!r}]",
        )
    if not isinstance(hostnames, Sequence):
        raise ConfigurationError(
            "certificate_hostnames",
            f"expected a list of hostnames, got {type(hostnames).__name__}",
            "pass a plain list such as ['scoring.example.com'], or certificate=<CertificateBundle>",
        )
    for i, h in enumerate(hostnames):
        if not isinstance(h, str):
            raise ConfigurationError(
                f"certificate_hostnames[{i}]",
                f"must be a plain string, got {type(h).__name__}",
                "pass each hostname as a string such as 'scoring.example.com'",
            )
    return tuple(
        host_input(h, f"certificate_hostnames[{i}]", allow_wildcard=True, allow_ip=True)
        for i, h in enumerate(hostnames)
    )


def check_service_hostname(args: DnsRecordBindingArgs, service_hostname: str | None, fqdn: str) -> None:
    """A service passed as ``target`` answers only on its own hostname: the record must be that name."""
    if service_hostname is not None and service_hostname != fqdn:
        raise ConfigurationError(
            name_input(args),
            f"the record {fqdn} differs from the service's hostname {service_hostname}; "
            "the service's gateway answers only on its hostname",
            f"bind the name {service_hostname}, or change the service's hostname",
        )


def name_input(args: DnsRecordBindingArgs) -> str:
    """The input that named the record: ``relative_name`` or ``fqdn``."""
    return "relative_name" if args.relative_name is not None else "fqdn"


# ------------------------------------------------------------------------------------ the TTL
def resolve_ttl(value: object) -> int:
    """Seconds, 1..86400; a whole float (another language's number) is accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            "ttl",
            f"{value!r} is not a number of seconds" + config_string_hint(value),
            f"use a whole number such as {DEFAULT_TTL}" + config_number_fix(value, "int"),
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise ConfigurationError(
                "ttl", f"{value!r} is not a whole number of seconds", f"use e.g. {DEFAULT_TTL}"
            )
        value = int(value)
    if not MIN_TTL <= value <= MAX_TTL:
        raise ConfigurationError(
            "ttl",
            f"{value} seconds is outside {MIN_TTL}..{MAX_TTL}",
            f"use {DEFAULT_TTL} (the default) or lower it to 60 a TTL period before a planned change",
        )
    return value
