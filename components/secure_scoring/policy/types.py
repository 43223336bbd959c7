"""The resource type tokens the rules judge, in one place, and the one normalisation of a token.

:func:`canonical_type` is applied once, by the pack, before a resource reaches a rule: explicit
API-version tokens and container group profiles are judged under the default token.
"""

from __future__ import annotations

import functools
import re

from ..facts import type_token

# our components
ACI_SERVICE = type_token("SecureAciService")
AKS_CLUSTER = type_token("SecureAksCluster")
CERTIFICATE_BUNDLE = type_token("CertificateBundle")
DNS_RECORD_BINDING = type_token("DnsRecordBinding")
SCORING_COMPONENTS = (ACI_SERVICE, AKS_CLUSTER)

# raw resources
CONTAINER_GROUP = "azure-native:containerinstance:ContainerGroup"
ML_COMPUTE = "azure-native:machinelearningservices:Compute"
K8S_EXTENSION = "azure-native:kubernetesconfiguration:Extension"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
TLS_SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
TLS_LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
# current tokens first; the `network` ones are aliases that older programs (provider v1) still use
DNS_RECORD_SETS = ("azure-native:dns:RecordSet", "azure-native:network:RecordSet")
PRIVATE_DNS_RECORD_SETS = (
    "azure-native:privatedns:PrivateRecordSet",
    "azure-native:network:PrivateRecordSet",
)
PUBLIC_IP = "azure-native:network:PublicIPAddress"

AZUREML_EXTENSION_TYPE = "microsoft.azureml.kubernetes"
"""The ``extensionType`` of the Azure ML extension (the only Kubernetes extension the rules judge)."""

# `azure-native:<module>/v20230501:<Type>`: a resource of an explicit API version (the SDK v2
# version modules, the provider's aliases, local SDKs of one version). Same resource, same inputs:
# the rules judge it under its default-version token (`azure-native:<module>:<Type>`).
_VERSIONED_TOKEN = re.compile(r"^(azure-native:[A-Za-z0-9]+)/v\d{8}[A-Za-z]*(:[A-Za-z0-9]+)$")

# A container group profile (the template NGroups create container groups from) has a container
# group's shape (containers, ipAddress, volumes): an insecure profile makes insecure groups, so the
# rules judge it as a container group. `CGProfile` is the same ARM resource under a newer token.
_CONTAINER_GROUP_PROFILES = frozenset(
    {"azure-native:containerinstance:ContainerGroupProfile", "azure-native:containerinstance:CGProfile"}
)


@functools.lru_cache(maxsize=1024)
def canonical_type(token: str) -> str:
    """The type token the rules match: explicit-API-version azure-native tokens
    (``azure-native:containerinstance/v20230501:ContainerGroup``) become the default-version token
    (``azure-native:containerinstance:ContainerGroup``), and container group profiles become
    ``azure-native:containerinstance:ContainerGroup``; every other token is returned as is."""
    m = _VERSIONED_TOKEN.match(token) if isinstance(token, str) else None
    token = m.group(1) + m.group(2) if m else token
    return CONTAINER_GROUP if token in _CONTAINER_GROUP_PROFILES else token


def parent_type(urn: str | None) -> str | None:
    """The (canonical) type of the direct parent named in a resource's URN, or None for a resource
    whose parent is the stack (or an unreadable URN).

    A URN is ``urn:pulumi:<stack>::<project>::<qualified type>::<name>``; the qualified type is the
    parent's qualified type, ``$``, then the resource's own type, so
    ``...::secure-scoring:index:SecureAciService$azure-native:containerinstance:ContainerGroup::g``
    names a container group whose parent is a ``SecureAciService``."""
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
        return None
    parts = urn.split("::", 3)
    if len(parts) != 4:
        return None
    chain = parts[2].split("$")
    return canonical_type(chain[-2]) if len(chain) > 1 else None
