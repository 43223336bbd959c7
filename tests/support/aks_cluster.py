"""Shared helpers of the SecureAksCluster tests (tests/components/test_aks_*.py): the cluster and
certificates they build, and the mocks run."""

from __future__ import annotations

import base64
from typing import Any

from secure_scoring.components import aks
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.gate.mocking import SECRET_SIG, run_with_mocks

SUB = "00000000-0000-0000-0000-000000000000"
CLUSTER_ID = f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod"
HOST = "scoring.example.test"
EXT = "azure-native:kubernetesconfiguration:Extension"
COMPUTE = "azure-native:machinelearningservices:Compute"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
COMPONENT = "secure-scoring:index:SecureAksCluster"
BUNDLE = "secure-scoring:index:CertificateBundle"
DNS_BINDING = "secure-scoring:index:DnsRecordBinding"
KEYS_INVOKE = "azure-native:machinelearningservices:listOnlineEndpointKeys"
TOKEN_INVOKE = "azure-native:machinelearningservices:getOnlineEndpointToken"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("ascii")).decode("ascii")


def secret_value(wire: Any) -> Any:
    assert isinstance(wire, dict) and SECRET_SIG in wire, f"not a secret envelope: {wire!r}"
    return wire["value"]


def pem_bundle(pki, environment: str = "production") -> CertificateBundle:
    return CertificateBundle(
        "cert",
        CertificateBundleArgs(
            source="pem",
            cert_pem=pki.leaf.chain_pem(),
            key_pem=pki.leaf.key_pem,
            hostnames=[HOST],
            environment=environment,
            ca_bundle_pem=pki.root.cert_pem,  # the test root: what the endpoint's clients trust
        ),
    )


def ms_bundle(overwrite: bool = False) -> CertificateBundle:
    return CertificateBundle(
        "mscert",
        CertificateBundleArgs(
            source="microsoft_managed",
            leaf_domain_label="contoso",
            overwrite_existing_domain=overwrite,
            location="westeurope",
            environment="production",
        ),
    )


def cluster_args(cert, **kw) -> aks.SecureAksClusterArgs:
    base: dict[str, Any] = {
        "cluster_id": CLUSTER_ID,
        "workspace_name": "ws-prod",
        "workspace_resource_group_name": "rg-ml",
        "location": "westeurope",
        "certificate": cert,
    }
    base.update(kw)
    return aks.SecureAksClusterArgs(**base)


def run_build(build, stack: str = "production"):
    """Run ``build`` under mocks: (the recording, what ``build`` returned)."""
    holder: dict[str, Any] = {}

    def program():
        holder["c"] = build()

    rec = run_with_mocks(program, stack=stack)
    return rec, holder["c"]


def child_names(rec, parent_urn: str) -> list[tuple[str, str]]:
    return sorted((r.type, r.name) for r in rec.children_of(parent_urn))


def assert_nothing_registered(rec) -> None:
    assert [r.type for r in rec.resources if r.type != BUNDLE] == []
