"""The arguments of :class:`~secure_scoring.components.aks.SecureAksCluster` and the AKS constants.

Plain values decide which resources exist (mode, TLS source, load balancer, endpoints, DNS);
``pulumi.Input`` values only flow into properties. See the package docstring for the two modes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from ... import tls_versions

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..certificate_bundle import CertificateBundle

MODES = ("extension", "v1-attach")
LOAD_BALANCERS = ("public", "internal")
ROUTER_SERVICE_TYPES = ("LoadBalancer", "ClusterIP")
CLUSTER_PURPOSES = ("FastProd", "DenseProd", "DevTest")
# `az k8s-extension create` treats a cluster with fewer nodes as small: clusterPurpose DevTest and
# inferenceRouterHA false unless given (three azureml-fe replicas need three nodes to schedule)
SMALL_CLUSTER_NODES = 3

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
STATIC_IP_REASON = (
    "nothing puts azureml-fe on that IP: the Azure ML extension has no setting that pins its load "
    "balancer to a given address (no loadBalancerIP among its settings; the CLI's are "
    "inferenceRouterServiceType and internalLoadBalancerProvider), and SDK v1 attach has none either, "
    "so AKS gives azureml-fe an address of its own and the record would point at an IP that serves nothing"
)
V1_NO_ENDPOINT_RESOURCE_NOTE = (
    "SDK v1 AKS web services are not ARM resources in pulumi-azure-native v3; deploy them with "
    "the SDK v1 settings in `v1_webservice_settings`"
)

# There is no TLS gateway of ours on AKS: the Azure ML inference router (azureml-fe) terminates TLS
# and enforces TLS 1.2 (TLS 1.3 is not supported by AKS inference), and no input sets it. The
# ``min_tls_version`` fact is this floor.
ROUTER_MIN_TLS_VERSION = tls_versions.DEFAULT_FLOOR


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
      follows the resource (public zones only). Only with ``router_service_type="ClusterIP"``, for the
      static IP your own ingress in front of azureml-fe is pinned to: nothing pins azureml-fe's own
      load balancer to an IP (refused otherwise).
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
    - ``router_ha``: run three azureml-fe replicas (``inferenceRouterHA``); default ``True``, or
      ``False`` on a small cluster (``node_count`` < 3).
    - ``cluster_purpose``: ``"FastProd"``, ``"DenseProd"`` (v1 only) or ``"DevTest"``; default
      ``"FastProd"``, or ``"DevTest"`` on a small cluster (``node_count`` < 3).
    - ``node_count``: the cluster's node count (all agent pools); below 3 the defaults above become
      what ``az k8s-extension create`` chooses for a small cluster. Default: not given (large cluster).
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
    router_ha: bool | None = None
    cluster_purpose: str | None = None
    node_count: int | None = None
    compute_name: str | None = None
    namespace: str = "default"
    extension_name: str = "azureml"
    endpoints: Sequence[AksEndpointArgs] = field(default_factory=list)
    dns: AksDnsArgs | None = None
    environment: str | None = None
    tags: Mapping[str, pulumi.Input[str]] | None = None
