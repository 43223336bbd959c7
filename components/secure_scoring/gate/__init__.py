"""The offline policy gate behind ``secure-scoring check``.

It does what ``pulumi preview --policy-pack policies`` does, without the Pulumi CLI and without cloud
credentials:

1. reads ``Pulumi.yaml`` (name, runtime, ``main``, ``stackConfigDir``, project-level ``config``) and
   ``Pulumi.<stack>.yaml`` (``config:``), turning the values into the ``{"<namespace>:<key>": "<string>"}``
   map the CLI hands to a program (keys without a namespace get the project name; numbers, booleans,
   lists and objects are JSON-encoded). ``secure:`` values cannot be decrypted offline: they are
   unknown, as during a preview (``get_secret``/``require_secret`` return an unknown secret Output,
   ``get`` the unknown sentinel), the key is marked secret, and the report carries a note
   "could not judge <key>: secure value";
2. runs the Python program like the language host (``runpy`` of the ``main`` directory, the program
   directory and ``main`` on ``sys.path``, cwd = the program directory) under
   :func:`secure_scoring.gate.mocking.run_with_mocks` in **preview** mode (``pulumi.runtime.is_dry_run()`` is
   true, as in ``pulumi preview``; outputs the fake cloud does not compute stay unknown), recording
   every registered resource, components included;
3. evaluates the policy pack in-process (:func:`secure_scoring.policy.pack.evaluate`) with
   ``PULUMI_STACK`` / ``PULUMI_PROJECT`` / ``PULUMI_ORGANIZATION`` / ``PULUMI_CONFIG`` set as the CLI
   sets them for a pack;
4. reports findings as text, JSON or SARIF 2.1.0, each finding located at the program line that
   created the resource (for children of a component: the line that created the component).

Modules: :mod:`.project` (``Pulumi.yaml``, stack config), :mod:`.program` (the run under
mocks, program errors), :mod:`.evaluation` (the pack in process), :mod:`.findings` and :mod:`.report`
(diagnostics to findings, the verdict), :mod:`.render` (``text``, ``json``, ``sarif``), :mod:`.run`
(:func:`check`, all of it). The names below are the public API (``from secure_scoring import gate``).

Known fidelity gaps against a real preview (also in ``--help`` and docs/check.md): there is no
provider ``Check``, so provider-side defaults are missing (the SDK-injected defaults are present);
cloud outputs are fakes from :class:`~secure_scoring.gate.mocking.RealisticMocks`; secure config values
are unknown; Pulumi ESC environments are not resolved; mock URNs carry ``pulumi:pulumi:Stack`` in the
type chain of top-level resources; no ``pulumi:providers:*`` resources are registered.

Errors: :class:`~secure_scoring.errors.UsageError` for a bad program directory, project or stack
file (exit 2); :class:`ProgramError` when the program itself fails (exit 2, the program's own error
with its file and line, never our traceback).
"""

from __future__ import annotations

from .evaluation import configured_level, evaluate, rule_catalogue
from .findings import FOLDED_RULES, build_report, engine_urns, fold_into_components, strip_fix
from .locations import Location, artifact_uri, relative, resource_location
from .program import ProgramError, run_program
from .project import Project, StackConfig, load_project, load_stack_config
from .redaction import redact
from .render import error_details
from .render.json import JSON_SCHEMA_VERSION, render_error_json, render_json
from .render.sarif import SARIF_SCHEMA, information_uri, render_error_sarif, render_sarif
from .render.text import render_text
from .report import Finding, Note, Report, ResourceInfo, RuleInfo, summary_line
from .run import check

__all__ = [
    "FOLDED_RULES",
    "JSON_SCHEMA_VERSION",
    "SARIF_SCHEMA",
    "Finding",
    "Location",
    "Note",
    "ProgramError",
    "Project",
    "Report",
    "ResourceInfo",
    "RuleInfo",
    "StackConfig",
    "artifact_uri",
    "build_report",
    "check",
    "configured_level",
    "engine_urns",
    "error_details",
    "evaluate",
    "fold_into_components",
    "information_uri",
    "load_project",
    "load_stack_config",
    "redact",
    "relative",
    "render_error_json",
    "render_error_sarif",
    "render_json",
    "render_sarif",
    "render_text",
    "resource_location",
    "rule_catalogue",
    "run_program",
    "strip_fix",
    "summary_line",
]
