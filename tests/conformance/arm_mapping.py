"""azure-native's flattened inputs -> the ARM request body azure-native sends (one function).

azure-native's resource inputs are the ARM body with three transformations, each undone here:

- path parameters (resource group, parent and resource names, ``recordType``) are inputs, not body;
- most resources flatten ``properties`` into the top level (ContainerGroup, Extension, record
  sets), and a ContainerGroup's containers flatten their own ``properties`` too; the Azure ML
  resources keep ``properties`` as an input of its own;
- numbers travel as doubles in the engine's protobuf Struct (``443.0``); azure-native sends the
  schema's integers, so an integral float becomes an int (a fractional one stays and is judged);
- a few names differ (DNS's ``ttl``/``aRecords``/``cnameRecord`` are ``TTL``/``ARecords``/
  ``CNAMERecord`` in ARM), and a user-assigned identity's list of ids is a map of id -> {} in ARM.

Only the types the components register are mapped; secrets are already unwrapped by the caller.
"""

from __future__ import annotations

from typing import Any

# type -> (path parameters, top-level body keys (not under properties), properties flattened?)
RESOURCES: dict[str, tuple[frozenset[str], frozenset[str], bool]] = {
    "azure-native:containerinstance:ContainerGroup": (
        frozenset({"resourceGroupName", "containerGroupName"}),
        frozenset({"location", "tags", "identity", "zones"}),
        True,
    ),
    "azure-native:kubernetesconfiguration:Extension": (
        frozenset({"resourceGroupName", "clusterName", "clusterResourceName", "clusterRp", "extensionName"}),
        frozenset({"identity", "plan"}),
        True,
    ),
    "azure-native:machinelearningservices:Compute": (
        frozenset({"resourceGroupName", "workspaceName", "computeName"}),
        frozenset({"location", "tags", "identity", "sku", "properties"}),
        False,
    ),
    "azure-native:machinelearningservices:OnlineEndpoint": (
        frozenset({"resourceGroupName", "workspaceName", "endpointName"}),
        frozenset({"location", "tags", "identity", "kind", "sku", "properties"}),
        False,
    ),
    "azure-native:machinelearningservices:OnlineDeployment": (
        frozenset({"resourceGroupName", "workspaceName", "endpointName", "deploymentName"}),
        frozenset({"location", "tags", "identity", "kind", "sku", "properties"}),
        False,
    ),
    "azure-native:dns:RecordSet": (
        frozenset({"resourceGroupName", "zoneName", "relativeRecordSetName", "recordType"}),
        frozenset(),
        True,
    ),
    "azure-native:privatedns:PrivateRecordSet": (
        frozenset({"resourceGroupName", "privateZoneName", "relativeRecordSetName", "recordType"}),
        frozenset(),
        True,
    ),
    "azure-native:network:PublicIPAddress": (
        frozenset({"resourceGroupName", "publicIpAddressName"}),
        frozenset({"location", "tags", "sku", "zones", "extendedLocation", "id"}),
        True,
    ),
}

# public DNS (Microsoft.Network/dnsZones) spells these differently in ARM
DNS_RENAMES = {
    "ttl": "TTL",
    "aRecords": "ARecords",
    "aaaaRecords": "AAAARecords",
    "cnameRecord": "CNAMERecord",
}


def arm_body(type_token: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The ARM body azure-native sends for a resource registered with ``inputs`` (wire form, camelCase)."""
    path_params, top_level, flattened = RESOURCES[type_token]
    inputs = _numbers(inputs)
    body: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in path_params:
            continue
        if key in top_level:
            body[key] = _identity(value) if key == "identity" else value
        elif flattened:
            properties[key] = value
        else:
            raise KeyError(f"{type_token}: input {key!r} is neither a path parameter nor a body field")
    if type_token == "azure-native:containerinstance:ContainerGroup":
        properties["containers"] = [_container(c) for c in properties.get("containers", [])]
    if type_token == "azure-native:dns:RecordSet":
        properties = {DNS_RENAMES.get(k, k): v for k, v in properties.items()}
    if flattened and properties:
        body["properties"] = properties
    return body


def _numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def _container(container: dict[str, Any]) -> dict[str, Any]:
    """A ContainerGroup's container: ``name`` stays, the rest goes under ``properties``."""
    return {"name": container["name"], "properties": {k: v for k, v in container.items() if k != "name"}}


def _identity(identity: Any) -> Any:
    """azure-native takes user-assigned identities as a list of ids; ARM wants a map of id -> {}."""
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        return {**identity, "userAssignedIdentities": {i: {} for i in identity["userAssignedIdentities"]}}
    return identity
