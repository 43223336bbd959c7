"""What each component outputs, declared once for the provider schema and for type checkers.

These classes carry only annotations and attribute docstrings. The component provider
(:mod:`secure_scoring.provider`) reads them, through the classes it hosts, to infer each component's
output properties; the descriptions are the docstrings below.

They are *mixins*, never the component class itself: the Pulumi SDK reads the annotations of a
resource's own class (``inspect.get_annotations(type(resource))``, then ``typing.get_type_hints``)
at every registration, which cost ~1 M instructions per service while the components declared them
on themselves; it does not read a base class's, and the schema inference walks the whole MRO.

Evaluated annotations (no ``from __future__ import annotations``): the schema inference reads
``__annotations__`` as objects and cannot resolve strings.

``SECRET_OUTPUTS`` names the outputs the component wraps with ``pulumi.Output.secret``; the schema
marks them ``secret``.
"""

from typing import Any, Optional

import pulumi

__all__ = [
    "CertificateBundleOutputs",
    "DnsRecordBindingOutputs",
    "EndpointAuthOutput",
    "SecureAciServiceOutputs",
    "SecureAksClusterOutputs",
    "SecurityFactsOutputs",
]


class EndpointAuthOutput:
    """The authentication of one scoring endpoint."""

    name: str
    """The endpoint name."""
    auth_mode: str
    """``key``, ``token`` or ``none``."""
    key_auth_enabled: bool
    """Key authentication is on."""
    token_auth_enabled: bool
    """Token authentication is on (AKS only)."""


class CertificateBundleOutputs:
    """Outputs of ``CertificateBundle``."""

    SECRET_OUTPUTS = ("key_pem",)

    cert_pem: pulumi.Output[Optional[str]]
    """The certificate chain, PEM, leaf first (none for ``microsoft_managed``)."""
    key_pem: pulumi.Output[Optional[str]]
    """The private key, PEM (secret; none for ``microsoft_managed``)."""
    ca_cert_pem: pulumi.Output[Optional[str]]
    """What clients must trust for ``dev_ca``/``self_signed`` certificates."""
    hostnames: pulumi.Output[list[str]]
    """The DNS names and IP addresses the certificate covers."""
    not_after: pulumi.Output[Optional[str]]
    """Expiry of the leaf certificate, ISO 8601 UTC."""
    fingerprint_sha256: pulumi.Output[Optional[str]]
    """SHA-256 fingerprint of the leaf certificate, hex."""
    self_signed: pulumi.Output[Optional[bool]]
    """The certificate is self-signed or issued by a development CA."""
    chain_trust: pulumi.Output[Optional[str]]
    """How the chain is trusted: ``public-store`` (a root of the system trust store),
    ``declared-ca`` (a CA declared with ``ca_bundle_pem``) or ``unknown``."""
    source: pulumi.Output[str]
    """``pem``, ``self_signed``, ``dev_ca`` or ``microsoft_managed``."""
    environment: pulumi.Output[str]
    """The environment the certificate is for."""
    dns_managed_by_azure: pulumi.Output[bool]
    """Azure creates the DNS name (``microsoft_managed``)."""
    leaf_domain_label: pulumi.Output[Optional[str]]
    """``microsoft_managed``: the label of ``<label>######.<location>.cloudapp.azure.com``."""
    overwrite_existing_domain: pulumi.Output[Optional[bool]]
    """``microsoft_managed``: Azure may take over an existing label."""
    location: pulumi.Output[Optional[str]]
    """``microsoft_managed``: the Azure region of the cluster."""
    fqdn_pattern: pulumi.Output[Optional[str]]
    """``microsoft_managed``: ``<label>######.<location>.cloudapp.azure.com``."""


class SecurityFactsOutputs:
    """The resolved security settings of a scoring component (what stack policies judge)."""

    platform: pulumi.Output[str]
    """``aci`` or ``aks``."""
    tls_enabled: pulumi.Output[bool]
    """TLS is on."""
    certificate_source: pulumi.Output[Optional[str]]
    """The certificate's source; none when TLS is off."""
    self_signed: pulumi.Output[Optional[bool]]
    """The certificate is self-signed or from a development CA (unknown until a PEM output is known)."""
    auth_mode: pulumi.Output[str]
    """The component's authentication mode: ``key``, ``token`` or ``none``."""
    key_auth_enabled: pulumi.Output[bool]
    """Key authentication is on."""
    token_auth_enabled: pulumi.Output[bool]
    """Token authentication is on."""
    min_tls_version: pulumi.Output[str]
    """The lowest TLS version the endpoint accepts."""
    environment: pulumi.Output[Optional[str]]
    """dev, staging or production."""
    hostname: pulumi.Output[Optional[str]]
    """The hostname clients use."""
    certificate_hostnames: pulumi.Output[list[str]]
    """The names the certificate covers."""
    certificate_not_after: pulumi.Output[Optional[str]]
    """Expiry of the certificate, ISO 8601 UTC."""
    endpoints: pulumi.Output[list[EndpointAuthOutput]]
    """The authentication of each endpoint (AKS)."""


class SecureAciServiceOutputs(SecurityFactsOutputs):
    """Outputs of ``SecureAciService``."""

    SECRET_OUTPUTS = ("primary_key", "secondary_key")

    scoring_uri: pulumi.Output[str]
    """``https://<hostname>/score``."""
    fqdn: pulumi.Output[Optional[str]]
    """The container group's Azure FQDN, the CNAME target."""
    ip_address: pulumi.Output[Optional[str]]
    """The container group's public IP (it can change on restart: use ``fqdn``)."""
    primary_key: pulumi.Output[Optional[str]]
    """The primary scoring key (secret; none for ``auth="none"``)."""
    secondary_key: pulumi.Output[Optional[str]]
    """The secondary scoring key (secret; none for ``auth="none"``)."""
    container_group_id: pulumi.Output[str]
    """ARM id of the container group."""
    dns_name_label: pulumi.Output[str]
    """The Azure DNS label of the group."""
    dns_name_label_scope: pulumi.Output[str]
    """Who may reuse the label's hashed name."""
    exposed_ports: pulumi.Output[list[int]]
    """The ports the group exposes (443 only)."""


class SecureAksClusterOutputs(SecurityFactsOutputs):
    """Outputs of ``SecureAksCluster``."""

    SECRET_OUTPUTS = ("endpoint_keys", "endpoint_tokens")

    mode: pulumi.Output[str]
    """``extension`` or ``v1-attach``."""
    load_balancer: pulumi.Output[str]
    """``public`` or ``internal``."""
    router_service_type: pulumi.Output[str]
    """``LoadBalancer`` or ``ClusterIP``."""
    compute_id: pulumi.Output[str]
    """ARM id of the workspace compute."""
    extension_id: pulumi.Output[Optional[str]]
    """ARM id of the Azure ML extension (extension mode)."""
    scoring_uri: pulumi.Output[Optional[str]]
    """The first endpoint's scoring URI."""
    scoring_uris: pulumi.Output[dict[str, str]]
    """Endpoint name to scoring URI."""
    fqdn: pulumi.Output[Optional[str]]
    """The TLS hostname, or a Microsoft certificate's name pattern."""
    router_ip: pulumi.Output[Optional[str]]
    """The inference router's IP, when known."""
    endpoint_keys: pulumi.Output[dict[str, dict[str, str]]]
    """Endpoint name to ``{primary_key, secondary_key}`` for key endpoints (secret)."""
    endpoint_tokens: pulumi.Output[dict[str, dict[str, Any]]]
    """Endpoint name to a token fetched at deployment time for token endpoints (secret)."""


class DnsRecordBindingOutputs:
    """Outputs of ``DnsRecordBinding``."""

    SECRET_OUTPUTS = ()

    fqdn: pulumi.Output[str]
    """The record's full name, without the trailing dot."""
    record_type: pulumi.Output[str]
    """``CNAME``, ``A`` or ``AAAA``."""
    target: pulumi.Output[Optional[str]]
    """What the record points at."""
    ttl: pulumi.Output[int]
    """Seconds resolvers may cache the record."""
    private: pulumi.Output[bool]
    """The record is in a private DNS zone."""
    certificate_hostnames: pulumi.Output[Optional[list[str]]]
    """The certificate names the record name was checked against."""
    record_id: pulumi.Output[str]
    """ARM id of the record set."""
