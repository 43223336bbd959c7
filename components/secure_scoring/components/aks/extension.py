"""Extension mode (Azure ML v2): the children of a :class:`SecureAksCluster` with ``mode="extension"``.

A ``kubernetesconfiguration.Extension`` of type ``microsoft.azureml.kubernetes`` whose router
terminates TLS with your certificate (the settings ``az k8s-extension create`` writes after its
client-side processing), a ``machinelearningservices.Compute`` of kind Kubernetes, and per endpoint
one ``OnlineEndpoint`` (``Key`` | ``AMLToken``) with one ``OnlineDeployment`` and the invoke that
reads its keys or token (secret).
"""

from __future__ import annotations

from typing import Any

import pulumi

from .. import keys as _auth
from ..inputs import b64
from .args import EXTENSION_RELEASE_NAMESPACE, EXTENSION_TYPE, MICROSOFT_FQDN_SUFFIX, SecureAksClusterArgs
from .children import ModeChildren, compute_description, workspace_compute
from .endpoints import ASSET_KINDS, SHORT_ASSET
from .plan import AksPlan


def extension_settings(plan: AksPlan, args: SecureAksClusterArgs) -> dict[str, pulumi.Input[str]]:
    """The extension's configuration settings (plain, not secret)."""
    cluster_region = plan.regions.cluster
    settings: dict[str, pulumi.Input[str]] = {
        "enableInference": "True",
        "enableTraining": "False",
        "inferenceRouterServiceType": plan.router.service_type,
        "inferenceRouterHA": "True" if plan.router.ha else "False",
        "allowInsecureConnections": "False" if plan.tls.enabled else "True",
        "clusterPurpose": plan.router.cluster_purpose,
        # What `az k8s-extension create` adds for an AKS cluster after its client-side processing;
        # ARM does not add them, so infrastructure-as-code must.
        "cluster_name": args.cluster_id,
        # the CLI's reference mapping copies cluster_name into these two
        "clusterId": args.cluster_id,
        "prometheus.prometheusSpec.externalLabels.cluster_name": args.cluster_id,
        "cluster_name_friendly": plan.cluster.name,
        "location": cluster_region,
        "jobSchedulerLocation": cluster_region,
        "domain": f"{cluster_region}.{MICROSOFT_FQDN_SUFFIX}",
        "relayserver.enabled": "false",
        "servicebus.enabled": "false",
        "nginxIngress.enabled": "true",
    }
    if plan.router.load_balancer == "internal":
        settings["internalLoadBalancerProvider"] = "azure"
        settings["scoringFe.serviceType.internalLoadBalancer"] = "True"
    if plan.tls.enabled:
        settings["sslCname"] = plan.tls.hostname  # type: ignore[assignment]
    return settings


def protected_settings(plan: AksPlan, args: SecureAksClusterArgs) -> pulumi.Output | None:
    """Base64 of the PEM text, as the CLI sends sslCertPemFile/sslKeyPemFile; the whole map is a
    secret (the SDK marks nothing secret) and stays one in the state."""
    if not plan.tls.enabled:
        return None
    cert = args.certificate
    assert cert is not None  # TLS on: the plan required a certificate
    return pulumi.Output.secret(
        pulumi.Output.all(cert.cert_pem, cert.key_pem).apply(
            lambda pair: {"scoringFe.sslCert": b64(pair[0]), "scoringFe.sslKey": b64(pair[1])}
        )
    )


def without_managed_only_defaults(args: Any, *names: str) -> Any:
    """``args`` with the defaults azure-native's SDK fills in for managed online endpoints removed.

    ``OnlineEndpointPropertiesArgs`` sets ``public_network_access='Enabled'`` and
    ``KubernetesOnlineDeploymentArgs`` ``egress_public_network_access='Enabled'`` when none is given;
    both are managed-endpoint settings that azure-ai-ml never sends for a Kubernetes endpoint or
    deployment (its Kubernetes entities have no such field), so neither do we.
    """
    for name in names:
        pulumi.set(args, name, None)
    return args


def build_extension_mode(
    component: pulumi.Resource, name: str, args: SecureAksClusterArgs, plan: AksPlan
) -> ModeChildren:
    from pulumi_azure_native import kubernetesconfiguration as kc
    from pulumi_azure_native import machinelearningservices as ml

    child = pulumi.ResourceOptions(parent=component)
    extension = kc.Extension(
        f"{name}-extension",
        kc.ExtensionArgs(
            cluster_name=plan.cluster.name,
            cluster_resource_name="managedClusters",
            cluster_rp="Microsoft.ContainerService",
            resource_group_name=plan.cluster.resource_group,
            extension_name=args.extension_name,
            extension_type=EXTENSION_TYPE,
            scope=kc.ScopeArgs(cluster=kc.ScopeClusterArgs(release_namespace=EXTENSION_RELEASE_NAMESPACE)),
            configuration_settings=extension_settings(plan, args),
            configuration_protected_settings=protected_settings(plan, args),
        ),
        pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(additional_secret_outputs=["configurationProtectedSettings"])
        ),
    )
    compute = workspace_compute(
        name,
        args,
        plan,
        ml.KubernetesArgs(
            compute_type="Kubernetes",
            resource_id=args.cluster_id,
            compute_location=plan.regions.cluster,
            description=compute_description(plan, "with the Azure ML extension"),
            properties=ml.KubernetesPropertiesArgs(namespace=args.namespace),
        ),
        pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[extension])),
    )
    endpoints: dict[str, Any] = {}
    deployments: dict[str, Any] = {}
    uris: dict[str, pulumi.Output] = {}
    keys: dict[str, pulumi.Output] = {}
    tokens: dict[str, pulumi.Output] = {}
    for ep_args, ep_auth in zip(args.endpoints or [], plan.endpoints, strict=True):
        ep, dep, ep_name = _endpoint(component, name, args, plan, compute, ep_args, ep_auth.auth_mode)
        endpoints[ep_args.name] = ep
        deployments[ep_args.name] = dep
        uris[ep_args.name] = ep.properties.apply(lambda p: p.scoring_uri if p is not None else None)
        invoke_opts = pulumi.InvokeOutputOptions(parent=component, depends_on=[ep, dep])
        if ep_auth.auth_mode == _auth.KEY:
            res = ml.list_online_endpoint_keys_output(
                endpoint_name=ep_name,
                resource_group_name=args.workspace_resource_group_name,
                workspace_name=args.workspace_name,
                opts=invoke_opts,
            )
            keys[ep_args.name] = pulumi.Output.secret(
                res.apply(lambda r: {"primary_key": r.primary_key, "secondary_key": r.secondary_key})
            )
        else:
            res = ml.get_online_endpoint_token_output(
                endpoint_name=ep_name,
                resource_group_name=args.workspace_resource_group_name,
                workspace_name=args.workspace_name,
                opts=invoke_opts,
            )
            tokens[ep_args.name] = pulumi.Output.secret(
                res.apply(
                    lambda r: {
                        "access_token": r.access_token,
                        "token_type": r.token_type,
                        "expiry_time_utc": r.expiry_time_utc,
                        "refresh_after_time_utc": r.refresh_after_time_utc,
                    }
                )
            )
    return ModeChildren(
        compute=compute,
        scoring_uris=uris,
        endpoint_keys=pulumi.Output.secret(pulumi.Output.all(**keys)) if keys else pulumi.Output.secret({}),
        endpoint_tokens=pulumi.Output.secret(pulumi.Output.all(**tokens))
        if tokens
        else pulumi.Output.secret({}),
        extension=extension,
        online_endpoints=endpoints,
        online_deployments=deployments,
    )


def _endpoint(
    component: pulumi.Resource,
    name: str,
    args: SecureAksClusterArgs,
    plan: AksPlan,
    compute: Any,
    ep_args: Any,
    auth_mode: str,
) -> tuple[Any, Any, pulumi.Output[str]]:
    """One OnlineEndpoint and its OnlineDeployment; the endpoint's name as an Output after the endpoint."""
    from pulumi_azure_native import machinelearningservices as ml

    child = pulumi.ResourceOptions(parent=component)
    tags = {**(args.tags or {}), **(ep_args.tags or {})} or None
    ep = ml.OnlineEndpoint(
        f"{name}-{ep_args.name}",
        ml.OnlineEndpointArgs(
            endpoint_name=ep_args.name,
            resource_group_name=args.workspace_resource_group_name,
            workspace_name=args.workspace_name,
            location=plan.regions.workspace,
            tags=tags,
            # the identity the deployments run as (pull images and models): system-assigned
            # unless user-assigned ids are given, as the Azure ML CLI and SDK send it
            identity=ml.ManagedServiceIdentityArgs(
                type="UserAssigned", user_assigned_identities=list(ep_args.identity_ids)
            )
            if ep_args.identity_ids
            else ml.ManagedServiceIdentityArgs(type="SystemAssigned"),
            properties=without_managed_only_defaults(
                ml.OnlineEndpointPropertiesArgs(
                    auth_mode=_auth.AZURE_AUTH_MODE[auth_mode],
                    compute=compute.id,
                    description=ep_args.description,
                    traffic={k: int(v) for k, v in ep_args.traffic.items()}
                    if ep_args.traffic is not None
                    else None,
                ),
                "public_network_access",
            ),
        ),
        child,
    )
    # The endpoint's name, available once Azure has created it (plain name, ordered after the endpoint).
    ep_name = ep.id.apply(lambda _id, n=ep_args.name: n)
    scale: Any
    if ep_args.target_utilization_percentage is not None:
        scale = ml.TargetUtilizationScaleSettingsArgs(
            scale_type="TargetUtilization",
            min_instances=int(ep_args.min_instances),
            max_instances=int(ep_args.max_instances),
            target_utilization_percentage=int(ep_args.target_utilization_percentage),
        )
    else:
        scale = ml.DefaultScaleSettingsArgs(scale_type="Default")
    requests = None
    if ep_args.cpu is not None or ep_args.memory is not None:
        requests = ml.ContainerResourceRequirementsArgs(
            container_resource_requests=ml.ContainerResourceSettingsArgs(
                cpu=ep_args.cpu, memory=ep_args.memory
            )
        )
    sub = plan.cluster.subscription_id
    dep = ml.OnlineDeployment(
        f"{name}-{ep_args.name}-{ep_args.deployment_name}",
        ml.OnlineDeploymentArgs(
            endpoint_name=ep_name,
            deployment_name=ep_args.deployment_name,
            resource_group_name=args.workspace_resource_group_name,
            workspace_name=args.workspace_name,
            location=plan.regions.workspace,
            tags=tags,
            # Azure ML reads the instance count from the deployment's sku, as the Azure ML
            # SDK v2 sends it (DefaultScaleSettings has no count of its own).
            sku=ml.SkuArgs(name="Default", capacity=int(ep_args.min_instances)),
            properties=without_managed_only_defaults(
                ml.KubernetesOnlineDeploymentArgs(
                    endpoint_compute_type="Kubernetes",
                    model=asset_id(ep_args.model, "model", sub, args),
                    code_configuration=(
                        ml.CodeConfigurationArgs(
                            scoring_script=ep_args.scoring_script,
                            code_id=asset_id(ep_args.code_id, "code_id", sub, args),
                        )
                        if ep_args.scoring_script is not None
                        else None
                    ),
                    environment_id=asset_id(ep_args.environment_id, "environment_id", sub, args),
                    environment_variables=dict(ep_args.environment_variables)
                    if ep_args.environment_variables
                    else None,
                    instance_type=ep_args.instance_type,
                    scale_settings=scale,
                    container_resource_requirements=requests,
                    description=ep_args.description,
                ),
                "egress_public_network_access",
            ),
        ),
        child,
    )
    return ep, dep, ep_name


def asset_id(value: Any, field_name: str, subscription: str, args: SecureAksClusterArgs) -> Any:
    """``azureml:<name>:<version>`` → the workspace asset's ARM id; anything else unchanged.

    The workspace is in the cluster's subscription: Azure ML does not attach an AKS cluster of
    another subscription (it has to be connected through Azure Arc instead).
    """
    match = SHORT_ASSET.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    kind = ASSET_KINDS[field_name]

    def arm_id(rg_ws: list[Any]) -> str:
        return (
            f"/subscriptions/{subscription}/resourceGroups/{rg_ws[0]}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{rg_ws[1]}/{kind}/{match['name']}/versions/{match['version']}"
        )

    rg, ws = args.workspace_resource_group_name, args.workspace_name
    if isinstance(rg, str) and isinstance(ws, str):
        return arm_id([rg, ws])
    return pulumi.Output.all(rg, ws).apply(arm_id)
