"""The conformance oracle: ARM request bodies checked against Azure's own Python SDK models.

Runs in ``.venv-azure-oracle`` (``requirements/azure-oracle.txt``; its pins clash with Pulumi's), never
in the project's venv: ``python azure_oracle.py < bodies.json > problems.json``.

Input: ``[{"label": str, "type": <azure-native type token>, "body": <ARM body>}]``. Output:
``{"<label>": ["<path>: <problem>", ...]}`` (an empty list: conforms).

For each body the model of that resource type in Azure's SDK (the API version azure-native sends,
or the nearest the SDK has: see ``MODELS``) must accept it:

- the body deserializes into the model (``Model.deserialize`` / ``Model(mapping)``);
- every required property is present, at every level;
- every value has the model's type; every enum value is one of the enum's;
- no read-only property is sent, and no property the model does not have.

Two generations of generated models are read: msrest (``_attribute_map``, ``_validation``,
``_subtype_map``) and the typespec ``model_base`` (``rest_field``, ``__mapping__``, visibility).

``--ai-ml``: instead, the Azure ML entities' own bodies (``KubernetesOnlineEndpoint`` /
``KubernetesOnlineDeployment._to_rest_object``) for the specs given, printed as JSON.
"""

from __future__ import annotations

import enum
import importlib
import json
import sys
import typing
from typing import Any

# azure-native type token -> (module of the SDK's models, model class, API version of that module)
MODELS = {
    "azure-native:containerinstance:ContainerGroup": (
        "azure.mgmt.containerinstance.models",
        "ContainerGroup",
        "2023-05-01",
    ),
    "azure-native:kubernetesconfiguration:Extension": (
        "azure.mgmt.kubernetesconfiguration.v2023_05_01.models",
        "Extension",
        "2023-05-01",
    ),
    "azure-native:machinelearningservices:Compute": (
        "azure.ai.ml._restclient.arm_ml_service.models",
        "ComputeResource",
        "2025-12-01",
    ),
    "azure-native:machinelearningservices:OnlineEndpoint": (
        "azure.ai.ml._restclient.arm_ml_service.models",
        "OnlineEndpoint",
        "2025-12-01",
    ),
    "azure-native:machinelearningservices:OnlineDeployment": (
        "azure.ai.ml._restclient.arm_ml_service.models",
        "OnlineDeployment",
        "2025-12-01",
    ),
    "azure-native:dns:RecordSet": ("azure.mgmt.dns.models", "RecordSet", "2018-05-01"),
    "azure-native:privatedns:PrivateRecordSet": ("azure.mgmt.privatedns.models", "RecordSet", "2024-06-01"),
    "azure-native:network:PublicIPAddress": ("azure.mgmt.network.models", "PublicIPAddress", "2024-05-01"),
}

PRIMITIVES = {"str": str, "int": int, "float": (int, float), "bool": bool, "object": object}


def _is_msrest(cls: type) -> bool:
    return hasattr(cls, "_attribute_map")


# ------------------------------------------------------------------------------------ msrest models
def _msrest_enums(cls: type, module: Any) -> dict[str, type[enum.Enum]]:
    """attribute -> enum class, read from the model's __init__ annotations (Union[str, _models.X])."""
    out: dict[str, type[enum.Enum]] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, ann in getattr(init, "__annotations__", {}).items():
            text = ann if isinstance(ann, str) else repr(ann)
            for part in text.replace('"', "").replace("'", "").split("_models.")[1:]:
                ident = "".join(ch for ch in part if ch.isalnum() or ch == "_")
                candidate = getattr(module, ident, None)
                if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
                    out.setdefault(name, candidate)
    return out


def _msrest_subclass(cls: type, data: dict, module: Any, path: str, problems: list[str]) -> type:
    sub = getattr(cls, "_subtype_map", None) or {}
    for attr, mapping in sub.items():
        key = cls._attribute_map[attr]["key"]
        value = _get_dotted(data, key)
        if value is None:
            problems.append(f"{path}{key}: the discriminator is missing")
            return cls
        if value not in mapping:
            problems.append(f"{path}{key}: {value!r} is not one of {sorted(mapping)}")
            return cls
        return _msrest_subclass(getattr(module, mapping[value]), data, module, path, problems)
    return cls


def _get_dotted(data: dict, key: str) -> Any:
    node: Any = data
    for part in _split_key(key):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _split_key(key: str) -> list[str]:
    # msrest escapes a literal dot as "\\."
    parts, current, i = [], "", 0
    while i < len(key):
        if key[i] == "\\" and i + 1 < len(key) and key[i + 1] == ".":
            current += "."
            i += 2
            continue
        if key[i] == ".":
            parts.append(current)
            current = ""
        else:
            current += key[i]
        i += 1
    parts.append(current)
    return parts


def check_msrest(cls: type, data: Any, module: Any, path: str, problems: list[str]) -> None:
    if not isinstance(data, dict):
        problems.append(
            f"{path.rstrip('.')}: expected an object for {cls.__name__}, got {type(data).__name__}"
        )
        return
    cls = _msrest_subclass(cls, data, module, path, problems)
    validation = getattr(cls, "_validation", {}) or {}
    enums = _msrest_enums(cls, module)
    known_paths: set[tuple[str, ...]] = set()
    for attr, spec in cls._attribute_map.items():
        key_parts = tuple(_split_key(spec["key"]))
        known_paths.add(key_parts)
        value = _get_dotted(data, spec["key"])
        rules = validation.get(attr, {})
        if value is None:
            if rules.get("required") and not rules.get("readonly"):
                problems.append(f"{path}{spec['key']}: required by {cls.__name__}, missing")
            continue
        if rules.get("readonly"):
            problems.append(f"{path}{spec['key']}: read-only in {cls.__name__}, must not be sent")
            continue
        if rules.get("constant"):
            continue
        _check_msrest_type(spec["type"], value, module, f"{path}{spec['key']}", problems, enums.get(attr))
    _unknown_keys(data, known_paths, (), path, cls.__name__, problems)


def _unknown_keys(
    data: Any,
    known: set[tuple[str, ...]],
    prefix: tuple[str, ...],
    path: str,
    model: str,
    problems: list[str],
) -> None:
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        here = (*prefix, key)
        if here in known:
            continue
        if any(k[: len(here)] == here for k in known):
            _unknown_keys(value, known, here, path, model, problems)
            continue
        problems.append(f"{path}{'.'.join(here)}: not a property of {model}")


def _check_msrest_type(
    typ: str, value: Any, module: Any, path: str, problems: list[str], enum_cls: Any
) -> None:
    if typ.startswith("[") and typ.endswith("]"):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check_msrest_type(typ[1:-1], item, module, f"{path}[{i}]", problems, enum_cls)
        return
    if typ.startswith("{") and typ.endswith("}"):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object, got {type(value).__name__}")
            return
        for k, item in value.items():
            _check_msrest_type(typ[1:-1], item, module, f"{path}.{k}", problems, enum_cls)
        return
    if typ in PRIMITIVES:
        expected = PRIMITIVES[typ]
        if isinstance(value, bool) and typ in ("int", "float"):
            problems.append(f"{path}: expected {typ}, got bool")
        elif not isinstance(value, expected):
            problems.append(f"{path}: expected {typ}, got {type(value).__name__} {value!r}")
        elif enum_cls is not None and typ == "str":
            _check_enum(enum_cls, value, path, problems)
        return
    if typ in ("iso-8601", "rfc-1123", "duration", "date", "base64", "bytearray", "long"):
        return
    model = getattr(module, typ, None)
    if model is None:
        return
    check_msrest(model, value, module, path + ".", problems)


def _check_enum(enum_cls: Any, value: Any, path: str, problems: list[str]) -> None:
    allowed = {m.value for m in enum_cls}
    # the SDKs' enums are case-insensitive (CaseInsensitiveEnumMeta), as ARM is
    if str(value).lower() not in {str(a).lower() for a in allowed}:
        problems.append(
            f"{path}: {value!r} is not a {enum_cls.__name__} ({', '.join(sorted(map(str, allowed)))})"
        )


# -------------------------------------------------------------------------------- typespec models
def _hints(cls: type, module: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls, globalns=vars(sys.modules[cls.__module__]), localns={"_models": module})


def _rest_fields(cls: type) -> dict[str, Any]:
    return dict(getattr(cls, "_attr_to_rest_field", {}))


def _tsp_subclass(cls: type, data: dict, path: str, problems: list[str]) -> type:
    while getattr(cls, "__mapping__", None):
        disc = next((f for f in _rest_fields(cls).values() if getattr(f, "_is_discriminator", False)), None)
        if disc is None:
            return cls
        value = data.get(disc._rest_name)
        sub = cls.__mapping__.get(value)
        if sub is None or sub is cls:
            if value is None:
                problems.append(f"{path}{disc._rest_name}: the discriminator of {cls.__name__} is missing")
            elif sub is None:
                problems.append(f"{path}{disc._rest_name}: {value!r} is not one of {sorted(cls.__mapping__)}")
            return cls
        cls = sub
    return cls


def check_tsp(cls: type, data: Any, module: Any, path: str, problems: list[str]) -> None:
    if not isinstance(data, dict):
        problems.append(
            f"{path.rstrip('.')}: expected an object for {cls.__name__}, got {type(data).__name__}"
        )
        return
    cls = _tsp_subclass(cls, data, path, problems)
    hints = _hints(cls, module)
    fields = _rest_fields(cls)
    by_rest = {f._rest_name: (attr, f) for attr, f in fields.items()}
    for key, value in data.items():
        if key not in by_rest:
            problems.append(f"{path}{key}: not a property of {cls.__name__}")
            continue
        attr, field = by_rest[key]
        visibility = field._visibility or []
        if visibility and "create" not in visibility and "update" not in visibility:
            problems.append(f"{path}{key}: read-only in {cls.__name__}, must not be sent")
            continue
        if getattr(field, "_is_discriminator", False):
            continue
        _check_hint(hints.get(attr, Any), value, module, f"{path}{key}", problems)
    for attr, field in fields.items():
        visibility = field._visibility or []
        if visibility and "create" not in visibility:
            continue
        hint = hints.get(attr, Any)
        if field._rest_name not in data and not _optional(hint) and field._default is _MISSING:
            problems.append(f"{path}{field._rest_name}: required by {cls.__name__}, missing")


_MISSING: Any = None


def _optional(hint: Any) -> bool:
    return typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)


def _check_hint(hint: Any, value: Any, module: Any, path: str, problems: list[str]) -> None:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return
    if origin is typing.Union:
        args = tuple(a for a in args if a is not type(None))
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if enums and isinstance(value, str):
            _check_enum(enums[0], value, path, problems)
            return
        models = [a for a in args if isinstance(a, type) and hasattr(a, "_attr_to_rest_field")]
        if models and isinstance(value, dict):
            check_tsp(models[0], value, module, path + ".", problems)
            return
        if len(args) == 1:
            _check_hint(args[0], value, module, path, problems)
        return
    if origin is typing.Literal:
        if value not in args:
            problems.append(f"{path}: {value!r} is not one of {args}")
        return
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check_hint(args[0] if args else Any, item, module, f"{path}[{i}]", problems)
        return
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object, got {type(value).__name__}")
            return
        for k, item in value.items():
            _check_hint(args[1] if len(args) > 1 else Any, item, module, f"{path}.{k}", problems)
        return
    if isinstance(hint, type):
        if hasattr(hint, "_attr_to_rest_field"):
            check_tsp(hint, value, module, path + ".", problems)
        elif issubclass(hint, enum.Enum):
            _check_enum(hint, value, path, problems)
        elif hint is bool and not isinstance(value, bool):
            problems.append(f"{path}: expected bool, got {type(value).__name__} {value!r}")
        elif hint in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problems.append(f"{path}: expected {hint.__name__}, got {type(value).__name__} {value!r}")
        elif hint is str and not isinstance(value, str):
            problems.append(f"{path}: expected str, got {type(value).__name__} {value!r}")


# --------------------------------------------------------------------------------------- the oracle
def check(type_token: str, body: dict) -> list[str]:
    if type_token not in MODELS:
        return [f"no SDK model known for {type_token}"]
    module_name, class_name, _api = MODELS[type_token]
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    problems: list[str] = []
    try:
        if _is_msrest(cls):
            cls.deserialize(body)
        else:
            cls(body).as_dict()
    except Exception as exc:  # the SDK's own deserializer refused the body
        problems.append(f"does not deserialize into {class_name}: {type(exc).__name__}: {exc}")
    if _is_msrest(cls):
        check_msrest(cls, body, module, "", problems)
    else:
        global _MISSING
        from azure.ai.ml._restclient.arm_ml_service._utils import model_base

        _MISSING = getattr(model_base, "_UNSET", object())
        check_tsp(cls, body, module, "", problems)
    return problems


def _rest_dict(model: Any) -> Any:
    """The JSON body of a REST model of either generation."""
    return model.serialize() if hasattr(model, "serialize") else model.as_dict(exclude_readonly=True)


def ai_ml_bodies(specs: list[dict]) -> dict[str, Any]:
    """What azure-ai-ml itself sends for the same Kubernetes endpoints and deployments."""
    from azure.ai.ml.entities import (
        CodeConfiguration,
        DefaultScaleSettings,
        IdentityConfiguration,
        KubernetesOnlineDeployment,
        KubernetesOnlineEndpoint,
        ManagedIdentityConfiguration,
        ResourceRequirementsSettings,
        ResourceSettings,
        TargetUtilizationScaleSettings,
    )

    out: dict[str, Any] = {}
    for spec in specs:
        if spec["kind"] == "endpoint":
            ids = spec.get("identity_ids")
            identity = (
                IdentityConfiguration(
                    type="user_assigned",
                    user_assigned_identities=[ManagedIdentityConfiguration(resource_id=i) for i in ids],
                )
                if ids
                else IdentityConfiguration(type="system_assigned")
            )
            ep = KubernetesOnlineEndpoint(
                name=spec["name"],
                auth_mode=spec["auth_mode"],
                compute=spec["compute"],
                identity=identity,
                description=spec.get("description"),
                tags=spec.get("tags"),
                traffic=spec.get("traffic"),
            )
            body = _rest_dict(ep._to_rest_online_endpoint(spec["location"]))
        else:
            scale = (
                TargetUtilizationScaleSettings(
                    min_instances=spec["min_instances"],
                    max_instances=spec["max_instances"],
                    target_utilization_percentage=spec["target_utilization_percentage"],
                )
                if spec.get("target_utilization_percentage") is not None
                else DefaultScaleSettings()
            )
            resources = None
            if spec.get("cpu") is not None or spec.get("memory") is not None:
                resources = ResourceRequirementsSettings(
                    requests=ResourceSettings(cpu=spec.get("cpu"), memory=spec.get("memory"))
                )
            code = (
                CodeConfiguration(code=spec["code_id"], scoring_script=spec["scoring_script"])
                if spec.get("scoring_script")
                else None
            )
            dep = KubernetesOnlineDeployment(
                name=spec["name"],
                endpoint_name=spec["endpoint_name"],
                model=spec.get("model"),
                code_configuration=code,
                environment=spec.get("environment_id"),
                environment_variables=spec.get("environment_variables"),
                instance_type=spec.get("instance_type"),
                instance_count=spec.get("instance_count"),
                scale_settings=scale,
                resources=resources,
                description=spec.get("description"),
                tags=spec.get("tags"),
            )
            body = _rest_dict(dep._to_rest_object(location=spec["location"]))
        out[spec["label"]] = body
    return out


def main() -> int:
    data = json.load(sys.stdin)
    if "--ai-ml" in sys.argv:
        json.dump(ai_ml_bodies(data), sys.stdout, default=str)
        return 0
    json.dump({item["label"]: check(item["type"], item["body"]) for item in data}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
