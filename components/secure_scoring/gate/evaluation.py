"""The policy pack, evaluated in process on a recorded program, and its rule catalogue for a stack.

The pack runs through pulumi_policy's analyzer servicer (:func:`secure_scoring.policy.pack.evaluate`)
with ``PULUMI_STACK`` / ``PULUMI_PROJECT`` / ``PULUMI_ORGANIZATION`` / ``PULUMI_CONFIG`` set as the
Pulumi CLI sets them for a pack.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import UsageError
from ..facts import DISABLED
from .project import Project, StackConfig
from .report import RuleInfo, as_level, as_severity


@contextlib.contextmanager
def _policy_env(project: Project, config: StackConfig, organization: str) -> Iterator[None]:
    """The environment the CLI gives a policy pack (stack, project, organization, config, dry run)."""
    env = {
        "PULUMI_STACK": config.stack.split("/")[-1],
        "PULUMI_PROJECT": project.name,
        "PULUMI_ORGANIZATION": organization,
        "PULUMI_CONFIG": json.dumps(config.values),
        "PULUMI_CONFIG_SECRET_KEYS": json.dumps(config.secret_keys),
        "PULUMI_DRY_RUN": "true",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def evaluate(
    recording: Any,
    project: Project,
    config: StackConfig,
    policy_config: Mapping[str, Any] | None,
    organization: str = "organization",
) -> list[Any]:
    """Run the pack over the recorded resources (in process, through pulumi_policy's analyzer
    servicer, see :func:`secure_scoring.policy.pack.evaluate`); returns its diagnostics."""
    from ..policy import pack as policy_pack

    # cwd: the project directory, as for the program (secure-scoring:trustedCaCertificates file paths)
    with _policy_env(project, config, organization), contextlib.chdir(project.root):
        try:
            return list(
                policy_pack.evaluate(
                    recording.resources,
                    stack=config.stack.split("/")[-1],
                    project=project.name,
                    config=dict(config.values),
                    policy_config=dict(policy_config) if policy_config else None,
                    organization=organization,
                    dry_run=True,
                )
            )
        except policy_pack.PolicyConfigError as exc:
            raise UsageError("--policy-config", exc.render(), None) from None


def configured_level(name: str, default: str, policy_config: Mapping[str, Any] | None) -> str:
    """A rule's level after ``--policy-config`` (``"all"`` first, then the rule's own entry)."""
    level = default
    for key in ("all", name):
        entry = (policy_config or {}).get(key)
        value = entry.get("enforcementLevel") if isinstance(entry, Mapping) else entry
        if isinstance(value, str) and value:
            level = value.lower()
    return level


def rule_catalogue(
    stack: str | None = None,
    config: Mapping[str, Any] | None = None,
    policy_config: Mapping[str, Any] | None = None,
) -> list[RuleInfo]:
    """The pack's rules (name, description, remediation, severity, url) with their level in this
    stack: the pack's default for the stack (production-only rules are advisory outside
    production), then ``--policy-config``. Disabled rules are left out."""
    from ..policy import pack as policy_pack

    out = []
    for r in policy_pack.rule_metadata(stack, dict(config or {})):
        level = configured_level(r["name"], r["enforcement"], policy_config)
        if level == DISABLED:
            continue
        out.append(
            RuleInfo(
                name=r["name"],
                description=r["description"],
                remediation=r["remediation"],
                severity=as_severity(r["severity"]),
                enforcement=as_level(level),
                url=r.get("url"),
            )
        )
    return out
