"""Insecure on purpose (breaks `tls-required`): a hand-written container group that serves the
scoring container on public port 80, plain HTTP, with no TLS gateway in front of it.

The fix: SecureAciService (a TLS gateway sidecar on 443, the scorer on localhost only)."""

import pulumi_azure_native.containerinstance as ci

group = ci.ContainerGroup(
    "scoring",
    resource_group_name="rg-scoring-prod",
    os_type="Linux",
    containers=[
        ci.ContainerArgs(
            name="scorer",
            image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
            ports=[ci.ContainerPortArgs(port=80, protocol="TCP")],
            resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1.5)),
        )
    ],
    ip_address=ci.IpAddressArgs(type="Public", ports=[ci.PortArgs(port=80, protocol="TCP")]),
)
