"""The ``endpoints`` step of the AKS plan: one authentication mode per endpoint (key or token, never
both) and, in extension mode, a deployment Azure ML will accept."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ...errors import ConfigurationError
from ...facts import EndpointAuth
from .. import keys as _auth
from ..inputs import check_string_map, config_number_fix, config_string_hint, require_str_input
from .args import AksEndpointArgs

_ENDPOINT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")
_DEPLOYMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")
# The CLI/SDK short form of a workspace asset: azureml:<name>:<version> (azureml://... ids are full ids)
SHORT_ASSET = re.compile(r"^azureml:(?!//)(?P<name>[A-Za-z0-9_.-]+):(?P<version>[A-Za-z0-9_.-]+)$")
# AksEndpointArgs field -> the workspace's asset collection
ASSET_KINDS = {"model": "models", "environment_id": "environments", "code_id": "codes"}
# how the az ml CLI registers a local path as the asset of each field
_REGISTER = {
    "model": "az ml model create --name <name> --version 1 --path {path}",
    "code_id": "az ml code create --name <name> --version 1 --path {path}",
    "environment_id": "az ml environment create --file <environment.yml>",
}
# A Kubernetes resource quantity as Azure ML passes it to the container's requests ("500m", "1.5", "2Gi").
_K8S_QUANTITY = re.compile(
    r"^(?P<number>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<unit>m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
)
_USER_IDENTITY_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/[^/]+$",
    re.IGNORECASE,
)


def resolve_endpoints(endpoints: Sequence[Any] | None, mode: str) -> tuple[EndpointAuth, ...]:
    """Each endpoint's name and its one auth mode; in extension mode, its deployment settings checked."""
    resolved: list[EndpointAuth] = []
    seen: set[str] = set()
    for i, ep in enumerate(endpoints or []):
        where = f"endpoints[{i}]"
        check_endpoint_name(ep, where, seen)
        check_endpoint_maps(ep, where)
        auth_mode = resolve_endpoint_auth(ep, where, mode)
        if mode == "extension":
            check_deployment(ep, where)
        resolved.append(
            EndpointAuth(
                name=ep.name,
                auth_mode=auth_mode,
                key_auth_enabled=auth_mode == _auth.KEY,
                token_auth_enabled=auth_mode == _auth.TOKEN,
            )
        )
    return tuple(resolved)


def check_endpoint_name(ep: object, where: str, seen: set[str]) -> None:
    """An ``AksEndpointArgs`` with a valid name not used before (case-insensitively); adds it to ``seen``."""
    if not isinstance(ep, AksEndpointArgs):
        raise ConfigurationError(
            where,
            f"expected AksEndpointArgs, got {type(ep).__name__}",
            "pass AksEndpointArgs(name=..., auth='key'|'token')",
        )
    if not isinstance(ep.name, str) or not _ENDPOINT_NAME.match(ep.name):
        raise ConfigurationError(
            f"{where}.name",
            f"{ep.name!r} is not a valid endpoint name",
            "use 3-32 letters, digits or hyphens, starting with a letter",
        )
    if ep.name.lower() in seen:
        raise ConfigurationError(
            f"{where}.name", f"endpoint name {ep.name!r} is used twice", "give every endpoint its own name"
        )
    seen.add(ep.name.lower())


def check_endpoint_maps(ep: AksEndpointArgs, where: str) -> None:
    for field_name in ("environment_variables", "tags"):
        given = getattr(ep, field_name)
        if given is not None and not isinstance(given, Mapping):
            raise ConfigurationError(
                f"{where}.{field_name}",
                f"expected a mapping of names to values, got {type(given).__name__}",
                f"pass a dict such as {field_name}={{'LOG_LEVEL': 'info'}}",
            )
    for key, value in (ep.environment_variables or {}).items():
        if not isinstance(key, str) or not isinstance(value, str | pulumi.Output):
            raise ConfigurationError(
                f"{where}.environment_variables[{key!r}]",
                f"{value!r} is a {type(value).__name__}; Azure ML accepts only string names and values",
                f"quote it: {str(key)!r}: {str(value)!r}",
            )
    check_string_map(ep.tags, f"{where}.tags")


def resolve_endpoint_auth(ep: AksEndpointArgs, where: str, mode: str) -> str:
    """``key``, ``token`` (or ``none`` in v1-attach mode) from ``auth`` and the SDK v1 flags; never both."""
    key_flag, token_flag = ep.key_auth_enabled, ep.token_auth_enabled
    if ep.auth is not None and (key_flag is None) != (token_flag is None):
        # auth plus one SDK v1 flag: the named mode implies its own flag, so auth='key' with
        # token_auth_enabled=True is the "both enabled" case, not a silent token-less key endpoint.
        named = _auth.resolve_auth_mode(ep.auth, platform="aks", input_name=f"{where}.auth")
        if key_flag is None:
            key_flag = named == _auth.KEY
        else:
            token_flag = named == _auth.TOKEN
    auth_mode = _auth.resolve_auth_mode(
        ep.auth,
        platform="aks",
        input_name=f"{where}.auth",
        key_auth_enabled=key_flag,
        token_auth_enabled=token_flag,
    )
    if auth_mode == _auth.NONE and mode == "extension":
        raise ConfigurationError(
            f"{where}.auth",
            "authentication 'none' is not available on Kubernetes online endpoints (auth_mode is Key or AMLToken)",
            "use auth='key' or auth='token'",
        )
    return auth_mode


def check_deployment(ep: AksEndpointArgs, where: str) -> None:
    """Extension mode: the OnlineDeployment's name, assets, resources, scaling, identities and traffic."""
    if not isinstance(ep.deployment_name, str) or not _DEPLOYMENT_NAME.match(ep.deployment_name):
        raise ConfigurationError(
            f"{where}.deployment_name",
            f"{ep.deployment_name!r} is not a valid deployment name",
            "use 3-32 letters, digits or hyphens",
        )
    for field_name in ASSET_KINDS:
        value = getattr(ep, field_name)
        if (
            isinstance(value, str)
            and value.startswith("azureml:")
            and not value.startswith("azureml://")
            and not SHORT_ASSET.match(value)
        ):
            raise ConfigurationError(
                f"{where}.{field_name}",
                f"{value!r} is not a versioned asset reference (a label such as @latest, or a missing "
                "version, needs a workspace look-up that a deployment cannot make)",
                "use azureml:<name>:<version>, the asset version's ARM id, or an azureml:// id",
            )
        if isinstance(value, str) and is_local_path(value):
            raise ConfigurationError(
                f"{where}.{field_name}",
                f"{value!r} is not an asset id but a local path (or a bare name): Azure ML takes only asset "
                "ids here and cannot read files on this machine (the az ml CLI uploads a local path as a "
                "new asset first; a deployment resource does not)",
                f"register it once ({_REGISTER[field_name].format(path=value)}) and pass "
                "azureml:<name>:<version>, the asset version's ARM id, or an azureml:// id",
            )
    if ep.code_id is not None and ep.scoring_script is None:
        raise ConfigurationError(
            f"{where}.code_id",
            "a code asset was given without scoring_script, so the deployment would not use it "
            "(Azure ML's code configuration is the scoring script plus the code asset that holds it)",
            "add scoring_script='score.py' (its path inside the code asset), or drop code_id",
        )
    require_str_input(ep.instance_type, f"{where}.instance_type", "'defaultinstancetype'")
    for field_name, example in (
        ("model", "'azureml:fraud-model:3'"),
        ("scoring_script", "'score.py'"),
        ("code_id", "'azureml:fraud-code:4'"),
        ("environment_id", "'azureml:sklearn-env:7'"),
        ("description", "'fraud scoring'"),
    ):
        require_str_input(getattr(ep, field_name), f"{where}.{field_name}", example, required=False)
    check_k8s_quantity(ep.cpu, f"{where}.cpu", "'500m' or '1'", memory=False)
    check_k8s_quantity(ep.memory, f"{where}.memory", "'1Gi' or '512Mi'", memory=True)
    check_scaling(ep, where)
    check_identity_ids(ep.identity_ids, f"{where}.identity_ids")
    check_traffic(ep.traffic, where)


def is_local_path(value: str) -> bool:
    """A model/code/environment reference that names a file or directory here, not an asset id: a
    relative path (``./model``, ``model``, ``src/``), ``~``, or an absolute path that exists locally.
    Asset ids are ``azureml:<name>:<version>``, ``azureml://...`` or ARM ids (``/subscriptions/...``)."""
    import os

    text = value.strip()
    if text.startswith("azureml:") or "://" in text or text.lower().startswith("/subscriptions/"):
        return False
    if not text.startswith("/"):
        return True
    return os.path.exists(text)


def check_scaling(ep: AksEndpointArgs, where: str) -> None:
    mins = whole(ep.min_instances, f"{where}.min_instances", 1)
    maxs = whole(ep.max_instances, f"{where}.max_instances", 1)
    if ep.target_utilization_percentage is not None:
        whole(ep.target_utilization_percentage, f"{where}.target_utilization_percentage", 1, 100)
    if mins < 1 or maxs < mins:
        raise ConfigurationError(
            f"{where}.min_instances",
            f"min_instances={mins}, max_instances={maxs}",
            "use 1 <= min_instances <= max_instances",
        )
    if ep.target_utilization_percentage is None and maxs != mins:
        raise ConfigurationError(
            f"{where}.max_instances",
            "max_instances differs from min_instances but no target_utilization_percentage was given, so nothing would scale",
            "set target_utilization_percentage (e.g. 70) or make max_instances equal to min_instances",
        )


def check_traffic(traffic: object, where: str) -> None:
    if traffic is None:
        return
    if not isinstance(traffic, Mapping):
        raise ConfigurationError(
            f"{where}.traffic", "must map deployment names to percentages", "pass e.g. {'blue': 100}"
        )
    total = sum(whole(v, f"{where}.traffic[{k!r}]", 0, 100) for k, v in traffic.items())
    if traffic and total != 100:
        raise ConfigurationError(
            f"{where}.traffic", f"traffic adds up to {total}", "make the percentages add up to 100"
        )


def check_identity_ids(ids: object, where: str) -> None:
    if ids is None:
        return
    if isinstance(ids, str | pulumi.Output) or not isinstance(ids, Sequence):
        raise ConfigurationError(
            where,
            "expected a list of user-assigned identity resource ids, got "
            + ("one string" if isinstance(ids, str) else type(ids).__name__),
            "pass a plain list, e.g. identity_ids=[identity.id] (each id may be a pulumi Output)",
        )
    for i, value in enumerate(ids):
        if isinstance(value, pulumi.Output):
            continue
        if not isinstance(value, str) or not _USER_IDENTITY_ID.match(value):
            raise ConfigurationError(
                f"{where}[{i}]",
                f"{value!r} is not the resource id of a user-assigned identity",
                "pass /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/"
                "userAssignedIdentities/<name> (e.g. identity.id of an azure-native "
                "managedidentity.UserAssignedIdentity)",
            )


def check_k8s_quantity(value: Any, input_name: str, example: str, *, memory: bool) -> None:
    """Refuse a container request Kubernetes would not parse (``1GB``), a number, or a unit-less memory size."""
    if value is None or isinstance(value, pulumi.Output):
        return
    if not isinstance(value, str):
        raise ConfigurationError(
            input_name,
            f"{value!r} is not a string ({type(value).__name__}); Azure ML takes a Kubernetes quantity string"
            + (" (a bare number of memory is bytes)" if memory else ""),
            f"quote it with its unit, e.g. {example}",
        )
    match = _K8S_QUANTITY.match(value.strip())
    if match is None:
        raise ConfigurationError(
            input_name,
            f"{value!r} is not a Kubernetes quantity"
            + (" ('GB' is not a unit: use 'G' or 'Gi')" if "B" in value else ""),
            f"use e.g. {example}",
        )
    if memory and match["unit"] in (None, "m") and float(match["number"]) < 1024 * 1024:
        raise ConfigurationError(
            input_name,
            f"{value!r} is under 1 MiB in Kubernetes units (no unit means bytes, 'm' thousandths of a byte)",
            f"give the unit, e.g. {example}",
        )


def whole(value: Any, input_name: str, minimum: int, maximum: int | None = None) -> int:
    """An integer input; whole floats (2.0, as other languages send numbers) are accepted."""
    ok = not isinstance(value, bool) and isinstance(value, int | float) and int(value) == value
    if not ok or value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise ConfigurationError(
            input_name,
            f"{value!r} is not a whole number {bounds}" + config_string_hint(value),
            f"pass a whole number {bounds}" + config_number_fix(value, "int"),
        )
    return int(value)
