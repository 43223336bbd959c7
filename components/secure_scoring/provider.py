"""The components for every Pulumi language: a component provider over the Python components.

``PulumiPlugin.yaml`` (python runtime) and ``__main__.py`` at the repository root make the repository
a source-based component package: ``pulumi package add <repo or path>`` starts it (``python <repo>
<engine address>``, in the virtualenv the manifest names), reads the schema over gRPC
(``GetSchema``) and generates a local SDK; a program then asks it to ``Construct`` each component.

It is the Python SDK's ``pulumi.provider.experimental`` component provider, which infers the
schema from type annotations (inputs: the ``args`` annotation of ``__init__``; outputs: the class
annotations along the MRO; descriptions: class and attribute docstrings), with what that inference
cannot express added here:

- **The Args dataclasses are read as they are**, through a *view* (:func:`args_view`): their
  annotations resolved once with ``typing.get_type_hints`` (the modules use postponed annotations,
  which the inference cannot read), unions other than ``X | None`` (``int | str`` rotation keepers)
  become ``Any``, nested dataclasses become object types. A view carries its dataclass's module and
  qualified name, so the inference reads the attribute docstrings from the dataclass's source.
  Args that document their fields in the class docstring (``- ``field``: text``) get those texts.
- **Outputs** come from the mixins in :mod:`secure_scoring.components.outputs` (annotations the SDK
  does not re-read at registration).
- **Secrets**: the inference has no secret flag; outputs in ``SECRET_OUTPUTS`` and the inputs in
  :data:`SECRET_INPUTS` are marked ``secret: true``.
- **Resource references**: a field typed ``CertificateBundle`` is ``$ref`` to this package's
  ``CertificateBundle`` resource (the inference would look for it in another package). The reference
  arrives as a URN; :class:`LiveComponents` hands the component the ``CertificateBundle`` this provider
  process constructed under that URN (it was constructed by the same provider before the reference
  could exist), with every plain attribute the Python component reads at construction.
- **Values from other languages**: numbers arrive as floats and objects as maps;
  :func:`build_args` turns them into the Args dataclasses (whole floats into ``int`` where the field
  is an ``int``, maps into the nested dataclasses) and the component validates them as in Python,
  with the same errors.
- **State**: the outputs are exactly what the component passes to ``register_outputs``, renamed to
  the schema's camelCase (nested objects included).
"""

import dataclasses
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Optional, Union

import pulumi
from pulumi.provider.experimental.analyzer import PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from .components import outputs
from .components.aci.args import RegistryCredential, SecureAciServiceArgs
from .components.aci.service import SecureAciService
from .components.aks.args import SecureAksClusterArgs
from .components.aks.cluster import SecureAksCluster
from .components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from .components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs
from .errors import ConfigurationError
from .facts import PACKAGE, TYPE_PREFIX, version

__all__ = [
    "COMPONENTS",
    "SECRET_INPUTS",
    "LiveComponents",
    "SecureScoringProvider",
    "args_view",
    "build_args",
    "hosted_components",
    "main",
    "schema",
]

COMPONENTS: tuple[tuple[type[pulumi.ComponentResource], type, type], ...] = (
    (CertificateBundle, CertificateBundleArgs, outputs.CertificateBundleOutputs),
    (SecureAciService, SecureAciServiceArgs, outputs.SecureAciServiceOutputs),
    (SecureAksCluster, SecureAksClusterArgs, outputs.SecureAksClusterOutputs),
    (DnsRecordBinding, DnsRecordBindingArgs, outputs.DnsRecordBindingOutputs),
)
"""Each hosted component with its Args dataclass and its outputs mixin."""

SECRET_INPUTS: dict[type, tuple[str, ...]] = {
    CertificateBundleArgs: ("key_pem",),
    RegistryCredential: ("password",),
    SecureAciServiceArgs: ("secure_environment_variables",),
}
"""Inputs the components wrap with ``pulumi.Output.secret``: ``secret: true`` in the schema."""

# names the Args modules only import for type checkers; get_type_hints needs them (and the names
# pulumi.Input's own annotation refers to)
_TYPE_NAMES: dict[str, Any] = {
    "CertificateBundle": CertificateBundle,
    "Output": pulumi.Output,
    "T": type(None),
}
_RESOURCE_REF = "#/resources/" + TYPE_PREFIX
_NONE = type(None)
_DOC_BULLET = re.compile(r"^\s*- ``([a-z_]+)``(?: / ``([a-z_]+)``)?: (.*)$")


# -- the Args as the schema inference reads them -------------------------------------------------------


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, localns=_TYPE_NAMES)


def _is_union(t: Any) -> bool:
    return typing.get_origin(t) in (Union, types.UnionType)


def _is_input(t: Any) -> bool:
    """``pulumi.Input[X]`` (``X | Awaitable[X] | Output[X]``), maybe with ``None``."""
    return _is_union(t) and any(typing.get_origin(a) is pulumi.Output for a in typing.get_args(t))


def _input_of(t: Any) -> Any:
    for a in typing.get_args(t):
        if typing.get_origin(a) is Awaitable:
            return typing.get_args(a)[0]
    raise TypeError(t)  # pragma: no cover - _is_input checked


def _optional_of(t: Any) -> Any:
    """``X`` for ``X | None``, else ``t``."""
    if _is_union(t):
        args = [a for a in typing.get_args(t) if a is not _NONE]
        if len(args) == 1:
            return args[0]
    return t


def _resource_class(t: Any) -> Optional[type]:
    return t if isinstance(t, type) and issubclass(t, pulumi.Resource) else None


class _Views:
    """One view per Args dataclass (nested ones included), and the resource-reference fields."""

    def __init__(self) -> None:
        self.views: dict[type, type] = {}
        self.resource_refs: dict[tuple[str, str], str] = {}  # (view name, field) -> component class

    def view(self, cls: type) -> type:
        if cls in self.views:
            return self.views[cls]
        hints = _hints(cls)
        annotations: dict[str, Any] = {}
        view = type(cls.__name__, (), {"__doc__": cls.__doc__, "__module__": cls.__module__})
        view.__qualname__ = cls.__qualname__
        self.views[cls] = view
        for f in dataclasses.fields(cls):
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            t = self.schema_type(hints[f.name], cls.__name__, f.name)
            annotations[f.name] = t if required else Optional[t]
        view.__annotations__ = annotations
        return view

    def schema_type(self, t: Any, owner: str, field: str) -> Any:
        if _is_input(t):
            inner = self.schema_type(_input_of(t), owner, field)
            return pulumi.Input[inner]  # type: ignore[valid-type]
        if _is_union(t):
            args = [a for a in typing.get_args(t) if a is not _NONE]
            if len(args) == 1:
                return Optional[self.schema_type(args[0], owner, field)]
            return Any  # int | str: the schema has no unions
        if _resource_class(t):
            self.resource_refs[(owner, field)] = t.__name__
            return Any  # replaced by a $ref to the resource in the schema
        origin = typing.get_origin(t)
        if origin in (Sequence, list, tuple):
            return list[self.schema_type(typing.get_args(t)[0], owner, field)]  # type: ignore[misc]
        if origin in (Mapping, dict):
            key, value = typing.get_args(t)
            return dict[key, self.schema_type(value, owner, field)]  # type: ignore[misc,valid-type]
        if dataclasses.is_dataclass(t):
            return self.view(t)  # type: ignore[arg-type]
        return t


def args_view(args_cls: type) -> type:
    """The class the schema inference reads for ``args_cls`` (see the module docstring)."""
    return _Views().view(args_cls)


# -- inputs from the wire into the Args dataclasses -------------------------------------------------


def _coerce(t: Any, value: Any, where: str) -> Any:
    resource = _resource_class(_optional_of(t))
    if resource is not None and value is not None and not isinstance(value, resource):
        # a URN (or an output of one) that this provider process did not construct
        shown = f" {value}" if isinstance(value, str) else ""
        raise ConfigurationError(
            where,
            f"the resource reference{shown} is not a {resource.__name__} of this program",
            f"pass a {resource.__name__} created in the same program (a {PACKAGE} resource)",
        )
    if value is None or isinstance(value, pulumi.Output):
        return value
    if _is_input(t):
        return _coerce(_input_of(t), value, where)
    if _is_union(t):
        args = [a for a in typing.get_args(t) if a is not _NONE]
        if len(args) == 1:
            return _coerce(args[0], value, where)
        return _whole(value) if int in args else value
    origin = typing.get_origin(t)
    if origin in (Sequence, list, tuple) and isinstance(value, list):
        (item,) = typing.get_args(t)
        return [_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin in (Mapping, dict) and isinstance(value, dict):
        _, item = typing.get_args(t)
        return {k: _coerce(item, v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(t) and isinstance(value, dict):
        return build_args(t, value, where)  # type: ignore[arg-type]
    if t is int:
        return _whole(value)
    return value


def _whole(value: Any) -> Any:
    """A float that holds a whole number becomes an int (other languages send numbers as floats);
    anything else is left for the component to judge, with its own error."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def build_args(args_cls: type, values: Mapping[str, Any], where: str = "args") -> Any:
    """``args_cls(**values)`` for values that arrived from another language (Python names)."""
    hints = _hints(args_cls)
    return args_cls(**{k: _coerce(hints[k], v, f"{where}.{k}") for k, v in values.items()})


# -- the hosted classes -------------------------------------------------------------------------------


def _hosted(component: type, args_cls: type, outputs_cls: type, view: type) -> type:
    """``component`` as the provider hosts it: same name (so the same type token), the outputs mixin
    for the schema, args built from the wire's map, and the registered outputs kept for the state."""

    def __init__(self, name: str, args: view, opts: Optional[pulumi.ResourceOptions] = None) -> None:  # type: ignore[valid-type]
        component.__init__(self, name, build_args(args_cls, args), opts)

    def register_outputs(self, outputs: Mapping[str, Any]) -> None:
        self.registered_outputs = dict(outputs)
        component.register_outputs(self, outputs)

    # the annotations the schema inference reads: set here, never evaluated by the SDK elsewhere
    __init__.__annotations__ = {"name": str, "args": view, "opts": Optional[pulumi.ResourceOptions]}
    return type(
        component.__name__,
        (outputs_cls, component),
        {
            "__init__": __init__,
            "register_outputs": register_outputs,
            "__doc__": component.__doc__,
            "__module__": __name__,
            "__qualname__": component.__qualname__,
        },
    )


def hosted_components() -> tuple[list[type], _Views]:
    views = _Views()
    hosted = [
        _hosted(component, args_cls, outputs_cls, views.view(args_cls))
        for component, args_cls, outputs_cls in COMPONENTS
    ]
    return hosted, views


class LiveComponents(pulumi.runtime.ResourceModule):
    """Resolves a reference to one of this package's components to the instance this provider
    process constructed under that URN (a plain URN string when there is none)."""

    _registered: Optional["LiveComponents"] = None

    def __init__(self) -> None:
        self.instances: dict[str, pulumi.Resource] = {}

    @classmethod
    def registered(cls) -> "LiveComponents":
        """The one instance registered for ``secure-scoring:index`` in this process (the SDK allows one)."""
        if cls._registered is None:
            cls._registered = cls()
            pulumi.runtime.register_resource_module(PACKAGE, "index", cls._registered)
        return cls._registered

    def version(self) -> Optional[str]:
        return None

    def construct(self, name: str, typ: str, urn: str) -> Any:
        return self.instances.get(urn, urn)


class SecureScoringProvider(ComponentProvider):
    """The component provider of the four components (see the module docstring)."""

    def __init__(self) -> None:
        hosted, self.views = hosted_components()
        self.live = LiveComponents.registered()
        super().__init__(hosted, PACKAGE, None, version())
        self.schema = json.dumps(self._complete(json.loads(self.schema)))
        self._leave_integers_to_build_args()

    def _leave_integers_to_build_args(self) -> None:
        """The SDK's input mapping calls ``int()`` on integer inputs (a TypeError for an Output, a
        silent truncation of 2.5); once the schema is made, integers are mapped as numbers and
        :func:`build_args` converts whole floats, leaving the rest to the component's own checks."""

        def walk(prop: Optional[PropertyDefinition]) -> None:
            if prop is None:
                return
            if prop.type == PropertyType.INTEGER:
                prop.type = PropertyType.NUMBER
            walk(prop.items)
            walk(prop.additional_properties)

        for definition in self._component_defs.values():
            for prop in definition.inputs.values():
                walk(prop)
        for type_def in self._type_defs.values():
            for prop in type_def.properties.values():
                walk(prop)

    # -- schema ----------------------------------------------------------------------------------
    def _complete(self, spec: dict[str, Any]) -> dict[str, Any]:
        spec["description"] = (
            "Azure ML scoring endpoints with TLS, a DNS name that matches the certificate and exactly "
            "one authentication mode, on ACI and AKS."
        )
        spec["keywords"] = ["azure", "machine-learning", "tls", "category/cloud", "kind/component"]
        spec["license"] = "Apache-2.0"
        for component, args_cls, outputs_cls in COMPONENTS:
            resource = spec["resources"][TYPE_PREFIX + component.__name__]
            self._describe(resource["inputProperties"], args_cls)
            self._describe(resource["properties"], outputs_cls)
            for output in outputs_cls.SECRET_OUTPUTS:  # type: ignore[attr-defined]
                resource["properties"][camel_case(output)]["secret"] = True
            self._complete_inputs(resource["inputProperties"], args_cls)
        for cls in self.views.views:
            typ = spec["types"].get(TYPE_PREFIX + cls.__name__)
            if typ is not None:  # a nested Args dataclass (the components' own are no types)
                self._describe(typ["properties"], cls)
                self._complete_inputs(typ["properties"], cls)
        _tidy_descriptions(spec)
        return spec

    def _complete_inputs(self, props: dict[str, Any], args_cls: type) -> None:
        for field in SECRET_INPUTS.get(args_cls, ()):
            props[camel_case(field)]["secret"] = True
        for (owner, field), target in self.views.resource_refs.items():
            if owner == args_cls.__name__:
                prop = props[camel_case(field)]
                prop.pop("$ref", None)
                prop.pop("plain", None)
                prop["$ref"] = _RESOURCE_REF + target

    def _describe(self, props: dict[str, Any], cls: type) -> None:
        """Descriptions the inference did not find: attribute docstrings along the MRO (outputs
        mixins), then ``- ``field``: text`` bullets of the class docstrings."""
        bullets = _docstring_bullets(cls)
        for name, prop in props.items():
            if prop.get("description"):
                continue
            py = _snake(name)
            text = next(
                (d for k in type.mro(cls) if (d := self.analyzer.get_docstring(k, py))),
                bullets.get(py),
            )
            if text:
                prop["description"] = _dedent(text)

    # -- construct -------------------------------------------------------------------------------
    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: Optional[pulumi.ResourceOptions] = None,
    ) -> ConstructResult:
        self.validate_resource_type(self._name, resource_type)
        component_name = resource_type.rsplit(":", maxsplit=1)[-1]
        constructor = self._components[component_name]
        component_def = self._component_defs[component_name]
        mapped = self.map_inputs(inputs, component_def)
        try:
            instance = constructor(name, mapped, options)  # type: ignore[call-arg]
        except Exception as e:  # noqa: BLE001 - reported to the engine as the component's error
            raise ComponentInitError(e) from e
        instance.urn.apply(lambda urn: self.live.instances.__setitem__(urn, instance))
        return ConstructResult(instance.urn, self.state(instance, component_def.outputs))

    def state(self, instance: Any, props: Mapping[str, PropertyDefinition]) -> dict[str, Any]:
        registered = getattr(instance, "registered_outputs", {})
        state: dict[str, Any] = {}
        for schema_name, prop in props.items():
            value = registered.get(_snake(schema_name))
            if value is not None:
                state[schema_name] = self._wire(value, prop)
        return state

    def _wire(self, value: Any, prop: PropertyDefinition) -> Any:
        """A registered output with the schema's names (objects nested in lists and maps too)."""
        if isinstance(value, pulumi.Output):
            return value.apply(lambda v: self._wire(v, prop))
        if value is None:
            return None
        if prop.ref and isinstance(value, Mapping):
            type_def = self.get_type_definition(prop)
            if type_def is not None and not type_def.enum:
                return {
                    schema_name: self._wire(value.get(py), type_def.properties[schema_name])
                    for schema_name, py in type_def.properties_mapping.items()
                    if value.get(py) is not None
                }
        if prop.items and isinstance(value, list | tuple):
            return [self._wire(v, prop.items) for v in value]
        if prop.additional_properties and isinstance(value, Mapping):
            return {k: self._wire(v, prop.additional_properties) for k, v in value.items()}
        return value


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _dedent(text: str) -> str:
    return inspect.cleandoc(text)


def _tidy_descriptions(node: Any) -> None:
    """Docstring indentation removed; no copy of a property's description on its items or values."""
    if not isinstance(node, dict):
        return
    if isinstance(node.get("description"), str):
        node["description"] = _dedent(node["description"])
    for key, value in node.items():
        if key in ("items", "additionalProperties") and isinstance(value, dict):
            value.pop("description", None)
        if isinstance(value, dict):
            _tidy_descriptions(value)


def _docstring_bullets(cls: type) -> dict[str, str]:
    """``- ``field``: text`` (and ``- ``a`` / ``b``: text``) items of a class docstring."""
    found: dict[str, str] = {}
    names: list[str] = []
    text: list[str] = []
    for line in [*(cls.__doc__ or "").splitlines(), ""]:
        m = _DOC_BULLET.match(line)
        if names and (m or not line.strip() or line.lstrip().startswith("- ")):
            found.update(dict.fromkeys(names, " ".join(text)))
            names, text = [], []
        if m:
            names, text = [g for g in m.group(1, 2) if g], [m.group(3)]
        elif names:
            text.append(line.strip())
    return found


def schema() -> dict[str, Any]:
    """The package schema, as ``GetSchema`` returns it."""
    return json.loads(SecureScoringProvider().schema)


def main(argv: Optional[list[str]] = None) -> None:
    """Serve the provider: ``python <repo> <engine address>`` as the Pulumi CLI's language host runs it
    (it reads the port from the first line of stdout)."""
    from pulumi.provider import main as serve

    serve(SecureScoringProvider(), list(sys.argv[1:] if argv is None else argv))
