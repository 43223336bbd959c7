"""The ``SecureAciService`` component: registers the children its :class:`~.plan.AciPlan` decided.

Named steps build the container group's arguments (``scorer_container``, ``gateway_container``,
``secret_volume``, ``ip_address``, ``group_identity``, ``registry_credentials``); the plan has
already refused every wrong input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ...facts import SecurityFacts, type_token
from ..certificate_bundle import service_self_signed
from ..inputs import b64
from ..keys import KEY, KeyRing, ScoringKeys
from .args import (
    CONFIG_VOLUME,
    HTTPS_PORT,
    REPLACE_ON_CHANGES,
    SCORER_ALIVE,
    SCORER_PORT,
    RegistryCredential,
    SecureAciServiceArgs,
)
from .plan import AciPlan, plan_aci_service
from .slots import SlotsPlan, plan_slots

__all__ = ["AciSlot", "SecureAciService", "build_group", "security_facts"]


def security_facts(plan: AciPlan, cert: Any) -> SecurityFacts:
    """The facts the policy pack judges: TLS always on, the one auth mode, the gateway's TLS floor."""
    return SecurityFacts(
        platform="aci",
        tls_enabled=True,
        certificate_source=cert.source,
        # unknown (a PEM certificate that arrives as an Output): the bundle's own output, which
        # the policy pack sees resolved, or as unknown in a preview; never a guessed False (and
        # refused when known in a production service, as a known certificate is in the plan)
        self_signed=service_self_signed(plan.environment, cert, ""),
        auth_mode=plan.auth.mode,
        key_auth_enabled=plan.auth.mode == KEY,
        token_auth_enabled=False,
        min_tls_version=plan.min_tls_version,
        environment=plan.environment,
        hostname=plan.hostname,
        certificate_hostnames=tuple(cert.hostname_list),
        certificate_not_after=cert.not_after,  # an Output; resolved before policies see it
    )


class SecureAciService(pulumi.ComponentResource):
    """An Azure ML scoring service on ACI behind a TLS/auth gateway (see the package docstring).

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
        plan = plan_aci_service(name, args)
        slots = plan_slots(name, args, plan)
        if slots is not None:  # the serving slot decides what the service declares
            plan = slots.active_slot.plan
            cert = slots.active_slot.certificate
        else:
            cert = args.certificate
        facts = security_facts(plan, cert)
        extras = {
            "scoringUri": plan.scoring_uri,
            "dnsNameLabel": plan.dns_name_label,
            "dnsNameLabelScope": plan.scope,
            "exposedPorts": [HTTPS_PORT],
            "gatewayImage": slots.active_slot.args.gateway_image if slots else args.gateway_image,
            "scorerImage": slots.active_slot.args.image if slots else args.image,
        }
        if slots is not None:
            extras["activeSlot"] = slots.active
            extras["slots"] = [
                {
                    "name": s.name,
                    "dnsNameLabel": s.plan.dns_name_label,
                    "minTlsVersion": s.plan.min_tls_version,
                }
                for s in slots.slots
            ]
        super().__init__(type_token("SecureAciService"), name, {**facts.props(), **extras}, opts)
        # The base class turned every prop into an Output attribute of this component; plain values
        # win (an Output attribute would make the children depend on their own parent).
        self.certificate = cert
        self.platform = "aci"
        self.hostname: str = plan.hostname
        self.auth_mode: str = plan.auth.mode
        self.environment: str | None = plan.environment
        self.endpoints = []
        self.gateway_settings = plan.settings
        self.scoring_uri = plan.scoring_uri
        self.dns_name_label: str = plan.dns_name_label
        for slot_args, slot_plan in [(s.args, s.plan) for s in slots.slots] if slots else [(args, plan)]:
            for field_name, image in (("image", slot_args.image), ("gateway_image", slot_args.gateway_image)):
                warning = unauthenticated_acr_pull(image, slot_plan.registries)
                if warning:
                    pulumi.log.warn(f"{field_name}: {warning}", resource=self)

        from pulumi_azure_native import containerinstance as ci

        self.keys: ScoringKeys | None = None
        self.active_slot: str | None = None
        self.slots: dict[str, AciSlot] = {}
        if slots is None:
            if plan.auth.mode == KEY:
                self.keys = ScoringKeys(
                    name,
                    parent=self,
                    primary_version=plan.auth.primary_version,
                    secondary_version=plan.auth.secondary_version,
                )
            self.primary_key = self.keys.primary if self.keys else None
            self.secondary_key = self.keys.secondary if self.keys else None
            self.group = build_group(
                ci, self, f"{name}-group", args, plan, cert, self.primary_key, self.secondary_key
            )
        else:
            self.active_slot = slots.active
            self.slots = build_slots(ci, self, name, slots)
            active = self.slots[slots.active]
            self.primary_key = active.primary_key
            self.secondary_key = active.secondary_key
            self.group = active.group
        self.fqdn = self.group.ip_address.apply(lambda ip: ip.fqdn if ip else None)
        self.ip_address = self.group.ip_address.apply(lambda ip: ip.ip if ip else None)
        self.container_group_id = self.group.id

        outputs: dict[str, Any] = {
            **facts.outputs(),
            "scoring_uri": self.scoring_uri,
            "fqdn": self.fqdn,
            "ip_address": self.ip_address,
            "primary_key": self.primary_key,
            "secondary_key": self.secondary_key,
            "container_group_id": self.container_group_id,
            "dns_name_label": plan.dns_name_label,
            "dns_name_label_scope": plan.scope,
            "exposed_ports": [HTTPS_PORT],
        }
        if slots is not None:
            outputs["active_slot"] = slots.active
            outputs["slot_fqdns"] = {n: s.fqdn for n, s in self.slots.items()}
            outputs["slot_ip_addresses"] = {n: s.ip_address for n, s in self.slots.items()}
            outputs["slot_container_group_ids"] = {n: s.group.id for n, s in self.slots.items()}
            outputs["slot_dns_name_labels"] = {n: s.dns_name_label for n, s in self.slots.items()}
        self.register_outputs(outputs)

    @property
    def nginx_conf(self) -> str:
        """The gateway's ``nginx.conf`` exactly as it goes into the secret volume."""
        from ...dataplane.gateway import render_nginx_config

        return render_nginx_config(self.gateway_settings)

    def dns_target(self) -> tuple[str, pulumi.Output[str]]:
        """What ``DnsRecordBinding(target=service)`` creates: a CNAME to the group's FQDN (its IP may change)."""
        return "CNAME", self.fqdn


class AciSlot:
    """One slot of a blue/green service as registered: its group, FQDN, IP and the keys it accepts."""

    def __init__(
        self, name: str, dns_name_label: str, group: Any, primary_key: Any, secondary_key: Any
    ) -> None:
        self.name = name
        self.dns_name_label = dns_name_label
        self.group = group
        self.primary_key = primary_key
        self.secondary_key = secondary_key
        self.fqdn = group.ip_address.apply(lambda ip: ip.fqdn if ip else None)
        """The slot's Azure FQDN: ``secure-scoring verify --connect-to`` it before it serves."""
        self.ip_address = group.ip_address.apply(lambda ip: ip.ip if ip else None)


def build_slots(ci: Any, component: pulumi.Resource, name: str, slots: SlotsPlan) -> dict[str, AciSlot]:
    """The key ring (one key per role and version, shared by the slots), then one group per slot.

    The ``existing_group`` slot's group and keys alias the children the service had without slots
    (``f"{name}-group"``, ``f"{name}-primary-key"``...), so they are renamed, not replaced."""
    ring = KeyRing(name, parent=component, versions=slots.key_versions(), adopt=slots.adopted_versions())
    built: dict[str, AciSlot] = {}
    for s in slots.slots:
        primary = secondary = None
        if s.plan.auth.mode == KEY:
            primary = ring.key("primary", s.plan.auth.primary_version)
            secondary = ring.key("secondary", s.plan.auth.secondary_version)
        aliases = [pulumi.Alias(name=f"{name}-group")] if s.existing_group else None
        group = build_group(
            ci, component, s.child_name, s.args, s.plan, s.certificate, primary, secondary, aliases
        )
        built[s.name] = AciSlot(s.name, s.plan.dns_name_label, group, primary, secondary)
    return built


def build_group(
    ci: Any,
    component: pulumi.Resource,
    child_name: str,
    args: SecureAciServiceArgs,
    plan: AciPlan,
    cert: Any,
    primary_key: Any,
    secondary_key: Any,
    aliases: list[Any] | None = None,
) -> Any:
    """One container group: the scorer and the gateway, the secret volume, 443 on the public IP."""
    group_args: dict[str, Any] = {
        "resource_group_name": args.resource_group_name,
        "os_type": "Linux",
        "restart_policy": "Always",
        "sku": "Standard",
        "containers": [scorer_container(ci, args, plan), gateway_container(ci, args, plan)],
        "volumes": [secret_volume(ci, plan, cert, primary_key, secondary_key)],
        "ip_address": ip_address(ci, plan),
    }
    if args.location is not None:
        group_args["location"] = args.location
    if args.container_group_name is not None:
        group_args["container_group_name"] = args.container_group_name
    if args.tags:
        group_args["tags"] = dict(args.tags)
    if plan.identity.type:
        group_args["identity"] = ci.ContainerGroupIdentityArgs(
            type=plan.identity.type, user_assigned_identities=list(plan.identity.ids) or None
        )
    if plan.registries:
        group_args["image_registry_credentials"] = registry_credentials(ci, plan.registries)
    opts = group_options(component, plan)
    if aliases:
        opts.aliases = aliases
    return ci.ContainerGroup(child_name, opts=opts, **group_args)


# ------------------------------------------------------------------------- the container group's parts
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


def scorer_container(ci: Any, args: SecureAciServiceArgs, plan: AciPlan) -> Any:
    """The scorer: listens on 127.0.0.1 only. Its port is declared on the container, as ACI's sidecar
    pattern does, and not on the group's IP (which exposes 443 only)."""
    env: list[Any] = [_env_var(ci, k, v) for k, v in plan.env.items()]
    env += [
        ci.EnvironmentVariableArgs(name=k, secure_value=pulumi.Output.secret(v))
        for k, v in plan.secure_env.items()
    ]
    liveness = None
    if plan.inference_server:
        # The scorer listens on 127.0.0.1 only, which an httpGet probe (sent to the container's
        # IP) cannot reach: probe from inside with the image's Python. Azure ML's own liveness
        # defaults (period 10 s, 30 failures) leave init() five minutes to load the model.
        liveness = ci.ContainerProbeArgs(
            exec_=ci.ContainerExecArgs(command=["python", "-c", SCORER_ALIVE]),
            initial_delay_seconds=10,
            period_seconds=10,
            failure_threshold=30,
            timeout_seconds=5,
        )
    r = plan.resources
    return ci.ContainerArgs(
        name="scorer",
        image=args.image,
        command=list(plan.scorer_command) if plan.scorer_command is not None else None,
        ports=[ci.ContainerPortArgs(port=SCORER_PORT, protocol="TCP")],
        liveness_probe=liveness,
        environment_variables=env,
        resources=ci.ResourceRequirementsArgs(
            requests=ci.ResourceRequestsArgs(cpu=r.cpu, memory_in_gb=r.memory_gb),
            limits=ci.ResourceLimitsArgs(cpu=r.cpu, memory_in_gb=r.memory_gb),
        ),
    )


def gateway_container(ci: Any, args: SecureAciServiceArgs, plan: AciPlan) -> Any:
    """nginx: HTTPS on 443, its configuration read-only from the secret volume, a readiness probe."""
    from ...dataplane.gateway import CONTAINER_CONFIG_DIR

    r = plan.resources
    return ci.ContainerArgs(
        name="gateway",
        image=args.gateway_image,
        command=list(plan.gateway_command),
        ports=[ci.ContainerPortArgs(port=HTTPS_PORT, protocol="TCP")],
        volume_mounts=[
            ci.VolumeMountArgs(name=CONFIG_VOLUME, mount_path=CONTAINER_CONFIG_DIR, read_only=True)
        ],
        resources=ci.ResourceRequirementsArgs(
            requests=ci.ResourceRequestsArgs(cpu=r.gateway_cpu, memory_in_gb=r.gateway_memory_gb),
            limits=ci.ResourceLimitsArgs(cpu=r.gateway_cpu, memory_in_gb=r.gateway_memory_gb),
        ),
        # readiness only: GET / is proxied to the scorer, so a liveness probe here would restart
        # nginx (not the scorer) whenever the scorer is slow or stuck; nginx exiting ends the
        # container, which restart_policy Always restarts.
        readiness_probe=ci.ContainerProbeArgs(
            http_get=ci.ContainerHttpGetArgs(
                port=HTTPS_PORT,
                path=plan.health_path,
                scheme="https",
                http_headers=[ci.HttpHeaderArgs(name="Host", value=plan.hostname)],
            ),
            initial_delay_seconds=10,
            period_seconds=10,
            failure_threshold=3,
            timeout_seconds=5,
        ),
    )


def secret_volume(ci: Any, plan: AciPlan, cert: Any, primary_key: Any, secondary_key: Any) -> Any:
    """The gateway's files (nginx.conf, chain, key, key map), base64 as ACI wants, one Pulumi secret."""
    from ...dataplane.gateway import render_secret_files

    settings = plan.settings

    def files(values: list[Any]) -> dict[str, str]:
        rendered = render_secret_files(
            settings, cert_pem=values[0], key_pem=values[1], primary_key=values[2], secondary_key=values[3]
        )
        return {file_name: b64(text) for file_name, text in rendered.items()}

    secret_files = pulumi.Output.secret(
        pulumi.Output.all(cert.cert_pem, cert.key_pem, primary_key, secondary_key).apply(files)
    )
    return ci.VolumeArgs(name=CONFIG_VOLUME, secret=secret_files)


def ip_address(ci: Any, plan: AciPlan) -> Any:
    """A public IP exposing 443/TCP only, with the DNS label and its reuse scope."""
    return ci.IpAddressArgs(
        type="Public",
        ports=[ci.PortArgs(port=HTTPS_PORT, protocol="TCP")],
        dns_name_label=plan.dns_name_label,
        auto_generated_domain_name_label_scope=plan.scope,
    )


def registry_credentials(ci: Any, registries: Sequence[RegistryCredential]) -> list[Any]:
    """``ImageRegistryCredentialArgs``, the passwords as Pulumi secrets."""
    return [
        ci.ImageRegistryCredentialArgs(
            server=r.server,
            username=r.username,
            password=pulumi.Output.secret(r.password) if r.password is not None else None,
            identity=r.identity,
        )
        for r in registries
    ]


def group_options(component: pulumi.Resource, plan: AciPlan) -> pulumi.ResourceOptions:
    """The group's options: a change ACI cannot apply in place (container resources, OS type, restart
    policy) replaces the group, the old one deleted first so the new one can take its DNS label."""
    return pulumi.ResourceOptions(
        parent=component,
        additional_secret_outputs=secret_outputs(plan),
        replace_on_changes=list(REPLACE_ON_CHANGES),
        delete_before_replace=True,
    )


def secret_outputs(plan: AciPlan) -> list[str]:
    """The group's outputs Pulumi must keep secret: the volume always, containers and registry
    credentials when they carry a secret."""
    names = ["volumes"]
    if plan.secure_env or any(isinstance(v, pulumi.Output) for v in plan.env.values()):
        names.append("containers")
    if any(r.password is not None for r in plan.registries):
        names.append("imageRegistryCredentials")
    return names


def unauthenticated_acr_pull(image: str, registries: Sequence[RegistryCredential]) -> str | None:
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
