"""Insecure on purpose (breaks `tls-required`): an AKS cluster attached to an Azure ML workspace the
SDK v1 way (`machinelearningservices.Compute` of type AKS) with `sslConfiguration.status`
"Disabled": every web service deployed to it answers plain HTTP.

The fix: SecureAksCluster(mode="v1-attach") with a certificate (status Enabled with cert, key and
cname) or a Microsoft certificate (status Auto with leaf_domain_label)."""

import pulumi_azure_native.machinelearningservices as ml

compute = ml.Compute(
    "aks",
    resource_group_name="rg-ml-prod",
    workspace_name="mlw-prod",
    compute_name="aks-prod",
    location="westeurope",
    properties=ml.AKSArgs(
        compute_type="AKS",
        resource_id="/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks-prod"
        "/providers/Microsoft.ContainerService/managedClusters/aks-prod",
        properties=ml.AKSSchemaPropertiesArgs(
            cluster_purpose="FastProd",
            ssl_configuration=ml.SslConfigurationArgs(status="Disabled"),
        ),
    ),
)
