"""The ``secure-scoring`` policy pack: the rules of :mod:`secure_scoring.policy.catalogue` wired into ``pulumi_policy``.

Two ways in:

1. **The real engine** (``pulumi preview --policy-pack policies``): ``policies/__main__.py`` calls
   ``PolicyPack(name=PACK_NAME, policies=build_policies(), ...)``. :func:`build_policies` with no
   arguments reads the stack and its config from the Pulumi runtime (``pulumi.get_stack()``,
   ``PULUMI_CONFIG``), which the CLI sets before it starts the pack.

2. **In process, without gRPC or the CLI** (the offline gate ``secure-scoring check`` and the tests)::

       from secure_scoring.policy.pack import evaluate, Diagnostic, has_mandatory

       diagnostics: list[Diagnostic] = evaluate(
           resources,                 # list of dicts or mocking.RecordedResource (see below)
           stack="production",        # the stack name (None/"stack" = unknown: fail closed)
           project="my-project",
           config={"secure-scoring:environment": "production"},  # stack config, full keys
           policy_config={"cert-expiry": {"minDays": 45}, "all": "mandatory"},  # --policy-pack-config
           stack_tags={"team": "ml"},
           now=None,                  # datetime for certificate expiry (default: now)
       )
       exit_code = 1 if has_mandatory(diagnostics) else 0

   A resource is a ``Mapping`` with ``type``, ``name``, ``urn``, ``props`` (the wire-form *inputs*:
   camelCase, secret envelopes and unknown sentinels as the engine sends them; ``wire_inputs`` is
   accepted too), optional ``outputs`` (what stack rules see: a component's registered outputs, a
   custom resource's state), ``parent`` (URN), ``custom`` (bool) and ``dependencies``; or a
   :class:`secure_scoring.gate.mocking.RecordedResource` (its ``wire_inputs``, ``state`` and
   ``outputs`` are used). When ``outputs`` is missing, a custom resource's stack view is its inputs
   and a component's is empty, as in the engine.

   :func:`evaluate` goes through pulumi_policy's own analyzer servicer (the code the gRPC server
   runs): ``GetAnalyzerInfo`` → the CLI's config merge (schema defaults → initial config → user
   config, ``"all"`` first; explicit enforcement levels always sent, so nothing is silently
   downgraded to advisory) → ``Configure`` → ``ConfigureStack`` → ``Analyze`` for every resource
   a resource rule judges (props wrapped by ``unknown_checking_proxy``; for other types every
   resource policy answers ``not_applicable``, so they are not sent) → one ``AnalyzeStack`` with
   the resources the stack rules read. It returns one
   :class:`Diagnostic` per finding, in that order. Invalid ``policy_config`` raises
   :class:`PolicyConfigError` (a :class:`~secure_scoring.errors.SecureScoringError`).

Enforcement levels: every rule is mandatory, except the production-only rules
(``no-self-signed-in-production``, ``auth-required``), which are advisory in a stack *known* not to
be production and mandatory in production and when the stack name is unknown (Pulumi's ``"stack"``
placeholder: fail closed). The level is decided when the pack starts, from the stack name and the
stack config (``secure-scoring:environment``, ``secure-scoring:productionStacks``), because the
engine asks for the levels (GetAnalyzerInfo) before it sends any policy config. A policy config can
still set any rule's level explicitly (``"auth-required": "mandatory"``, ``"all": "advisory"``).

Unknown values: a rule that could not judge something (preview) reports ``could not judge: ...``
through pulumi_policy's unknown-value path, so it is always **advisory** and never blocks.

Messages never contain property values (secrets reach policies in plaintext): field names,
hostnames, port numbers and resource names only. Each message ends with ``Fix: <remediation>``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import SecureScoringError
from ..facts import (
    ADVISORY,
    CONFIG_NAMESPACE,
    DISABLED,
    ENFORCEMENT_LEVELS,
    MANDATORY,
    PACKAGE,
    REMEDIATE,
    version,
)
from .catalogue import RESOURCE_TYPES, RULES, RULES_BY_NAME, STACK_TYPES, resource_rules_for
from .model import Rule, RuleContext, RuleViolation, StackResource, enforcement_for
from .types import canonical_type

PACK_NAME = PACKAGE
PACK_VERSION = version()
"""The distribution's version (pyproject.toml); policies/PulumiPolicy.yaml repeats it for the CLI (a test
checks that they agree)."""
PACK_DESCRIPTION = (
    "Azure ML scoring endpoints: TLS on, no self-signed certificates in production, exactly one "
    "authentication mode, certificates that cover the DNS names and do not expire soon."
)

_COULD_NOT_JUDGE = "could not judge: "


class PolicyConfigError(SecureScoringError):
    """A policy configuration that the pack (or the Pulumi CLI) would refuse."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding of the pack for one resource (or the whole stack: ``urn`` of the stack, type
    ``pulumi:pulumi:Stack``).

    ``enforcement`` is ``"mandatory"`` or ``"advisory"``; ``judged`` is False for *could not judge*
    notes (unknown values during preview; always advisory). ``message`` is the rule's text without
    the description prefix the servicer adds; ``remediation`` is the rule's fix.
    """

    rule: str
    enforcement: str
    urn: str
    resource_type: str
    name: str
    message: str
    remediation: str
    severity: str
    description: str = ""
    judged: bool = True
    stage: str = "resource"  # "resource" (Analyze) | "stack" (AnalyzeStack)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "resource_type": self.resource_type,
            "name": self.name,
            "message": self.message,
            "remediation": self.remediation,
            "severity": self.severity,
            "description": self.description,
            "judged": self.judged,
            "stage": self.stage,
        }


def has_mandatory(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.enforcement == MANDATORY for d in diagnostics)


# --------------------------------------------------------------------------------------------- context
def runtime_context() -> tuple[str | None, dict[str, Any]]:
    """The stack name and stack config of the running pack, from the Pulumi runtime (env vars the
    CLI sets: ``PULUMI_STACK``, ``PULUMI_CONFIG``)."""
    import pulumi
    import pulumi.runtime

    try:
        stack = pulumi.get_stack()
    except Exception:  # noqa: BLE001 - no runtime settings: the stack is unknown
        stack = None
    if stack in (None, "", "stack"):
        # started as `python policies/__main__.py` (not through `python -m pulumi.policy`, which
        # configures the runtime from these variables): read them directly
        stack = os.environ.get("PULUMI_STACK") or stack
    config: dict[str, Any] = {}
    with contextlib.suppress(Exception):  # malformed PULUMI_CONFIG: treat as empty
        config.update(pulumi.runtime.get_config_env())
    ns = pulumi.Config(CONFIG_NAMESPACE)
    for key in ("environment", "productionStacks", "productionStackPatterns"):
        full = f"{CONFIG_NAMESPACE}:{key}"
        if full not in config:
            try:
                value = ns.get(key)
            except Exception:  # noqa: BLE001
                value = None
            if value is not None:
                config[full] = value
    return stack, config


def _context(stack: str | None, config: Mapping[str, Any] | None, now: datetime | None) -> RuleContext:
    return RuleContext(stack=stack, stack_config=dict(config or {}), now=now)


def enforcement_levels(stack: str | None, config: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Each rule's default level for this stack (before any policy config)."""
    ctx = _context(stack, config, None)
    return {r.name: enforcement_for(r, ctx) for r in RULES}


# --------------------------------------------------------------------------------------------- policies
def _message(rule: Rule, violation: RuleViolation) -> str:
    return f"{violation.message}. Fix: {rule.remediation}"


def _internal_error(rule: Rule, exc: BaseException) -> RuleViolation:
    # only the exception type: its text could quote a property value (secrets arrive in plaintext)
    return RuleViolation(
        rule.name,
        f"the rule failed on this input ({type(exc).__name__}) and cannot confirm it is safe; "
        "please report it to the secure-scoring maintainers",
        urn="",
    )


def _could_not_judge_error(notes: Sequence[str]):
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

    class CouldNotJudge(UnknownValueError):
        """Makes the servicer report an ADVISORY diagnostic (unknowns never block)."""

        def __init__(self, text: str) -> None:
            super().__init__(UNKNOWN_STRING_VALUE, [])
            self.message = text

    return CouldNotJudge("; ".join(dict.fromkeys(notes)))


def build_policies(
    stack: str | None = None,
    config: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    from_runtime: bool | None = None,
) -> list[Any]:
    """The pack's ``pulumi_policy`` policies, one per rule, with enforcement levels for the stack.

    With no ``stack`` and no ``config`` (or ``from_runtime=True``) the stack and config come from
    the Pulumi runtime, as inside ``pulumi preview --policy-pack``.
    """
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        Severity,
        StackValidationPolicy,
    )

    if from_runtime or (from_runtime is None and stack is None and config is None):
        stack, config = runtime_context()
    base = _context(stack, config, now)
    levels = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}
    severities = {
        "low": Severity.LOW,
        "medium": Severity.MEDIUM,
        "high": Severity.HIGH,
        "critical": Severity.CRITICAL,
    }
    policies: list[Any] = []
    for rule in RULES:
        schema = (
            PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config_schema.items()})
            if rule.config_schema
            else None
        )
        common = {
            "name": rule.name,
            "description": rule.description,
            "enforcement_level": levels[enforcement_for(rule, base)],
            "config_schema": schema,
            "severity": severities[rule.severity],
            "remediation_steps": rule.remediation,
            "url": rule.url,
            "tags": ["security", "azure-ml", "tls" if "tls" in rule.name or "cert" in rule.name else "auth"],
        }
        if rule.kind == "resource":
            policies.append(ResourceValidationPolicy(validate=_resource_validator(rule, base), **common))
        else:
            policies.append(StackValidationPolicy(validate=_stack_validator(rule, base), **common))
    return policies


def _resource_validator(rule: Rule, base: RuleContext):
    types = frozenset(rule.resource_types)

    def validate(args, report_violation) -> None:
        resource_type = canonical_type(args.resource_type)
        if resource_type not in types:
            args.not_applicable(f"{rule.name} does not judge {args.resource_type}")
        ctx = base.for_rule(rule, args.get_config(), getattr(args, "urn", None))
        try:
            findings = rule.check(resource_type, args.props, ctx)
        except Exception as exc:  # noqa: BLE001 - a rule bug must not pass a resource (fail closed)
            findings = [_internal_error(rule, exc)]
        _report(rule, findings, report_violation, stack=False)

    validate.__name__ = f"validate_{rule.name.replace('-', '_')}"
    return validate


def _report(rule: Rule, findings, report_violation, *, stack: bool) -> None:
    """Report the judged findings as violations (a stack policy names the resource's URN); the
    findings that could not judge are raised together, so the servicer reports them as advisory."""
    notes = []
    for v in findings:
        if v.judged:
            report_violation(_message(rule, v), (v.urn or None) if stack else None)
        else:
            notes.append(v.message)
    if notes:
        raise _could_not_judge_error(notes)


def _stack_validator(rule: Rule, base: RuleContext):
    def validate(args, report_violation) -> None:
        ctx = base.for_rule(rule, args.get_config())
        resources = [
            StackResource(
                type=canonical_type(r.resource_type),
                name=r.name,
                urn=r.urn,
                props=r.props,
                parent=r.parent.urn if r.parent is not None else None,
            )
            for r in args.resources
        ]
        try:
            findings = rule.check(resources, ctx)
        except Exception as exc:  # noqa: BLE001 - a rule bug must not pass the stack (fail closed)
            findings = [_internal_error(rule, exc)]
        _report(rule, findings, report_violation, stack=True)

    validate.__name__ = f"validate_{rule.name.replace('-', '_')}"
    return validate


# --------------------------------------------------------------------------------------------- config merge
def _normalize_entry(name: str, value: Any) -> tuple[str | None, dict[str, Any]]:
    if isinstance(value, str):
        level, props = value, {}
    elif isinstance(value, Mapping):
        props = dict(value)
        level = props.pop("enforcementLevel", None)
    else:
        raise PolicyConfigError(
            f"policy config '{name}'",
            f"is a {type(value).__name__}; it must be an enforcement level or an object",
            'write e.g. "advisory" or {"enforcementLevel": "mandatory", "minDays": 45}',
        )
    if level is not None and level not in ENFORCEMENT_LEVELS:
        raise PolicyConfigError(
            f"policy config '{name}'",
            f"enforcement level {level!r} is not one of {', '.join(ENFORCEMENT_LEVELS)}",
            "use advisory, mandatory or disabled",
        )
    return level, props


def _check_type(expected: str, value: Any) -> bool:
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, Mapping)
    return True


def _validate_props(
    name: str, schema: Mapping[str, Mapping[str, Any]], props: Mapping[str, Any]
) -> list[str]:
    errors: list[str] = []
    for key, value in props.items():
        spec = schema.get(key)
        if spec is None:
            continue  # JSON schema without additionalProperties: false accepts unknown keys
        typ = spec.get("type")
        if typ and not _check_type(typ, value):
            errors.append(f"{name}: {key}: Invalid type. Expected: {typ}")
            continue
        if "enum" in spec and value not in spec["enum"]:
            errors.append(f"{name}: {key} must be one of {', '.join(map(str, spec['enum']))}")
        if "minimum" in spec and isinstance(value, (int, float)) and value < spec["minimum"]:
            errors.append(f"{name}: {key} must be greater than or equal to {spec['minimum']}")
        items = spec.get("items", {}).get("type") if typ == "array" else None
        if items and isinstance(value, list) and not all(_check_type(items, v) for v in value):
            errors.append(f"{name}: {key}: every item must be a {items}")
    return errors


def reconcile_config(
    info_levels: Mapping[str, str],
    schemas: Mapping[str, Mapping[str, Mapping[str, Any]]],
    initial_config: Mapping[str, Any] | None = None,
    user_config: Mapping[str, Any] | None = None,
) -> dict[str, tuple[str, dict[str, Any]]]:
    """The Pulumi CLI's ``ReconcilePolicyPackConfig``: schema defaults and the levels from
    GetAnalyzerInfo, then the pack's initial config, then the user's config; in each layer
    ``"all"`` sets every level first. Returns ``{policy: (level, properties)}``; raises
    :class:`PolicyConfigError` on invalid values or unknown policy names."""
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, level in info_levels.items():
        defaults = {k: v["default"] for k, v in schemas.get(name, {}).items() if "default" in v}
        result[name] = (level, defaults)
    for layer in (initial_config, user_config):
        if not layer:
            continue
        unknown = [k for k in layer if k != "all" and k not in result]
        if unknown:
            raise PolicyConfigError(
                "policy config",
                f"names {', '.join(sorted(unknown))}, which the pack does not have",
                f"use one of: all, {', '.join(result)}",
            )
        if "all" in layer:
            all_level, _ = _normalize_entry("all", layer["all"])
            if all_level is not None:
                result = {k: (all_level, props) for k, (_, props) in result.items()}
        for name, value in layer.items():
            if name == "all":
                continue
            level, props = _normalize_entry(name, value)
            cur_level, cur_props = result[name]
            merged = dict(cur_props)
            merged.update(props)
            result[name] = (level or cur_level, merged)
    errors: list[str] = []
    for name, (_, props) in result.items():
        errors.extend(_validate_props(name, schemas.get(name, {}), props))
    if errors:
        raise PolicyConfigError(
            "policy config", "; ".join(errors), "fix the values to match each rule's config schema"
        )
    return result


def load_policy_config(path: str) -> dict[str, Any]:
    """Read a ``--policy-pack-config`` JSON file."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise PolicyConfigError(
            path, f"cannot be read ({exc.strerror})", "pass an existing JSON file"
        ) from exc
    except ValueError as exc:
        raise PolicyConfigError(
            path, f"is not valid JSON ({exc})", "write a JSON object of rule names"
        ) from exc
    if not isinstance(data, dict):
        raise PolicyConfigError(path, "is not a JSON object", 'write e.g. {"cert-expiry": {"minDays": 45}}')
    return data


# --------------------------------------------------------------------------------------------- evaluate
@dataclass
class _Res:
    type: str
    name: str
    urn: str
    props: dict[str, Any]
    outputs: dict[str, Any] | None
    parent: str | None
    custom: bool
    dependencies: list[str] = field(default_factory=list)

    def stack_view(self) -> dict[str, Any]:
        if self.outputs is not None:
            return self.outputs
        return self.props if self.custom else {}


def _normalize_resource(obj: Any) -> _Res:
    if isinstance(obj, Mapping):
        get = obj.get
    else:

        def get(key: str, default: Any = None) -> Any:
            return getattr(obj, key, default)

    props = get("props")
    if props is None:
        props = get("wire_inputs")
    custom = get("custom")
    outputs = get("outputs")
    if outputs is None and not isinstance(obj, Mapping):
        state = get("state")
        if custom and state:
            outputs = state
    urn = str(get("urn") or "")
    typ = str(get("type") or "")
    if custom is None:
        custom = not typ.startswith(PACKAGE + ":")
    return _Res(
        type=typ,
        name=str(get("name") or urn.rsplit("::", 1)[-1]),
        urn=urn,
        props=dict(props or {}),
        outputs=dict(outputs) if outputs is not None else None,
        parent=get("parent") or None,
        custom=bool(custom),
        dependencies=list(get("dependencies") or []),
    )


def _struct(value: Mapping[str, Any]):
    from google.protobuf import struct_pb2

    out = struct_pb2.Struct()
    out.update(_jsonable(value))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)


def _level_name(proto_level: int) -> str:
    from pulumi.runtime.proto import analyzer_pb2 as pb

    return {
        pb.ADVISORY: ADVISORY,
        pb.MANDATORY: MANDATORY,
        pb.REMEDIATE: MANDATORY,
        pb.DISABLED: DISABLED,
    }.get(proto_level, ADVISORY)


def diagnostic_from_proto(d: Any, *, urn: str, resource_type: str, name: str, stage: str) -> Diagnostic:
    """A :class:`Diagnostic` from an ``AnalyzeDiagnostic`` (also used by the gRPC test)."""
    rule = RULES_BY_NAME.get(d.policyName)
    message = d.message
    if d.description and message.startswith(d.description):
        message = message[len(d.description) :].lstrip("\n")
    judged = True
    marker = "during preview: "
    if message.startswith("can't run policy") and marker in message:
        message = message.split(marker, 1)[1]
        judged = False
    return Diagnostic(
        rule=d.policyName,
        enforcement=_level_name(d.enforcementLevel),
        urn=urn,
        resource_type=resource_type,
        name=name,
        message=message,
        remediation=rule.remediation if rule else "",
        severity=rule.severity if rule else "",
        description=d.description,
        judged=judged,
        stage=stage,
    )


def analyzer_requests(resources: Sequence[Any], *, only_judged: bool = False) -> tuple[list[Any], Any]:
    """The ``AnalyzeRequest`` per resource and the ``AnalyzeStackRequest`` the engine would send
    for ``resources`` (same input forms as :func:`evaluate`).

    ``only_judged=True`` leaves out what no rule reads: resources of types no resource rule judges
    (every resource policy would answer ``not_applicable``) and, from the stack request, types no
    stack rule reads. The diagnostics are the same; the servicer converts far fewer properties.
    """
    from pulumi.runtime.proto import analyzer_pb2 as pb

    res = [_normalize_resource(r) for r in resources]
    stack_res = res
    if only_judged:
        stack_res = [r for r in res if canonical_type(r.type) in STACK_TYPES]
        res = [r for r in res if canonical_type(r.type) in RESOURCE_TYPES]
    requests = [
        pb.AnalyzeRequest(
            type=r.type,
            properties=_struct(r.props),
            urn=r.urn,
            name=r.name,
            options=pb.AnalyzerResourceOptions(parent=r.parent or ""),
        )
        for r in res
    ]
    stack_request = pb.AnalyzeStackRequest(
        resources=[
            pb.AnalyzerResource(
                type=r.type,
                properties=_struct(r.stack_view()),
                urn=r.urn,
                name=r.name,
                options=pb.AnalyzerResourceOptions(parent=r.parent or ""),
                parent=r.parent or "",
                dependencies=r.dependencies,
            )
            for r in stack_res
        ]
    )
    return requests, stack_request


def configure_request(
    info: Any, user_config: Mapping[str, Any] | None = None, initial_config: Mapping[str, Any] | None = None
) -> Any:
    """The ``ConfigureAnalyzerRequest`` the CLI would send after ``GetAnalyzerInfo`` returned
    ``info``: every policy with an explicit enforcement level and its merged properties."""
    from google.protobuf import json_format
    from pulumi.runtime.proto import analyzer_pb2 as pb

    to_name = {pb.ADVISORY: ADVISORY, pb.MANDATORY: MANDATORY, pb.REMEDIATE: REMEDIATE, pb.DISABLED: DISABLED}
    to_proto = {
        ADVISORY: pb.ADVISORY,
        MANDATORY: pb.MANDATORY,
        REMEDIATE: pb.REMEDIATE,
        DISABLED: pb.DISABLED,
    }
    levels = {p.name: to_name[p.enforcementLevel] for p in info.policies}
    schemas = {p.name: json_format.MessageToDict(p.configSchema.properties) for p in info.policies}
    initial = dict(initial_config or {})
    for key, cfg in info.initialConfig.items():
        entry = json_format.MessageToDict(cfg.properties)
        if cfg.enforcementLevel is not None:
            entry["enforcementLevel"] = to_name[cfg.enforcementLevel]
        initial.setdefault(key, entry)
    merged = reconcile_config(levels, schemas, initial, user_config)
    request = pb.ConfigureAnalyzerRequest()
    for name, (level, props) in merged.items():
        cfg = pb.PolicyConfig(enforcementLevel=to_proto[level])
        if props:
            cfg.properties.update(_jsonable(props))
        request.policyConfig[name].CopyFrom(cfg)
    return request


def evaluate(
    resources: Sequence[Any],
    *,
    stack: str | None,
    project: str = "project",
    config: Mapping[str, Any] | None = None,
    policy_config: Mapping[str, Any] | None = None,
    stack_tags: Mapping[str, str] | None = None,
    organization: str = "organization",
    dry_run: bool = True,
    now: datetime | None = None,
) -> list[Diagnostic]:
    """Evaluate the pack on ``resources`` in process, through pulumi_policy's analyzer servicer.
    See the module docstring for the resource forms and the steps."""
    import gc

    # Everything alive now (the program's whole recording, often hundreds of MB) outlives the
    # evaluation: keep it out of the collector's scans while the evaluation allocates, or each full
    # collection walks it again and the cost grows with the square of the stack's size.
    gc.freeze()
    try:
        return _evaluate(
            resources,
            stack=stack,
            project=project,
            config=config,
            policy_config=policy_config,
            stack_tags=stack_tags,
            organization=organization,
            dry_run=dry_run,
            now=now,
        )
    finally:
        gc.unfreeze()


def _evaluate(
    resources: Sequence[Any],
    *,
    stack: str | None,
    project: str,
    config: Mapping[str, Any] | None,
    policy_config: Mapping[str, Any] | None,
    stack_tags: Mapping[str, str] | None,
    organization: str,
    dry_run: bool,
    now: datetime | None,
) -> list[Diagnostic]:
    from pulumi.runtime.proto import analyzer_pb2 as pb
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    policies = build_policies(stack, dict(config or {}), now=now, from_runtime=False)
    servicer = _PolicyAnalyzerServicer(
        PACK_NAME, PACK_VERSION, policies, EnforcementLevel.MANDATORY, None, PACK_DESCRIPTION
    )
    info = servicer.GetAnalyzerInfo(None, None)
    servicer.Configure(configure_request(info, policy_config), None)
    servicer.ConfigureStack(
        pb.AnalyzerStackConfigureRequest(
            stack=stack or "",
            project=project,
            organization=organization,
            dry_run=dry_run,
            config={k: v if isinstance(v, str) else json.dumps(v) for k, v in dict(config or {}).items()},
            tags=dict(stack_tags or {}),
        ),
        None,
    )
    normalized = [_normalize_resource(r) for r in resources]
    by_urn = {r.urn: r for r in normalized}
    requests, stack_request = analyzer_requests(normalized_as_dicts(normalized), only_judged=True)
    out: list[Diagnostic] = []
    # The servicer converts a request's properties once per resource policy, also for policies that
    # will answer not_applicable. Each request goes to the policies that judge its type only (the
    # others would add nothing): same diagnostics, far fewer conversions of large props.
    every = servicer._PolicyAnalyzerServicer__policies
    judges: dict[str, list[Any]] = {}
    try:
        for req in requests:
            kind = canonical_type(req.type)
            if kind not in judges:
                names = set(resource_rules_for(kind))
                judges[kind] = [
                    p for p in every if p.name in names or not isinstance(p, ResourceValidationPolicy)
                ]
            servicer._PolicyAnalyzerServicer__policies = judges[kind]
            response = servicer.Analyze(req, None)
            for d in response.diagnostics:
                out.append(
                    diagnostic_from_proto(
                        d, urn=req.urn, resource_type=req.type, name=req.name, stage="resource"
                    )
                )
    finally:
        servicer._PolicyAnalyzerServicer__policies = every
    response = servicer.AnalyzeStack(stack_request, None)
    stack_urn = f"urn:pulumi:{stack or 'stack'}::{project}::pulumi:pulumi:Stack::{project}-{stack or 'stack'}"
    for d in response.diagnostics:
        target = by_urn.get(d.urn)
        if target is None:
            out.append(
                diagnostic_from_proto(
                    d,
                    urn=d.urn or stack_urn,
                    resource_type="pulumi:pulumi:Stack",
                    name=f"{project}-{stack}",
                    stage="stack",
                )
            )
        else:
            out.append(
                diagnostic_from_proto(
                    d, urn=target.urn, resource_type=target.type, name=target.name, stage="stack"
                )
            )
    return out


def normalized_as_dicts(resources: Sequence[_Res]) -> list[dict[str, Any]]:
    return [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "props": r.props,
            "outputs": r.outputs,
            "parent": r.parent,
            "custom": r.custom,
            "dependencies": r.dependencies,
        }
        for r in resources
    ]


def rule_metadata(stack: str | None = None, config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each rule's name, description, remediation, severity, kind, config schema, documentation
    URL and enforcement level (for ``stack``/``config``; without them: the rule's default)."""
    levels = enforcement_levels(stack, config) if (stack is not None or config) else {}
    return [
        {
            "name": r.name,
            "description": r.description,
            "remediation": r.remediation,
            "severity": r.severity,
            "kind": r.kind,
            "enforcement": levels.get(r.name, r.default_enforcement),
            "production_only": r.production_only,
            "config_schema": {k: dict(v) for k, v in r.config_schema.items()},
            "url": r.url,
        }
        for r in RULES
    ]
