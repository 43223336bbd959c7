"""The example estate: one Pulumi program, one stack per environment (dev, staging, production).

Everything environment-specific comes from the stack's config (``stacks/Pulumi.<stack>.yaml``); the
components never read config themselves. See docs/stacks.md for what each environment builds and
why. Config keys (project namespace ``secure-scoring-stacks`` unless noted):

``secure-scoring:environment``  dev | staging | production (also read by the policy pack)
``location``                    Azure region, e.g. ``westeurope``
``resourceGroup``               resource group of the ACI services
``certificate``                 object: ``source`` (pem | dev_ca | self_signed), ``hostnames`` (list),
                                for pem ``certFile`` + ``keyFile`` (relative to this directory) or
                                ``certPem`` + secret config ``tlsKeyPem`` (PEM text in config), ``minDays``
``dns``                         object: ``zone`` and ``resourceGroup`` of the Azure DNS zone (optional)
``aci``                         list of objects: ``name``, ``hostname``, ``dnsLabel``, ``auth`` (key | none),
                                ``cpu``, ``memoryGb``, ``image``, ``entryScript``, ``dnsRecord`` (bool, default true)
``aks``                         object (optional): ``clusterId``, ``workspace``, ``workspaceResourceGroup``,
                                ``hostname``, ``loadBalancer``, ``routerIp`` (A record), ``endpoints`` (list of
                                ``name``, ``auth`` key | token, ``model``, ``instanceType``, ``minInstances``,
                                ``maxInstances``, ``targetUtilization``)
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from secure_scoring import (
    AksDnsArgs,
    AksEndpointArgs,
    CertificateBundle,
    CertificateBundleArgs,
    DnsRecordBinding,
    DnsRecordBindingArgs,
    SecureAciService,
    SecureAciServiceArgs,
    SecureAksCluster,
    SecureAksClusterArgs,
)

HERE = Path(__file__).resolve().parent

config = pulumi.Config()
environment = pulumi.Config("secure-scoring").get("environment") or pulumi.get_stack()
location = config.require("location")
resource_group = config.require("resourceGroup")
cert_cfg = config.require_object("certificate")
dns_cfg = config.get_object("dns")
aci_cfg = config.get_object("aci") or []
aks_cfg = config.get_object("aks")
tags = {"environment": environment, "managed-by": "pulumi", "stack": pulumi.get_stack()}


def _certificate() -> CertificateBundle:
    """The one server certificate of the environment (it covers every hostname below)."""
    source = cert_cfg.get("source", "pem")
    hostnames = list(cert_cfg.get("hostnames") or [])
    min_days = int(cert_cfg.get("minDays", 30))
    if source == "pem" and cert_cfg.get("certFile"):
        return CertificateBundle.from_files(
            "tls",
            HERE / cert_cfg["certFile"],
            HERE / cert_cfg["keyFile"],
            hostnames=hostnames,
            environment=environment,
            min_days=min_days,
            ca_bundle_file=HERE / cert_cfg["caBundleFile"] if cert_cfg.get("caBundleFile") else None,
        )
    if source == "pem":  # PEM text in config: the key as a secret config value
        return CertificateBundle(
            "tls",
            CertificateBundleArgs(
                source="pem",
                cert_pem=cert_cfg["certPem"],
                key_pem=config.require_secret("tlsKeyPem"),
                hostnames=hostnames,
                environment=environment,
                min_days=min_days,
            ),
        )
    return CertificateBundle(
        "tls",
        CertificateBundleArgs(
            source=source,
            hostnames=hostnames,
            environment=environment,
            validity_days=int(cert_cfg.get("validityDays", 365)),
        ),
    )


certificate = _certificate()

for svc in aci_cfg:
    service = SecureAciService(
        svc["name"],
        SecureAciServiceArgs(
            resource_group_name=resource_group,
            location=location,
            certificate=certificate,
            hostname=svc["hostname"],
            dns_name_label=svc["dnsLabel"],
            auth=svc.get("auth", "key"),
            cpu=float(svc.get("cpu", 1.0)),
            memory_gb=float(svc.get("memoryGb", 1.5)),
            **({"image": svc["image"]} if svc.get("image") else {}),
            **({"entry_script": svc["entryScript"]} if svc.get("entryScript") else {}),
            environment=environment,
            tags=tags,
        ),
    )
    pulumi.export(f"{svc['name']}_scoring_uri", service.scoring_uri)
    pulumi.export(f"{svc['name']}_fqdn", service.fqdn)
    if dns_cfg and svc.get("dnsRecord", True):
        record = DnsRecordBinding(
            f"{svc['name']}-dns",
            DnsRecordBindingArgs(
                zone_name=dns_cfg["zone"],
                resource_group_name=dns_cfg["resourceGroup"],
                fqdn=svc["hostname"],
                target=service,
                certificate=certificate,
            ),
        )
        pulumi.export(f"{svc['name']}_dns", record.fqdn)

if aks_cfg:
    cluster = SecureAksCluster(
        "aks",
        SecureAksClusterArgs(
            cluster_id=aks_cfg["clusterId"],
            workspace_name=aks_cfg["workspace"],
            workspace_resource_group_name=aks_cfg["workspaceResourceGroup"],
            location=location,
            certificate=certificate,
            hostname=aks_cfg["hostname"],
            load_balancer=aks_cfg.get("loadBalancer", "public"),
            endpoints=[
                AksEndpointArgs(
                    name=ep["name"],
                    auth=ep.get("auth", "key"),
                    model=ep.get("model"),
                    instance_type=ep.get("instanceType", "defaultinstancetype"),
                    min_instances=int(ep.get("minInstances", 1)),
                    max_instances=int(ep.get("maxInstances", 1)),
                    target_utilization_percentage=ep.get("targetUtilization"),
                )
                for ep in aks_cfg.get("endpoints", [])
            ],
            dns=AksDnsArgs(
                zone_name=dns_cfg["zone"],
                resource_group_name=dns_cfg["resourceGroup"],
                router_ip=aks_cfg["routerIp"],
            )
            if dns_cfg and aks_cfg.get("routerIp")
            else None,
            environment=environment,
            tags=tags,
        ),
    )
    pulumi.export("aks_scoring_uri", cluster.scoring_uri)
