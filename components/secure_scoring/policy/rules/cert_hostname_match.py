"""``cert-hostname-match`` (stack rule): every DNS name and CNAME clients use is covered by a certificate.

Small readers per resource type, then one judging loop:

- :data:`CERTIFICATE_NAMES`: the names of the certificates in the stack (the pool a DNS record is
  judged against when it has no certificate of its own);
- :data:`ADDRESSES`: the FQDNs and IP addresses of the scoring endpoints (a DNS record is judged
  only when it points at one of them, or at an Azure endpoint name), indexed once with
  :data:`SERVED`: the names of the certificate served at each address (a container group's gateway
  certificate from its secret volume, our components' facts). A record (or a DnsRecordBinding) is
  judged against the certificate served at its target when that is known, else against the stack's
  certificates; a CNAME to an Azure endpoint that is not in the stack cannot be judged (a note);
- :data:`EXTRACTORS`: what each resource claims: ``(hostname, what, certificate names)`` tuples
  (``None`` names: any certificate of the stack), plus problems found on the way (a certificate
  without a CNAME, a DNS label anyone can claim), unknowns and unreadable certificates.

:func:`validate_stack` judges each claim with :func:`secure_scoring.names.covers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .. import nginx_conf
from ..certificates import COMPUTE_CERT, certificate_facts, covers, extension_certificate, extension_pem
from ..model import Rule, RuleContext, RuleViolation, StackResource, note
from ..props import UNKNOWN, Unknown, as_list, get, is_unknown, truthy
from ..scoring import is_azureml_extension
from ..types import (
    ACI_SERVICE,
    AKS_CLUSTER,
    CERTIFICATE_BUNDLE,
    CONTAINER_GROUP,
    DNS_RECORD_BINDING,
    DNS_RECORD_SETS,
    K8S_EXTENSION,
    ML_COMPUTE,
    PRIVATE_DNS_RECORD_SETS,
    PUBLIC_IP,
    TLS_LOCALLY_SIGNED,
    TLS_SELF_SIGNED,
)

CERT_HOSTNAME_MATCH = "cert-hostname-match"
_AZURE_ENDPOINT_SUFFIXES = (".azurecontainer.io", ".cloudapp.azure.com", ".inference.ml.azure.com")
_DNS_JUDGED_TYPES = ("A", "AAAA", "CNAME")


# --------------------------------------------------------------------------------------------- certificates
def _pem_names(value: Any) -> list[str] | None:
    facts = certificate_facts(value)
    return list(facts.hostnames) if facts is not None else None


def _bundle_names(p: Mapping[str, Any]) -> Any:
    names = get(p, "hostnames")
    return _pem_names(get(p, "certPem")) if names is None else names


def _pulumi_tls_names(p: Mapping[str, Any]) -> Any:
    names = _pem_names(get(p, "certPem"))
    return names if names is not None else get(p, "dnsNames")


def _declared_names(p: Mapping[str, Any]) -> Any:
    return get(p, "certificateHostnames")


def _compute_names(p: Mapping[str, Any]) -> Any:
    return _pem_names(get(p, COMPUTE_CERT))


def _extension_names(p: Mapping[str, Any]) -> Any:
    cert, _ = extension_certificate(p)
    return _pem_names(extension_pem(cert))


CERTIFICATE_NAMES: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    CERTIFICATE_BUNDLE: _bundle_names,
    TLS_SELF_SIGNED: _pulumi_tls_names,
    TLS_LOCALLY_SIGNED: _pulumi_tls_names,
    ACI_SERVICE: _declared_names,
    AKS_CLUSTER: _declared_names,
    DNS_RECORD_BINDING: _declared_names,
    ML_COMPUTE: _compute_names,
    K8S_EXTENSION: _extension_names,
}
"""Per type: the names of the certificate a resource holds (a list; None: none; UNKNOWN)."""

# --------------------------------------------------------------------------------------------- endpoint addresses
ADDRESSES: dict[str, tuple[str, str]] = {
    CONTAINER_GROUP: ("ipAddress.fqdn", "ipAddress.ip"),
    PUBLIC_IP: ("dnsSettings.fqdn", "ipAddress"),
    ACI_SERVICE: ("fqdn", "ipAddress"),
    AKS_CLUSTER: ("fqdn", "routerIp"),
}
"""Per type: where a scoring endpoint's FQDN and IP address are."""


def _gateway_served_names(r: StackResource, parents: Mapping[str, str]) -> Any:
    """The names of the certificate a raw container group's TLS gateway serves (read from its
    secret volume: nginx's ``ssl_certificate``, another proxy's certificate file); None when not readable. A group inside one of our components is described by
    the component's facts (not parsed again)."""
    if parents.get(r.parent or "") in (ACI_SERVICE, AKS_CLUSTER):
        return None
    found, _unknown = nginx_conf.gateways(r.props)
    served = [
        cert for gateway in found for _label, cert, _key in nginx_conf.served_certificates(gateway, r.props)
    ]
    # a TLS proxy whose configuration is not readable (caddy, envoy, ...) serves its volume's certificate
    served += [cert for _label, cert in nginx_conf.other_gateway_certificates(r.props)]
    for cert in served:
        if is_unknown(cert):
            return UNKNOWN
        facts = certificate_facts(cert) if cert else None
        if facts is not None:
            return list(facts.hostnames)
    return None


def _component_served_names(r: StackResource, parents: Mapping[str, str]) -> Any:
    names = get(r.props, "certificateHostnames")
    return names if is_unknown(names) or (isinstance(names, list) and names) else None


SERVED: dict[str, Callable[[StackResource, Mapping[str, str]], Any]] = {
    CONTAINER_GROUP: _gateway_served_names,
    ACI_SERVICE: _component_served_names,
    AKS_CLUSTER: _component_served_names,
}
"""Per type: the names of the certificate served at the resource's addresses (None: not known)."""


@dataclass
class _Stack:
    """What the extractors may look at besides the resource: the stack's endpoint addresses."""

    fqdns: set[str] = field(default_factory=set)
    ips: set[str] = field(default_factory=set)
    check_label_scope: bool = True
    served: dict[str, Any] = field(default_factory=dict)
    """Address (FQDN or IP) -> the names of the certificate served there (a list, or UNKNOWN)."""

    def add(self, address: str, names: Any, *, is_ip: bool) -> None:
        (self.ips if is_ip else self.fqdns).add(address)
        if names is not None and not isinstance(self.served.get(address), list):
            self.served[address] = names


@dataclass
class Extracted:
    """What one resource gives the judging loop."""

    claims: list[tuple[str, str, Sequence[str] | None]] = field(default_factory=list)
    served_at: dict[str, str] = field(default_factory=dict)
    """Claimed host -> the target whose served certificate its names come from."""
    outside: dict[str, str] = field(default_factory=dict)
    """Claimed host -> its target, an endpoint outside this stack: what it serves is not known."""
    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- extractors
def _points_at_endpoint(p: Mapping[str, Any], stack: _Stack) -> tuple[bool | None, str | None]:
    """Whether the record points at a scoring endpoint (None: not known), and its target address."""
    rtype = get(p, "recordType")
    if isinstance(rtype, str) and rtype.upper() not in _DNS_JUDGED_TYPES:
        return False, None
    if get(p, "targetResource.id"):
        return True, None
    cname = get(p, "cnameRecord.cname")
    if is_unknown(cname):
        return None, None
    if isinstance(cname, str) and cname:
        c = cname.rstrip(".").lower()
        return (c in stack.fqdns or c.endswith(_AZURE_ENDPOINT_SUFFIXES)), c
    records = get(p, "aRecords")
    if is_unknown(records):
        return None, None
    for rec in as_list(records):
        ip = get(rec, "ipv4Address") if isinstance(rec, Mapping) else None
        if is_unknown(ip):
            return None, None
        if isinstance(ip, str) and ip in stack.ips:
            return True, ip
    return False, None


def _bind_to_target(
    out: Extracted, fqdn: str, what: str, target: str | None, stack: _Stack, own: Any
) -> None:
    """Claim ``fqdn`` against the certificate served at ``target`` when the stack knows it, else
    against ``own`` names (None: the stack's certificates). A target outside the stack cannot be
    judged (what that endpoint serves is not known): a note, never a pass."""
    served = stack.served.get(target) if target else None
    if is_unknown(served):
        out.unknown.append(f"the certificate served at {target}")
    elif isinstance(served, list):
        out.claims.append((fqdn, what, served))
        out.served_at[fqdn] = target or ""
    else:
        if target and target not in stack.fqdns and target not in stack.ips:
            out.outside[fqdn] = target
        out.claims.append((fqdn, what, own))


def _record_fqdn(r: StackResource, zone_key: str) -> str | None | Unknown:
    fqdn = get(r.props, "fqdn")
    if is_unknown(fqdn):
        fqdn = None
    if isinstance(fqdn, str) and fqdn.strip():
        return fqdn.strip().rstrip(".").lower()
    zone = get(r.props, zone_key)
    rel = get(r.props, "relativeRecordSetName")
    if is_unknown(zone) or is_unknown(rel):
        return UNKNOWN
    if not isinstance(zone, str):
        return None
    rel = rel if isinstance(rel, str) else r.name
    return zone.rstrip(".").lower() if rel == "@" else f"{rel}.{zone}".rstrip(".").lower()


def extract_record_set(r: StackResource, stack: _Stack, *, zone_key: str) -> Extracted:
    """A DNS record (A, AAAA, CNAME) that points at a scoring endpoint: its name, against the stack's certificates."""
    out = Extracted()
    judged, target = _points_at_endpoint(r.props, stack)
    if judged is None:
        out.unknown.append(f"the target of DNS record '{r.name}'")
        return out
    if not judged:
        return out
    fqdn = _record_fqdn(r, zone_key)
    if is_unknown(fqdn):
        out.unknown.append(f"the name of DNS record '{r.name}'")
    elif fqdn:
        _bind_to_target(out, fqdn, "DNS name", target, stack, None)
    return out


def extract_dns_binding(r: StackResource, stack: _Stack) -> Extracted:
    """A DnsRecordBinding: its FQDN, against its own certificate names (else the stack's)."""
    out = Extracted()
    fqdn, own = get(r.props, "fqdn"), get(r.props, "certificateHostnames")
    if is_unknown(fqdn) or is_unknown(own):
        out.unknown.append(f"the name of DnsRecordBinding '{r.name}'")
    elif isinstance(fqdn, str) and fqdn:
        # the names it was given must agree with what its target serves, when the stack knows that
        target = get(r.props, "target")
        target = target.rstrip(".").lower() if isinstance(target, str) and target else None
        if target not in stack.served:
            target = None
        own_names = own if isinstance(own, list) and own else None
        _bind_to_target(out, fqdn.rstrip(".").lower(), "DNS name", target, stack, own_names)
    return out


def extract_component(r: StackResource, stack: _Stack) -> Extracted:
    """A scoring component with TLS: its hostname, against its own certificate names (else the stack's);
    a Microsoft-managed certificate without declared names is Azure's to get right."""
    out = Extracted()
    p = r.props
    host, own, source = get(p, "hostname"), get(p, "certificateHostnames"), get(p, "certificateSource")
    if is_unknown(host) or is_unknown(own):
        out.unknown.append(f"the hostname of '{r.name}'")
    elif isinstance(host, str) and host and truthy(get(p, "tlsEnabled")) is not False:
        if isinstance(source, str) and source == "microsoft_managed" and not own:
            return out
        out.claims.append((host.lower(), "hostname", own if isinstance(own, list) and own else None))
    return out


def _claim_name(
    out: Extracted, name: Any, what: str, pem_text: Any, where: str, given: Any = True
) -> Extracted:
    """``name`` judged against the certificate in ``pem_text``; a certificate ``given`` but not
    readable is reported as such."""
    facts = certificate_facts(pem_text) if pem_text else None
    if facts is None:
        if given:
            out.unreadable.append(f"{where} is not readable PEM")
        return out
    out.claims.append((str(name).lower(), what, facts.hostnames))
    return out


def extract_compute(r: StackResource, stack: _Stack) -> Extracted:
    """An AKS v1 compute with its own certificate: its sslConfiguration.cname, against that certificate."""
    out = Extracted()
    ssl = get(r.props, "properties.properties.sslConfiguration")
    if not isinstance(ssl, Mapping):
        return out
    cert, cname, leaf = get(ssl, "cert"), get(ssl, "cname"), get(ssl, "leafDomainLabel")
    if any(is_unknown(v) for v in (cert, cname, leaf)):
        out.unknown.append(f"sslConfiguration of '{r.name}'")
        return out
    if leaf or not cert:
        return out
    if not cname:
        out.problems.append("sslConfiguration has a certificate but no cname")
        return out
    return _claim_name(out, cname, "sslConfiguration.cname", cert, f"sslConfiguration.cert of '{r.name}'")


def extract_extension(r: StackResource, stack: _Stack) -> Extracted:
    """An Azure ML extension serving TLS: its sslCname, against its scoringFe.sslCert."""
    out = Extracted()
    p = r.props
    if is_azureml_extension(p) is not True:
        return out
    settings = get(p, "configurationSettings")
    if not isinstance(settings, Mapping):
        return out
    if (
        truthy(settings.get("enableInference")) is not True
        or truthy(settings.get("allowInsecureConnections")) is True
    ):
        return out
    cname = settings.get("sslCname")
    cert, _ = extension_certificate(p)
    if is_unknown(cname) or is_unknown(cert):
        out.unknown.append(f"sslCname / scoringFe.sslCert of '{r.name}'")
        return out
    if not cname:
        out.problems.append(
            "configurationSettings.sslCname is not set: clients cannot verify the router's name"
        )
        return out
    return _claim_name(
        out,
        cname,
        "configurationSettings.sslCname",
        extension_pem(cert),
        f"scoringFe.sslCert of '{r.name}'",
        cert,
    )


def extract_container_group(r: StackResource, stack: _Stack) -> Extracted:
    """A container group's DNS label with reuse scope Unsecure (anyone may claim it after deletion)."""
    out = Extracted()
    if not stack.check_label_scope:
        return out
    label = get(r.props, "ipAddress.dnsNameLabel")
    scope = get(r.props, "ipAddress.autoGeneratedDomainNameLabelScope")
    if is_unknown(label) or is_unknown(scope):
        out.unknown.append(f"ipAddress.dnsNameLabel of '{r.name}'")
    elif isinstance(label, str) and label and (scope is None or str(scope).lower() == "unsecure"):
        out.problems.append(
            f"ipAddress.dnsNameLabel '{label}' uses autoGeneratedDomainNameLabelScope "
            f"{scope or 'Unsecure (default)'}: after deletion anyone can claim the same name, "
            "so records pointing at it can be taken over"
        )
    return out


EXTRACTORS: dict[str, Callable[[StackResource, _Stack], Extracted]] = {
    **{t: partial(extract_record_set, zone_key="zoneName") for t in DNS_RECORD_SETS},
    **{t: partial(extract_record_set, zone_key="privateZoneName") for t in PRIVATE_DNS_RECORD_SETS},
    DNS_RECORD_BINDING: extract_dns_binding,
    ML_COMPUTE: extract_compute,
    K8S_EXTENSION: extract_extension,
    CONTAINER_GROUP: extract_container_group,
    ACI_SERVICE: extract_component,
    AKS_CLUSTER: extract_component,
}
"""Per type: what a resource claims (see the module docstring)."""


# --------------------------------------------------------------------------------------------- judging
def validate_stack(resources: Sequence[StackResource], ctx: RuleContext) -> list[RuleViolation]:
    rule = CERT_HOSTNAME_MATCH
    out: list[RuleViolation] = []
    notes: list[str] = []
    unreadable: list[str] = []
    certificates: list[tuple[str, ...]] = []
    stack = _Stack(check_label_scope=ctx.config.get("rejectUnsecureDnsLabel", True) is not False)
    parents = {r.urn: r.type for r in resources}
    for r in resources:
        read_names = CERTIFICATE_NAMES.get(r.type)
        names = read_names(r.props) if read_names is not None else None
        if is_unknown(names):
            notes.append(f"certificate names of {r.type.rsplit(':', 1)[-1]} '{r.name}'")
        elif isinstance(names, list) and names:
            certificates.append(tuple(str(n) for n in names if isinstance(n, str)))
        if r.type in ADDRESSES:
            fqdn_path, ip_path = ADDRESSES[r.type]
            f, i = get(r.props, fqdn_path), get(r.props, ip_path)
            served = SERVED[r.type](r, parents) if r.type in SERVED else None
            if isinstance(f, str) and f:
                stack.add(f.rstrip(".").lower(), served, is_ip=False)
            if isinstance(i, str) and i:
                stack.add(i, served, is_ip=True)
    unknown_certificates = bool(notes)
    stack_names = sorted({n for c in certificates for n in c})

    for r in resources:
        extract = EXTRACTORS.get(r.type)
        if extract is None:
            continue
        found = extract(r, stack)
        notes.extend(found.unknown)
        unreadable.extend(found.unreadable)
        for problem in found.problems:
            out.append(RuleViolation(rule, problem, urn=r.urn, resource_name=r.name))
        for host, what, own in found.claims:
            if host in found.outside:  # what an endpoint outside this stack serves is not known
                notes.append(
                    f"the certificate served at {found.outside[host]} ({what} {host} points at it; "
                    "it is not in this stack)"
                )
                continue
            if own is None and not certificates:
                if not unknown_certificates:
                    out.append(
                        RuleViolation(
                            rule,
                            f"{what} {host} has no certificate in this stack that covers it",
                            urn=r.urn,
                            resource_name=r.name,
                        )
                    )
                continue
            pool = list(own) if own is not None else stack_names
            if not covers(pool, host):
                shown = ", ".join(sorted(set(pool))[:6]) or "no names"
                via = found.served_at.get(host)
                served = f" served at its target {via}" if via else ""
                out.append(
                    RuleViolation(
                        rule,
                        f"{what} {host} is not covered by the certificate{served} (it covers: {shown})",
                        urn=r.urn,
                        resource_name=r.name,
                    )
                )
    parts = ["; ".join(sorted(set(notes))) + " not known yet"] if notes else []
    parts += sorted(set(unreadable))
    if parts:
        out.append(note(rule, "; ".join(parts), urn=""))
    return out


RULE = Rule(
    name=CERT_HOSTNAME_MATCH,
    description="Every DNS name and CNAME that clients use must be covered by the certificate.",
    remediation=(
        "Issue the certificate for the DNS name (SAN), or point the record/sslCname/cname at a covered name; "
        "give ACI DNS labels a scope other than Unsecure."
    ),
    severity="high",
    stack_validator=validate_stack,
    stack_types=tuple(dict.fromkeys([*EXTRACTORS, *CERTIFICATE_NAMES, *ADDRESSES])),
    config_schema={
        "rejectUnsecureDnsLabel": {
            "type": "boolean",
            "default": True,
            "description": "Report container group DNS labels with autoGeneratedDomainNameLabelScope Unsecure.",
        }
    },
    url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
)
