"""From the pack's diagnostics to the gate's :class:`~secure_scoring.gate.report.Report`.

Each diagnostic becomes a finding located at the program line that created its resource, under the
URN the Pulumi engine gives the resource; a diagnostic that could not judge a value becomes a note;
a dev certificate found on a component and its children is reported once, at the component.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..facts import DISABLED, MANDATORY
from .acceptance import apply_acceptances
from .evaluation import rule_catalogue
from .locations import Location, resource_location
from .project import Project, StackConfig
from .redaction import redact
from .report import Finding, Note, Report, ResourceInfo, RuleInfo, as_level, as_severity

FOLDED_RULES = ("no-self-signed-in-production", "auth-required", "cert-hostname-match")
"""Rules whose findings on a resource are folded into the same finding on one of our components
that is its ancestor (a dev certificate shows once, at the component that made it)."""


def build_report(
    project: Project,
    config: StackConfig,
    recording: Any,
    diagnostics: Sequence[Any],
    preview: bool = True,
    program_s: float = 0.0,
    policy_s: float = 0.0,
    policy_config: Mapping[str, Any] | None = None,
) -> Report:
    """The report of one run: its resources, findings (sorted: mandatory first, then by location),
    notes and the rules as configured for the stack."""
    from .production import apply_pack_settings, decide, lookalike_warning

    policy_config, config = apply_pack_settings(policy_config, config)
    urns = engine_urns(recording.resources)
    locations = {r.urn: resource_location(r, project) for r in recording.resources}
    decision = decide(config)
    warning = lookalike_warning(decision, config)
    notes = [Note("production", warning)] if warning else []
    notes += _config_notes(config) + _program_warnings(recording)
    catalogue = {r.name: r for r in rule_catalogue(config.stack.split("/")[-1], config.values, policy_config)}
    findings = _findings(diagnostics, recording, project, urns, locations, catalogue, notes)
    findings = fold_into_components(findings, recording.resources, urns)
    findings = fold_into_certificates(findings, recording.resources, urns)
    findings, accepted = apply_acceptances(findings, recording.resources, urns, notes)
    findings.sort(
        key=lambda f: (0 if f.level == MANDATORY else 1, str(f.location.path), f.location.line, f.urn, f.rule)
    )
    return Report(
        project=project.name,
        stack=config.stack,
        program_dir=project.root,
        main_file=project.main_file,
        preview=preview,
        resources=_resource_infos(recording.resources, urns, locations),
        findings=findings,
        notes=notes,
        rules=list(catalogue.values()),
        program_seconds=program_s,
        policy_seconds=policy_s,
        production=decision,
        accepted=accepted,
    )


def refusal_report(
    project: Project,
    config: StackConfig,
    error: Any,
    preview: bool = True,
    program_s: float = 0.0,
    policy_config: Mapping[str, Any] | None = None,
) -> Report:
    """The report of a program that stopped at a component's refusal of what a rule forbids
    (:class:`~secure_scoring.errors.PolicyRefusal`): one mandatory finding of that rule, at the
    program line, whatever the stack (such a program cannot deploy)."""
    from types import SimpleNamespace

    empty = SimpleNamespace(resources=[], logs=[])
    report = build_report(project, config, empty, [], preview, program_s, 0.0, policy_config)
    stack = config.stack.split("/")[-1]
    info = next((r for r in report.rules if r.name == error.rule), None)
    report.findings = [
        Finding(
            rule=error.rule,
            level=MANDATORY,
            severity=info.severity if info else "high",
            urn=f"urn:pulumi:{stack}::{project.name}::pulumi:pulumi:Stack::{project.name}-{stack}",
            resource_type="pulumi:pulumi:Stack",
            resource_name=project.name,
            message=f"a component refused this at construction: {strip_fix(error.message, error.remediation or '')}",
            remediation=error.remediation or (info.remediation if info else ""),
            location=error.location or Location(project.main_file, 1),
        )
    ]
    report.notes.append(
        Note(
            "refusal",
            f"the program stopped at this refusal ({error.kind}); resources declared after it were not judged",
        )
    )
    return report


def engine_urns(resources: Sequence[Any]) -> dict[str, str]:
    """Map each recorded (mock) URN to the URN the Pulumi engine gives the resource.

    Pulumi's mock monitor builds a child's type from its parent's *last* type only, and puts
    ``pulumi:pulumi:Stack`` in front of top-level types
    (``urn:pulumi:dev::proj::pulumi:pulumi:Stack$azure-native:dns:RecordSet::api``). The engine uses
    the parent's whole type chain and leaves the stack out (``urn:pulumi:dev::proj::azure-native:dns:RecordSet::api``;
    ``A$B$C`` for a child of a child of a component). Reports and SARIF fingerprints use the
    engine's form, so they match ``pulumi stack export`` and stay stable if the mocks change."""
    by_urn = {r.urn: r for r in resources}
    chains: dict[str, str] = {}

    def chain(urn: str) -> str:
        if urn in chains:
            return chains[urn]
        res = by_urn[urn]
        parent = res.parent if res.parent in by_urn else None
        chains[urn] = f"{chain(parent)}${res.type}" if parent else res.type
        return chains[urn]

    out = {}
    for r in resources:
        head = "::".join(r.urn.split("::")[:2])  # urn:pulumi:<stack>::<project>
        out[r.urn] = f"{head}::{chain(r.urn)}::{r.name}"
    return out


def _resource_infos(
    resources: Sequence[Any], urns: Mapping[str, str], locations: Mapping[str, Location]
) -> list[ResourceInfo]:
    return [
        ResourceInfo(
            urns[r.urn], r.type, r.name, urns.get(r.parent or "", r.parent), r.custom, locations[r.urn]
        )
        for r in resources
    ]


def _config_notes(config: StackConfig) -> list[Note]:
    notes: list[Note] = [Note("environment", n) for n in config.notes]
    for key in config.undecryptable:
        notes.append(
            Note(
                "secure-config",
                f"could not judge {key}: secure value (not decrypted offline; rules that read it treat it as unknown)",
                key=key,
            )
        )
    return notes


def _program_warnings(recording: Any) -> list[Note]:
    return [Note("program-warning", redact(msg)) for level, msg in recording.logs if level == "warning"]


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, Mapping) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default


def strip_fix(message: str, remediation: str) -> str:
    """The pack ends each message with ``. Fix: <remediation>``; reports show the fix separately."""
    message = message.strip()
    if remediation and message.endswith(f"Fix: {remediation}"):
        message = message[: -len(f"Fix: {remediation}")].rstrip()
    return message


def _findings(
    diagnostics: Sequence[Any],
    recording: Any,
    project: Project,
    urns: Mapping[str, str],
    locations: Mapping[str, Location],
    catalogue: Mapping[str, RuleInfo],
    notes: list[Note],
) -> list[Finding]:
    """One finding per judged diagnostic (disabled ones dropped); the unjudged go to ``notes``."""
    by_urn = {r.urn: r for r in recording.resources}
    findings: list[Finding] = []
    for d in diagnostics:
        rule = str(_get(d, "rule", default="") or "")
        urn = str(_get(d, "urn", default="") or "")
        raw_level = str(_get(d, "enforcement", default="") or "").lower()
        if raw_level == DISABLED:
            continue
        res = by_urn.get(urn)
        info = catalogue.get(rule)
        remediation = str(_get(d, "remediation", default="") or (info.remediation if info else ""))
        message = strip_fix(str(_get(d, "message", default="") or ""), remediation)
        if _get(d, "judged", default=True) is False:
            text = message if message.lower().startswith("could not judge") else f"could not judge: {message}"
            notes.append(Note("unknown-value", f"{rule}: {text}", urn=urns.get(urn, urn) or None))
            continue
        findings.append(
            Finding(
                rule=rule,
                level=as_level(raw_level),
                severity=as_severity(_get(d, "severity", default=None) or (info.severity if info else None)),
                urn=urns.get(urn, urn),
                resource_type=str(
                    _get(d, "resource_type", default="") or (res.type if res else "pulumi:pulumi:Stack")
                ),
                resource_name=str(_get(d, "name", default="") or (res.name if res else project.name)),
                message=message,
                remediation=remediation,
                location=locations.get(urn) or Location(project.main_file, 1),
            )
        )
    return findings


def fold_into_components(
    findings: list[Finding], resources: Sequence[Any], urns: Mapping[str, str]
) -> list[Finding]:
    """Report a :data:`FOLDED_RULES` finding once, at the outermost ancestor that is one of our
    components (``secure-scoring:index:*``) and has the same rule's finding; the children it
    replaces are named in its message and its level is the strictest of them. Every resource is
    still judged: a finding whose ancestors carry no such finding (a raw SelfSignedCert, or one
    inside the user's own component) stays where it is."""
    target = _fold_targets(findings, resources, urns)
    if not target:
        return findings
    folded: dict[int, list[Finding]] = {}
    for f in findings:
        if id(f) in target:
            folded.setdefault(id(target[id(f)]), []).append(f)
    out = []
    for f in findings:
        if id(f) in target:
            continue
        children = folded.get(id(f))
        out.append(_with_children(f, children) if children else f)
    return out


def fold_into_certificates(
    findings: list[Finding], resources: Sequence[Any], urns: Mapping[str, str]
) -> list[Finding]:
    """One development certificate is one problem: a :data:`FOLDED_RULES` finding on a service
    whose resources use a CertificateBundle that has the same rule's finding is reported once, at
    the bundle, naming the services (a service's children depend on the bundle's outputs)."""
    from ..policy import rules

    bundles = {
        f.urn: f for f in findings if f.rule in FOLDED_RULES and f.resource_type == rules.CERTIFICATE_BUNDLE
    }
    if not bundles:
        return findings
    parent_of = {
        urns.get(r.urn, r.urn): urns.get(r.parent, r.parent) if r.parent else None for r in resources
    }

    def owner_bundle(urn: str | None) -> str | None:
        seen: set[str] = set()
        while urn and urn not in seen:
            if urn in bundles:
                return urn
            seen.add(urn)
            urn = parent_of.get(urn)
        return None

    uses: dict[str, set[str]] = {}  # service urn -> bundles its resources depend on
    for r in resources:
        deps = set(r.dependencies) | {u for v in r.property_dependencies.values() for u in v}
        used = {b for d in deps if (b := owner_bundle(urns.get(d, d)))}
        if not used:
            continue
        urn = urns.get(r.urn, r.urn)
        while urn:
            uses.setdefault(urn, set()).update(used)
            urn = parent_of.get(urn)
    merged: dict[str, list[Finding]] = {}
    out: list[Finding] = []
    for f in findings:
        used = uses.get(f.urn, set()) if f.rule in FOLDED_RULES and f.urn not in bundles else set()
        target = next((b for b in sorted(used) if bundles[b].rule == f.rule), None)
        if target is None:
            out.append(f)
        else:
            merged.setdefault(target, []).append(f)
    return [_with_users(f, merged[f.urn]) if f.urn in merged else f for f in out]


def _with_users(f: Finding, users: list[Finding]) -> Finding:
    return _merged(f, users, "{message}; it is used by {names}")


def _fold_targets(
    findings: list[Finding], resources: Sequence[Any], urns: Mapping[str, str]
) -> dict[int, Finding]:
    """For each folded finding (by id), the finding on its outermost component ancestor."""
    from ..policy import rules

    ours = {rules.ACI_SERVICE, rules.AKS_CLUSTER, rules.CERTIFICATE_BUNDLE, rules.DNS_RECORD_BINDING}
    parent_of = {
        urns.get(r.urn, r.urn): urns.get(r.parent, r.parent) if r.parent else None for r in resources
    }
    type_of = {urns.get(r.urn, r.urn): r.type for r in resources}
    by_key = {(f.urn, f.rule): f for f in findings if f.rule in FOLDED_RULES}
    target: dict[int, Finding] = {}
    for f in findings:
        if f.rule not in FOLDED_RULES:
            continue
        outer, urn, seen = None, parent_of.get(f.urn), set()
        while urn and urn not in seen:
            seen.add(urn)
            if type_of.get(urn) in ours and (urn, f.rule) in by_key:
                outer = by_key[(urn, f.rule)]
            urn = parent_of.get(urn)
        if outer is not None:
            target[id(f)] = outer
    return target


def _with_children(f: Finding, children: list[Finding]) -> Finding:
    return _merged(f, children, "{message} (also found on its children: {names})")


def _merged(f: Finding, others: list[Finding], text: str) -> Finding:
    """``f`` standing for ``others`` too: their names in its message (``text``), the strictest level."""
    names = ", ".join(sorted({f"{o.resource_type.rsplit(':', 1)[-1]} '{o.resource_name}'" for o in others}))
    level = MANDATORY if any(o.level == MANDATORY for o in [f, *others]) else f.level
    return Finding(
        rule=f.rule,
        level=level,
        severity=f.severity,
        urn=f.urn,
        resource_type=f.resource_type,
        resource_name=f.resource_name,
        message=text.format(message=f.message.rstrip("."), names=names),
        remediation=f.remediation,
        location=f.location,
    )
