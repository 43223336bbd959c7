"""``secure-scoring verify`` (components/secure_scoring/cli/verify.py): JSON and text output, exit
codes, usage errors without a traceback, credentials from the environment never printed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secure_scoring.errors import UsageError
from secure_scoring.verify import verify
from support.fixtures_dataplane import PRIMARY_KEY
from support.fixtures_verify import ALL_PASS_STEPS

dataplane = pytest.mark.dataplane  # on the tests that start or use real servers


ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env_vars: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECURE_SCORING_KEY", "SECURE_SCORING_TOKEN")}
    env.update(env_vars or {})
    exe = Path(sys.executable).with_name("secure-scoring")
    return subprocess.run(
        [str(exe), "verify", *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


@dataplane
def test_cli_json_on_the_secure_setup_with_the_key_from_the_environment(secure_dns):
    result = cli(
        secure_dns.url("secure"),
        "--dns-server",
        secure_dns.dns.nameserver,
        "--ca-bundle",
        str(secure_dns.pki.ca_bundle_path),
        "--expect-ip",
        "127.0.0.1",
        "--format",
        "json",
        env_vars={"SECURE_SCORING_KEY": PRIMARY_KEY},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"ok", "url", "steps"}
    assert data["ok"] is True and data["url"] == secure_dns.url("secure")
    assert [s["name"] for s in data["steps"]] == ALL_PASS_STEPS
    for step in data["steps"]:
        assert set(step) == {"name", "status", "detail", "fix"}
        assert step["status"] == "pass" and step["fix"] is None
    assert PRIMARY_KEY not in result.stdout + result.stderr


@dataplane
def test_cli_exit_1_text_output_and_the_key_never_printed(secure_dns):
    result = cli(
        secure_dns.url("expired"),
        "--dns-server",
        secure_dns.dns.nameserver,
        "--ca-bundle",
        str(secure_dns.pki.ca_bundle_path),
        "--key",
        PRIMARY_KEY,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  certificate-expiry" in result.stdout
    assert "fix: renew it" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("FAILED: 1 failed")
    assert PRIMARY_KEY not in result.stdout + result.stderr
    # a wrong key in JSON output: refused, still not printed
    wrong = "WrongKey-0123456789abcdef"
    result = cli(
        secure_dns.url("secure"),
        "--dns-server",
        secure_dns.dns.nameserver,
        "--ca-bundle",
        str(secure_dns.pki.ca_bundle_path),
        "--key",
        wrong,
        "--format",
        "json",
    )
    assert result.returncode == 1
    steps = {s["name"]: s for s in json.loads(result.stdout)["steps"]}
    assert steps["auth-credential"]["status"] == "fail"
    assert wrong not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["http://scoring.example.test/score"], "is not https"),
        (["scoring.example.test"], "has no scheme"),
        (["https://:443/"], "no host name"),
        (["https://scoring.example.test:99999/"], "not a valid URL"),
        (["https://scoring.example.test", "--ca-bundle", "/nonexistent/ca.pem"], "--ca-bundle"),
        (["https://scoring.example.test", "--ca-bundle", str(ROOT / "pyproject.toml")], "holds no PEM"),
        (["https://scoring.example.test", "--dns-server", "dns.example.test:53"], "not an IP address"),
        (["https://scoring.example.test", "--dns-server", "127.0.0.1:70000"], "--dns-server"),
        (["https://scoring.example.test", "--expect-ip", "scoring"], "--expect-ip"),
        (
            ["https://scoring.example.test", "--expect-ip", "127.0.0.1", "--expect-target", "a.test"],
            "not allowed",
        ),
        (["https://scoring.example.test", "--key", "k" * 20, "--token", "t" * 20], "not allowed"),
        (["https://scoring.example.test", "--timeout", "0"], "--timeout"),
        (
            ["https://scoring.example.test", "--connect-to", "127.0.0.1", "--expect-ip", "127.0.0.1"],
            "cannot be combined",
        ),
        (["https://scoring.example.test", "--min-days", "-1"], "--min-days"),
        (["https://scoring.example.test", "--format", "xml"], "--format"),
        (
            ["https://127.0.0.1:18443/sc ore"],
            "URL: 'https://127.0.0.1:18443/sc ore' contains a space, which cannot be sent in an HTTP "
            "request line. Fix: percent-encode it (a space is %20)",
        ),
        (["https://127.0.0.1:18443/sc\tore"], "contains a control character ('\\t')"),
        (["https://127.0.0.1:18443/score\x7f"], "contains a control character ('\\x7f')"),
        (["https://scoring.example.test", "--check-port80"], "verify: error: unrecognized arguments"),
    ],
)
def test_cli_usage_errors_exit_2_without_traceback(args, needle):
    started = time.monotonic()
    result = cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert time.monotonic() - started < 10  # nothing was contacted


@pytest.mark.parametrize("name", ["SECURE_SCORING_KEY", "SECURE_SCORING_TOKEN"])
@pytest.mark.parametrize("value", ["", "  "])
def test_cli_empty_credential_in_the_environment_is_a_usage_error(name, value):
    """Like --key "": an empty variable (a failed secret lookup) must not silently mean 'no key'."""
    result = cli("https://scoring.example.test", env_vars={name: value})
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"secure-scoring verify: error: {name}: is set but empty. Fix: " in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_cli_credential_with_a_line_break_in_the_environment_names_the_variable():
    result = cli("https://scoring.example.test", env_vars={"SECURE_SCORING_KEY": "abc\ndef"})
    assert result.returncode == 2 and "SECURE_SCORING_KEY: contains a line break" in result.stderr


@pytest.mark.parametrize("value", ["ключ-0123456789abcdef", "key\u20140123456789abcdef", "key\x1b0123456789"])
@pytest.mark.parametrize("where", ["--key", "--token", "SECURE_SCORING_KEY", "SECURE_SCORING_TOKEN"])
def test_cli_credential_that_http_cannot_carry_is_a_usage_error(where, value):
    """A non-ASCII or control character cannot go in an HTTP header: said up front (exit 2), naming
    the option or variable, never quoting the credential. It used to end in 'unexpected
    UnicodeEncodeError ... report this as a bug' once the key was about to be sent."""
    if where.startswith("--"):
        result = cli("https://scoring.example.test/score", where, value)
    else:
        result = cli("https://scoring.example.test/score", env_vars={where: value})
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"secure-scoring verify: error: {where}: contains a " in result.stderr
    assert "cannot be sent in an HTTP header" in result.stderr
    assert "0123456789" not in result.stderr + result.stdout
    assert result.stdout == "" and "Traceback" not in result.stderr
    with pytest.raises(UsageError, match="cannot be sent in an HTTP header"):
        verify("https://scoring.example.test/score", key=value)


def test_cli_both_credentials_in_the_environment_is_a_usage_error():
    result = cli(
        "https://scoring.example.test",
        env_vars={"SECURE_SCORING_KEY": "k" * 20, "SECURE_SCORING_TOKEN": "t" * 20},
    )
    assert result.returncode == 2
    assert "SECURE_SCORING_KEY/SECURE_SCORING_TOKEN" in result.stderr
    assert "k" * 20 not in result.stderr


def test_cli_unreachable_dns_server_is_a_dns_failure_not_a_hang():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:  # a UDP port that never answers
        sink.bind(("127.0.0.1", 0))
        started = time.monotonic()
        result = cli(
            "https://scoring.example.test/score",
            "--dns-server",
            f"127.0.0.1:{sink.getsockname()[1]}",
            "--timeout",
            "1",
            "--format",
            "json",
        )
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    steps = json.loads(result.stdout)["steps"]
    assert steps[0]["name"] == "dns" and steps[0]["status"] == "fail"
    assert "no usable answer" in steps[0]["detail"]
    assert {s["status"] for s in steps[1:]} == {"skip"}


def test_verify_help_imports_neither_dnspython_nor_cryptography_nor_pulumi():
    code = (
        "import sys\n"
        "from secure_scoring.cli import build_parser\n"
        "build_parser().parse_args(['verify', 'https://scoring.example.test'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('dns', 'cryptography', 'pulumi'))\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
    help_text = cli("--help")
    assert help_text.returncode == 0
    assert "SECURE_SCORING_KEY" in help_text.stdout and "--dns-server" in help_text.stdout
