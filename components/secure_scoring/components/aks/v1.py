"""v1-attach mode (workspaces still on SDK v1): the children of a :class:`SecureAksCluster` with
``mode="v1-attach"``.

One ``machinelearningservices.Compute`` of type AKS, the body SDK v1's ``AksCompute.attach`` sends
(``_build_attach_payload``: no ``computeLocation``, which is create-only and which the attach payload
deletes, and no description), with an ``SslConfiguration``: a custom certificate
(status ``Enabled``), a Microsoft certificate (``Auto``, ``leaf_domain_label``) or TLS off
(``Disabled``). SDK v1 web services are not ARM resources in pulumi-azure-native v3: each endpoint's
authentication is recorded as settings for ``AksWebservice.deploy_configuration``, not as resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from .args import SecureAksClusterArgs
from .children import ModeChildren, workspace_compute
from .plan import AksPlan


def ssl_configuration(plan: AksPlan, args: SecureAksClusterArgs) -> Any:
    """The compute's ``SslConfiguration``; cert and key are secret."""
    from pulumi_azure_native import machinelearningservices as ml

    cert = args.certificate
    if not plan.tls.enabled:
        return ml.SslConfigurationArgs(status="Disabled")
    if plan.tls.microsoft_cert:
        return ml.SslConfigurationArgs(
            status="Auto",
            leaf_domain_label=cert.leaf_domain_label,
            overwrite_existing_domain=bool(getattr(cert, "overwrite_existing_domain", False)),
        )
    return ml.SslConfigurationArgs(
        status="Enabled",
        cert=pulumi.Output.secret(cert.cert_pem),
        key=pulumi.Output.secret(cert.key_pem),
        cname=plan.tls.hostname,
    )


def build_v1_mode(
    component: pulumi.Resource, name: str, args: SecureAksClusterArgs, plan: AksPlan
) -> ModeChildren:
    from pulumi_azure_native import machinelearningservices as ml

    compute = workspace_compute(
        name,
        args,
        plan,
        ml.AKSArgs(
            compute_type="AKS",
            resource_id=args.cluster_id,
            properties=ml.AKSSchemaPropertiesArgs(
                cluster_purpose=plan.router.cluster_purpose,
                load_balancer_type="InternalLoadBalancer"
                if plan.router.load_balancer == "internal"
                else "PublicIp",
                load_balancer_subnet=args.load_balancer_subnet,
                ssl_configuration=ssl_configuration(plan, args),
            ),
        ),
        pulumi.ResourceOptions(parent=component, additional_secret_outputs=["properties"]),
    )
    return ModeChildren(
        compute=compute,
        scoring_uris=scoring_uris(plan, compute),
        # SDK v1 keys/tokens come from Webservice.get_keys()/get_token(); there is no ARM invoke for them.
        endpoint_keys=pulumi.Output.secret({}),
        endpoint_tokens=pulumi.Output.secret({}),
        v1_webservice_settings={
            ep.name: {"auth_enabled": ep.key_auth_enabled, "token_auth_enabled": ep.token_auth_enabled}
            for ep in plan.endpoints
        },
    )


def scoring_uris(plan: AksPlan, compute: Any) -> dict[str, pulumi.Output]:
    """``https://<host>/api/v1/service/<name>/score`` (the SDK v1 pattern) per endpoint."""
    host = plan.tls.hostname or plan.tls.microsoft_fqdn
    scheme = "https" if plan.tls.enabled else "http"
    uris: dict[str, pulumi.Output] = {}
    for ep in plan.endpoints:
        if plan.tls.microsoft_cert:
            # The name is <label>######.<region>...: the six characters are chosen by Azure at
            # attach time and no ARM property reports them. A URI with the '#' placeholder would
            # parse as host '<label>' plus a fragment, so there is no URI until SDK v1 reports it.
            uris[ep.name] = pulumi.Output.from_input(None)
        elif host is not None:
            uris[ep.name] = pulumi.Output.from_input(f"{scheme}://{host}/api/v1/service/{ep.name}/score")
        else:  # TLS off: the router's IP, which Azure reports after the attach
            uris[ep.name] = compute.properties.apply(
                lambda p, n=ep.name: (
                    f"http://{ip}:80/api/v1/service/{n}/score" if (ip := system_service_ip(p)) else None
                )
            )
    return uris


def system_service_ip(properties: Any) -> str | None:
    """The first public IP Azure reports among an AKS (v1) compute's system services (azureml-fe)."""
    if not isinstance(properties, Mapping):
        return None
    inner = properties.get("properties")
    services = inner.get("systemServices") if isinstance(inner, Mapping) else None
    for svc in services or []:
        if isinstance(svc, Mapping) and svc.get("publicIpAddress"):
            return str(svc["publicIpAddress"])
    return None
