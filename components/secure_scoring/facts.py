"""Pieces every component shares: the type-token scheme and the security facts policies read.

Imports nothing from Pulumi so the policy rules can use the same key names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .tls_versions import DEFAULT_FLOOR

PACKAGE = "secure-scoring"
"""The distribution, the CLI, the policy pack, the type-token package and the config namespace."""
TYPE_PREFIX = f"{PACKAGE}:index:"
CONFIG_NAMESPACE = PACKAGE
"""Stack config the pack reads: ``secure-scoring:environment``, ``secure-scoring:productionStacks``."""

PRODUCTION_NAMES = ("production", "prod")
"""Stack names that are always production, and the ``environment`` values that mean production."""

# enforcement levels, as pulumi-policy spells them in pack config
ADVISORY = "advisory"
MANDATORY = "mandatory"
REMEDIATE = "remediate"
DISABLED = "disabled"
ENFORCEMENT_LEVELS = (ADVISORY, MANDATORY, REMEDIATE, DISABLED)

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""Pulumi's wire sentinel for a string not known during preview (``pulumi.runtime.rpc.UNKNOWN``)."""
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        UNKNOWN,  # string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
"""pulumi_policy.proxy's unknown sentinels (the engine's wire encoding of "not known during preview")."""
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
"""A secret on the wire: ``{SECRET_SIG_KEY: SECRET_SIG, "value": ...}``."""


def is_production_name(value: object) -> bool:
    """``production``/``prod`` in any case, surrounding space ignored; anything else (or not a string) no."""
    return isinstance(value, str) and value.strip().lower() in PRODUCTION_NAMES


def version() -> str:
    """The installed distribution's version (``secure-scoring --version``, SARIF, the pack), or
    ``"unknown"`` when the package runs from a source tree that is not installed."""
    from importlib import metadata

    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


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
    min_tls_version: str = DEFAULT_FLOOR
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
