"""``cert-expiry`` (stack rule): no certificate expires within ``minDays`` (30 by default).

:data:`EXPIRY_READERS` holds one small reader per resource type (where that type keeps its
certificate's end of validity); :func:`validate_stack` judges each date. One certificate shared by
several resources (a bundle, the services and records that use it) is one finding: at the
certificate itself when the stack holds it, listing every resource it affects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from .. import nginx_conf
from ..certificates import COMPUTE_CERT, certificate_facts, extension_certificate, extension_pem
from ..model import Rule, RuleContext, RuleViolation, StackResource, note
from ..props import UNKNOWN, Unknown, get, is_unknown, num, parse_time
from ..types import (
    ACI_SERVICE,
    AKS_CLUSTER,
    CERTIFICATE_BUNDLE,
    CONTAINER_GROUP,
    K8S_EXTENSION,
    ML_COMPUTE,
    TLS_LOCALLY_SIGNED,
    TLS_SELF_SIGNED,
    parent_type,
)

CERT_EXPIRY = "cert-expiry"
_CERTIFICATE_TYPES = (CERTIFICATE_BUNDLE, TLS_SELF_SIGNED, TLS_LOCALLY_SIGNED)
"""Where a shared certificate's finding goes: the certificate itself, when the stack holds it."""

Expiry = tuple[datetime | None | Unknown, str]
"""(end of validity, what was read); ``(None, "")`` when the resource holds no certificate."""


def _pem_expiry(value: Any, what: str) -> Expiry:
    facts = certificate_facts(value)
    return (facts.not_after, what) if facts else (None, "")


def expiry_of_pulumi_tls(p: Mapping[str, Any], ctx: RuleContext) -> Expiry:
    """pulumi-tls certificates: certPem, else validityEndTime, else now + validityPeriodHours."""
    pem_text = get(p, "certPem")
    facts = certificate_facts(pem_text)
    if facts is not None and facts.not_after is not None:
        return facts.not_after, "certPem"
    end = parse_time(get(p, "validityEndTime"))
    if end is not None:
        return end, "validityEndTime"
    hours = num(get(p, "validityPeriodHours"))
    if hours is not None:
        try:
            return ctx.when() + timedelta(hours=hours), "validityPeriodHours"
        except (OverflowError, ValueError):
            return None, ""  # beyond any date: not expiring
    if is_unknown(pem_text) or is_unknown(get(p, "validityPeriodHours")):
        return UNKNOWN, "certPem"
    return None, ""


def expiry_of_bundle(p: Mapping[str, Any], ctx: RuleContext) -> Expiry:
    """A CertificateBundle's not_after output, else its cert_pem."""
    value = get(p, "notAfter")
    if is_unknown(value):
        return UNKNOWN, "not_after"
    when = parse_time(value)
    if when is not None:
        return when, "not_after"
    return _pem_expiry(get(p, "certPem"), "cert_pem")


def expiry_of_component(p: Mapping[str, Any], ctx: RuleContext) -> Expiry:
    """A scoring component's certificate_not_after fact."""
    value = get(p, "certificateNotAfter")
    if is_unknown(value):
        return UNKNOWN, "certificate_not_after"
    return parse_time(value), "certificate_not_after"


def expiry_of_compute(p: Mapping[str, Any], ctx: RuleContext) -> Expiry:
    """An AKS v1 compute's inline sslConfiguration.cert."""
    cert = get(p, COMPUTE_CERT)
    if is_unknown(cert):
        return UNKNOWN, "sslConfiguration.cert"
    return _pem_expiry(cert, "sslConfiguration.cert")


def expiry_of_extension(p: Mapping[str, Any], ctx: RuleContext) -> Expiry:
    """An Azure ML extension's scoringFe.sslCert."""
    cert, _ = extension_certificate(p)
    if is_unknown(cert):
        return UNKNOWN, "scoringFe.sslCert"
    return _pem_expiry(extension_pem(cert), "scoringFe.sslCert")


def expiry_of_container_group(p: Mapping[str, Any], ctx: RuleContext) -> Expiry:
    """The first to expire of the certificates a raw container group's TLS gateway serves from its
    secret volumes (nginx: the ``ssl_certificate`` files; other proxies: the volume's certificates)."""
    found, _unknown = nginx_conf.gateways(p)
    served = [(label, cert) for g in found for label, cert, _key in nginx_conf.served_certificates(g, p)]
    served += nginx_conf.other_gateway_certificates(p)
    first: Expiry = (None, "")
    for label, cert in served:
        if is_unknown(cert):
            first = first if first[0] is not None else (UNKNOWN, label)
            continue
        facts = certificate_facts(cert)
        if facts is not None and (not isinstance(first[0], datetime) or facts.not_after < first[0]):
            first = (facts.not_after, label)
    return first


EXPIRY_READERS: dict[str, Callable[[Mapping[str, Any], RuleContext], Expiry]] = {
    TLS_SELF_SIGNED: expiry_of_pulumi_tls,
    TLS_LOCALLY_SIGNED: expiry_of_pulumi_tls,
    CERTIFICATE_BUNDLE: expiry_of_bundle,
    ML_COMPUTE: expiry_of_compute,
    K8S_EXTENSION: expiry_of_extension,
    CONTAINER_GROUP: expiry_of_container_group,
    ACI_SERVICE: expiry_of_component,
    AKS_CLUSTER: expiry_of_component,
}


def _days_text(days: float) -> str:
    """Whole days (rounded down) in words: "1 day", "12 days", "less than a day"."""
    whole = int(days)
    if whole == 0:
        return "less than a day"
    return f"{whole} day{'s' if whole != 1 else ''}"


def _component_gateway(r: StackResource) -> bool:
    """A component's gateway: its ``certificate_not_after`` fact says when its certificate ends, once."""
    return r.type == CONTAINER_GROUP and parent_type(r.urn) in (ACI_SERVICE, AKS_CLUSTER)


def validate_stack(resources: Sequence[StackResource], ctx: RuleContext) -> list[RuleViolation]:
    rule = CERT_EXPIRY
    try:
        min_days = float(ctx.config.get("minDays", 30))
    except (TypeError, ValueError):
        min_days = 30.0
    now = ctx.when()
    out: list[RuleViolation] = []
    notes: list[str] = []
    # one underlying problem per end of validity: the resources holding that certificate
    failing: dict[datetime, list[tuple[StackResource, str]]] = {}
    for r in resources:
        when, what = EXPIRY_READERS[r.type](r.props, ctx)
        if when is None:
            continue
        if is_unknown(when):
            notes.append(f"{what} of '{r.name}'")
            continue
        assert isinstance(when, datetime)
        if (when - now).total_seconds() / 86400 < min_days:
            failing.setdefault(when, []).append((r, what))
    for when, holders in failing.items():
        days = (when - now).total_seconds() / 86400
        stamp = when.strftime("%Y-%m-%d %H:%M UTC")
        anchor, what = min(holders, key=lambda h: (h[0].type not in _CERTIFICATE_TYPES, holders.index(h)))
        if days < 0:
            message = f"the certificate ({what}) expired on {stamp}, {_days_text(-days)} ago"
        else:
            message = (
                f"the certificate ({what}) expires on {stamp}, in {_days_text(days)} "
                f"(less than minDays {int(min_days)})"
            )
        others = [f"{r.type.rsplit(':', 1)[-1]} '{r.name}'" for r, _ in holders if r is not anchor]
        if others:
            message += f"; it is also used by {', '.join(sorted(set(others)))}"
        out.append(RuleViolation(rule, message, urn=anchor.urn, resource_name=anchor.name))
    if notes:
        out.append(note(rule, "; ".join(sorted(set(notes))) + " not known yet", urn=""))
    return out


RULE = Rule(
    name=CERT_EXPIRY,
    description="Certificates must not expire within the configured number of days.",
    remediation="Renew the certificate (secure-scoring cert check --min-days N shows the date) and update the stack.",
    severity="medium",
    stack_validator=validate_stack,
    stack_types=tuple(EXPIRY_READERS),
    stack_skip=_component_gateway,
    config_schema={
        "minDays": {
            "type": "integer",
            "minimum": 0,
            "default": 30,
            "description": "Days of validity a certificate must still have.",
        }
    },
    url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
)
