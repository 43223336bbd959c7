"""What both modes register the same way: the workspace's compute for the cluster, and the result a
mode hands back to :class:`SecureAksCluster`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from .args import SecureAksClusterArgs
from .plan import AksPlan


@dataclass
class ModeChildren:
    """What a mode registers, for the component's attributes and outputs."""

    compute: Any
    scoring_uris: dict[str, pulumi.Output]
    endpoint_keys: pulumi.Output
    endpoint_tokens: pulumi.Output
    extension: Any = None
    online_endpoints: dict[str, Any] = field(default_factory=dict)
    online_deployments: dict[str, Any] = field(default_factory=dict)
    v1_webservice_settings: dict[str, dict[str, bool]] = field(default_factory=dict)


def workspace_compute(
    name: str, args: SecureAksClusterArgs, plan: AksPlan, properties: Any, opts: pulumi.ResourceOptions
) -> Any:
    """The ``machinelearningservices.Compute`` that attaches the cluster to the workspace (``properties``:
    the mode's ``KubernetesArgs`` or ``AKSArgs``)."""
    from pulumi_azure_native import machinelearningservices as ml

    return ml.Compute(
        f"{name}-compute",
        ml.ComputeArgs(
            resource_group_name=args.workspace_resource_group_name,
            workspace_name=args.workspace_name,
            compute_name=plan.compute_name,
            location=plan.regions.workspace,
            tags=args.tags,
            properties=properties,
        ),
        opts,
    )


def compute_description(plan: AksPlan, how: str) -> str:
    """The compute's description: what it attaches, nothing that changes with a setting (a description
    naming the TLS state made every TLS toggle rewrite the compute too)."""
    return f"AKS cluster {plan.cluster.name} {how}"
