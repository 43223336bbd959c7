"""Authentication settings shared by the ACI and AKS components.

The pure part (this section) imports nothing from Pulumi. Key-pair generation (pulumi-random,
rotation keepers) lives further down and imports Pulumi lazily.
"""

from __future__ import annotations

from .errors import ConfigurationError

KEY = "key"
TOKEN = "token"
NONE = "none"

_ALIASES = {
    "key": KEY,
    "keys": KEY,
    "token": TOKEN,
    "amltoken": TOKEN,
    "aml_token": TOKEN,
    "none": NONE,
    "off": NONE,
}

# What Azure calls each mode on an online endpoint (OnlineEndpointPropertiesArgs.auth_mode).
AZURE_AUTH_MODE = {KEY: "Key", TOKEN: "AMLToken"}

BOTH_MODES_REASON = (
    "Azure ML cannot enable key and token authentication on the same endpoint "
    "(SDK v1: 'cannot set both token_auth_enabled and auth_enabled'; v2: auth_mode is a single value)"
)
TOKEN_ON_ACI_REASON = "token authentication exists only on AKS/Kubernetes endpoints; Azure Container Instances support key auth or none"


def resolve_auth_mode(
    mode: str | None,
    *,
    platform: str,
    input_name: str = "auth",
    key_auth_enabled: bool | None = None,
    token_auth_enabled: bool | None = None,
) -> str:
    """Return the canonical auth mode ("key" | "token" | "none") for ``platform`` ("aci" | "aks").

    Accepts either ``mode`` or the SDK v1 style pair of flags; refuses both flags at once, token on
    ACI and unknown names, each with a message that names the input and the fix.
    """
    if key_auth_enabled and token_auth_enabled:
        raise ConfigurationError(
            input_name,
            f"key and token authentication are both enabled: {BOTH_MODES_REASON}",
            "choose one: auth='key' (primary/secondary keys) or auth='token' (short-lived AML tokens, AKS only)",
        )
    if mode is None:
        if token_auth_enabled:
            mode = TOKEN
        elif key_auth_enabled is False and token_auth_enabled is False:
            mode = NONE
        else:
            mode = KEY
    canonical = _ALIASES.get(str(mode).strip().lower().replace("-", "_"))
    if canonical is None:
        raise ConfigurationError(
            input_name, f"unknown authentication mode {mode!r}", "use 'key', 'token' (AKS only) or 'none'"
        )
    if canonical == TOKEN and platform == "aci":
        raise ConfigurationError(
            input_name,
            f"token authentication was requested on ACI: {TOKEN_ON_ACI_REASON}",
            "use auth='key' on ACI, or deploy to AKS with SecureAksCluster for token auth",
        )
    if key_auth_enabled is not None and token_auth_enabled is not None:
        flags_mode = TOKEN if token_auth_enabled else KEY if key_auth_enabled else NONE
        if flags_mode != canonical:
            raise ConfigurationError(
                input_name,
                f"auth={canonical!r} contradicts key_auth_enabled={key_auth_enabled}, token_auth_enabled={token_auth_enabled}",
                "give either auth or the two flags, not both",
            )
    return canonical
