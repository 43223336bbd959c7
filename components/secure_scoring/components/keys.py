"""Authentication settings shared by the ACI and AKS components.

The pure part (this section) imports nothing from Pulumi. Key-pair generation (pulumi-random,
rotation keepers) lives further down and imports Pulumi lazily.
"""

from __future__ import annotations

from ..errors import ConfigurationError, PolicyRefusal

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
    for flag_name, flag in (
        ("key_auth_enabled", key_auth_enabled),
        ("token_auth_enabled", token_auth_enabled),
    ):
        if flag is not None and not isinstance(flag, bool):
            # the flags are siblings of the auth argument: endpoints[0].auth -> endpoints[0].token_auth_enabled
            if input_name == "auth" or input_name.endswith(".auth"):
                flag_input = input_name[: -len("auth")] + flag_name
            else:
                flag_input = f"{input_name}.{flag_name}"
            raise ConfigurationError(
                flag_input,
                f"must be True, False or None, not {type(flag).__name__} {flag!r}",
                "pass a bool (the string 'false' would read as enabled)",
            )
    if key_auth_enabled and token_auth_enabled:
        raise PolicyRefusal(
            input_name,
            f"key and token authentication are both enabled: {BOTH_MODES_REASON}",
            "choose one: auth='key' (primary/secondary keys) or auth='token' (short-lived AML tokens, AKS only)",
            rule="single-auth-mode",
        )
    if mode is None:
        if token_auth_enabled:
            mode = TOKEN
        elif key_auth_enabled is False:
            mode = NONE
        else:
            mode = KEY
    canonical = _ALIASES.get(str(mode).strip().lower().replace("-", "_"))
    if canonical is None:
        raise ConfigurationError(
            input_name, f"unknown authentication mode {mode!r}", "use 'key', 'token' (AKS only) or 'none'"
        )
    if canonical == TOKEN and platform == "aci":
        raise PolicyRefusal(
            input_name,
            f"token authentication was requested on ACI: {TOKEN_ON_ACI_REASON}",
            "use auth='key' on ACI, or deploy to AKS with SecureAksCluster for token auth",
            rule="token-auth-aks-only",
        )
    # any flag that is given must agree with the mode (one flag alone can contradict it too)
    contradicts = (key_auth_enabled is not None and bool(key_auth_enabled) != (canonical == KEY)) or (
        token_auth_enabled is not None and bool(token_auth_enabled) != (canonical == TOKEN)
    )
    if contradicts:
        raise ConfigurationError(
            input_name,
            f"auth={canonical!r} contradicts key_auth_enabled={key_auth_enabled}, token_auth_enabled={token_auth_enabled}",
            "give either auth or the flags, not both",
        )
    return canonical


# -- key pair (pulumi-random; Pulumi is imported lazily, inside the functions below) -------------

KEY_LENGTH = 48
"""Characters per generated key: 48 of [A-Za-z0-9] is about 285 bits of entropy."""

_VERSION_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:")


def rotation_version(value: object, input_name: str) -> str:
    """Normalise a key rotation version (``1``, ``1.0``, ``"2026-11"``) to the keeper string.

    Ints may arrive as floats from other languages (``2.0`` → ``"2"``). Refuses empty values,
    booleans, fractional numbers and characters outside ``[A-Za-z0-9._:-]``.
    """
    if isinstance(value, bool) or value is None:
        raise ConfigurationError(
            input_name,
            f"{value!r} is not a rotation version",
            "use a number or a short string such as 1, 2 or '2026-11'",
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise ConfigurationError(
                input_name,
                f"{value!r} is not a whole number",
                "use an integer or a short string such as '2026-11'",
            )
        value = int(value)
    text = str(value).strip()
    if not text or len(text) > 64 or not set(text) <= _VERSION_ALLOWED:
        raise ConfigurationError(
            input_name,
            f"{value!r} is not a usable rotation version (1-64 characters of A-Z a-z 0-9 . _ : -)",
            "use a number or a short string such as 1, 2 or '2026-11'",
        )
    return text


class ScoringKeys:
    """A primary/secondary pair of scoring keys, generated with ``pulumi_random.RandomPassword``.

    Each key is one ``RandomPassword`` child (``f"{name}-primary-key"``, ``f"{name}-secondary-key"``)
    of ``parent``: 48 characters of ``[A-Za-z0-9]`` (``special=False``, so a key is safe in an HTTP
    header and in the gateway's key map) with ``keepers={"rotation": <version>}``. Changing ONE
    version replaces ONE key, so the other key stays valid during the rotation and clients never
    see a moment without a working key (rotation runbook: move clients to the secondary key, bump
    ``primary_version``, deploy, move clients back, later bump ``secondary_version``).

    ``primary`` / ``secondary`` are ``pulumi.Output[str]`` wrapped with ``pulumi.Output.secret``; the
    children also list ``result`` in ``additional_secret_outputs``. Nothing here logs a key.
    """

    def __init__(
        self,
        name: str,
        *,
        parent: object,
        primary_version: object = 1,
        secondary_version: object = 1,
        length: int = KEY_LENGTH,
        primary_input_name: str = "primary_key_version",
        secondary_input_name: str = "secondary_key_version",
    ) -> None:
        import pulumi

        if isinstance(length, float) and length.is_integer():
            length = int(length)
        if isinstance(length, bool) or not isinstance(length, int) or not 32 <= length <= 128:
            raise ConfigurationError(
                "key_length",
                f"{length!r} is not a usable key length",
                "use a whole number between 32 and 128 (default 48)",
            )
        self.primary_version = rotation_version(primary_version, primary_input_name)
        self.secondary_version = rotation_version(secondary_version, secondary_input_name)
        self.length = length

        self.primary_password = key_password(
            f"{name}-primary-key", self.primary_version, parent=parent, length=length
        )
        self.secondary_password = key_password(
            f"{name}-secondary-key", self.secondary_version, parent=parent, length=length
        )
        self.primary: pulumi.Output[str] = pulumi.Output.secret(self.primary_password.result)
        self.secondary: pulumi.Output[str] = pulumi.Output.secret(self.secondary_password.result)


def key_password(
    child_name: str, version: str, *, parent: object, length: int = KEY_LENGTH, aliases: list | None = None
):
    """One scoring key: a ``RandomPassword`` child of ``parent`` (48 characters of ``[A-Za-z0-9]``,
    ``keepers={"rotation": version}``, ``result`` kept secret). ``aliases``: former names of this key
    (a key renamed keeps its value)."""
    import pulumi
    import pulumi_random

    opts = pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["result", "bcryptHash"])
    if aliases:
        opts.aliases = aliases
    return pulumi_random.RandomPassword(
        child_name,
        length=length,
        special=False,
        upper=True,
        lower=True,
        numeric=True,
        keepers={"rotation": version},
        opts=opts,
    )


class KeyRing:
    """The scoring keys of a blue/green service: one ``RandomPassword`` per (role, version), shared by
    every slot that accepts that version, so a key clients hold is valid on each slot that names it.

    Children ``f"{name}-{role}-key-{version}"`` (role ``primary`` or ``secondary``) of ``parent``. The
    versions in ``adopt`` (role -> version) were the service's single pair before it had slots: those
    keys alias the former children ``f"{name}-{role}-key"`` and keep their values.
    """

    ROLES = ("primary", "secondary")

    def __init__(
        self,
        name: str,
        *,
        parent: object,
        versions: list[tuple[str, str]],
        adopt: dict[str, str] | None = None,
    ) -> None:
        import pulumi

        self.passwords: dict[tuple[str, str], object] = {}
        self.results: dict[tuple[str, str], pulumi.Output[str]] = {}
        for role, version in versions:
            if (role, version) in self.passwords:
                continue
            aliases = None
            if adopt and adopt.get(role) == version:
                aliases = [pulumi.Alias(name=f"{name}-{role}-key")]
            password = key_password(f"{name}-{role}-key-{version}", version, parent=parent, aliases=aliases)
            self.passwords[(role, version)] = password
            self.results[(role, version)] = pulumi.Output.secret(password.result)

    def key(self, role: str, version: str):
        """The key (a secret ``Output[str]``) of ``role`` at ``version``."""
        return self.results[(role, version)]


def create_scoring_keys(
    name: str, *, parent: object, primary_version: object = 1, secondary_version: object = 1
) -> ScoringKeys:
    """Create the two ``RandomPassword`` children of ``parent``; see :class:`ScoringKeys`."""
    return ScoringKeys(
        name, parent=parent, primary_version=primary_version, secondary_version=secondary_version
    )
