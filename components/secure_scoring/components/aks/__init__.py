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

Layout: ``args`` (the arguments and constants), ``plan`` (``plan_aks``: guard clauses and named steps
returning one ``AksPlan``; ``endpoints`` and ``dns`` hold the two larger steps), ``extension`` and
``v1`` (each mode's children; ``children`` what both share), ``cluster`` (the component registering them).
"""

from __future__ import annotations

from .args import (
    CLUSTER_PURPOSES,
    EXTENSION_RELEASE_NAMESPACE,
    EXTENSION_TYPE,
    LOAD_BALANCERS,
    MICROSOFT_CERT_EXTENSION_REASON,
    MICROSOFT_CERT_INTERNAL_LB_REASON,
    MICROSOFT_FQDN_SUFFIX,
    MODES,
    NODEPORT_REASON,
    ROUTER_MIN_TLS_VERSION,
    ROUTER_SERVICE_TYPES,
    V1_NO_ENDPOINT_RESOURCE_NOTE,
    AksDnsArgs,
    AksEndpointArgs,
    SecureAksClusterArgs,
)
from .cluster import SecureAksCluster
from .plan import AksPlan, microsoft_fqdn_pattern, parse_cluster_id, plan_aks

__all__ = [
    "CLUSTER_PURPOSES",
    "EXTENSION_RELEASE_NAMESPACE",
    "EXTENSION_TYPE",
    "LOAD_BALANCERS",
    "MICROSOFT_CERT_EXTENSION_REASON",
    "MICROSOFT_CERT_INTERNAL_LB_REASON",
    "MICROSOFT_FQDN_SUFFIX",
    "MODES",
    "NODEPORT_REASON",
    "ROUTER_MIN_TLS_VERSION",
    "ROUTER_SERVICE_TYPES",
    "V1_NO_ENDPOINT_RESOURCE_NOTE",
    "AksDnsArgs",
    "AksEndpointArgs",
    "AksPlan",
    "SecureAksCluster",
    "SecureAksClusterArgs",
    "microsoft_fqdn_pattern",
    "parse_cluster_id",
    "plan_aks",
]
