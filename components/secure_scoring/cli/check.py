"""``secure-scoring check``: the offline policy gate (no cloud credentials, no Pulumi CLI)."""

from __future__ import annotations

import argparse
import contextlib
import sys

DESCRIPTION = """\
Run a Pulumi Python program against realistic mocks, evaluate the secure-scoring policy pack on every
resource it registers (components included) and report. This is what `pulumi preview --policy-pack
policies` enforces, without cloud credentials or the Pulumi CLI, so it can gate pull requests.

The program runs in preview mode with the stack's config from Pulumi.<stack>.yaml (stackConfigDir
respected; keys without a namespace get the project name; non-string values JSON-encoded).
"""

EPILOG = """\
exit codes:
  0  no mandatory violation (advisories and notes allowed)
  1  at least one mandatory violation
  2  usage error, bad Pulumi.yaml / stack file, or the program itself failed (its error is shown
     on stderr; --format json/sarif still write a report: an error object / a SARIF run with
     executionSuccessful false, to stdout or --output, which is overwritten); also a program
     that ends its own process (os._exit) or runs longer than --timeout

The program runs in a child process with its stdout sent to stderr: only the report is written to
stdout. A component's refusal of an insecure setting that a rule names (key and token auth, a
self-signed certificate in production, a DNS name the certificate does not cover, TLS below 1.2)
is reported as a mandatory violation of that rule (exit 1), at the program line.

fidelity gaps versus a real `pulumi preview`:
  - no provider Check: provider-side defaults are missing (defaults the SDK injects are present)
  - cloud outputs (ids, IPs, FQDNs, certificates of pulumi-tls) come from realistic mocks
  - `secure:` config values cannot be decrypted: they are unknown to the program (as values not
    known during a preview) and the report notes "could not judge <key>: secure value"
  - Pulumi ESC environments are not resolved; StackReference outputs are unknown; no provider
    resources are registered

examples:
  secure-scoring check . --stack production
  secure-scoring check stacks-project --stack staging --format sarif --output staging.sarif
  secure-scoring check examples/insecure/aci-public-port-80 --stack production --format json

docs: docs/check.md
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check",
        help="offline policy gate: run a Pulumi program under mocks and evaluate the policy pack",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "program_dir",
        nargs="?",
        default=".",
        metavar="PROGRAM_DIR",
        help="directory holding Pulumi.yaml (default: the current directory)",
    )
    p.add_argument(
        "--stack", "-s", required=True, metavar="NAME", help="stack name (reads Pulumi.<NAME>.yaml)"
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="report format (default: text); sarif is SARIF 2.1.0 for GitHub code scanning",
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument(
        "--allow-missing-stack-file",
        action="store_true",
        help="run a stack that has no Pulumi.<NAME>.yaml with the project's config only, even though "
        "other stack files exist (by default that is refused: a typo would run the wrong rules)",
    )
    p.add_argument(
        "--policy-config",
        metavar="FILE",
        help="policy pack config JSON, the same file `pulumi preview --policy-pack-config` takes "
        '(e.g. {"all": "mandatory", "cert-expiry": {"minDays": 45}})',
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=600.0,
        metavar="SECONDS",
        help="stop a program that runs longer (a loop, a sleep, an apply that never resolves) and "
        "fail with exit code 2 (default: 600; 0 = no limit)",
    )
    p.set_defaults(handler=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. 600; 0 = no limit)")
    return value


def _load_policy_config(path: str):
    import json

    from ..errors import UsageError

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise UsageError(
            "--policy-config",
            f"cannot read {path}: {exc.strerror or exc}",
            "give the path of the policy config JSON file (relative to the current directory), "
            'e.g. --policy-config policy-config.json holding {"cert-expiry": {"minDays": 45}}',
        ) from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            "--policy-config",
            f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})",
            "fix the JSON syntax",
        ) from None
    if not isinstance(data, dict):
        raise UsageError(
            "--policy-config",
            f"{path} must hold a JSON object of rule names to levels or settings",
            'e.g. {"all": "mandatory", "tls-required": "advisory"}',
        )
    return data


def _write(args: argparse.Namespace, out: str) -> None:
    from ..errors import UsageError

    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(out)
        except OSError as exc:
            raise UsageError(
                "--output",
                f"cannot write {args.output}: {exc.strerror or exc}",
                "give a file path in an existing, writable directory (or leave --output out for stdout)",
            ) from None
    else:
        sys.stdout.write(out)


def _report_failure(args: argparse.Namespace, exc: BaseException) -> None:
    """Exit 2 in JSON/SARIF: an error document (stdout or --output, which is overwritten so CI never
    uploads a previous run's report); in text with --output, the error text in the file. The
    human-readable error always goes to stderr (the caller prints it)."""
    from .. import gate

    if args.format == "json":
        _write(args, gate.render_error_json(exc, args.stack))
    elif args.format == "sarif":
        _write(args, gate.render_error_sarif(exc, args.stack))
    elif args.output:
        text = exc.render() if isinstance(exc, gate.ProgramError) else str(exc)
        _write(args, f"ERROR (exit 2): the check did not run to the end (stack {args.stack}):\n{text}\n")


def run(args: argparse.Namespace) -> int:
    from .. import gate
    from ..errors import SecureScoringError, UsageError

    try:
        policy_config = _load_policy_config(args.policy_config) if args.policy_config else None
        report = gate.check(
            args.program_dir,
            args.stack,
            policy_config=policy_config,
            allow_missing_stack_file=args.allow_missing_stack_file,
            timeout=getattr(args, "timeout", 600.0) or None,
        )
    except gate.ProgramError as exc:
        print(f"secure-scoring check: the program failed (stack {args.stack}):", file=sys.stderr)
        print("  " + exc.render().replace("\n", "\n  "), file=sys.stderr)
        _report_failure(args, exc)
        return 2
    except (UsageError, SecureScoringError) as exc:
        with contextlib.suppress(UsageError):  # an unwritable --output must not hide the real error
            _report_failure(args, UsageError(exc.input_name, exc.problem, exc.fix))
        raise
    if args.format == "json":
        out = gate.render_json(report)
    elif args.format == "sarif":
        out = gate.render_sarif(report)
    else:
        out = gate.render_text(report)
    _write(args, out)
    if args.output:  # people still see the verdict when the report goes to a file
        print(gate.summary_line(report), file=sys.stderr)
    return report.exit_code
