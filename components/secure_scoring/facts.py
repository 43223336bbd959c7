"""Pieces every component shares: the type-token scheme and the security facts policies read.

Imports nothing from Pulumi so the policy rules can use the same key names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PACKAGE = "secure-scoring"
TYPE_PREFIX = f"{PACKAGE}:index:"

PLATFORMS = ("aci", "aks")
AUTH_MODES = ("key", "token", "none")
CERTIFICATE_SOURCES = ("pem", "self_signed", "dev_ca", "microsoft_managed")


def type_token(class_name: str) -> str:
    """``secure-scoring:index:<ClassName>``: the one place the token scheme is built."""
    return TYPE_PREFIX + class_name


@dataclass(frozen=True)
class EndpointAuth:
    """Authentication of one scoring endpoint (AKS may have several)."""

    name: str
    auth_mode: str  # "key" | "token" | "none"
    key_auth_enabled: bool
    token_auth_enabled: bool

    def props(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "authMode": self.auth_mode,
            "keyAuthEnabled": self.key_auth_enabled,
            "tokenAuthEnabled": self.token_auth_enabled,
        }


@dataclass(frozen=True)
class SecurityFacts:
    """The resolved security settings of a scoring component.

    Passed as ``props`` to ``ComponentResource.__init__`` (camelCase: what resource policies see) and
    registered as outputs (snake_case: what stack policies see). ``secure_scoring.policy.rules`` reads both.
    """

    platform: str  # "aci" | "aks"
    tls_enabled: bool
    certificate_source: str | None  # one of CERTIFICATE_SOURCES, None when TLS is off
    self_signed: bool
    auth_mode: str  # the component-level mode: "key" | "token" | "none"
    key_auth_enabled: bool
    token_auth_enabled: bool
    min_tls_version: str = "1.2"
    environment: str | None = None
    hostname: str | None = None
    certificate_hostnames: tuple[str, ...] = ()
    certificate_not_after: str | None = None  # ISO 8601, UTC
    endpoints: tuple[EndpointAuth, ...] = field(default_factory=tuple)

    def props(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "tlsEnabled": self.tls_enabled,
            "certificateSource": self.certificate_source,
            "selfSigned": self.self_signed,
            "authMode": self.auth_mode,
            "keyAuthEnabled": self.key_auth_enabled,
            "tokenAuthEnabled": self.token_auth_enabled,
            "minTlsVersion": self.min_tls_version,
            "environment": self.environment,
            "hostname": self.hostname,
            "certificateHostnames": list(self.certificate_hostnames),
            "certificateNotAfter": self.certificate_not_after,
            "endpoints": [e.props() for e in self.endpoints],
        }

    def outputs(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "tls_enabled": self.tls_enabled,
            "certificate_source": self.certificate_source,
            "self_signed": self.self_signed,
            "auth_mode": self.auth_mode,
            "key_auth_enabled": self.key_auth_enabled,
            "token_auth_enabled": self.token_auth_enabled,
            "min_tls_version": self.min_tls_version,
            "environment": self.environment,
            "hostname": self.hostname,
            "certificate_hostnames": list(self.certificate_hostnames),
            "certificate_not_after": self.certificate_not_after,
            "endpoints": [
                {
                    "name": e.name,
                    "auth_mode": e.auth_mode,
                    "key_auth_enabled": e.key_auth_enabled,
                    "token_auth_enabled": e.token_auth_enabled,
                }
                for e in self.endpoints
            ],
        }
