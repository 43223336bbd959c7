"""SecureAksCluster: TLS and one authentication mode for Azure ML inference on an existing AKS cluster.

Two ways Azure ML serves models from AKS, chosen with ``mode``:

``"extension"`` (default, Azure ML v2)
    A ``kubernetesconfiguration.Extension`` of type ``microsoft.azureml.kubernetes`` with inference
    enabled. Its inference router (``azureml-fe``) terminates TLS with *your* certificate: the
    extension has no Microsoft-certificate option. The settings written here are the ones the
    ``az k8s-extension`` CLI writes after its client-side processing (it base64-encodes the PEM files
    into ``scoringFe.sslCert`` / ``scoringFe.sslKey`` and turns ``internalLoadBalancerProvider=azure``
    into ``scoringFe.serviceType.internalLoadBalancer``); infrastructure-as-code has to do the same
    by hand, which is what this component does. Then a ``machinelearningservices.Compute`` of type
    Kubernetes attaches the cluster to the workspace, and every endpoint becomes one
    ``OnlineEndpoint`` (``auth_mode`` ``Key`` or ``AMLToken``) with one ``OnlineDeployment``.

``"v1-attach"`` (workspaces still on SDK v1)
    A ``machinelearningservices.Compute`` of type AKS with an ``SslConfiguration``: a custom
    certificate (status ``Enabled``, cert, key, cname) or a Microsoft certificate (status ``Auto``,
    ``leaf_domain_label``, ``overwrite_existing_domain``; Azure creates
    ``<label>######.<region>.cloudapp.azure.com`` and its DNS record). SDK v1 web services are not
    ARM resources in pulumi-azure-native v3, so in this mode the component records each endpoint's
    authentication settings (for the policy pack and for your SDK v1 deployment script) and
    creates no endpoint resources; see ``docs/secure-aks-cluster.md``.

Everything that decides which resources exist is validated at construction, before any resource
is registered; the errors name the input, the problem and the fix.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi

from ..errors import ConfigurationError
from ..facts import EndpointAuth, SecurityFacts, type_token
from . import keys as _auth

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .certificate_bundle import CertificateBundle

MODES = ("extension", "v1-attach")
LOAD_BALANCERS = ("public", "internal")
ROUTER_SERVICE_TYPES = ("LoadBalancer", "ClusterIP")
CLUSTER_PURPOSES = ("FastProd", "DenseProd", "DevTest")

EXTENSION_TYPE = "microsoft.azureml.kubernetes"
EXTENSION_RELEASE_NAMESPACE = "azureml"
MICROSOFT_FQDN_SUFFIX = "cloudapp.azure.com"

NODEPORT_REASON = (
    "a NodePort router exposes azureml-fe on every node's IP without the Azure load balancer, and "
    "Azure ML leaves TLS termination and load balancing to you in that case "
    "(the CLI also refuses NodePort together with an internal load balancer)"
)
MICROSOFT_CERT_INTERNAL_LB_REASON = (
    "Azure ML does not support a Microsoft-provided certificate on a cluster with an internal load "
    "balancer: the certificate is issued for <label>######.<region>.cloudapp.azure.com, a name Azure "
    "binds to the router's public IP"
)
MICROSOFT_CERT_EXTENSION_REASON = (
    "the Azure ML Kubernetes extension (v2) has no Microsoft-certificate option: it accepts only your "
    "own certificate and key (scoringFe.sslCert/sslKey or sslSecret) with sslCname; Microsoft "
    "certificates (leaf_domain_label) exist only for SDK v1 AKS attach"
)
V1_NO_ENDPOINT_RESOURCE_NOTE = (
    "SDK v1 AKS web services are not ARM resources in pulumi-azure-native v3; deploy them with "
    "the SDK v1 settings in `v1_webservice_settings`"
)

_CLUSTER_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.ContainerService/managedClusters/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)
_ENDPOINT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")
_DEPLOYMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")
_COMPUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,15}$")
# The CLI/SDK short form of a workspace asset: azureml:<name>:<version> (azureml://... ids are full ids)
_SHORT_ASSET = re.compile(r"^azureml:(?!//)(?P<name>[A-Za-z0-9_.-]+):(?P<version>[A-Za-z0-9_.-]+)$")
_ASSET_KINDS = {"model": "models", "environment_id": "environments", "code_id": "codes"}
_REGION = re.compile(r"^[a-z][a-z0-9]*$")
_K8S_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_K8S_NAME = _K8S_NAMESPACE  # an RFC 1123 label: the extension's Helm release name
# A Kubernetes resource quantity as Azure ML passes it to the container's requests ("500m", "1.5", "2Gi").
_K8S_QUANTITY = re.compile(
    r"^(?P<number>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<unit>m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
)
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$"
)


@dataclass
class AksEndpointArgs:
    """One scoring endpoint served by the cluster.

    Authentication (exactly one mode; Azure cannot enable key and token auth together):

    - ``auth``: ``"key"`` (default on AKS: a primary/secondary key pair) or ``"token"`` (short-lived
      Azure ML tokens, AKS only). ``"none"`` exists only in ``v1-attach`` mode (SDK v1
      ``auth_enabled=False``); Kubernetes online endpoints always authenticate.
    - ``key_auth_enabled`` / ``token_auth_enabled``: the SDK v1 style flags, accepted for migration
      (``AksWebservice.deploy_configuration(auth_enabled=, token_auth_enabled=)``). Both ``True`` is
      refused. Give either ``auth`` or the flags; if both are given they must agree.

    Deployment (extension mode; ignored in v1-attach mode, where SDK v1 deploys the service):

    - ``model``: ARM id of the registered model version (``.../models/<name>/versions/<n>``).
    - ``scoring_script`` + ``code_id``: the entry script and the ARM id of the code asset version.
    - ``environment_id``: ARM id of the environment version.
    - ``model``, ``code_id`` and ``environment_id`` may also be an ``azureml://`` asset id (sent as
      given) or the short form ``azureml:<name>:<version>`` of a workspace asset, which is resolved to
      the asset's ARM id in the workspace (the Azure ML SDK does the same before calling the API,
      which takes only ARM ids and ``azureml://`` ids). ``azureml:<name>@latest`` needs a look-up and
      is refused.
    - ``instance_type``: the Kubernetes instance type (default ``"defaultinstancetype"``, the one the
      Azure ML extension creates).
    - ``deployment_name`` (default ``"blue"``), ``min_instances``/``max_instances`` (default 1/1),
      ``target_utilization_percentage`` (target-utilization autoscaling when given, else fixed
      ``min_instances``), ``cpu``/``memory`` container requests (e.g. ``"500m"``, ``"1Gi"``),
      ``environment_variables``, ``description``, ``tags``.
    - ``traffic``: the endpoint's traffic split, e.g. ``{"blue": 100}``. Azure refuses traffic for a
      deployment that does not exist yet, so leave it ``None`` on the first ``pulumi up`` and set it
      on the next one (until then clients select the deployment with the
      ``azureml-model-deployment`` header).
    - ``identity_ids``: user-assigned identities (resource ids) for the endpoint, the identity its
      deployments use to pull images and models; by default the endpoint gets a system-assigned
      identity, as the Azure ML CLI and SDK give it.
    """

    name: str
    auth: str | None = None
    key_auth_enabled: bool | None = None
    token_auth_enabled: bool | None = None
    model: pulumi.Input[str] | None = None
    scoring_script: pulumi.Input[str] | None = None
    code_id: pulumi.Input[str] | None = None
    environment_id: pulumi.Input[str] | None = None
    instance_type: pulumi.Input[str] = "defaultinstancetype"
    deployment_name: str = "blue"
    min_instances: int = 1
    max_instances: int = 1
    target_utilization_percentage: int | None = None
    cpu: pulumi.Input[str] | None = None
    memory: pulumi.Input[str] | None = None
    environment_variables: Mapping[str, pulumi.Input[str]] | None = None
    description: pulumi.Input[str] | None = None
    traffic: Mapping[str, int] | None = None
    tags: Mapping[str, pulumi.Input[str]] | None = None
    identity_ids: Sequence[pulumi.Input[str]] | None = None


_USER_IDENTITY_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/[^/]+$",
    re.IGNORECASE,
)


def _check_identity_ids(ids: object, where: str) -> None:
    if ids is None:
        return
    if isinstance(ids, str | pulumi.Output) or not isinstance(ids, Sequence):
        raise ConfigurationError(
            where,
            "expected a list of user-assigned identity resource ids, got "
            + ("one string" if isinstance(ids, str) else type(ids).__name__),
            "pass a plain list, e.g. identity_ids=[identity.id] (each id may be a pulumi Output)",
        )
    for i, value in enumerate(ids):
        if isinstance(value, pulumi.Output):
            continue
        if not isinstance(value, str) or not _USER_IDENTITY_ID.match(value):
            raise ConfigurationError(
                f"{where}[{i}]",
                f"{value!r} is not the resource id of a user-assigned identity",
                "pass /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/"
                "userAssignedIdentities/<name> (e.g. identity.id of an azure-native "
                "managedidentity.UserAssignedIdentity)",
            )


@dataclass
class AksDnsArgs:
    """The DNS record that makes the certificate's hostname resolve to the inference router.

    Only for custom certificates (a Microsoft certificate's DNS record is created by Azure).

    - ``zone_name`` / ``resource_group_name``: the Azure DNS zone (public) or private DNS zone.
    - ``relative_name``: the record name inside the zone; default: ``hostname`` minus ``zone_name``.
    - ``router_ip``: the router's IP (A record). The azureml-fe IP is assigned by Kubernetes and is not
      an ARM property: read it with ``kubectl get svc azureml-fe -n azureml`` (extension mode), or
      reserve a static IP and give it here.
    - ``static_ip_resource_id``: the ARM id of a static public IP resource: an alias A record that
      follows the resource (public zones only).
    - ``private``: use a private DNS zone. Default: ``True`` for an internal load balancer.
    - ``ttl``: seconds, default 300.
    """

    zone_name: str
    resource_group_name: pulumi.Input[str]
    relative_name: str | None = None
    router_ip: pulumi.Input[str] | None = None
    static_ip_resource_id: pulumi.Input[str] | None = None
    private: bool | None = None
    ttl: int = 300


@dataclass
class SecureAksClusterArgs:
    """Arguments of :class:`SecureAksCluster` (plain values decide structure; ``Input`` for the rest).

    - ``cluster_id``: ARM id of the existing AKS cluster
      (``/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>``).
    - ``workspace_name`` / ``workspace_resource_group_name``: the Azure ML workspace to attach to.
    - ``location``: the workspace region (the compute and endpoint resources).
    - ``cluster_location``: the AKS cluster's region, if it differs from the workspace's; default
      ``location``. It is what ``az k8s-extension create`` writes into the extension's ``location``,
      ``jobSchedulerLocation`` and ``domain``, the compute's ``computeLocation``, and the region of a
      Microsoft certificate's ``<label>######.<region>.cloudapp.azure.com`` (the router's public IP
      lives in the cluster's region).
    - ``mode``: ``"extension"`` (default) or ``"v1-attach"``.
    - ``certificate``: a :class:`~secure_scoring.CertificateBundle`: ``pem`` (from a CA),
      ``dev_ca``/``self_signed`` (development only; the policy pack rejects them in production) or
      ``microsoft_managed`` (v1-attach only, public load balancer only). Required while TLS is on.
    - ``tls_enabled``: default ``True``. ``False`` only when asked explicitly; it writes the insecure
      settings (``allowInsecureConnections="True"`` / SSL status ``Disabled``) which the policy pack's
      ``tls-required`` rule rejects.
    - ``hostname``: the name clients use (``sslCname`` / SSL ``cname``); must be covered by the
      certificate. Default: the certificate's first non-wildcard hostname.
    - ``load_balancer``: ``"public"`` (default) or ``"internal"``; ``load_balancer_subnet``: the subnet
      name of an internal load balancer (v1-attach).
    - ``router_service_type`` (extension mode): ``"LoadBalancer"`` (default) or ``"ClusterIP"``
      (behind an ingress you already run; it must pass TLS through or re-encrypt). ``NodePort`` is
      refused.
    - ``router_ha``: run three azureml-fe replicas (``inferenceRouterHA``), default ``True``.
    - ``cluster_purpose``: ``"FastProd"`` (default), ``"DenseProd"`` (v1 only) or ``"DevTest"``.
    - ``compute_name``: the workspace's name for the attached cluster (2-16 characters); default
      derived from the component name. ``namespace``: Kubernetes namespace of the endpoints
      (extension mode), default ``"default"``. ``extension_name``: default ``"azureml"``.
    - ``endpoints``: list of :class:`AksEndpointArgs`.
    - ``dns``: optional :class:`AksDnsArgs` (custom certificates only).
    - ``environment``: ``dev`` | ``staging`` | ``production`` (defaults to the certificate's).
    - ``tags``: applied to the compute and endpoint resources.
    """

    cluster_id: str
    workspace_name: pulumi.Input[str]
    workspace_resource_group_name: pulumi.Input[str]
    location: str
    mode: str = "extension"
    cluster_location: str | None = None
    certificate: CertificateBundle | None = None
    tls_enabled: bool = True
    hostname: str | None = None
    load_balancer: str = "public"
    load_balancer_subnet: pulumi.Input[str] | None = None
    router_service_type: str = "LoadBalancer"
    router_ha: bool = True
    cluster_purpose: str = "FastProd"
    compute_name: str | None = None
    namespace: str = "default"
    extension_name: str = "azureml"
    endpoints: Sequence[AksEndpointArgs] = field(default_factory=list)
    dns: AksDnsArgs | None = None
    environment: str | None = None
    tags: Mapping[str, pulumi.Input[str]] | None = None


@dataclass(frozen=True)
class _Plan:
    """Everything decided at construction (plain values only)."""

    mode: str
    subscription_id: str
    cluster_resource_group: str
    cluster_name: str
    tls_enabled: bool
    certificate_source: str | None
    self_signed: Any  # bool, or the bundle's Output while its PEM is not known yet
    microsoft_cert: bool
    hostname: str | None
    load_balancer: str
    router_service_type: str
    cluster_purpose: str
    compute_name: str
    endpoints: tuple[EndpointAuth, ...]
    auth_mode: str
    environment: str | None
    dns_private: bool
    dns_relative_name: str | None
    microsoft_fqdn: str | None
    cluster_region: str = ""
    workspace_region: str = ""


def parse_cluster_id(cluster_id: Any) -> tuple[str, str, str]:
    """``(subscription, resource_group, cluster_name)`` of an AKS ARM id, or a ConfigurationError."""
    match = _CLUSTER_ID.match(cluster_id.strip()) if isinstance(cluster_id, str) else None
    if match is None:
        raise ConfigurationError(
            "cluster_id",
            f"{cluster_id!r} is not the ARM id of an AKS cluster",
            "pass the cluster's resource id, e.g. `az aks show -g <rg> -n <name> --query id -o tsv`: "
            "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>",
        )
    return match["sub"], match["rg"], match["name"]


def microsoft_fqdn_pattern(leaf_domain_label: str, location: str) -> str:
    """The name Azure gives a Microsoft certificate: ``<label>######.<region>.cloudapp.azure.com``.

    The six ``#`` stand for the random characters Azure appends at attach time; they are known only
    after the attach (Azure ML studio / ``AksCompute`` show the final name).
    """
    region = location.replace(" ", "").lower()
    return f"{leaf_domain_label}######.{region}.{MICROSOFT_FQDN_SUFFIX}"


def _choice(value: Any, allowed: Sequence[str], input_name: str, *, casefold: bool = True) -> str:
    if isinstance(value, str):
        for a in allowed:
            if (value.lower() == a.lower()) if casefold else value == a:
                return a
    raise ConfigurationError(
        input_name, f"{value!r} is not one of {', '.join(allowed)}", f"use one of {', '.join(allowed)}"
    )


def _whole(value: Any, input_name: str, minimum: int, maximum: int | None = None) -> int:
    """An integer input; whole floats (2.0, as other languages send numbers) are accepted."""
    ok = not isinstance(value, bool) and isinstance(value, int | float) and int(value) == value
    if not ok or value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise ConfigurationError(
            input_name, f"{value!r} is not a whole number {bounds}", f"pass a whole number {bounds}"
        )
    return int(value)


def _k8s_quantity(value: Any, input_name: str, example: str, *, memory: bool) -> None:
    """Refuse a container request Kubernetes would not parse (``1GB``), a number, or a unit-less memory size."""
    if value is None or isinstance(value, pulumi.Output):
        return
    if not isinstance(value, str):
        raise ConfigurationError(
            input_name,
            f"{value!r} is not a string ({type(value).__name__}); Azure ML takes a Kubernetes quantity string"
            + (" (a bare number of memory is bytes)" if memory else ""),
            f"quote it with its unit, e.g. {example}",
        )
    match = _K8S_QUANTITY.match(value.strip())
    if match is None:
        raise ConfigurationError(
            input_name,
            f"{value!r} is not a Kubernetes quantity"
            + (" ('GB' is not a unit: use 'G' or 'Gi')" if "B" in value else ""),
            f"use e.g. {example}",
        )
    if memory and match["unit"] in (None, "m") and float(match["number"]) < 1024 * 1024:
        raise ConfigurationError(
            input_name,
            f"{value!r} is under 1 MiB in Kubernetes units (no unit means bytes, 'm' thousandths of a byte)",
            f"give the unit, e.g. {example}",
        )


def _default_compute_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", name).strip("-") or "aks"
    if not cleaned[0].isalpha():
        cleaned = "aks-" + cleaned
    cleaned = cleaned[:16].rstrip("-")
    return cleaned if len(cleaned) >= 2 else f"{cleaned}-aks"


def _plan(name: str, args: SecureAksClusterArgs) -> _Plan:  # noqa: C901 - one place for all refusals
    if not isinstance(args, SecureAksClusterArgs):
        raise ConfigurationError(
            "args",
            f"expected SecureAksClusterArgs, got {type(args).__name__}",
            "pass SecureAksClusterArgs(...)",
        )
    mode = _choice(args.mode, MODES, "mode")
    plain_fields: list[tuple[str, Any, str]] = [
        ("cluster_id", args.cluster_id, "/subscriptions/<sub>/.../managedClusters/<name>"),
        ("location", args.location, "'westeurope'"),
        ("cluster_location", args.cluster_location, "'westeurope'"),
        ("hostname", args.hostname, "'scoring.example.com'"),
        ("compute_name", args.compute_name, "'aks-scoring'"),
        ("namespace", args.namespace, "'default'"),
        ("environment", args.environment, "'production'"),
    ]
    if isinstance(args.dns, AksDnsArgs):
        plain_fields += [
            ("dns.zone_name", args.dns.zone_name, "'example.com'"),
            ("dns.relative_name", args.dns.relative_name, "'scoring'"),
            ("dns.private", args.dns.private, "True"),
        ]
    for field_name, value, example in plain_fields:
        if isinstance(value, pulumi.Output):
            raise ConfigurationError(
                field_name,
                "is a pulumi Output, but it must be a plain value known at construction (it decides the "
                "resources, their names and settings, and the checks made before deployment)",
                f"pass the value itself, e.g. {example} (read it from config with pulumi.Config().require(...))",
            )
    sub, rg, cluster = parse_cluster_id(args.cluster_id)
    from .dns_binding import check_string_map, require_str_input

    # Input[str] arguments the SDK would otherwise reject with a TypeError after the extension was registered
    require_str_input(args.workspace_name, "workspace_name", "'mlw-prod'")
    require_str_input(args.workspace_resource_group_name, "workspace_resource_group_name", "'rg-ml-prod'")
    if mode == "extension" and (
        not isinstance(args.extension_name, str) or not _K8S_NAME.match(args.extension_name)
    ):
        raise ConfigurationError(
            "extension_name",
            f"{args.extension_name!r} is not a cluster extension name (it is also the Helm release name "
            "in the cluster)",
            "use 1-63 lower-case letters, digits and hyphens, e.g. the default 'azureml'",
        )
    if not isinstance(args.location, str) or not args.location.strip():
        raise ConfigurationError(
            "location", "the workspace region is missing", "pass location, e.g. 'westeurope'"
        )
    if args.cluster_location is not None and (
        not isinstance(args.cluster_location, str) or not args.cluster_location.strip()
    ):
        raise ConfigurationError(
            "cluster_location",
            f"{args.cluster_location!r} is not a region name",
            "pass the AKS cluster's region, e.g. 'westeurope', or leave it out when it is the workspace's",
        )
    # Azure reports regions as 'westeurope'; a display name ('West Europe') sent as is would differ
    # from what Azure reads back. Same normalisation as CertificateBundle(location=...).
    workspace_region = args.location.replace(" ", "").lower()
    cluster_region = (args.cluster_location or args.location).replace(" ", "").lower()
    for field_name, region in (("location", workspace_region), ("cluster_location", cluster_region)):
        if not _REGION.match(region):
            raise ConfigurationError(
                field_name,
                f"{region!r} is not an Azure region name",
                "use a region name such as 'westeurope' (`az account list-locations -o table`)",
            )
    load_balancer = _choice(args.load_balancer, LOAD_BALANCERS, "load_balancer")
    if isinstance(args.router_service_type, str) and args.router_service_type.lower() == "nodeport":
        raise ConfigurationError(
            "router_service_type",
            f"NodePort is refused: {NODEPORT_REASON}",
            "use 'LoadBalancer' (public or internal) or 'ClusterIP' behind an ingress you run",
        )
    router = _choice(args.router_service_type, ROUTER_SERVICE_TYPES, "router_service_type")
    purpose = _choice(args.cluster_purpose, CLUSTER_PURPOSES, "cluster_purpose")
    if mode == "v1-attach" and router != "LoadBalancer":
        raise ConfigurationError(
            "router_service_type",
            f"{router} is an Azure ML extension setting; SDK v1 AKS attach always exposes azureml-fe through a load balancer",
            "leave router_service_type='LoadBalancer' in v1-attach mode, or use mode='extension'",
        )
    if mode == "extension" and purpose == "DenseProd":
        raise ConfigurationError(
            "cluster_purpose",
            "'DenseProd' is an SDK v1 value; the extension accepts DevTest or FastProd",
            "use 'FastProd' or 'DevTest'",
        )
    if router == "ClusterIP" and load_balancer == "internal":
        raise ConfigurationError(
            "load_balancer",
            "an internal load balancer was asked for, but router_service_type='ClusterIP' creates no load balancer",
            "use router_service_type='LoadBalancer' with load_balancer='internal', or keep ClusterIP and expose it with your ingress",
        )
    if args.load_balancer_subnet is not None and mode == "extension":
        raise ConfigurationError(
            "load_balancer_subnet",
            "the Azure ML extension has no setting for the internal load balancer's subnet (AKS places it in the cluster's subnet)",
            "drop load_balancer_subnet in extension mode, or use mode='v1-attach' where the compute takes loadBalancerSubnet",
        )
    require_str_input(args.load_balancer_subnet, "load_balancer_subnet", "'aks-ilb-subnet'", required=False)
    if args.load_balancer_subnet is not None and load_balancer != "internal":
        raise ConfigurationError(
            "load_balancer_subnet",
            "a subnet applies only to an internal load balancer",
            "set load_balancer='internal' or drop load_balancer_subnet",
        )

    if not isinstance(args.router_ha, bool):
        raise ConfigurationError(
            "router_ha",
            f"expected True or False, got {args.router_ha!r}",
            "pass router_ha=True (three azureml-fe replicas, the default) or router_ha=False",
        )
    check_string_map(args.tags, "tags")
    if args.endpoints is not None and (
        isinstance(args.endpoints, str | bytes | Mapping | AksEndpointArgs)
        or not isinstance(args.endpoints, Sequence)
    ):
        raise ConfigurationError(
            "endpoints",
            f"expected a list of AksEndpointArgs, got {type(args.endpoints).__name__}",
            "pass a list, e.g. endpoints=[AksEndpointArgs(name='scoring', auth='key')] (an empty list for none)",
        )
    cert = args.certificate
    tls = args.tls_enabled
    if not isinstance(tls, bool):
        raise ConfigurationError(
            "tls_enabled", f"expected True or False, got {tls!r}", "pass tls_enabled=True (the default)"
        )
    source: str | None = None
    self_signed = False
    microsoft = False
    hostname: str | None = None
    microsoft_fqdn: str | None = None
    if not tls:
        if cert is not None:
            raise ConfigurationError(
                "tls_enabled",
                "TLS is turned off but a certificate was given; the certificate would be ignored",
                "drop tls_enabled=False (TLS on is the default) or drop the certificate",
            )
        if args.hostname is not None:
            raise ConfigurationError(
                "hostname",
                "a TLS hostname (sslCname) was given with TLS turned off",
                "drop hostname or turn TLS on",
            )
    else:
        if cert is None:
            raise ConfigurationError(
                "certificate",
                "TLS is on (the default) but no certificate was given",
                "pass certificate=CertificateBundle(...) (source 'pem' for production; 'microsoft_managed' in v1-attach mode)",
            )
        source = getattr(cert, "source", None)
        if source not in ("pem", "self_signed", "dev_ca", "microsoft_managed"):
            raise ConfigurationError(
                "certificate", f"unknown certificate source {source!r}", "pass a CertificateBundle"
            )
        microsoft = source == "microsoft_managed"
        if microsoft:
            if mode == "extension":
                raise ConfigurationError(
                    "certificate",
                    f"a Microsoft-managed certificate was given in extension mode: {MICROSOFT_CERT_EXTENSION_REASON}",
                    "use mode='v1-attach' for a Microsoft certificate, or give your own certificate (source 'pem') with its hostname",
                )
            if load_balancer == "internal":
                raise ConfigurationError(
                    "certificate",
                    f"a Microsoft-managed certificate cannot be used with load_balancer='internal': {MICROSOFT_CERT_INTERNAL_LB_REASON}",
                    "use a custom certificate (source 'pem') for an internal load balancer, or a public load balancer",
                )
            if args.hostname is not None:
                raise ConfigurationError(
                    "hostname",
                    "a hostname was given with a Microsoft-managed certificate, which is issued only for the name Azure generates",
                    "drop hostname (the name is <leaf_domain_label>######.<region>.cloudapp.azure.com) or use your own certificate",
                )
            from .certificate_bundle import validate_leaf_domain_label

            # the same rule as CertificateBundle (1-57 characters: Azure appends 6 more)
            label = validate_leaf_domain_label(
                getattr(cert, "leaf_domain_label", None), "certificate.leaf_domain_label"
            )
            cert_location = getattr(cert, "location", None)
            if isinstance(cert_location, str) and cert_location.replace(" ", "").lower() != cluster_region:
                raise ConfigurationError(
                    "certificate.location",
                    f"the Microsoft certificate is for region {cert_location!r} but the cluster is in {cluster_region!r}",
                    "create the CertificateBundle with location equal to the cluster's region (cluster_location, default location)",
                )
            microsoft_fqdn = microsoft_fqdn_pattern(label, cluster_region)
        else:
            names = [h for h in (getattr(cert, "hostname_list", None) or []) if isinstance(h, str)]
            hostname = args.hostname
            if hostname is None:
                plain = [h for h in names if not h.startswith("*.")]
                if not plain:
                    raise ConfigurationError(
                        "hostname",
                        "no hostname was given and the certificate names none that can be used as is"
                        + (f" ({', '.join(names)})" if names else ""),
                        "pass hostname='scoring.example.com' (a name the certificate covers)",
                    )
                hostname = plain[0]
            if isinstance(hostname, str):
                hostname = hostname.strip().rstrip(".").lower()
            if not isinstance(hostname, str) or not _HOSTNAME.match(hostname):
                raise ConfigurationError(
                    "hostname",
                    f"{hostname!r} is not a valid DNS name",
                    "pass a fully qualified name such as 'scoring.example.com'",
                )
            if not cert.covers(hostname):
                raise ConfigurationError(
                    "hostname",
                    f"the certificate does not cover {hostname!r} (it names {', '.join(names) or 'no DNS names'}); clients would get a name mismatch",
                    "use a hostname in the certificate's subject alternative names, or issue a certificate for it",
                )

    compute_name = args.compute_name if args.compute_name is not None else _default_compute_name(name)
    if not isinstance(compute_name, str) or not _COMPUTE_NAME.match(compute_name):
        raise ConfigurationError(
            "compute_name",
            f"{compute_name!r} is not a valid Azure ML compute name",
            "use 2-16 letters, digits or hyphens, starting with a letter",
        )
    if mode == "extension" and (
        not isinstance(args.namespace, str) or not _K8S_NAMESPACE.match(args.namespace)
    ):
        raise ConfigurationError(
            "namespace",
            f"{args.namespace!r} is not a Kubernetes namespace name",
            "use lower-case letters, digits and hyphens",
        )

    endpoints: list[EndpointAuth] = []
    seen: set[str] = set()
    for i, ep in enumerate(args.endpoints or []):
        where = f"endpoints[{i}]"
        if not isinstance(ep, AksEndpointArgs):
            raise ConfigurationError(
                where,
                f"expected AksEndpointArgs, got {type(ep).__name__}",
                "pass AksEndpointArgs(name=..., auth='key'|'token')",
            )
        if not isinstance(ep.name, str) or not _ENDPOINT_NAME.match(ep.name):
            raise ConfigurationError(
                f"{where}.name",
                f"{ep.name!r} is not a valid endpoint name",
                "use 3-32 letters, digits or hyphens, starting with a letter",
            )
        if ep.name.lower() in seen:
            raise ConfigurationError(
                f"{where}.name",
                f"endpoint name {ep.name!r} is used twice",
                "give every endpoint its own name",
            )
        seen.add(ep.name.lower())
        for field_name in ("environment_variables", "tags"):
            given = getattr(ep, field_name)
            if given is not None and not isinstance(given, Mapping):
                raise ConfigurationError(
                    f"{where}.{field_name}",
                    f"expected a mapping of names to values, got {type(given).__name__}",
                    f"pass a dict such as {field_name}={{'LOG_LEVEL': 'info'}}",
                )
        for key, value in (ep.environment_variables or {}).items():
            if not isinstance(key, str) or not isinstance(value, str | pulumi.Output):
                raise ConfigurationError(
                    f"{where}.environment_variables[{key!r}]",
                    f"{value!r} is a {type(value).__name__}; Azure ML accepts only string names and values",
                    f"quote it: {str(key)!r}: {str(value)!r}",
                )
        check_string_map(ep.tags, f"{where}.tags")
        key_flag, token_flag = ep.key_auth_enabled, ep.token_auth_enabled
        if ep.auth is not None and (key_flag is None) != (token_flag is None):
            # auth plus one SDK v1 flag: the named mode implies its own flag, so auth='key' with
            # token_auth_enabled=True is the "both enabled" case, not a silent token-less key endpoint.
            named = _auth.resolve_auth_mode(ep.auth, platform="aks", input_name=f"{where}.auth")
            if key_flag is None:
                key_flag = named == _auth.KEY
            else:
                token_flag = named == _auth.TOKEN
        mode_ = _auth.resolve_auth_mode(
            ep.auth,
            platform="aks",
            input_name=f"{where}.auth",
            key_auth_enabled=key_flag,
            token_auth_enabled=token_flag,
        )
        if mode_ == _auth.NONE and mode == "extension":
            raise ConfigurationError(
                f"{where}.auth",
                "authentication 'none' is not available on Kubernetes online endpoints (auth_mode is Key or AMLToken)",
                "use auth='key' or auth='token'",
            )
        if mode == "extension":
            if not isinstance(ep.deployment_name, str) or not _DEPLOYMENT_NAME.match(ep.deployment_name):
                raise ConfigurationError(
                    f"{where}.deployment_name",
                    f"{ep.deployment_name!r} is not a valid deployment name",
                    "use 3-32 letters, digits or hyphens",
                )
            for field_name in _ASSET_KINDS:
                value = getattr(ep, field_name)
                if (
                    isinstance(value, str)
                    and value.startswith("azureml:")
                    and not value.startswith("azureml://")
                    and not _SHORT_ASSET.match(value)
                ):
                    raise ConfigurationError(
                        f"{where}.{field_name}",
                        f"{value!r} is not a versioned asset reference (a label such as @latest, or a missing "
                        "version, needs a workspace look-up that a deployment cannot make)",
                        "use azureml:<name>:<version>, the asset version's ARM id, or an azureml:// id",
                    )
            if ep.code_id is not None and ep.scoring_script is None:
                raise ConfigurationError(
                    f"{where}.code_id",
                    "a code asset was given without scoring_script, so the deployment would not use it "
                    "(Azure ML's code configuration is the scoring script plus the code asset that holds it)",
                    "add scoring_script='score.py' (its path inside the code asset), or drop code_id",
                )
            require_str_input(ep.instance_type, f"{where}.instance_type", "'defaultinstancetype'")
            for field_name, example in (
                ("model", "'azureml:fraud-model:3'"),
                ("scoring_script", "'score.py'"),
                ("code_id", "'azureml:fraud-code:4'"),
                ("environment_id", "'azureml:sklearn-env:7'"),
                ("description", "'fraud scoring'"),
            ):
                require_str_input(getattr(ep, field_name), f"{where}.{field_name}", example, required=False)
            _k8s_quantity(ep.cpu, f"{where}.cpu", "'500m' or '1'", memory=False)
            _k8s_quantity(ep.memory, f"{where}.memory", "'1Gi' or '512Mi'", memory=True)
            mins = _whole(ep.min_instances, f"{where}.min_instances", 1)
            maxs = _whole(ep.max_instances, f"{where}.max_instances", 1)
            if ep.target_utilization_percentage is not None:
                _whole(ep.target_utilization_percentage, f"{where}.target_utilization_percentage", 1, 100)
            if mins < 1 or maxs < mins:
                raise ConfigurationError(
                    f"{where}.min_instances",
                    f"min_instances={mins}, max_instances={maxs}",
                    "use 1 <= min_instances <= max_instances",
                )
            if ep.target_utilization_percentage is None and maxs != mins:
                raise ConfigurationError(
                    f"{where}.max_instances",
                    "max_instances differs from min_instances but no target_utilization_percentage was given, so nothing would scale",
                    "set target_utilization_percentage (e.g. 70) or make max_instances equal to min_instances",
                )
            _check_identity_ids(ep.identity_ids, f"{where}.identity_ids")
            if ep.traffic is not None:
                if not isinstance(ep.traffic, Mapping):
                    raise ConfigurationError(
                        f"{where}.traffic",
                        "must map deployment names to percentages",
                        "pass e.g. {'blue': 100}",
                    )
                total = sum(_whole(v, f"{where}.traffic[{k!r}]", 0, 100) for k, v in ep.traffic.items())
                if ep.traffic and total != 100:
                    raise ConfigurationError(
                        f"{where}.traffic",
                        f"traffic adds up to {total}",
                        "make the percentages add up to 100",
                    )
        endpoints.append(
            EndpointAuth(
                name=ep.name,
                auth_mode=mode_,
                key_auth_enabled=mode_ == _auth.KEY,
                token_auth_enabled=mode_ == _auth.TOKEN,
            )
        )

    # The component-level mode is the strongest one its endpoints use (each endpoint has exactly one;
    # the per-endpoint facts carry the detail). With no endpoints: key, Azure's default on AKS.
    modes = {e.auth_mode for e in endpoints}
    auth_mode = next((m for m in (_auth.TOKEN, _auth.KEY, _auth.NONE) if m in modes), _auth.KEY)

    environment = args.environment if args.environment is not None else getattr(cert, "environment", None)
    if tls and cert is not None:
        from .certificate_bundle import refuse_dev_certificate_in_production, service_self_signed

        extra = " or a Microsoft certificate (v1-attach, public load balancer)"
        refuse_dev_certificate_in_production(environment, cert, extra)
        # unknown (a PEM certificate that arrives as an Output): the bundle's own output, never a
        # guessed False (and refused when known in a production cluster)
        self_signed = service_self_signed(environment, cert, extra)

    dns_private = False
    dns_relative: str | None = None
    if args.dns is not None:
        dns = args.dns
        if not isinstance(dns, AksDnsArgs):
            raise ConfigurationError(
                "dns", f"expected AksDnsArgs, got {type(dns).__name__}", "pass AksDnsArgs(zone_name=..., ...)"
            )
        if not tls:
            raise ConfigurationError(
                "dns",
                "a DNS record for the TLS hostname was asked for with TLS turned off",
                "turn TLS on or drop dns",
            )
        if microsoft:
            raise ConfigurationError(
                "dns",
                "Azure creates and maintains the DNS record of a Microsoft-managed certificate; a record of your own would not match the certificate",
                "drop dns, or use your own certificate (source 'pem') with the DNS name it covers",
            )
        if (dns.router_ip is None) == (dns.static_ip_resource_id is None):
            raise ConfigurationError(
                "dns",
                "give exactly one target: router_ip (A record) or static_ip_resource_id (alias A record)"
                + ("" if dns.router_ip is None else ", not both"),
                "the azureml-fe IP is assigned by Kubernetes: read it with `kubectl get svc azureml-fe -n azureml` and pass router_ip, "
                "or pass the ARM id of a static public IP as static_ip_resource_id",
            )
        _whole(dns.ttl, "dns.ttl", 1, 86400)
        if not isinstance(dns.zone_name, str) or not _HOSTNAME.match(dns.zone_name.strip().rstrip(".")):
            raise ConfigurationError(
                "dns.zone_name", f"{dns.zone_name!r} is not a DNS zone name", "pass e.g. 'example.com'"
            )
        if dns.private is not None and not isinstance(dns.private, bool):
            raise ConfigurationError(
                "dns.private",
                f"expected True or False, got {dns.private!r}",
                "pass private=True for a private DNS zone, or leave it out (private for an internal load balancer)",
            )
        dns_private = dns.private if dns.private is not None else load_balancer == "internal"
        if isinstance(dns.router_ip, str):
            import ipaddress

            try:
                router_addr = ipaddress.ip_address(dns.router_ip.strip())
            except ValueError:
                raise ConfigurationError(
                    "dns.router_ip",
                    f"{dns.router_ip!r} is not an IP address",
                    "pass the azureml-fe service's IP (`kubectl get svc azureml-fe -n azureml`)",
                ) from None
            if not dns_private and (  # the same rule as DnsRecordBinding's target_ip
                router_addr.is_private
                or router_addr.is_loopback
                or router_addr.is_link_local
                or router_addr.is_unspecified
            ):
                raise ConfigurationError(
                    "dns.router_ip",
                    f"{router_addr} is not a public address, so a record in the public zone {dns.zone_name!r} cannot reach it"
                    + (" (the load balancer is internal)" if load_balancer == "internal" else ""),
                    "use a private DNS zone (private=True, the default for an internal load balancer), or the router's public IP",
                )
        elif dns.router_ip is not None and not isinstance(dns.router_ip, pulumi.Output):
            raise ConfigurationError(
                "dns.router_ip",
                f"must be one IP address (a string or a pulumi Output of one), got {type(dns.router_ip).__name__}",
                "pass a single address such as '20.50.1.2'",
            )
        if dns_private and dns.static_ip_resource_id is not None:
            raise ConfigurationError(
                "dns.static_ip_resource_id",
                "private DNS zones have no alias records",
                "pass the router's private IP as router_ip for a private zone",
            )
        zone = dns.zone_name.lower().rstrip(".")
        assert hostname is not None  # custom certificate with TLS on
        if dns.relative_name is None:
            if hostname == zone:
                dns_relative = "@"
            elif hostname.endswith("." + zone):
                dns_relative = hostname[: -len(zone) - 1]
            else:
                raise ConfigurationError(
                    "dns.zone_name",
                    f"the hostname {hostname!r} is not inside the zone {zone!r}",
                    "use the zone that contains the hostname, or change hostname",
                )
        else:
            from .dns_binding import _relative_name

            # the same checks (and lower-casing) DnsRecordBinding makes, named as this argument
            dns_relative = _relative_name(dns.relative_name, zone, "dns.relative_name")
            fqdn = zone if dns_relative == "@" else f"{dns_relative}.{zone}"
            if fqdn != hostname:
                raise ConfigurationError(
                    "dns.relative_name",
                    f"the record {fqdn!r} is not the TLS hostname {hostname!r}; clients of that name would get a certificate mismatch",
                    f"use relative_name={hostname[: -len(zone) - 1] if hostname.endswith('.' + zone) else '<name>'!r} or drop it",
                )
        # Everything the DnsRecordBinding child will check, checked now under this argument's names:
        # a refusal from the child would come after the extension and the compute were registered.
        _check_dns_binding(dns, zone, dns_relative, dns_private, cert)

    return _Plan(
        mode=mode,
        subscription_id=sub,
        cluster_resource_group=rg,
        cluster_name=cluster,
        tls_enabled=tls,
        certificate_source=source,
        self_signed=self_signed,
        microsoft_cert=microsoft,
        hostname=hostname,
        load_balancer=load_balancer,
        router_service_type=router,
        cluster_purpose=purpose,
        compute_name=compute_name,
        endpoints=tuple(endpoints),
        auth_mode=auth_mode,
        environment=environment,
        dns_private=dns_private,
        dns_relative_name=dns_relative,
        microsoft_fqdn=microsoft_fqdn,
        cluster_region=cluster_region,
        workspace_region=workspace_region,
    )


# DnsRecordBindingArgs field -> the AksDnsArgs field it comes from
_DNS_INPUTS = {
    "zone_name": "dns.zone_name",
    "resource_group_name": "dns.resource_group_name",
    "relative_name": "dns.relative_name",
    "target": "dns",
    "target_ip": "dns.router_ip",
    "target_resource_id": "dns.static_ip_resource_id",
    "ttl": "dns.ttl",
    "private": "dns.private",
    "certificate": "certificate",
    "metadata": "dns",
}


def _check_dns_binding(dns: AksDnsArgs, zone: str, relative: str, private: bool, cert: Any) -> None:
    from .dns_binding import DnsRecordBindingArgs
    from .dns_binding import _plan as dns_plan

    try:
        dns_plan(
            DnsRecordBindingArgs(
                zone_name=zone,
                resource_group_name=dns.resource_group_name,
                relative_name=relative,
                target_ip=dns.router_ip,
                target_resource_id=dns.static_ip_resource_id,
                ttl=dns.ttl,
                private=private,
                certificate=cert,
            )
        )
    except ConfigurationError as exc:
        input_name = exc.input_name
        head, _, rest = input_name.partition("[")
        renamed = _DNS_INPUTS.get(head, f"dns.{head}") + (f"[{rest}" if rest else "")
        raise ConfigurationError(renamed, exc.problem, exc.fix) from None


def _asset_id(value: Any, field_name: str, subscription: str, args: SecureAksClusterArgs) -> Any:
    """``azureml:<name>:<version>`` → the workspace asset's ARM id; anything else unchanged.

    The workspace is in the cluster's subscription: Azure ML does not attach an AKS cluster of
    another subscription (it has to be connected through Azure Arc instead).
    """
    match = _SHORT_ASSET.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    kind = _ASSET_KINDS[field_name]

    def arm_id(rg_ws: list[Any]) -> str:
        return (
            f"/subscriptions/{subscription}/resourceGroups/{rg_ws[0]}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{rg_ws[1]}/{kind}/{match['name']}/versions/{match['version']}"
        )

    rg, ws = args.workspace_resource_group_name, args.workspace_name
    if isinstance(rg, str) and isinstance(ws, str):
        return arm_id([rg, ws])
    return pulumi.Output.all(rg, ws).apply(arm_id)


def _b64(text: str | None) -> str:
    return base64.b64encode((text or "").encode("ascii")).decode("ascii")


def _invoke_opts(parent: pulumi.Resource, depends_on: list[pulumi.Resource]):
    return pulumi.InvokeOutputOptions(parent=parent, depends_on=depends_on)


class SecureAksCluster(pulumi.ComponentResource):
    """Azure ML inference on an existing AKS cluster with TLS and exactly one auth mode per endpoint.

    Attributes (Outputs unless noted):

    - ``extension`` (extension mode) and ``compute``: the resources; ``extension_id``, ``compute_id``.
    - ``online_endpoints`` / ``online_deployments``: plain dicts endpoint name -> resource (extension mode).
    - ``scoring_uris``: endpoint name -> scoring URI; ``scoring_uri``: the first endpoint's.
      Extension mode: the URI Azure reports for the endpoint (its host is the ``sslCname``).
      v1-attach: ``https://<host>/api/v1/service/<name>/score`` (the SDK v1 pattern); ``None`` with a
      Microsoft certificate, whose final host name only Azure knows after the attach
      (``Webservice.scoring_uri`` in SDK v1).
    - ``fqdn``: the TLS hostname, or the Microsoft certificate's pattern ``<label>######.<region>.cloudapp.azure.com``
      (the six characters are known only after the attach).
    - ``router_ip``: the router IP given in ``dns``; in v1-attach mode otherwise the public IP Azure reports
      for the compute's system service; ``None`` when not known.
    - ``endpoint_keys`` (secret): name -> ``{"primary_key", "secondary_key"}`` for key endpoints (extension mode).
    - ``endpoint_tokens`` (secret): name -> ``{"access_token", "token_type", "expiry_time_utc",
      "refresh_after_time_utc"}`` for token endpoints: a token fetched at deployment time. Tokens are
      short-lived; clients must fetch a fresh one after ``refresh_after_time_utc`` (see the docs page).
    - ``v1_webservice_settings`` (plain dict, v1-attach): name -> ``{"auth_enabled", "token_auth_enabled"}``
      for ``AksWebservice.deploy_configuration``.
    - ``dns_record``: the :class:`~secure_scoring.components.dns_binding.DnsRecordBinding` child, or ``None``.
    - ``facts``: the :class:`~secure_scoring.facts.SecurityFacts` passed to the policy pack.
    """

    def __init__(
        self, name: str, args: SecureAksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        plan = _plan(name, args)  # every refusal happens here, before any registration
        cert = args.certificate
        not_after = getattr(cert, "not_after", None) if cert is not None and not plan.microsoft_cert else None
        hostnames = tuple(getattr(cert, "hostname_list", None) or ()) if cert is not None else ()
        if plan.microsoft_cert and plan.microsoft_fqdn:
            hostnames = (plan.microsoft_fqdn,)
        self.facts = SecurityFacts(
            platform="aks",
            tls_enabled=plan.tls_enabled,
            certificate_source=plan.certificate_source,
            self_signed=plan.self_signed,
            auth_mode=plan.auth_mode,
            key_auth_enabled=plan.auth_mode == _auth.KEY,
            token_auth_enabled=plan.auth_mode == _auth.TOKEN,
            min_tls_version="1.2",
            environment=plan.environment,
            hostname=plan.hostname or plan.microsoft_fqdn,
            certificate_hostnames=hostnames,
            certificate_not_after=not_after,
            endpoints=plan.endpoints,
        )
        props = {
            **self.facts.props(),
            "mode": plan.mode,
            "loadBalancer": plan.load_balancer,
            "routerServiceType": plan.router_service_type,
            "clusterId": args.cluster_id,
        }
        super().__init__(type_token("SecureAksCluster"), name, props, opts)
        self._plan = plan

        child = pulumi.ResourceOptions(parent=self)
        self.extension = None
        self.online_endpoints: dict[str, Any] = {}
        self.online_deployments: dict[str, Any] = {}
        self.v1_webservice_settings: dict[str, dict[str, bool]] = {}
        self.dns_record = None

        if plan.mode == "extension":
            self._build_extension_mode(name, args, child)
        else:
            self._build_v1_mode(name, args, child)

        self.compute_id = self.compute.id
        self.extension_id = (
            self.extension.id if self.extension is not None else pulumi.Output.from_input(None)
        )

        # DNS (custom certificates only; validated in _plan)
        if args.dns is not None:
            from .dns_binding import DnsRecordBinding, DnsRecordBindingArgs

            dns = args.dns
            self.dns_record = DnsRecordBinding(
                f"{name}-dns",
                DnsRecordBindingArgs(
                    zone_name=dns.zone_name,
                    resource_group_name=dns.resource_group_name,
                    relative_name=plan.dns_relative_name,
                    target_ip=dns.router_ip,
                    target_resource_id=dns.static_ip_resource_id,
                    ttl=int(dns.ttl),
                    private=plan.dns_private,
                    certificate=cert,
                ),
                pulumi.ResourceOptions(parent=self),
            )

        if plan.microsoft_cert:
            self.fqdn = pulumi.Output.from_input(plan.microsoft_fqdn)
        elif self.dns_record is not None:
            self.fqdn = self.dns_record.fqdn
        else:
            self.fqdn = pulumi.Output.from_input(plan.hostname)

        if args.dns is not None and args.dns.router_ip is not None:
            self.router_ip = pulumi.Output.from_input(args.dns.router_ip)
        elif plan.mode == "v1-attach":
            self.router_ip = self.compute.properties.apply(_system_service_ip)
        else:
            self.router_ip = pulumi.Output.from_input(None)

        first = plan.endpoints[0].name if plan.endpoints else None
        self.scoring_uri = self.scoring_uris[first] if first else pulumi.Output.from_input(None)

        self.register_outputs(
            {
                **self.facts.outputs(),
                "mode": plan.mode,
                "load_balancer": plan.load_balancer,
                "router_service_type": plan.router_service_type,
                "compute_id": self.compute_id,
                "extension_id": self.extension_id,
                "scoring_uri": self.scoring_uri,
                "scoring_uris": self.scoring_uris,
                "fqdn": self.fqdn,
                "router_ip": self.router_ip,
                "endpoint_keys": self.endpoint_keys,
                "endpoint_tokens": self.endpoint_tokens,
            }
        )

    def dns_target(self) -> tuple[str, pulumi.Output[Any]]:
        """``("A", router_ip)`` for ``DnsRecordBinding(target=cluster)``; refused where no IP is known.

        Without it a binding would fall back to a CNAME to ``fqdn``, which is the TLS hostname
        itself: a record pointing at its own name.
        """
        plan = self._plan
        if plan.microsoft_cert:
            raise ConfigurationError(
                "target",
                "the cluster uses a Microsoft-managed certificate, whose DNS name Azure creates and maintains",
                "drop the DnsRecordBinding (the name is the cluster's fqdn)",
            )
        if self.dns_record is not None:
            raise ConfigurationError(
                "target",
                f"the cluster already creates the record for {plan.hostname} (its dns argument)",
                "drop this DnsRecordBinding, or drop the cluster's dns argument",
            )
        if not plan.tls_enabled:
            raise ConfigurationError(
                "target", "the cluster has TLS turned off, so no hostname to publish", "turn TLS on"
            )
        if plan.mode == "extension":
            raise ConfigurationError(
                "target",
                "the router IP of an extension-mode cluster (the azureml-fe service) is assigned by "
                "Kubernetes and is not an ARM property, so the binding cannot point at it",
                "give the cluster dns=AksDnsArgs(zone_name=..., router_ip=...), or bind with target_ip= "
                "the IP from `kubectl get svc azureml-fe -n azureml`",
            )
        return "A", self.router_ip

    # -- extension mode ----------------------------------------------------------------------------
    def _build_extension_mode(
        self, name: str, args: SecureAksClusterArgs, child: pulumi.ResourceOptions
    ) -> None:
        from pulumi_azure_native import kubernetesconfiguration as kc
        from pulumi_azure_native import machinelearningservices as ml

        plan = self._plan
        settings: dict[str, pulumi.Input[str]] = {
            "enableInference": "True",
            "enableTraining": "False",
            "inferenceRouterServiceType": plan.router_service_type,
            "inferenceRouterHA": "True" if args.router_ha else "False",
            "allowInsecureConnections": "False" if plan.tls_enabled else "True",
            "clusterPurpose": plan.cluster_purpose,
            # What `az k8s-extension create` adds for an AKS cluster after its client-side processing;
            # ARM does not add them, so infrastructure-as-code must.
            "cluster_name": args.cluster_id,
            # the CLI's reference mapping copies cluster_name into these two
            "clusterId": args.cluster_id,
            "prometheus.prometheusSpec.externalLabels.cluster_name": args.cluster_id,
            "cluster_name_friendly": plan.cluster_name,
            "location": plan.cluster_region,
            "jobSchedulerLocation": plan.cluster_region,
            "domain": f"{plan.cluster_region}.{MICROSOFT_FQDN_SUFFIX}",
            "relayserver.enabled": "false",
            "servicebus.enabled": "false",
            "nginxIngress.enabled": "true",
        }
        if plan.load_balancer == "internal":
            settings["internalLoadBalancerProvider"] = "azure"
            settings["scoringFe.serviceType.internalLoadBalancer"] = "True"
        protected = None
        if plan.tls_enabled:
            settings["sslCname"] = plan.hostname
            cert = args.certificate
            # Base64 of the PEM text, as the CLI sends sslCertPemFile/sslKeyPemFile; the whole map is
            # a secret (the SDK marks nothing secret) and stays one in the state.
            protected = pulumi.Output.secret(
                pulumi.Output.all(cert.cert_pem, cert.key_pem).apply(
                    lambda pair: {"scoringFe.sslCert": _b64(pair[0]), "scoringFe.sslKey": _b64(pair[1])}
                )
            )
        self.extension = kc.Extension(
            f"{name}-extension",
            kc.ExtensionArgs(
                cluster_name=plan.cluster_name,
                cluster_resource_name="managedClusters",
                cluster_rp="Microsoft.ContainerService",
                resource_group_name=plan.cluster_resource_group,
                extension_name=args.extension_name,
                extension_type=EXTENSION_TYPE,
                scope=kc.ScopeArgs(
                    cluster=kc.ScopeClusterArgs(release_namespace=EXTENSION_RELEASE_NAMESPACE)
                ),
                configuration_settings=settings,
                configuration_protected_settings=protected,
            ),
            pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(additional_secret_outputs=["configurationProtectedSettings"])
            ),
        )
        self.compute = ml.Compute(
            f"{name}-compute",
            ml.ComputeArgs(
                resource_group_name=args.workspace_resource_group_name,
                workspace_name=args.workspace_name,
                compute_name=plan.compute_name,
                location=plan.workspace_region,
                tags=args.tags,
                properties=ml.KubernetesArgs(
                    compute_type="Kubernetes",
                    resource_id=args.cluster_id,
                    compute_location=plan.cluster_region,
                    description=f"AKS cluster {plan.cluster_name} with the Azure ML extension (TLS {'on' if plan.tls_enabled else 'OFF'})",
                    properties=ml.KubernetesPropertiesArgs(namespace=args.namespace),
                ),
            ),
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.extension])),
        )

        keys: dict[str, pulumi.Output] = {}
        tokens: dict[str, pulumi.Output] = {}
        uris: dict[str, pulumi.Output] = {}
        for ep_args, ep_auth in zip(args.endpoints or [], plan.endpoints, strict=True):
            ep = ml.OnlineEndpoint(
                f"{name}-{ep_args.name}",
                ml.OnlineEndpointArgs(
                    endpoint_name=ep_args.name,
                    resource_group_name=args.workspace_resource_group_name,
                    workspace_name=args.workspace_name,
                    location=plan.workspace_region,
                    tags={**(args.tags or {}), **(ep_args.tags or {})} or None,
                    # the identity the deployments run as (pull images and models): system-assigned
                    # unless user-assigned ids are given, as the Azure ML CLI and SDK send it
                    identity=ml.ManagedServiceIdentityArgs(
                        type="UserAssigned", user_assigned_identities=list(ep_args.identity_ids)
                    )
                    if ep_args.identity_ids
                    else ml.ManagedServiceIdentityArgs(type="SystemAssigned"),
                    properties=ml.OnlineEndpointPropertiesArgs(
                        auth_mode=_auth.AZURE_AUTH_MODE[ep_auth.auth_mode],
                        compute=self.compute.id,
                        description=ep_args.description,
                        traffic={k: int(v) for k, v in ep_args.traffic.items()}
                        if ep_args.traffic is not None
                        else None,
                    ),
                ),
                child,
            )
            # The endpoint's name, available once Azure has created it (plain name, ordered after the endpoint).
            ep_name = ep.id.apply(lambda _id, n=ep_args.name: n)
            scale: Any
            if ep_args.target_utilization_percentage is not None:
                scale = ml.TargetUtilizationScaleSettingsArgs(
                    scale_type="TargetUtilization",
                    min_instances=int(ep_args.min_instances),
                    max_instances=int(ep_args.max_instances),
                    target_utilization_percentage=int(ep_args.target_utilization_percentage),
                )
            else:
                scale = ml.DefaultScaleSettingsArgs(scale_type="Default")
            requests = None
            if ep_args.cpu is not None or ep_args.memory is not None:
                requests = ml.ContainerResourceRequirementsArgs(
                    container_resource_requests=ml.ContainerResourceSettingsArgs(
                        cpu=ep_args.cpu, memory=ep_args.memory
                    )
                )
            dep = ml.OnlineDeployment(
                f"{name}-{ep_args.name}-{ep_args.deployment_name}",
                ml.OnlineDeploymentArgs(
                    endpoint_name=ep_name,
                    deployment_name=ep_args.deployment_name,
                    resource_group_name=args.workspace_resource_group_name,
                    workspace_name=args.workspace_name,
                    location=plan.workspace_region,
                    tags={**(args.tags or {}), **(ep_args.tags or {})} or None,
                    # Azure ML reads the instance count from the deployment's sku, as the Azure ML
                    # SDK v2 sends it (DefaultScaleSettings has no count of its own).
                    sku=ml.SkuArgs(name="Default", capacity=int(ep_args.min_instances)),
                    properties=ml.KubernetesOnlineDeploymentArgs(
                        endpoint_compute_type="Kubernetes",
                        model=_asset_id(ep_args.model, "model", plan.subscription_id, args),
                        code_configuration=(
                            ml.CodeConfigurationArgs(
                                scoring_script=ep_args.scoring_script,
                                code_id=_asset_id(ep_args.code_id, "code_id", plan.subscription_id, args),
                            )
                            if ep_args.scoring_script is not None
                            else None
                        ),
                        environment_id=_asset_id(
                            ep_args.environment_id, "environment_id", plan.subscription_id, args
                        ),
                        environment_variables=dict(ep_args.environment_variables)
                        if ep_args.environment_variables
                        else None,
                        instance_type=ep_args.instance_type,
                        scale_settings=scale,
                        container_resource_requirements=requests,
                        description=ep_args.description,
                    ),
                ),
                child,
            )
            self.online_endpoints[ep_args.name] = ep
            self.online_deployments[ep_args.name] = dep
            uris[ep_args.name] = ep.properties.apply(lambda p: p.scoring_uri if p is not None else None)
            invoke_opts = _invoke_opts(self, [ep, dep])
            if ep_auth.auth_mode == _auth.KEY:
                res = ml.list_online_endpoint_keys_output(
                    endpoint_name=ep_name,
                    resource_group_name=args.workspace_resource_group_name,
                    workspace_name=args.workspace_name,
                    opts=invoke_opts,
                )
                keys[ep_args.name] = pulumi.Output.secret(
                    res.apply(lambda r: {"primary_key": r.primary_key, "secondary_key": r.secondary_key})
                )
            else:
                res = ml.get_online_endpoint_token_output(
                    endpoint_name=ep_name,
                    resource_group_name=args.workspace_resource_group_name,
                    workspace_name=args.workspace_name,
                    opts=invoke_opts,
                )
                tokens[ep_args.name] = pulumi.Output.secret(
                    res.apply(
                        lambda r: {
                            "access_token": r.access_token,
                            "token_type": r.token_type,
                            "expiry_time_utc": r.expiry_time_utc,
                            "refresh_after_time_utc": r.refresh_after_time_utc,
                        }
                    )
                )
        self.scoring_uris = uris
        self.endpoint_keys = (
            pulumi.Output.secret(pulumi.Output.all(**keys)) if keys else pulumi.Output.secret({})
        )
        self.endpoint_tokens = (
            pulumi.Output.secret(pulumi.Output.all(**tokens)) if tokens else pulumi.Output.secret({})
        )

    # -- v1-attach mode ----------------------------------------------------------------------------
    def _build_v1_mode(self, name: str, args: SecureAksClusterArgs, child: pulumi.ResourceOptions) -> None:
        from pulumi_azure_native import machinelearningservices as ml

        plan = self._plan
        cert = args.certificate
        if not plan.tls_enabled:
            ssl = ml.SslConfigurationArgs(status="Disabled")
        elif plan.microsoft_cert:
            ssl = ml.SslConfigurationArgs(
                status="Auto",
                leaf_domain_label=cert.leaf_domain_label,
                overwrite_existing_domain=bool(getattr(cert, "overwrite_existing_domain", False)),
            )
        else:
            ssl = ml.SslConfigurationArgs(
                status="Enabled",
                cert=pulumi.Output.secret(cert.cert_pem),
                key=pulumi.Output.secret(cert.key_pem),
                cname=plan.hostname,
            )
        self.compute = ml.Compute(
            f"{name}-compute",
            ml.ComputeArgs(
                resource_group_name=args.workspace_resource_group_name,
                workspace_name=args.workspace_name,
                compute_name=plan.compute_name,
                location=plan.workspace_region,
                tags=args.tags,
                properties=ml.AKSArgs(
                    compute_type="AKS",
                    resource_id=args.cluster_id,
                    compute_location=plan.cluster_region,
                    description=f"AKS cluster {plan.cluster_name} attached for SDK v1 web services (TLS {'on' if plan.tls_enabled else 'OFF'})",
                    properties=ml.AKSSchemaPropertiesArgs(
                        cluster_purpose=plan.cluster_purpose,
                        load_balancer_type="InternalLoadBalancer"
                        if plan.load_balancer == "internal"
                        else "PublicIp",
                        load_balancer_subnet=args.load_balancer_subnet,
                        ssl_configuration=ssl,
                    ),
                ),
            ),
            pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(additional_secret_outputs=["properties"])
            ),
        )
        host = plan.hostname or plan.microsoft_fqdn
        scheme = "https" if plan.tls_enabled else "http"
        uris: dict[str, pulumi.Output] = {}
        for ep in plan.endpoints:
            self.v1_webservice_settings[ep.name] = {
                "auth_enabled": ep.key_auth_enabled,
                "token_auth_enabled": ep.token_auth_enabled,
            }
            if plan.microsoft_cert:
                # The name is <label>######.<region>...: the six characters are chosen by Azure at
                # attach time and no ARM property reports them. A URI with the '#' placeholder would
                # parse as host '<label>' plus a fragment, so there is no URI until SDK v1 reports it.
                uris[ep.name] = pulumi.Output.from_input(None)
            elif host is not None:
                uris[ep.name] = pulumi.Output.from_input(f"{scheme}://{host}/api/v1/service/{ep.name}/score")
            else:  # TLS off: the router's IP, which Azure reports after the attach
                uris[ep.name] = self.compute.properties.apply(
                    lambda p, n=ep.name: (
                        f"http://{ip}:80/api/v1/service/{n}/score" if (ip := _system_service_ip(p)) else None
                    )
                )
        self.scoring_uris = uris
        # SDK v1 keys/tokens come from Webservice.get_keys()/get_token(); there is no ARM invoke for them.
        self.endpoint_keys = pulumi.Output.secret({})
        self.endpoint_tokens = pulumi.Output.secret({})


def _system_service_ip(properties: Any) -> str | None:
    """The first public IP Azure reports among an AKS (v1) compute's system services (azureml-fe)."""
    if not isinstance(properties, Mapping):
        return None
    inner = properties.get("properties")
    services = inner.get("systemServices") if isinstance(inner, Mapping) else None
    for svc in services or []:
        if isinstance(svc, Mapping) and svc.get("publicIpAddress"):
            return str(svc["publicIpAddress"])
    return None


__all__ = [
    "AksDnsArgs",
    "AksEndpointArgs",
    "SecureAksCluster",
    "SecureAksClusterArgs",
    "microsoft_fqdn_pattern",
    "parse_cluster_id",
]
