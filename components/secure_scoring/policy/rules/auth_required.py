"""``auth-required``: production scoring endpoints require authentication."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import nginx_conf
from ..model import Rule, RuleContext, RuleViolation, note
from ..props import get, is_unknown, truthy
from ..scoring import each_endpoint, endpoints, is_none_mode
from ..types import ACI_SERVICE, AKS_CLUSTER, CONTAINER_GROUP, ONLINE_ENDPOINT

AUTH_REQUIRED = "auth-required"


def _no_auth(mode: Any, key: Any, token: Any) -> bool:
    return is_none_mode(mode) and truthy(key) is not True and truthy(token) is not True


def _judge_component(
    props: Mapping[str, Any], ctx: RuleContext, *, component_mode_counts: bool
) -> list[RuleViolation]:
    """The component-level mode (when it counts) and each endpoint's settings."""
    rule = AUTH_REQUIRED
    out: list[RuleViolation] = []
    where = ctx.production_label(get(props, "environment"))
    mode = get(props, "authMode")
    key, token = get(props, "keyAuthEnabled"), get(props, "tokenAuthEnabled")
    eps = endpoints(props)
    if is_unknown(mode) or is_unknown(key) or is_unknown(token):
        out.append(note(rule, "authMode / keyAuthEnabled / tokenAuthEnabled is not known yet"))
    elif (component_mode_counts or not eps) and _no_auth(mode, key, token):
        out.append(
            RuleViolation(rule, f"the scoring endpoint has no authentication (authMode none; {where})")
        )
    for label, ep in each_endpoint(props, rule, out):
        m, k, t = get(ep, "authMode"), get(ep, "keyAuthEnabled"), get(ep, "tokenAuthEnabled")
        if any(is_unknown(v) for v in (m, k, t)):
            out.append(note(rule, f"{label} auth settings are not known yet"))
        elif _no_auth(m, k, t):
            out.append(RuleViolation(rule, f"{label} has no authentication (authMode none; {where})"))
    return out


def validate_aci_service(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """ACI serves one endpoint: the component's own mode always counts."""
    return _judge_component(props, ctx, component_mode_counts=True)


def validate_aks_cluster(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """AKS: the endpoints' modes; the component's mode counts only when it lists no endpoint."""
    return _judge_component(props, ctx, component_mode_counts=False)


def validate_online_endpoint(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """``properties.authMode`` is a real mode."""
    mode = get(props, "properties.authMode")
    if is_unknown(mode):
        return [note(AUTH_REQUIRED, "properties.authMode is not known yet")]
    if is_none_mode(mode):
        shown = "missing" if mode is None else "empty" if not str(mode).strip() else str(mode)
        return [
            RuleViolation(
                AUTH_REQUIRED,
                f"properties.authMode is {shown}: the endpoint has no authentication ({ctx.stack_label()})",
            )
        ]
    return []


def validate_container_group(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """A raw nginx gateway (configuration readable from its secret volume) that serves TLS but
    checks no credential: no ``auth_*`` directive, no test of the Authorization header, no 401/403."""
    found, _unknown = nginx_conf.gateways(props)
    out = [
        RuleViolation(
            AUTH_REQUIRED,
            f"the nginx gateway '{g.container}' checks no credential (no auth_request/auth_basic, no test "
            f"of the Authorization header): the scoring endpoint has no authentication ({ctx.stack_label()})",
        )
        for g in found
        if g.tls_servers() and not g.authenticates()
    ]
    return out + [
        note(
            AUTH_REQUIRED,
            f"whether gateway '{get(c, 'name')}' checks a credential (its configuration is not readable: only "
            "an nginx configuration in the group's secret volumes is read); prove it after the deploy with "
            "'secure-scoring verify'",
        )
        for c in nginx_conf.unreadable_gateways(props)
    ]


RULE = Rule(
    name=AUTH_REQUIRED,
    description="Production scoring endpoints must require authentication.",
    remediation="Set auth='key' (ACI, AKS) or auth='token' (AKS) on the component, or authMode Key/AMLToken/AADToken on the OnlineEndpoint.",
    severity="high",
    validators={
        ONLINE_ENDPOINT: validate_online_endpoint,
        CONTAINER_GROUP: validate_container_group,
        ACI_SERVICE: validate_aci_service,
        AKS_CLUSTER: validate_aks_cluster,
    },
    production_only=True,
    url="https://learn.microsoft.com/azure/machine-learning/how-to-authenticate-web-service",
)
