"""The policy rules: one module per rule, each a :class:`~secure_scoring.policy.model.Rule` named
``RULE`` with its metadata and its validators per resource type.

This package also keeps the names ``secure_scoring.rules`` (and ``secure_scoring.policy.rules``)
have always offered: the rule model, the type tokens, the rule names and the catalogue
(:data:`RULES` in the pack's order). Rules are plain Python: no Pulumi, no pulumi_policy.
"""

from __future__ import annotations

from typing import Any

from ...facts import CONFIG_NAMESPACE, UNKNOWN_SENTINELS
from ..model import (
    SEVERITIES,
    UNKNOWN_STACK_NAMES,
    Rule,
    RuleContext,
    RuleViolation,
    StackResource,
    enforcement_for,
)
from ..nginx_conf import NginxDirective, parse_nginx
from ..props import UNKNOWN, get, is_unknown, plain, truthy
from ..types import (
    ACI_SERVICE,
    AKS_CLUSTER,
    AZUREML_EXTENSION_TYPE,
    CERTIFICATE_BUNDLE,
    CONTAINER_GROUP,
    DNS_RECORD_BINDING,
    DNS_RECORD_SETS,
    K8S_EXTENSION,
    ML_COMPUTE,
    ONLINE_ENDPOINT,
    PRIVATE_DNS_RECORD_SETS,
    PUBLIC_IP,
    SCORING_COMPONENTS,
    TLS_LOCALLY_SIGNED,
    TLS_SELF_SIGNED,
    canonical_type,
)
from .auth_required import AUTH_REQUIRED
from .cert_expiry import CERT_EXPIRY
from .cert_hostname_match import CERT_HOSTNAME_MATCH
from .min_tls_1_2 import MIN_TLS
from .no_self_signed_in_production import NO_SELF_SIGNED
from .single_auth_mode import SINGLE_AUTH_MODE
from .tls_required import TLS_REQUIRED
from .token_auth_aks_only import TOKEN_AKS_ONLY

_FROM_CATALOGUE = ("RULES", "RULES_BY_NAME", "RULE_NAMES", "RULE_TYPES")


def __getattr__(name: str) -> Any:
    # the catalogue imports the rule modules of this package: read it on first use, not at import
    if name in _FROM_CATALOGUE:
        from .. import catalogue

        return getattr(catalogue, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACI_SERVICE",
    "AKS_CLUSTER",
    "AUTH_REQUIRED",
    "AZUREML_EXTENSION_TYPE",
    "CERTIFICATE_BUNDLE",
    "CERT_EXPIRY",
    "CERT_HOSTNAME_MATCH",
    "CONFIG_NAMESPACE",
    "CONTAINER_GROUP",
    "DNS_RECORD_BINDING",
    "DNS_RECORD_SETS",
    "K8S_EXTENSION",
    "MIN_TLS",
    "ML_COMPUTE",
    "NO_SELF_SIGNED",
    "ONLINE_ENDPOINT",
    "PRIVATE_DNS_RECORD_SETS",
    "PUBLIC_IP",
    "RULES",
    "RULES_BY_NAME",
    "RULE_NAMES",
    "RULE_TYPES",
    "SCORING_COMPONENTS",
    "SEVERITIES",
    "SINGLE_AUTH_MODE",
    "TLS_LOCALLY_SIGNED",
    "TLS_REQUIRED",
    "TLS_SELF_SIGNED",
    "TOKEN_AKS_ONLY",
    "UNKNOWN",
    "UNKNOWN_SENTINELS",
    "UNKNOWN_STACK_NAMES",
    "NginxDirective",
    "Rule",
    "RuleContext",
    "RuleViolation",
    "StackResource",
    "canonical_type",
    "enforcement_for",
    "get",
    "is_unknown",
    "parse_nginx",
    "plain",
    "truthy",
]
