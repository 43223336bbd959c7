"""Insecure on purpose (breaks `tls-required`): the Azure ML Kubernetes extension installed by hand
with inference enabled and `allowInsecureConnections: "True"`, so the inference router (azureml-fe)
serves plain HTTP.

The fix: SecureAksCluster (allowInsecureConnections "False", scoringFe.sslCert/sslKey, sslCname)."""

import pulumi_azure_native.kubernetesconfiguration as k8s

extension = k8s.Extension(
    "azureml",
    resource_group_name="rg-aks-prod",
    cluster_name="aks-prod",
    cluster_resource_name="managedClusters",
    cluster_rp="Microsoft.ContainerService",
    extension_type="microsoft.azureml.kubernetes",
    release_train="stable",
    auto_upgrade_minor_version=True,
    scope=k8s.ScopeArgs(cluster=k8s.ScopeClusterArgs(release_namespace="azureml")),
    configuration_settings={
        "enableInference": "True",
        "inferenceRouterServiceType": "LoadBalancer",
        "allowInsecureConnections": "True",
    },
)
