"""What a :class:`SecureAksCluster` will register, decided before anything is: :func:`plan_aks`.

:func:`plan_aks` reads top to bottom as guard clauses, then named steps, each a function of its own
(tested alone in ``tests/components/test_aks_plan.py``):

``check_args`` → ``resolve_mode`` → ``check_plain_inputs`` → ``parse_cluster_id`` →
``check_workspace`` → ``resolve_regions`` → ``resolve_router`` → ``check_collections`` →
``resolve_tls`` → ``resolve_compute_name`` → ``resolve_endpoints`` (one auth mode each) →
``strongest_auth_mode`` → ``resolve_environment`` → ``resolve_dns``; and ``security_facts`` turns
the plan into the facts the policy pack judges.

Every refusal is a :class:`~secure_scoring.errors.ConfigurationError` naming the input, the problem
and the fix. The plan holds plain values only (and the bundle's ``self_signed`` Output while its
certificate is unknown).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from ...errors import ConfigurationError, PolicyRefusal
from ...facts import EndpointAuth, SecurityFacts
from .. import keys as _auth
from ..inputs import check_string_map, require_str_input
from .args import (
    CLUSTER_PURPOSES,
    LOAD_BALANCERS,
    MICROSOFT_CERT_EXTENSION_REASON,
    MICROSOFT_CERT_INTERNAL_LB_REASON,
    MICROSOFT_FQDN_SUFFIX,
    MODES,
    NODEPORT_REASON,
    ROUTER_MIN_TLS_VERSION,
    ROUTER_SERVICE_TYPES,
    SMALL_CLUSTER_NODES,
    AksDnsArgs,
    AksEndpointArgs,
    SecureAksClusterArgs,
)
from .dns import AksDnsPlan, fully_qualified_name, resolve_dns
from .endpoints import resolve_endpoints

_CLUSTER_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.ContainerService/managedClusters/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)
_COMPUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,15}$")
_REGION = re.compile(r"^[a-z][a-z0-9]*$")
_K8S_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_K8S_NAME = _K8S_NAMESPACE  # an RFC 1123 label: the extension's Helm release name


@dataclass(frozen=True)
class ClusterRef:
    """The parts of the AKS cluster's ARM id."""

    subscription_id: str
    resource_group: str
    name: str


@dataclass(frozen=True)
class Regions:
    """Azure region names (``westeurope``): the workspace's and the AKS cluster's."""

    workspace: str
    cluster: str


@dataclass(frozen=True)
class Router:
    """How the inference router (azureml-fe) is exposed."""

    load_balancer: str
    service_type: str
    cluster_purpose: str
    ha: bool


@dataclass(frozen=True)
class Tls:
    """TLS at the router: off, a custom certificate (``hostname``) or a Microsoft one (``microsoft_fqdn``)."""

    enabled: bool
    certificate_source: str | None = None
    microsoft_cert: bool = False
    hostname: str | None = None
    microsoft_fqdn: str | None = None
    min_tls_version: str = ROUTER_MIN_TLS_VERSION


@dataclass(frozen=True)
class AksPlan:
    """Everything decided at construction (plain values only)."""

    mode: str
    cluster: ClusterRef
    regions: Regions
    router: Router
    tls: Tls
    compute_name: str
    endpoints: tuple[EndpointAuth, ...]
    auth_mode: str
    environment: str | None
    self_signed: Any  # bool, or the bundle's Output while its PEM is not known yet
    dns: AksDnsPlan | None = None


def plan_aks(name: str, args: SecureAksClusterArgs) -> AksPlan:
    """Check ``args`` and decide the plan; every refusal happens here, before any registration."""
    check_args(args)
    mode = resolve_mode(args)
    check_plain_inputs(args)
    cluster = parse_cluster_ref(args.cluster_id)
    check_workspace(args, mode)
    regions = resolve_regions(args)
    router = resolve_router(args, mode)
    check_collections(args)
    tls = resolve_tls(args, mode, router.load_balancer, regions.cluster)
    compute_name = resolve_compute_name(name, args, mode)
    endpoints = resolve_endpoints(args.endpoints, mode)
    environment, self_signed = resolve_environment(args, tls)
    dns = resolve_dns(name, args.dns, tls, router.load_balancer, args.certificate, router.service_type)
    return AksPlan(
        mode=mode,
        cluster=cluster,
        regions=regions,
        router=router,
        tls=tls,
        compute_name=compute_name,
        endpoints=endpoints,
        auth_mode=strongest_auth_mode(endpoints),
        environment=environment,
        self_signed=self_signed,
        dns=dns,
    )


# -- guard clauses -----------------------------------------------------------------------------------
def check_args(args: object) -> None:
    if not isinstance(args, SecureAksClusterArgs):
        raise ConfigurationError(
            "args",
            f"expected SecureAksClusterArgs, got {type(args).__name__}",
            "pass SecureAksClusterArgs(...)",
        )


def resolve_mode(args: SecureAksClusterArgs) -> str:
    return choice(args.mode, MODES, "mode")


def check_plain_inputs(args: SecureAksClusterArgs) -> None:
    """Refuse a pulumi Output where the value decides resources, names or checks made now."""
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


def parse_cluster_ref(cluster_id: Any) -> ClusterRef:
    return ClusterRef(*parse_cluster_id(cluster_id))


def check_workspace(args: SecureAksClusterArgs, mode: str) -> None:
    """Input[str] arguments the SDK would otherwise reject with a TypeError after the extension was registered."""
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


def check_collections(args: SecureAksClusterArgs) -> None:
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


# -- steps -------------------------------------------------------------------------------------------
def resolve_regions(args: SecureAksClusterArgs) -> Regions:
    """Azure reports regions as 'westeurope'; a display name ('West Europe') sent as is would differ
    from what Azure reads back. Same normalisation as CertificateBundle(location=...)."""
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
    workspace_region = region_name(args.location)
    cluster_region = region_name(args.cluster_location or args.location)
    for field_name, region in (("location", workspace_region), ("cluster_location", cluster_region)):
        if not _REGION.match(region):
            raise ConfigurationError(
                field_name,
                f"{region!r} is not an Azure region name",
                "use a region name such as 'westeurope' (`az account list-locations -o table`)",
            )
    return Regions(workspace=workspace_region, cluster=cluster_region)


def region_name(location: str) -> str:
    """``'West Europe'`` → ``'westeurope'``."""
    return location.replace(" ", "").lower()


def resolve_router(args: SecureAksClusterArgs, mode: str) -> Router:
    """Load balancer, router service type, cluster purpose and HA: what each mode accepts."""
    load_balancer = choice(args.load_balancer, LOAD_BALANCERS, "load_balancer")
    if isinstance(args.router_service_type, str) and args.router_service_type.lower() == "nodeport":
        raise ConfigurationError(
            "router_service_type",
            f"NodePort is refused: {NODEPORT_REASON}",
            "use 'LoadBalancer' (public or internal) or 'ClusterIP' behind an ingress you run",
        )
    router = choice(args.router_service_type, ROUTER_SERVICE_TYPES, "router_service_type")
    small = small_cluster(args.node_count)
    purpose_value = args.cluster_purpose
    if purpose_value is None:
        purpose_value = "DevTest" if small else "FastProd"
    purpose = choice(purpose_value, CLUSTER_PURPOSES, "cluster_purpose")
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
    ha = args.router_ha if args.router_ha is not None else not small
    if not isinstance(ha, bool):
        raise ConfigurationError(
            "router_ha",
            f"expected True or False, got {args.router_ha!r}",
            "pass router_ha=True (three azureml-fe replicas, the default) or router_ha=False",
        )
    return Router(load_balancer=load_balancer, service_type=router, cluster_purpose=purpose, ha=ha)


def small_cluster(node_count: object) -> bool:
    """Fewer than three nodes (``node_count``; None: not given, a large cluster)."""
    if node_count is None:
        return False
    if isinstance(node_count, bool) or not isinstance(node_count, int) or node_count < 1:
        raise ConfigurationError(
            "node_count",
            f"{node_count!r} is not a node count",
            "pass the cluster's node count, the sum of its agent pools' counts (`az aks show --query "
            "'sum(agentPoolProfiles[].count)'`), or leave it out",
        )
    return node_count < SMALL_CLUSTER_NODES


def resolve_tls(args: SecureAksClusterArgs, mode: str, load_balancer: str, cluster_region: str) -> Tls:
    """TLS off (explicitly), a Microsoft certificate (v1-attach, public) or a custom one and its hostname."""
    cert = args.certificate
    tls = args.tls_enabled
    if not isinstance(tls, bool):
        raise ConfigurationError(
            "tls_enabled", f"expected True or False, got {tls!r}", "pass tls_enabled=True (the default)"
        )
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
        return Tls(enabled=False)
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
    if source == "microsoft_managed":
        fqdn = microsoft_certificate(args, mode, load_balancer, cluster_region)
        return Tls(enabled=True, certificate_source=source, microsoft_cert=True, microsoft_fqdn=fqdn)
    return Tls(enabled=True, certificate_source=source, hostname=custom_certificate_hostname(args))


def microsoft_certificate(
    args: SecureAksClusterArgs, mode: str, load_balancer: str, cluster_region: str
) -> str:
    """The checks a Microsoft-managed certificate needs; its name pattern."""
    cert = args.certificate
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
    from ..certificate_bundle import validate_leaf_domain_label

    # the same rule as CertificateBundle (1-57 characters: Azure appends 6 more)
    label = validate_leaf_domain_label(
        getattr(cert, "leaf_domain_label", None), "certificate.leaf_domain_label"
    )
    cert_location = getattr(cert, "location", None)
    if isinstance(cert_location, str) and region_name(cert_location) != cluster_region:
        raise ConfigurationError(
            "certificate.location",
            f"the Microsoft certificate is for region {cert_location!r} but the cluster is in {cluster_region!r}",
            "create the CertificateBundle with location equal to the cluster's region (cluster_location, default location)",
        )
    return microsoft_fqdn_pattern(label, cluster_region)


def microsoft_fqdn_pattern(leaf_domain_label: str, location: str) -> str:
    """The name Azure gives a Microsoft certificate: ``<label>######.<region>.cloudapp.azure.com``.

    The six ``#`` stand for the random characters Azure appends at attach time; they are known only
    after the attach (Azure ML studio / ``AksCompute`` show the final name).
    """
    return f"{leaf_domain_label}######.{region_name(location)}.{MICROSOFT_FQDN_SUFFIX}"


def custom_certificate_hostname(args: SecureAksClusterArgs) -> str:
    """``hostname`` (default: the certificate's first non-wildcard name), which the certificate covers."""
    cert = args.certificate
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
    hostname = fully_qualified_name(hostname, "hostname")
    if not cert.covers(hostname):
        raise PolicyRefusal(
            "hostname",
            f"the certificate does not cover {hostname!r} (it names {', '.join(names) or 'no DNS names'}); clients would get a name mismatch",
            "use a hostname in the certificate's subject alternative names, or issue a certificate for it",
            rule="cert-hostname-match",
        )
    return hostname


def resolve_compute_name(name: str, args: SecureAksClusterArgs, mode: str) -> str:
    """The workspace's name for the attached cluster; the endpoints' Kubernetes namespace is checked too."""
    compute_name = args.compute_name if args.compute_name is not None else default_compute_name(name)
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
    return compute_name


def default_compute_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", name).strip("-") or "aks"
    if not cleaned[0].isalpha():
        cleaned = "aks-" + cleaned
    cleaned = cleaned[:16].rstrip("-")
    return cleaned if len(cleaned) >= 2 else f"{cleaned}-aks"


def strongest_auth_mode(endpoints: Sequence[EndpointAuth]) -> str:
    """The component-level mode: the strongest one its endpoints use (each endpoint has exactly one;
    the per-endpoint facts carry the detail). With no endpoints: key, Azure's default on AKS."""
    modes = {e.auth_mode for e in endpoints}
    return next((m for m in (_auth.TOKEN, _auth.KEY, _auth.NONE) if m in modes), _auth.KEY)


def resolve_environment(args: SecureAksClusterArgs, tls: Tls) -> tuple[str | None, Any]:
    """``(environment, self_signed)``: the declared environment (default: the certificate's) and the
    certificate's ``self_signed`` fact; a development certificate in production is refused."""
    cert = args.certificate
    environment = args.environment if args.environment is not None else getattr(cert, "environment", None)
    if not (tls.enabled and cert is not None):
        return environment, False
    from ..certificate_bundle import refuse_dev_certificate_in_production, service_self_signed

    extra = " or a Microsoft certificate (v1-attach, public load balancer)"
    refuse_dev_certificate_in_production(environment, cert, extra)
    # unknown (a PEM certificate that arrives as an Output): the bundle's own output, never a
    # guessed False (and refused when known in a production cluster)
    return environment, service_self_signed(environment, cert, extra)


def security_facts(plan: AksPlan, cert: Any) -> SecurityFacts:
    """The facts the component registers (props and outputs) for the policy pack."""
    tls = plan.tls
    not_after = getattr(cert, "not_after", None) if cert is not None and not tls.microsoft_cert else None
    hostnames = tuple(getattr(cert, "hostname_list", None) or ()) if cert is not None else ()
    if tls.microsoft_cert and tls.microsoft_fqdn:
        hostnames = (tls.microsoft_fqdn,)
    return SecurityFacts(
        platform="aks",
        tls_enabled=tls.enabled,
        certificate_source=tls.certificate_source,
        self_signed=plan.self_signed,
        auth_mode=plan.auth_mode,
        key_auth_enabled=plan.auth_mode == _auth.KEY,
        token_auth_enabled=plan.auth_mode == _auth.TOKEN,
        min_tls_version=tls.min_tls_version,
        environment=plan.environment,
        hostname=tls.hostname or tls.microsoft_fqdn,
        certificate_hostnames=hostnames,
        certificate_not_after=not_after,
        endpoints=plan.endpoints,
    )


# -- small input helpers (AKS's own enumerations and numbers) ----------------------------------------
def choice(value: Any, allowed: Sequence[str], input_name: str) -> str:
    """One of ``allowed``, matched without regard to case, in its canonical spelling."""
    if isinstance(value, str):
        for a in allowed:
            if value.lower() == a.lower():
                return a
    raise ConfigurationError(
        input_name, f"{value!r} is not one of {', '.join(allowed)}", f"use one of {', '.join(allowed)}"
    )
