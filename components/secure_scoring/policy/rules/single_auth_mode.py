"""``single-auth-mode``: an endpoint does not enable key auth and token auth together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Rule, RuleContext, RuleViolation, note
from ..props import get, is_unknown, truthy
from ..scoring import each_endpoint
from ..types import ACI_SERVICE, AKS_CLUSTER, ONLINE_ENDPOINT

SINGLE_AUTH_MODE = "single-auth-mode"


def _both(key: Any, token: Any) -> bool | None:
    if is_unknown(key) or is_unknown(token):
        return None
    return truthy(key) is True and truthy(token) is True


def validate_component(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """The component's flags, and each endpoint's."""
    rule = SINGLE_AUTH_MODE
    out: list[RuleViolation] = []
    both = _both(get(props, "keyAuthEnabled"), get(props, "tokenAuthEnabled"))
    if both is None:
        out.append(note(rule, "keyAuthEnabled / tokenAuthEnabled is not known yet"))
    elif both:
        out.append(RuleViolation(rule, "keyAuthEnabled and tokenAuthEnabled are both true"))
    for label, ep in each_endpoint(props, rule, out):
        b = _both(get(ep, "keyAuthEnabled"), get(ep, "tokenAuthEnabled"))
        if b is None:
            out.append(note(rule, f"{label} auth flags are not known yet"))
        elif b:
            out.append(RuleViolation(rule, f"{label} enables key and token auth together"))
    return out


def validate_online_endpoint(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """``properties.authMode`` names one mode; no pair of auth flags is set together."""
    rule = SINGLE_AUTH_MODE
    out: list[RuleViolation] = []
    mode = get(props, "properties.authMode")
    if is_unknown(mode):
        return [note(rule, "properties.authMode is not known yet")]
    if isinstance(mode, str) and "and" in mode.lower():
        # the value is not quoted: messages never carry property values (it may be a secret)
        out.append(RuleViolation(rule, "properties.authMode combines two authentication modes"))
    named = mode.strip().lower() if isinstance(mode, str) else None
    for base in ("properties", ""):
        prefix = f"{base}." if base else ""
        token = get(props, prefix + "tokenAuthEnabled")
        for flag in ("authEnabled", "keyAuthEnabled"):
            if _both(get(props, prefix + flag), token):
                out.append(RuleViolation(rule, f"{prefix}{flag} and {prefix}tokenAuthEnabled are both true"))
                break
        else:
            # the mode names one kind, a flag turns on the other: both are enabled
            if named == "key" and truthy(token) is True:
                out.append(
                    RuleViolation(rule, f"properties.authMode is Key but {prefix}tokenAuthEnabled is true")
                )
            elif named in ("amltoken", "aadtoken"):
                for flag in ("authEnabled", "keyAuthEnabled"):
                    if truthy(get(props, prefix + flag)) is True:
                        out.append(
                            RuleViolation(
                                rule, f"properties.authMode is a token mode but {prefix}{flag} is true"
                            )
                        )
                        break
    return out


RULE = Rule(
    name=SINGLE_AUTH_MODE,
    description="An endpoint must not enable key auth and token auth together.",
    remediation="Choose exactly one of auth='key' or auth='token' per endpoint (Azure rejects both).",
    severity="high",
    validators={
        ONLINE_ENDPOINT: validate_online_endpoint,
        ACI_SERVICE: validate_component,
        AKS_CLUSTER: validate_component,
    },
    url="https://learn.microsoft.com/azure/machine-learning/how-to-authenticate-web-service",
)
