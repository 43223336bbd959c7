"""``min-tls-1-2``: no TLS version below the pack's ``minVersion`` (1.2 by default) is allowed.

Versions are read and compared with :mod:`secure_scoring.tls_versions`: a component's
``minTlsVersion`` fact with :func:`~secure_scoring.tls_versions.parse_pair` (every spelling the pack
has always read), an nginx ``ssl_protocols`` directive with
:func:`~secure_scoring.tls_versions.nginx_protocols_below`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import tls_versions as tv
from .. import nginx_conf
from ..model import Rule, RuleContext, RuleViolation, note
from ..props import get, is_unknown, truthy
from ..types import ACI_SERVICE, AKS_CLUSTER, CONTAINER_GROUP

MIN_TLS = "min-tls-1-2"


def min_version(ctx: RuleContext) -> tv.TlsVersion:
    """The floor the pack is configured with (``minVersion``; the schema allows 1.2 and 1.3)."""
    return tv.parse(str(ctx.config.get("minVersion") or tv.DEFAULT_FLOOR)) or tv.TlsVersion.TLS1_2


def validate_component(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """The component's ``minTlsVersion`` fact is at least the floor."""
    rule = MIN_TLS
    floor = min_version(ctx)
    tls = get(props, "tlsEnabled")
    version = get(props, "minTlsVersion")
    if is_unknown(version):
        return [note(rule, "minTlsVersion is not known yet")]
    if truthy(tls) is False:
        return []  # no TLS at all is tls-required's finding
    if version is None:
        return [
            RuleViolation(
                rule, f"the component does not declare minTlsVersion (must be {floor.text} or later)"
            )
        ]
    parsed = tv.parse_pair(version)
    if parsed is None:
        return [RuleViolation(rule, f"minTlsVersion is not a TLS version (must be {floor.text} or later)")]
    if parsed < floor.pair:
        return [RuleViolation(rule, f"minTlsVersion {parsed[0]}.{parsed[1]} allows TLS below {floor.text}")]
    return []


def validate_container_group(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """The gateway's nginx configuration (from the group's secret volumes) enables no protocol below
    the floor, and sets ``ssl_protocols`` wherever it listens with ssl."""
    rule = MIN_TLS
    floor = min_version(ctx)
    files, unknown = nginx_conf.conf_files(props)
    out: list[RuleViolation] = [note(rule, f"{u} is not known yet") for u in unknown]
    out += [
        note(
            rule,
            f"the TLS versions gateway '{get(c, 'name')}' accepts (its configuration is not readable: only an "
            "nginx configuration in the group's secret volumes is read); prove them after the deploy with "
            "'secure-scoring verify'",
        )
        for c in nginx_conf.unreadable_gateways(props)
    ]
    for conf in files:
        for d in nginx_conf.walk(conf.directives):
            if d.name != "ssl_protocols" or d.block is not None:
                continue
            weak = tv.nginx_protocols_below(d.args, floor)
            if weak:
                out.append(
                    RuleViolation(rule, f"{conf.label} enables {', '.join(weak)} (below TLS {floor.text})")
                )
    for conf, directives in nginx_conf.root_confs(files):
        if any(
            s.protocols is None and any(ssl for _p, ssl in s.listens) for s in nginx_conf.servers(directives)
        ):
            out.append(
                RuleViolation(
                    rule,
                    f"{conf.label} has ssl listeners but no ssl_protocols directive: nginx's default "
                    "depends on its version and build (older ones allow TLSv1 and TLSv1.1); set "
                    f"ssl_protocols {tv.nginx_protocols(tv.DEFAULT_FLOOR)}",
                )
            )
    return out


RULE = Rule(
    name=MIN_TLS,
    description="TLS below 1.2 must not be allowed.",
    remediation=(
        "Set the gateway's min_tls_version to the pack's minVersion ('1.2' by default, the component's "
        "default too; '1.3' when minVersion is 1.3) and ssl_protocols to match (TLSv1.2 TLSv1.3, or "
        "TLSv1.3 alone)."
    ),
    severity="high",
    validators={
        CONTAINER_GROUP: validate_container_group,
        ACI_SERVICE: validate_component,
        AKS_CLUSTER: validate_component,
    },
    config_schema={
        "minVersion": {
            "type": "string",
            "enum": list(tv.SUPPORTED_FLOORS),
            "default": tv.DEFAULT_FLOOR,
            "description": "Lowest TLS version allowed.",
        }
    },
    url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
)
