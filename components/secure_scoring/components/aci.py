"""``SecureAciService``: an Azure ML scoring container on Azure Container Instances, HTTPS only.

ACI has no TLS switch in Azure's resource model (Azure ML SDK v1's ``ssl_enabled`` did it inside the
service). This component builds ONE ``containerinstance.ContainerGroup`` with two containers:

- ``scorer``: the Azure ML inference server (or your image) listening on 127.0.0.1:5001 inside the
  group. It exposes no port.
- ``gateway``: nginx, started with ``-c /etc/nginx/secure-scoring/nginx.conf``, terminating TLS 1.2+
  on 443 with your certificate, enforcing key authentication (or none) and proxying to the scorer.

The gateway's configuration, certificate chain, private key and key map travel in one ``secret``
volume (base64 values, the whole dict a Pulumi secret) mounted read-only into the gateway only. The
group's public IP exposes 443/TCP and nothing else, with a DNS label whose reuse scope is never
``Unsecure``. Point your DNS name at the group's FQDN with ``DnsRecordBinding`` (CNAME).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from ..errors import ConfigurationError
from ..facts import SecurityFacts, type_token
from ..names import is_ip
from .certificate_bundle import refuse_dev_certificate_in_production, service_self_signed
from .inputs import b64, check_string_map, host_input, label_input, require_str_input
from .keys import KEY, NONE, ScoringKeys, resolve_auth_mode, rotation_version

if TYPE_CHECKING:
    from .certificate_bundle import CertificateBundle

__all__ = [
    "DEFAULT_GATEWAY_IMAGE",
    "DEFAULT_SCORER_IMAGE",
    "RegistryCredential",
    "SecureAciService",
    "SecureAciServiceArgs",
]

DEFAULT_SCORER_IMAGE = "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"
"""Azure ML's minimal CPU inference image (Ubuntu 22.04, Python 3.9, azureml-inference-server-http)."""
DEFAULT_GATEWAY_IMAGE = "nginx:1.27-alpine"
DEFAULT_ENTRY_SCRIPT = "/var/azureml-app/score.py"
DEFAULT_MODEL_DIR = "/var/azureml-app/azureml-models"
SCORER_PORT = 5001
HTTPS_PORT = 443
CONFIG_VOLUME = "gateway-config"

# dns label reuse scopes accepted by ACI (enum DnsNameLabelReusePolicy; note the spelling 'Noreuse')
_SCOPES = {
    "tenantreuse": "TenantReuse",
    "subscriptionreuse": "SubscriptionReuse",
    "resourcegroupreuse": "ResourceGroupReuse",
    "noreuse": "Noreuse",
}

# Runs the inference server's own CLI, bound to 127.0.0.1 instead of its hard-coded 0.0.0.0
# (azmlinfsrv has no host option; amlserver reads DEFAULT_HOST from its module globals).
_INFERENCE_LOCALHOST = (
    "import sys, azureml_inference_server_http.amlserver as s; "
    "s.DEFAULT_HOST = '127.0.0.1'; sys.argv[0] = 'azmlinfsrv'; s.run()"
)

# The scorer's liveness check, run inside the scorer container: Azure ML's health route GET /.
_SCORER_ALIVE = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{SCORER_PORT}/', timeout=4)"


@dataclass
class RegistryCredential:
    """Credentials for a private image registry (``ImageRegistryCredentialArgs``)."""

    server: str
    """Registry host, without scheme."""
    username: pulumi.Input[str] | None = None
    password: pulumi.Input[str] | None = None
    """Wrapped with ``pulumi.Output.secret`` by the component."""
    identity: pulumi.Input[str] | None = None
    """Resource id of a user-assigned identity (listed in ``identity_ids``) that pulls instead of a password."""


@dataclass
class SecureAciServiceArgs:
    """Arguments of :class:`SecureAciService` (plain values decide structure; ``Input`` for the rest).

    TLS is always on: there is no argument to turn it off.
    """

    resource_group_name: pulumi.Input[str]
    """Resource group of the container group. Required."""
    certificate: CertificateBundle
    """The server certificate (full chain) and key; must cover ``hostname``. Required."""
    hostname: str
    """The custom FQDN clients use (``scoring.example.com``); ``scoring_uri`` is ``https://<hostname>/score``. Required."""
    dns_name_label: str
    """Azure DNS label of the group: ``<label>.<region>.azurecontainer.io``, the CNAME target. Required."""
    location: pulumi.Input[str] | None = None
    """Azure region; default: the resource group's region."""
    dns_name_label_scope: str = "TenantReuse"
    """Who may reuse the label's hash-suffixed name: TenantReuse (default), SubscriptionReuse,
    ResourceGroupReuse or Noreuse. 'Unsecure' is refused (subdomain takeover)."""
    auth: str = KEY
    """'key' (default: primary/secondary keys, ``Authorization: Bearer <key>``) or 'none'. 'token' is refused (AKS only)."""
    primary_key_version: int | str = 1
    """Rotation keeper of the primary key: change it to regenerate the primary key only. Default 1."""
    secondary_key_version: int | str = 1
    """Rotation keeper of the secondary key. Default 1."""
    image: str = DEFAULT_SCORER_IMAGE
    """Scorer image. Default: Azure ML's minimal CPU inference image; build FROM it to add your code."""
    entry_script: str = DEFAULT_ENTRY_SCRIPT
    """Absolute path of the scoring script (``init()``/``run()``) inside the scorer image."""
    model_dir: str = DEFAULT_MODEL_DIR
    """``AZUREML_MODEL_DIR`` inside the scorer image."""
    scorer_command: Sequence[str] | None = None
    """Scorer start command. Default: with the default image, the inference server bound to
    127.0.0.1:5001; with your own image, the image's entrypoint (it must listen on 127.0.0.1:5001)."""
    environment_variables: Mapping[str, pulumi.Input[str]] | None = None
    """Extra environment variables of the scorer (plain)."""
    secure_environment_variables: Mapping[str, pulumi.Input[str]] | None = None
    """Secret environment variables of the scorer (``secure_value``, Pulumi secrets)."""
    worker_count: int | None = None
    """``WORKER_COUNT`` of the inference server; default: the server's default (1)."""
    cpu: float = 1.0
    """vCPUs reserved for the scorer (default 1.0)."""
    memory_gb: float = 1.5
    """Memory (GB) reserved for the scorer (default 1.5)."""
    gateway_image: str = DEFAULT_GATEWAY_IMAGE
    """nginx image of the gateway (default ``nginx:1.27-alpine``)."""
    gateway_cpu: float = 0.25
    """vCPUs reserved for the gateway (default 0.25)."""
    gateway_memory_gb: float = 0.5
    """Memory (GB) reserved for the gateway (default 0.5)."""
    gateway_options: Mapping[str, Any] | None = None
    """Extra ``GatewaySettings`` fields (size and timeout limits...); hostnames, auth and ports are set here."""
    environment: str | None = None
    """dev | staging | production; default: the certificate's environment."""
    identity_ids: Sequence[pulumi.Input[str]] | None = None
    """User-assigned managed identities (ARM ids) for the group. Default none."""
    system_assigned_identity: bool = False
    """Also give the group a system-assigned identity. Default False."""
    image_registry_credentials: Sequence[RegistryCredential] | None = None
    """Private registry credentials. Default none (public images)."""
    container_group_name: pulumi.Input[str] | None = None
    """Azure name of the group; default: Pulumi's auto-name."""
    tags: Mapping[str, pulumi.Input[str]] | None = None
    """Tags on the container group."""


def _number(value: object, input_name: str, *, low: float, high: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            input_name, f"{value!r} is not a number", f"give {unit} between {low} and {high}"
        )
    number = float(value)
    if not low < number <= high:
        raise ConfigurationError(
            input_name, f"{value!r} is outside ({low}, {high}]", f"give {unit} between {low} and {high}"
        )
    return number


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


def _env_var(ci: Any, name: str, value: Any) -> Any:
    """A plain variable; an Output becomes ``secure_value`` when it is a Pulumi secret.

    ACI returns every ``value`` in the portal and in each GET of the group, so a secret that
    arrives through ``environment_variables`` (e.g. ``config.require_secret``) must not be one.
    """
    if not isinstance(value, pulumi.Output):
        return ci.EnvironmentVariableArgs(name=name, value=value)
    flag = pulumi.Output.from_input(value.is_secret())

    def entry(pair: list[Any]) -> Any:
        text, secret = pair
        if secret:
            return ci.EnvironmentVariableArgs(name=name, secure_value=text)
        return ci.EnvironmentVariableArgs(name=name, value=text)

    return pulumi.Output.all(value, flag).apply(entry)


class SecureAciService(pulumi.ComponentResource):
    """An Azure ML scoring service on ACI behind a TLS/auth gateway (see the module docstring).

    Children: ``f"{name}-group"`` (``azure-native:containerinstance:ContainerGroup``) and, for
    ``auth="key"``, ``f"{name}-primary-key"`` / ``f"{name}-secondary-key"``
    (``random:index/randomPassword:RandomPassword``).

    Outputs: ``scoring_uri`` (https, the custom hostname), ``fqdn`` (the group's Azure FQDN, the
    CNAME target), ``ip_address``, ``primary_key`` / ``secondary_key`` (secrets; None for auth none),
    ``container_group_id``.
    """

    # No class-level annotations for these attributes: the Pulumi SDK evaluates a resource class's
    # annotations (typing.get_type_hints) at every registration, ~0.1 ms per component.

    def __init__(
        self, name: str, args: SecureAciServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        plan = _plan(args)
        _check_group_name(name, args.container_group_name)
        cert = args.certificate
        scoring_uri = f"https://{plan['hostname']}/score"
        facts = SecurityFacts(
            platform="aci",
            tls_enabled=True,
            certificate_source=cert.source,
            # unknown (a PEM certificate that arrives as an Output): the bundle's own output, which
            # the policy pack sees resolved, or as unknown in a preview; never a guessed False (and
            # refused when known in a production service, as a known certificate is in _plan)
            self_signed=service_self_signed(plan["environment"], cert, ""),
            auth_mode=plan["auth"],
            key_auth_enabled=plan["auth"] == KEY,
            token_auth_enabled=False,
            min_tls_version=plan["settings"].min_tls_version,
            environment=plan["environment"],
            hostname=plan["hostname"],
            certificate_hostnames=tuple(cert.hostname_list),
            certificate_not_after=cert.not_after,  # an Output; resolved before policies see it
        )
        extras = {
            "scoringUri": scoring_uri,
            "dnsNameLabel": plan["dns_name_label"],
            "dnsNameLabelScope": plan["scope"],
            "exposedPorts": [HTTPS_PORT],
            "gatewayImage": args.gateway_image,
            "scorerImage": args.image,
        }
        super().__init__(type_token("SecureAciService"), name, {**facts.props(), **extras}, opts)
        # The base class turned every prop into an Output attribute of this component; plain values
        # win (an Output attribute would make the children depend on their own parent).
        self.certificate = cert
        self.platform = "aci"
        self.hostname: str = plan["hostname"]
        self.auth_mode: str = plan["auth"]
        self.environment: str | None = plan["environment"]
        self.endpoints = []
        self.gateway_settings = plan["settings"]
        self.scoring_uri = scoring_uri
        self.dns_name_label: str = plan["dns_name_label"]
        for field_name, image in (("image", args.image), ("gateway_image", args.gateway_image)):
            warning = _unauthenticated_acr_pull(image, plan["registries"])
            if warning:
                pulumi.log.warn(f"{field_name}: {warning}", resource=self)

        from pulumi_azure_native import containerinstance as ci

        from ..dataplane.gateway import CONTAINER_CONFIG_DIR, render_secret_files

        self.keys: ScoringKeys | None = None
        if plan["auth"] == KEY:
            self.keys = ScoringKeys(
                name,
                parent=self,
                primary_version=plan["primary_version"],
                secondary_version=plan["secondary_version"],
            )
        self.primary_key = self.keys.primary if self.keys else None
        self.secondary_key = self.keys.secondary if self.keys else None

        settings = plan["settings"]

        def files(values: list[Any]) -> dict[str, str]:
            rendered = render_secret_files(
                settings,
                cert_pem=values[0],
                key_pem=values[1],
                primary_key=values[2],
                secondary_key=values[3],
            )
            # ACI wants every secret volume value base64-encoded
            return {file_name: b64(text) for file_name, text in rendered.items()}

        secret_files = pulumi.Output.secret(
            pulumi.Output.all(cert.cert_pem, cert.key_pem, self.primary_key, self.secondary_key).apply(files)
        )

        env: list[Any] = [_env_var(ci, k, v) for k, v in plan["env"].items()]
        env += [
            ci.EnvironmentVariableArgs(name=k, secure_value=pulumi.Output.secret(v))
            for k, v in plan["secure_env"].items()
        ]
        scorer_liveness = None
        if args.image == DEFAULT_SCORER_IMAGE:
            # The scorer listens on 127.0.0.1 only, which an httpGet probe (sent to the container's
            # IP) cannot reach: probe from inside with the image's Python. Azure ML's own liveness
            # defaults (period 10 s, 30 failures) leave init() five minutes to load the model.
            scorer_liveness = ci.ContainerProbeArgs(
                exec_=ci.ContainerExecArgs(command=["python", "-c", _SCORER_ALIVE]),
                initial_delay_seconds=10,
                period_seconds=10,
                failure_threshold=30,
                timeout_seconds=5,
            )
        scorer = ci.ContainerArgs(
            name="scorer",
            image=args.image,
            command=plan["scorer_command"],
            liveness_probe=scorer_liveness,
            environment_variables=env,
            resources=ci.ResourceRequirementsArgs(
                requests=ci.ResourceRequestsArgs(cpu=plan["cpu"], memory_in_gb=plan["memory_gb"]),
                limits=ci.ResourceLimitsArgs(cpu=plan["cpu"], memory_in_gb=plan["memory_gb"]),
            ),
        )

        def probe(initial_delay: int, period: int, failures: int) -> ci.ContainerProbeArgs:
            return ci.ContainerProbeArgs(
                http_get=ci.ContainerHttpGetArgs(
                    port=HTTPS_PORT,
                    path=plan["health_path"],
                    scheme="https",
                    http_headers=[ci.HttpHeaderArgs(name="Host", value=self.hostname)],
                ),
                initial_delay_seconds=initial_delay,
                period_seconds=period,
                failure_threshold=failures,
                timeout_seconds=5,
            )

        gateway = ci.ContainerArgs(
            name="gateway",
            image=args.gateway_image,
            command=plan["gateway_command"],
            ports=[ci.ContainerPortArgs(port=HTTPS_PORT, protocol="TCP")],
            volume_mounts=[
                ci.VolumeMountArgs(name=CONFIG_VOLUME, mount_path=CONTAINER_CONFIG_DIR, read_only=True)
            ],
            resources=ci.ResourceRequirementsArgs(
                requests=ci.ResourceRequestsArgs(
                    cpu=plan["gateway_cpu"], memory_in_gb=plan["gateway_memory_gb"]
                ),
                limits=ci.ResourceLimitsArgs(cpu=plan["gateway_cpu"], memory_in_gb=plan["gateway_memory_gb"]),
            ),
            # readiness only: GET / is proxied to the scorer, so a liveness probe here would restart
            # nginx (not the scorer) whenever the scorer is slow or stuck; nginx exiting ends the
            # container, which restart_policy Always restarts.
            readiness_probe=probe(10, 10, 3),
        )

        group_args: dict[str, Any] = {
            "resource_group_name": args.resource_group_name,
            "os_type": "Linux",
            "restart_policy": "Always",
            "sku": "Standard",
            "containers": [scorer, gateway],
            "volumes": [ci.VolumeArgs(name=CONFIG_VOLUME, secret=secret_files)],
            "ip_address": ci.IpAddressArgs(
                type="Public",
                ports=[ci.PortArgs(port=HTTPS_PORT, protocol="TCP")],
                dns_name_label=plan["dns_name_label"],
                auto_generated_domain_name_label_scope=plan["scope"],
            ),
        }
        if args.location is not None:
            group_args["location"] = args.location
        if args.container_group_name is not None:
            group_args["container_group_name"] = args.container_group_name
        if args.tags:
            group_args["tags"] = dict(args.tags)
        if plan["identity_type"]:
            group_args["identity"] = ci.ContainerGroupIdentityArgs(
                type=plan["identity_type"], user_assigned_identities=plan["identity_ids"] or None
            )
        secret_outputs = ["volumes"]
        if plan["secure_env"] or any(isinstance(v, pulumi.Output) for v in plan["env"].values()):
            secret_outputs.append("containers")
        if plan["registries"]:
            group_args["image_registry_credentials"] = [
                ci.ImageRegistryCredentialArgs(
                    server=r.server,
                    username=r.username,
                    password=pulumi.Output.secret(r.password) if r.password is not None else None,
                    identity=r.identity,
                )
                for r in plan["registries"]
            ]
            if any(r.password is not None for r in plan["registries"]):
                secret_outputs.append("imageRegistryCredentials")

        self.group = ci.ContainerGroup(
            f"{name}-group",
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=secret_outputs),
            **group_args,
        )
        self.fqdn = self.group.ip_address.apply(lambda ip: ip.fqdn if ip else None)
        self.ip_address = self.group.ip_address.apply(lambda ip: ip.ip if ip else None)
        self.container_group_id = self.group.id

        self.register_outputs(
            {
                **facts.outputs(),
                "scoring_uri": self.scoring_uri,
                "fqdn": self.fqdn,
                "ip_address": self.ip_address,
                "primary_key": self.primary_key,
                "secondary_key": self.secondary_key,
                "container_group_id": self.container_group_id,
                "dns_name_label": plan["dns_name_label"],
                "dns_name_label_scope": plan["scope"],
                "exposed_ports": [HTTPS_PORT],
            }
        )

    @property
    def nginx_conf(self) -> str:
        """The gateway's ``nginx.conf`` exactly as it goes into the secret volume."""
        from ..dataplane.gateway import render_nginx_config

        return render_nginx_config(self.gateway_settings)

    def dns_target(self) -> tuple[str, pulumi.Output[str]]:
        """What ``DnsRecordBinding(target=service)`` creates: a CNAME to the group's FQDN (its IP may change)."""
        return "CNAME", self.fqdn


def _unauthenticated_acr_pull(image: str, registries: Sequence[RegistryCredential]) -> str | None:
    """A warning when ``image`` lives in an Azure Container Registry that no credential covers.

    ACI then pulls anonymously, which a registry refuses unless anonymous pull is turned on (off by
    default): the group fails to start with an image pull error after ``pulumi up``.
    """
    host = image.split("/", 1)[0].lower() if "/" in image else ""
    if not host.endswith(".azurecr.io"):
        return None
    if host in {r.server.lower() for r in registries}:
        return None
    return (
        f"{host} is an Azure Container Registry but image_registry_credentials has no entry for it, so ACI "
        "pulls anonymously, which the registry refuses unless anonymous pull is enabled. Add "
        f"RegistryCredential(server={host!r}, identity=<an identity in identity_ids with AcrPull>) "
        "(or username/password)"
    )


# ARM's rule for a container group name: 1-63 lower-case letters, digits and hyphens, no hyphen at
# either end, no two hyphens in a row.
_GROUP_NAME = re.compile(r"^(?!.*--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_AUTONAME_SUFFIX = 8  # the random characters Pulumi appends to an auto-named resource


def _check_group_name(name: str, group_name: object) -> None:
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
    if not _GROUP_NAME.match(stem) or len(stem) + _AUTONAME_SUFFIX > 63:
        raise ConfigurationError(
            "container_group_name",
            f"not given, so the group would be auto-named from {stem!r} plus {_AUTONAME_SUFFIX} random "
            f"characters, which Azure refuses: a container group name has {rule}",
            "give container_group_name='contoso-scoring', or name the component in lower case "
            f"(at most {63 - _AUTONAME_SUFFIX - len('-group')} characters)",
        )


def _plan(args: SecureAciServiceArgs) -> dict[str, Any]:
    """Validate ``args`` and compute everything plain; raises ConfigurationError before registration."""
    if not isinstance(args, SecureAciServiceArgs):
        raise ConfigurationError("args", f"expected SecureAciServiceArgs, got {type(args).__name__}", None)
    for field_name in (
        "hostname",
        "dns_name_label",
        "dns_name_label_scope",
        "auth",
        "primary_key_version",
        "secondary_key_version",
        "image",
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
    ):
        if isinstance(getattr(args, field_name), pulumi.Output):
            raise ConfigurationError(
                field_name,
                "is a pulumi Output, but it must be a plain value known at construction (it decides the "
                "container group's settings and the gateway configuration, and is checked before deployment)",
                f"pass the value itself (read it with pulumi.Config().require({field_name!r}) rather than "
                "from another resource's output)",
            )
    # Input[str] arguments the SDK would otherwise reject with a TypeError after the keys were registered
    require_str_input(args.resource_group_name, "resource_group_name", "'rg-ml-prod'")
    require_str_input(args.location, "location", "'westeurope'", required=False)
    require_str_input(args.container_group_name, "container_group_name", "'contoso-scoring'", required=False)
    check_string_map(args.tags, "tags")
    cert = args.certificate
    if cert is None:
        raise ConfigurationError(
            "certificate",
            "no certificate given; TLS is always on for ACI",
            "pass a CertificateBundle that covers hostname",
        )
    missing = [
        a for a in ("cert_pem", "key_pem", "hostname_list", "covers", "source") if not hasattr(cert, a)
    ]
    if missing:
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
    hostname = host_input(args.hostname, "hostname", allow_ip=True)
    if is_ip(hostname):
        raise ConfigurationError(
            "hostname",
            f"{hostname} is an IP address; a container group's IP changes when Azure restarts it",
            "use a DNS name (e.g. scoring.contoso.com) and point it at the group with DnsRecordBinding (CNAME)",
        )
    if not cert.covers(hostname):
        raise ConfigurationError(
            "hostname",
            f"the certificate does not cover {hostname} (it covers {', '.join(cert.hostname_list) or 'no hostnames'})",
            f"use a hostname the certificate lists, or issue a certificate with {hostname} in its subjectAltName",
        )
    label = label_input(args.dns_name_label, "dns_name_label")
    # ACI's own rule for ipAddress.dnsNameLabel is stricter than a host name label: it answers
    # "The first character must be a letter ... between 5 and 63 characters long" at deployment.
    if len(label) < 5 or not label[0].isalpha():
        raise ConfigurationError(
            "dns_name_label",
            f"{args.dns_name_label!r} is not a container group DNS label: ACI wants 5-63 lower-case "
            "letters, digits and hyphens that start with a letter and end with a letter or digit",
            "use e.g. 'contoso-scoring' (5-63 characters, start with a letter)",
        )
    scope_key = str(args.dns_name_label_scope or "").strip().lower().replace("_", "").replace("-", "")
    if scope_key == "unsecure":
        raise ConfigurationError(
            "dns_name_label_scope",
            "'Unsecure' lets anyone who creates a container group with the same label later take over "
            f"{label}.<region>.azurecontainer.io, and your CNAME would then send clients (and keys) to them",
            "use 'TenantReuse' (default), 'SubscriptionReuse', 'ResourceGroupReuse' or 'Noreuse'",
        )
    scope = _SCOPES.get(scope_key)
    if scope is None:
        raise ConfigurationError(
            "dns_name_label_scope",
            f"unknown scope {args.dns_name_label_scope!r}",
            "use 'TenantReuse' (default), 'SubscriptionReuse', 'ResourceGroupReuse' or 'Noreuse'",
        )
    auth = resolve_auth_mode(args.auth, platform="aci", input_name="auth")
    if auth not in (KEY, NONE):  # resolve_auth_mode already refuses token on ACI
        raise ConfigurationError("auth", f"unsupported auth {auth!r} on ACI", "use 'key' or 'none'")
    primary_version = rotation_version(args.primary_key_version, "primary_key_version")
    secondary_version = rotation_version(args.secondary_key_version, "secondary_key_version")

    cpu = _number(args.cpu, "cpu", low=0, high=4, unit="vCPUs")
    memory = _number(args.memory_gb, "memory_gb", low=0, high=16, unit="GB")
    gw_cpu = _number(args.gateway_cpu, "gateway_cpu", low=0, high=4, unit="vCPUs")
    gw_memory = _number(args.gateway_memory_gb, "gateway_memory_gb", low=0, high=16, unit="GB")
    if cpu + gw_cpu > 4 or memory + gw_memory > 16:
        raise ConfigurationError(
            "cpu",
            f"the group would reserve {cpu + gw_cpu} vCPUs and {memory + gw_memory} GB; a Linux container group has at most 4 and 16",
            "lower cpu/memory_gb (the gateway needs gateway_cpu/gateway_memory_gb on top)",
        )

    for field_name in ("image", "gateway_image"):
        value = getattr(args, field_name)
        if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
            raise ConfigurationError(
                field_name, f"{value!r} is not an image reference", "use e.g. 'registry/name:tag'"
            )

    # scorer command and environment
    for field_name in ("entry_script", "model_dir"):
        value = getattr(args, field_name)
        if not isinstance(value, str) or not value.startswith("/") or "\n" in value:
            raise ConfigurationError(
                field_name,
                f"{value!r} is not an absolute path inside the scorer image",
                f"use e.g. {DEFAULT_ENTRY_SCRIPT!r}",
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
    # variables the component sets from its own arguments (the scorer command uses the same values)
    owned = {
        "AZUREML_ENTRY_SCRIPT": "entry_script",
        "AZUREML_MODEL_DIR": "model_dir",
        "WORKER_COUNT": "worker_count",
    }
    for field_name in ("environment_variables", "secure_environment_variables"):
        for k in getattr(args, field_name) or {}:
            if isinstance(k, str) and k in owned:
                raise ConfigurationError(
                    f"{field_name}[{k!r}]",
                    f"{k} is set by the component from {owned[k]} (the scorer's start command uses the same "
                    "value), so a second value here would contradict it",
                    f"drop {k} and pass {owned[k]}= instead",
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
        command = [str(c) for c in args.scorer_command]
        if not command:
            raise ConfigurationError(
                "scorer_command", "empty command", "give the program and its arguments, or None"
            )
    elif args.image == DEFAULT_SCORER_IMAGE:
        command = [
            "python",
            "-c",
            _INFERENCE_LOCALHOST,
            "--entry_script",
            args.entry_script,
            "--model_dir",
            args.model_dir,
            "--port",
            str(SCORER_PORT),
        ]
        if args.worker_count is not None:
            command += ["--worker_count", env["WORKER_COUNT"]]
    else:
        command = None

    # gateway
    from ..dataplane.gateway import (
        CONTAINER_CONFIG_DIR,
        HEALTH_PATH,
        GatewaySettings,
        container_command,
    )

    if args.gateway_options is not None and not isinstance(args.gateway_options, Mapping):
        raise ConfigurationError(
            "gateway_options",
            f"expected a mapping of GatewaySettings fields to values, got {type(args.gateway_options).__name__}",
            "pass a dict such as gateway_options={'max_body_size': '10m'}",
        )
    options = dict(args.gateway_options or {})
    # self-signed and dev-CA certificates have no public OCSP responder: stapling off
    options.setdefault("private_ca", cert.source in ("self_signed", "dev_ca"))
    fixed = {"hostnames", "auth_mode", "upstream", "listen_port", "listen_address", "config_dir"}
    overlap = sorted(fixed & set(options))
    if overlap:
        raise ConfigurationError(
            "gateway_options",
            f"{', '.join(overlap)} are set by SecureAciService",
            "use hostname/auth on SecureAciServiceArgs instead",
        )
    try:
        settings = GatewaySettings(
            hostnames=[hostname],
            auth_mode=auth,
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
    gateway_command = container_command(settings)

    # identity and registries
    if args.identity_ids is not None and (
        isinstance(args.identity_ids, str | pulumi.Output) or not isinstance(args.identity_ids, Sequence)
    ):
        raise ConfigurationError(
            "identity_ids",
            "expected a list of identity resource ids, got "
            + ("one string" if isinstance(args.identity_ids, str) else type(args.identity_ids).__name__),
            "pass a plain list, e.g. identity_ids=[identity.id] (each id may be a pulumi Output)",
        )
    ids = list(args.identity_ids or [])
    if not isinstance(args.system_assigned_identity, bool):
        raise ConfigurationError(
            "system_assigned_identity",
            f"expected True or False, got {args.system_assigned_identity!r}",
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
    if ids and args.system_assigned_identity:
        identity_type = "SystemAssigned, UserAssigned"
    elif ids:
        identity_type = "UserAssigned"
    elif args.system_assigned_identity:
        identity_type = "SystemAssigned"
    else:
        identity_type = None
    if isinstance(args.image_registry_credentials, RegistryCredential):
        raise ConfigurationError(
            "image_registry_credentials",
            "expected a list of RegistryCredential, got one RegistryCredential",
            "wrap it in a list: image_registry_credentials=[RegistryCredential(...)]",
        )
    if args.image_registry_credentials is not None and (
        isinstance(args.image_registry_credentials, str | bytes | Mapping)
        or not isinstance(args.image_registry_credentials, Sequence)
    ):
        raise ConfigurationError(
            "image_registry_credentials",
            f"expected a list of RegistryCredential, got {type(args.image_registry_credentials).__name__}",
            "pass image_registry_credentials=[RegistryCredential(server=..., username=..., password=...)]",
        )
    registries = list(args.image_registry_credentials or [])
    seen_servers: set[str] = set()
    for i, r in enumerate(registries):
        where = f"image_registry_credentials[{i}]"
        if not isinstance(r, RegistryCredential):
            raise ConfigurationError(
                where,
                f"expected RegistryCredential, got {type(r).__name__}",
                "pass RegistryCredential(server='myregistry.azurecr.io', username=..., password=...)",
            )
        server = r.server
        if (
            not isinstance(server, str)
            or not server.strip()
            or "/" in server
            or any(c.isspace() for c in server)
        ):
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
        if isinstance(r.identity, str) and r.identity not in [i for i in ids if isinstance(i, str)]:
            raise ConfigurationError(
                "image_registry_credentials",
                f"registry {r.server!r} pulls with identity {r.identity!r}, which the group does not have",
                "add that identity's id to identity_ids",
            )

    environment = args.environment if args.environment is not None else getattr(cert, "environment", None)
    refuse_dev_certificate_in_production(environment, cert, "")
    return {
        "hostname": hostname,
        "dns_name_label": label,
        "scope": scope,
        "auth": auth,
        "cpu": cpu,
        "memory_gb": memory,
        "gateway_cpu": gw_cpu,
        "gateway_memory_gb": gw_memory,
        "env": env,
        "secure_env": secure_env,
        "scorer_command": command,
        "settings": settings,
        "gateway_command": gateway_command,
        "health_path": HEALTH_PATH,
        "identity_type": identity_type,
        "identity_ids": ids,
        "registries": registries,
        "environment": environment,
        "primary_version": primary_version,
        "secondary_version": secondary_version,
    }
