"""What a :class:`SecureAciService` will register, decided before anything is: :func:`plan_aci_service`.

:func:`plan_aci_service` reads top to bottom as guard clauses, then named steps, each a function of
its own (tested alone in ``tests/components/test_aci_plan.py``):

``check_args`` → ``resolve_certificate`` → ``resolve_hostname`` → ``resolve_dns_label`` →
``resolve_auth`` → ``container_resources`` → ``check_images`` → ``resolve_inference_server`` →
``scorer_environment`` → ``scorer_command`` → ``gateway_settings`` → ``resolve_identity`` → ``resolve_registries`` →
``resolve_environment`` → ``check_group_name``.

Every refusal is a :class:`~secure_scoring.errors.ConfigurationError` naming the input, the problem
and the fix, in that order (the first wrong input is the one reported). The plan holds plain values
(and the ``pulumi.Output`` values the arguments carry through, such as environment variables).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from ...errors import ConfigurationError, PolicyRefusal
from ...names import is_ip
from ..certificate_bundle import refuse_dev_certificate_in_production
from ..inputs import (
    check_string_map,
    config_number_fix,
    config_string_hint,
    host_input,
    label_input,
    require_str_input,
)
from ..keys import KEY, NONE, resolve_auth_mode, rotation_version
from .args import (
    AZURE_PLATFORM_DNS,
    DEFAULT_ENTRY_SCRIPT,
    DEFAULT_MODEL_DIR,
    DNS_LABEL_SCOPES,
    HTTPS_PORT,
    INFERENCE_LOCALHOST,
    SCORER_PORT,
    RegistryCredential,
    SecureAciServiceArgs,
    is_inference_image,
)

if TYPE_CHECKING:
    from ...dataplane.gateway import GatewaySettings

__all__ = [
    "AciPlan",
    "Auth",
    "ContainerResources",
    "Identity",
    "plan_aci_service",
]

# arguments that decide structure or are checked before deployment: a pulumi Output is refused
PLAIN_FIELDS = (
    "hostname",
    "dns_name_label",
    "dns_name_label_scope",
    "auth",
    "primary_key_version",
    "secondary_key_version",
    "image",
    "inference_server",
    "entry_script",
    "model_dir",
    "gateway_image",
    "environment",
    "cpu",
    "memory_gb",
    "gateway_cpu",
    "gateway_memory_gb",
    "worker_count",
    "system_assigned_identity",
)
# ACI's limits for a Linux container group
MAX_GROUP_CPU = 4
MAX_GROUP_MEMORY_GB = 16
# variables the component sets from its own arguments (the scorer command uses the same values)
OWNED_VARIABLES = {
    "AZUREML_ENTRY_SCRIPT": "entry_script",
    "AZUREML_MODEL_DIR": "model_dir",
    "WORKER_COUNT": "worker_count",
}
# gateway settings SecureAciService decides itself
FIXED_GATEWAY_SETTINGS = frozenset(
    {"hostnames", "auth_mode", "upstream", "listen_port", "listen_address", "config_dir"}
)
# ARM's rule for a container group name: 1-63 lower-case letters, digits and hyphens, no hyphen at
# either end, no two hyphens in a row.
_GROUP_NAME = re.compile(r"^(?!.*--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
AUTONAME_SUFFIX = 8  # the random characters Pulumi appends to an auto-named resource


@dataclass(frozen=True)
class Auth:
    """The one auth mode of the service and the rotation keepers of its two keys."""

    mode: str
    primary_version: str
    secondary_version: str


@dataclass(frozen=True)
class ContainerResources:
    """vCPUs and GB reserved for the scorer and the gateway."""

    cpu: float
    memory_gb: float
    gateway_cpu: float
    gateway_memory_gb: float


@dataclass(frozen=True)
class Identity:
    """The group's managed identity: ARM's type string (None: no identity) and the user-assigned ids."""

    type: str | None
    ids: tuple[Any, ...]


@dataclass(frozen=True)
class AciPlan:
    """Everything decided at construction, before any registration."""

    hostname: str
    dns_name_label: str
    scope: str
    auth: Auth
    resources: ContainerResources
    env: Mapping[str, Any]
    secure_env: Mapping[str, Any]
    scorer_command: tuple[str, ...] | None
    inference_server: bool
    settings: GatewaySettings
    gateway_command: tuple[str, ...]
    health_path: str
    identity: Identity
    registries: tuple[RegistryCredential, ...]
    environment: str | None

    @property
    def scoring_uri(self) -> str:
        return f"https://{self.hostname}/score"

    @property
    def min_tls_version(self) -> str:
        """The TLS floor the gateway is rendered with: the one the facts declare."""
        return self.settings.min_tls_version


def plan_aci_service(name: str, args: SecureAciServiceArgs) -> AciPlan:
    """Check ``args`` and decide the plan; every refusal happens here, before any registration."""
    check_args(args)
    cert = resolve_certificate(args.certificate)
    hostname = resolve_hostname(args.hostname, cert)
    label, scope = resolve_dns_label(args.dns_name_label, args.dns_name_label_scope)
    auth = resolve_auth(args)
    resources = container_resources(args)
    check_images(args)
    inference_server = resolve_inference_server(args.inference_server, args.image)
    env, secure_env = scorer_environment(args)
    command = scorer_command(args, env, inference_server)
    settings = gateway_settings(args.gateway_options, cert, hostname, auth.mode)
    identity = resolve_identity(args.identity_ids, args.system_assigned_identity)
    registries = resolve_registries(args.image_registry_credentials, identity)
    environment = resolve_environment(args.environment, cert)
    check_group_name(name, args.container_group_name)

    from ...dataplane.gateway import HEALTH_PATH, container_command

    return AciPlan(
        hostname=hostname,
        dns_name_label=label,
        scope=scope,
        auth=auth,
        resources=resources,
        env=env,
        secure_env=secure_env,
        scorer_command=command,
        inference_server=inference_server,
        settings=settings,
        gateway_command=tuple(container_command(settings)),
        health_path=HEALTH_PATH,
        identity=identity,
        registries=registries,
        environment=environment,
    )


# ------------------------------------------------------------------------------------ guard clauses
def check_args(args: object) -> None:
    """``args`` is a SecureAciServiceArgs whose structural fields are plain values, and whose
    ``Input[str]`` fields the SDK would accept (it would otherwise fail after the keys were registered)."""
    if not isinstance(args, SecureAciServiceArgs):
        raise ConfigurationError("args", f"expected SecureAciServiceArgs, got {type(args).__name__}", None)
    for field_name in PLAIN_FIELDS:
        if isinstance(getattr(args, field_name), pulumi.Output):
            raise ConfigurationError(
                field_name,
                "is a pulumi Output, but it must be a plain value known at construction (it decides the "
                "container group's settings and the gateway configuration, and is checked before deployment)",
                f"pass the value itself (read it with pulumi.Config().require({field_name!r}) rather than "
                "from another resource's output)",
            )
    require_str_input(args.resource_group_name, "resource_group_name", "'rg-ml-prod'")
    require_str_input(args.location, "location", "'westeurope'", required=False)
    require_str_input(args.container_group_name, "container_group_name", "'contoso-scoring'", required=False)
    check_string_map(args.tags, "tags")


def resolve_certificate(cert: Any) -> Any:
    """The certificate bundle: present, bundle-like, and not Microsoft-managed (AKS only)."""
    if cert is None:
        raise ConfigurationError(
            "certificate",
            "no certificate given; TLS is always on for ACI",
            "pass a CertificateBundle that covers hostname",
        )
    if any(not hasattr(cert, a) for a in ("cert_pem", "key_pem", "hostname_list", "covers", "source")):
        raise ConfigurationError(
            "certificate",
            f"expected a CertificateBundle, got {type(cert).__name__}",
            "create it with CertificateBundle(...)",
        )
    if cert.source == "microsoft_managed":
        raise ConfigurationError(
            "certificate",
            "Microsoft-managed certificates exist only for AKS (leaf_domain_label); ACI needs your own certificate",
            "use a certificate with source 'pem' (or 'self_signed'/'dev_ca' outside production)",
        )
    return cert


def resolve_hostname(value: object, cert: Any) -> str:
    """The custom host name (names.py decides), a DNS name the certificate covers."""
    hostname = host_input(value, "hostname", allow_ip=True)
    if is_ip(hostname):
        raise ConfigurationError(
            "hostname",
            f"{hostname} is an IP address; a container group's IP changes when Azure restarts it",
            "use a DNS name (e.g. scoring.contoso.com) and point it at the group with DnsRecordBinding (CNAME)",
        )
    if not cert.covers(hostname):
        raise PolicyRefusal(
            "hostname",
            f"the certificate does not cover {hostname} (it covers {', '.join(cert.hostname_list) or 'no hostnames'})",
            f"use a hostname the certificate lists, or issue a certificate with {hostname} in its subjectAltName",
            rule="cert-hostname-match",
        )
    return hostname


def resolve_dns_label(value: object, scope_value: object) -> tuple[str, str]:
    """(label, reuse scope) of the group's Azure DNS name; ``Unsecure`` is refused (subdomain takeover)."""
    label = label_input(value, "dns_name_label")
    # ACI's own rule for ipAddress.dnsNameLabel is stricter than a host name label: it answers
    # "The first character must be a letter ... between 5 and 63 characters long" at deployment.
    if len(label) < 5 or not label[0].isalpha():
        raise ConfigurationError(
            "dns_name_label",
            f"{value!r} is not a container group DNS label: ACI wants 5-63 lower-case "
            "letters, digits and hyphens that start with a letter and end with a letter or digit",
            "use e.g. 'contoso-scoring' (5-63 characters, start with a letter)",
        )
    scope_key = str(scope_value or "").strip().lower().replace("_", "").replace("-", "")
    if scope_key == "unsecure":
        raise ConfigurationError(
            "dns_name_label_scope",
            "'Unsecure' lets anyone who creates a container group with the same label later take over "
            f"{label}.<region>.azurecontainer.io, and your CNAME would then send clients (and keys) to them",
            "use 'TenantReuse' (default), 'SubscriptionReuse', 'ResourceGroupReuse' or 'Noreuse'",
        )
    scope = DNS_LABEL_SCOPES.get(scope_key)
    if scope is None:
        raise ConfigurationError(
            "dns_name_label_scope",
            f"unknown scope {scope_value!r}",
            "use 'TenantReuse' (default), 'SubscriptionReuse', 'ResourceGroupReuse' or 'Noreuse'",
        )
    return label, scope


def resolve_auth(args: SecureAciServiceArgs) -> Auth:
    """``key`` or ``none`` (``token`` is AKS only), and the keys' rotation keepers."""
    mode = resolve_auth_mode(args.auth, platform="aci", input_name="auth")
    if mode not in (KEY, NONE):  # resolve_auth_mode already refuses token on ACI
        raise ConfigurationError("auth", f"unsupported auth {mode!r} on ACI", "use 'key' or 'none'")
    return Auth(
        mode=mode,
        primary_version=rotation_version(args.primary_key_version, "primary_key_version"),
        secondary_version=rotation_version(args.secondary_key_version, "secondary_key_version"),
    )


def _number(value: object, input_name: str, *, low: float, high: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            input_name,
            f"{value!r} is not a number" + config_string_hint(value),
            f"give {unit} between {low} and {high}" + config_number_fix(value, "float"),
        )
    number = float(value)
    if not low < number <= high:
        raise ConfigurationError(
            input_name, f"{value!r} is outside ({low}, {high}]", f"give {unit} between {low} and {high}"
        )
    return number


def container_resources(args: SecureAciServiceArgs) -> ContainerResources:
    """The scorer's and the gateway's reservations, within a Linux group's 4 vCPUs and 16 GB."""
    cpu = _number(args.cpu, "cpu", low=0, high=MAX_GROUP_CPU, unit="vCPUs")
    memory = _number(args.memory_gb, "memory_gb", low=0, high=MAX_GROUP_MEMORY_GB, unit="GB")
    gw_cpu = _number(args.gateway_cpu, "gateway_cpu", low=0, high=MAX_GROUP_CPU, unit="vCPUs")
    gw_memory = _number(
        args.gateway_memory_gb, "gateway_memory_gb", low=0, high=MAX_GROUP_MEMORY_GB, unit="GB"
    )
    if cpu + gw_cpu > MAX_GROUP_CPU or memory + gw_memory > MAX_GROUP_MEMORY_GB:
        raise ConfigurationError(
            "cpu",
            f"the group would reserve {cpu + gw_cpu} vCPUs and {memory + gw_memory} GB; a Linux container group has at most 4 and 16",
            "lower cpu/memory_gb (the gateway needs gateway_cpu/gateway_memory_gb on top)",
        )
    return ContainerResources(cpu=cpu, memory_gb=memory, gateway_cpu=gw_cpu, gateway_memory_gb=gw_memory)


def check_images(args: SecureAciServiceArgs) -> None:
    """``image`` and ``gateway_image`` are image references (no blank, no whitespace)."""
    for field_name in ("image", "gateway_image"):
        value = getattr(args, field_name)
        if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
            raise ConfigurationError(
                field_name, f"{value!r} is not an image reference", "use e.g. 'registry/name:tag'"
            )


def resolve_inference_server(value: object, image: str) -> bool:
    """Whether the scorer runs Azure ML's inference server (start command, liveness probe): as given,
    else True for one of Azure ML's minimal inference images, from whatever registry."""
    if value is None:
        return is_inference_image(image)
    if not isinstance(value, bool):
        raise ConfigurationError(
            "inference_server",
            f"expected True, False or None, got {value!r}",
            "pass inference_server=True when the image runs Azure ML's inference server (azmlinfsrv)",
        )
    return value


def _env_name(name: object, input_name: str) -> str:
    if not isinstance(name, str) or not name or not (name[0].isalpha() or name[0] == "_"):
        raise ConfigurationError(
            input_name, f"{name!r} is not an environment variable name", "use [A-Za-z_][A-Za-z0-9_]*"
        )
    if not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        raise ConfigurationError(
            input_name, f"{name!r} is not an environment variable name", "use [A-Za-z_][A-Za-z0-9_]*"
        )
    return name


def scorer_environment(args: SecureAciServiceArgs) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plain, secure) environment of the scorer: the component's own variables first, then the user's."""
    for field_name, example in (("entry_script", DEFAULT_ENTRY_SCRIPT), ("model_dir", DEFAULT_MODEL_DIR)):
        value = getattr(args, field_name)
        if not isinstance(value, str) or not value.startswith("/") or "\n" in value:
            raise ConfigurationError(
                field_name,
                f"{value!r} is not an absolute path inside the scorer image",
                f"use e.g. {example!r}; a directory on this machine is not copied into the container: "
                "build an image FROM the scorer image that holds your code and model, and pass it as image=",
            )
    env: dict[str, Any] = {
        "AZUREML_ENTRY_SCRIPT": args.entry_script,
        "AZUREML_MODEL_DIR": args.model_dir,
        "AML_APP_ROOT": posixpath.dirname(args.entry_script),
    }
    if args.worker_count is not None:
        wc = args.worker_count
        if isinstance(wc, float) and wc.is_integer():
            wc = int(wc)
        if isinstance(wc, bool) or not isinstance(wc, int) or not 1 <= wc <= 32:
            raise ConfigurationError(
                "worker_count", f"{args.worker_count!r} is not a worker count", "use 1..32"
            )
        env["WORKER_COUNT"] = str(wc)
    for field_name in ("environment_variables", "secure_environment_variables"):
        given = getattr(args, field_name)
        if given is not None and not isinstance(given, Mapping):
            raise ConfigurationError(
                field_name,
                f"expected a mapping of variable names to values, got {type(given).__name__}",
                f"pass a dict such as {field_name}={{'LOG_LEVEL': 'info'}}",
            )
        for k, v in (given or {}).items():
            if not isinstance(v, str | pulumi.Output):
                raise ConfigurationError(
                    f"{field_name}[{k!r}]",
                    f"{v!r} is a {type(v).__name__}; Azure accepts only strings as environment values",
                    f"quote it: {k!r}: {str(v)!r}",
                )
    for field_name in ("environment_variables", "secure_environment_variables"):
        for k in getattr(args, field_name) or {}:
            if isinstance(k, str) and k in OWNED_VARIABLES:
                raise ConfigurationError(
                    f"{field_name}[{k!r}]",
                    f"{k} is set by the component from {OWNED_VARIABLES[k]} (the scorer's start command uses "
                    "the same value), so a second value here would contradict it",
                    f"drop {k} and pass {OWNED_VARIABLES[k]}= instead",
                )
    for k, v in (args.environment_variables or {}).items():
        env[_env_name(k, "environment_variables")] = v
    secure_env = {
        _env_name(k, "secure_environment_variables"): v
        for k, v in (args.secure_environment_variables or {}).items()
    }
    clash = sorted(set(env) & set(secure_env))
    if clash:
        raise ConfigurationError(
            "secure_environment_variables",
            f"{', '.join(clash)} also given as a plain variable",
            "give each variable once",
        )
    return env, secure_env


def scorer_command(
    args: SecureAciServiceArgs, env: Mapping[str, Any], inference_server: bool | None = None
) -> tuple[str, ...] | None:
    """The scorer's start command: the given one; with Azure ML's inference server the server bound to
    127.0.0.1; otherwise None (the image's entrypoint). ``inference_server``: default, resolved from
    ``args`` (:func:`resolve_inference_server`)."""
    if args.scorer_command is not None:
        if isinstance(args.scorer_command, str | bytes) or not isinstance(args.scorer_command, Sequence):
            raise ConfigurationError(
                "scorer_command",
                f"expected a list of program and arguments, got {type(args.scorer_command).__name__}"
                + (
                    " (a string would be split into single characters)"
                    if isinstance(args.scorer_command, str)
                    else ""
                ),
                "pass a list such as ['python', 'score.py'] (shlex.split('...') splits a command line)",
            )
        command = tuple(str(c) for c in args.scorer_command)
        if not command:
            raise ConfigurationError(
                "scorer_command", "empty command", "give the program and its arguments, or None"
            )
        return command
    if inference_server is None:
        inference_server = resolve_inference_server(args.inference_server, args.image)
    if not inference_server:
        return None
    command = (
        "python",
        "-c",
        INFERENCE_LOCALHOST,
        "--entry_script",
        args.entry_script,
        "--model_dir",
        args.model_dir,
        "--port",
        str(SCORER_PORT),
    )
    if args.worker_count is not None:
        command += ("--worker_count", env["WORKER_COUNT"])
    return command


def gateway_settings(options_value: object, cert: Any, hostname: str, auth_mode: str) -> GatewaySettings:
    """The gateway's settings: the user's ``gateway_options`` plus what the service decides itself.
    The TLS floor rendered into nginx.conf is ``settings.min_tls_version``, the fact the service declares."""
    from ...dataplane.gateway import CONTAINER_CONFIG_DIR, GatewaySettings

    if options_value is not None and not isinstance(options_value, Mapping):
        raise ConfigurationError(
            "gateway_options",
            f"expected a mapping of GatewaySettings fields to values, got {type(options_value).__name__}",
            "pass a dict such as gateway_options={'max_body_size': '10m'}",
        )
    options = dict(options_value or {})
    # self-signed and dev-CA certificates have no public OCSP responder: stapling off
    options.setdefault("private_ca", cert.source in ("self_signed", "dev_ca"))
    # stapling needs a resolver to reach the CA's OCSP responder: Azure's platform DNS
    if not options["private_ca"]:
        options.setdefault("resolver", AZURE_PLATFORM_DNS)
    overlap = sorted(FIXED_GATEWAY_SETTINGS & set(options))
    if overlap:
        raise ConfigurationError(
            "gateway_options",
            f"{', '.join(overlap)} are set by SecureAciService",
            "use hostname/auth on SecureAciServiceArgs instead",
        )
    try:
        return GatewaySettings(
            hostnames=[hostname],
            auth_mode=auth_mode,
            upstream=f"127.0.0.1:{SCORER_PORT}",
            listen_port=HTTPS_PORT,
            config_dir=CONTAINER_CONFIG_DIR,
            **options,
        )
    except TypeError as exc:
        raise ConfigurationError(
            "gateway_options",
            f"not a gateway setting ({exc})",
            "use GatewaySettings field names such as max_body_size",
        ) from None


def resolve_identity(identity_ids: object, system_assigned: object) -> Identity:
    """The group's managed identity: user-assigned ids (each may be an Output) and/or system-assigned."""
    if identity_ids is not None and (
        isinstance(identity_ids, str | pulumi.Output) or not isinstance(identity_ids, Sequence)
    ):
        raise ConfigurationError(
            "identity_ids",
            "expected a list of identity resource ids, got "
            + ("one string" if isinstance(identity_ids, str) else type(identity_ids).__name__),
            "pass a plain list, e.g. identity_ids=[identity.id] (each id may be a pulumi Output)",
        )
    ids = tuple(identity_ids or ())
    if not isinstance(system_assigned, bool):
        raise ConfigurationError(
            "system_assigned_identity",
            f"expected True or False, got {system_assigned!r}",
            "pass system_assigned_identity=True to give the group a system-assigned identity",
        )
    for i, identity in enumerate(ids):
        if not isinstance(identity, str | pulumi.Output):
            raise ConfigurationError(
                f"identity_ids[{i}]",
                f"expected the resource id of a user-assigned identity, got {type(identity).__name__}",
                "pass identity.id or '/subscriptions/<sub>/resourceGroups/<rg>/providers/"
                "Microsoft.ManagedIdentity/userAssignedIdentities/<name>'",
            )
    kinds = (["SystemAssigned"] if system_assigned else []) + (["UserAssigned"] if ids else [])
    return Identity(type=", ".join(kinds) or None, ids=ids)


def resolve_registries(credentials: object, identity: Identity) -> tuple[RegistryCredential, ...]:
    """Private registry credentials: one per server, each with a password or an identity the group has."""
    if isinstance(credentials, RegistryCredential):
        raise ConfigurationError(
            "image_registry_credentials",
            "expected a list of RegistryCredential, got one RegistryCredential",
            "wrap it in a list: image_registry_credentials=[RegistryCredential(...)]",
        )
    if credentials is not None and (
        isinstance(credentials, str | bytes | Mapping) or not isinstance(credentials, Sequence)
    ):
        raise ConfigurationError(
            "image_registry_credentials",
            f"expected a list of RegistryCredential, got {type(credentials).__name__}",
            "pass image_registry_credentials=[RegistryCredential(server=..., username=..., password=...)]",
        )
    registries = tuple(credentials or ())
    plain_ids = [i for i in identity.ids if isinstance(i, str)]
    seen_servers: set[str] = set()
    for i, r in enumerate(registries):
        _check_registry(r, f"image_registry_credentials[{i}]", seen_servers, plain_ids)
    return registries


def _check_registry(r: object, where: str, seen_servers: set[str], plain_ids: list[str]) -> None:
    if not isinstance(r, RegistryCredential):
        raise ConfigurationError(
            where,
            f"expected RegistryCredential, got {type(r).__name__}",
            "pass RegistryCredential(server='myregistry.azurecr.io', username=..., password=...)",
        )
    server = r.server
    if not isinstance(server, str) or not server.strip() or "/" in server or any(c.isspace() for c in server):
        raise ConfigurationError(
            f"{where}.server",
            f"{server!r} is not a registry host name (ACI wants the server without a scheme or path)",
            "pass the host only, e.g. server='myregistry.azurecr.io'",
        )
    if server.lower() in seen_servers:
        raise ConfigurationError(
            f"{where}.server",
            f"{server!r} is listed twice; ACI keeps one credential per registry server",
            "give each registry server once",
        )
    seen_servers.add(server.lower())
    if r.password is not None and r.username is None:
        raise ConfigurationError(
            f"{where}.username",
            f"registry {server!r} has a password but no username",
            "give the registry's username with the password (for ACR: the admin user or a token "
            "name), or pull with identity= instead",
        )
    if r.password is None and r.identity is None:
        raise ConfigurationError(
            "image_registry_credentials",
            f"registry {r.server!r} has neither a password nor an identity",
            "give username and password, or identity (a user-assigned identity id)",
        )
    if isinstance(r.identity, str) and r.identity not in plain_ids:
        raise ConfigurationError(
            "image_registry_credentials",
            f"registry {r.server!r} pulls with identity {r.identity!r}, which the group does not have",
            "add that identity's id to identity_ids",
        )


def resolve_environment(environment: object, cert: Any) -> str | None:
    """The service's environment (default: the certificate's); a dev certificate in production is refused."""
    resolved = environment if environment is not None else getattr(cert, "environment", None)
    refuse_dev_certificate_in_production(resolved, cert, "")
    return resolved  # type: ignore[return-value]


def check_group_name(name: str, group_name: object) -> None:
    """Refuse a container group name ARM would reject, given or auto-named from ``f"{name}-group"``."""
    rule = "1-63 lower-case letters, digits and hyphens, no hyphen at either end and none doubled"
    if group_name is not None:
        if isinstance(group_name, str) and not _GROUP_NAME.match(group_name):
            raise ConfigurationError(
                "container_group_name",
                f"{group_name!r} is not a container group name: Azure wants {rule}",
                "use e.g. 'contoso-scoring'",
            )
        return
    stem = f"{name}-group"
    if not _GROUP_NAME.match(stem) or len(stem) + AUTONAME_SUFFIX > 63:
        raise ConfigurationError(
            "container_group_name",
            f"not given, so the group would be auto-named from {stem!r} plus {AUTONAME_SUFFIX} random "
            f"characters, which Azure refuses: a container group name has {rule}",
            "give container_group_name='contoso-scoring', or name the component in lower case "
            f"(at most {63 - AUTONAME_SUFFIX - len('-group')} characters)",
        )
