"""``token-auth-aks-only``: token authentication only on AKS/Kubernetes endpoints, never on ACI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Rule, RuleContext, RuleViolation, note
from ..props import get, is_unknown, truthy
from ..scoring import endpoint_label, endpoints
from ..types import ACI_SERVICE, AKS_CLUSTER

TOKEN_AKS_ONLY = "token-auth-aks-only"


def _judge(props: Mapping[str, Any], ctx: RuleContext, *, on_aci: bool) -> list[RuleViolation]:
    rule = TOKEN_AKS_ONLY
    platform = get(props, "platform")
    if is_unknown(platform):
        return [note(rule, "platform is not known yet")]
    if not (on_aci or (isinstance(platform, str) and platform.lower() == "aci")):
        return []
    out: list[RuleViolation] = []
    mode, token = get(props, "authMode"), get(props, "tokenAuthEnabled")
    if is_unknown(mode) or is_unknown(token):
        return [note(rule, "authMode / tokenAuthEnabled is not known yet")]
    if truthy(token) is True or (
        isinstance(mode, str) and mode.lower() in ("token", "amltoken", "aml_token")
    ):
        out.append(RuleViolation(rule, "token authentication is requested on Azure Container Instances"))
    eps = endpoints(props)
    if not is_unknown(eps):
        for i, ep in enumerate(eps):
            if isinstance(ep, Mapping):
                m, t = get(ep, "authMode"), get(ep, "tokenAuthEnabled")
                if truthy(t) is True or (isinstance(m, str) and m.lower() in ("token", "amltoken")):
                    out.append(
                        RuleViolation(rule, f"{endpoint_label(ep, i)} requests token authentication on ACI")
                    )
    return out


def validate_aci_service(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """A SecureAciService never requests token auth."""
    return _judge(props, ctx, on_aci=True)


def validate_aks_cluster(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """A component registered as AKS whose ``platform`` fact says ``aci`` is judged as ACI."""
    return _judge(props, ctx, on_aci=False)


RULE = Rule(
    name=TOKEN_AKS_ONLY,
    description="Token authentication exists only on AKS/Kubernetes endpoints, not on ACI.",
    remediation="Use auth='key' on SecureAciService, or move the endpoint to SecureAksCluster for token auth.",
    severity="medium",
    validators={ACI_SERVICE: validate_aci_service, AKS_CLUSTER: validate_aks_cluster},
    url="https://learn.microsoft.com/azure/machine-learning/how-to-authenticate-web-service",
)
