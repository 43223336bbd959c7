"""``secure-scoring cert check``: exit codes, text and JSON output, and no Pulumi import."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from secure_scoring.cli import main
from support.certs import CertFactory


@pytest.fixture(scope="module")
def files(pki, cert_factory: CertFactory, tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli-cert")
    f = cert_factory
    soon = f.leaf(pki.inter, ["soon.example.test"], days=10)
    selfsigned = f.self_signed(["dev.example.test"])
    out = {
        "chain": pki.leaf.write_chain(d / "chain.pem"),
        "key": pki.leaf.key_path,
        "other_key": pki.wildcard.key_path,
        "enc_key": f.encrypted_key(pki.leaf),
        "der": f.der(pki.leaf),
        "soon": soon.write_chain(d / "soon.pem"),
        "soon_key": soon.key_path,
        "self": selfsigned.cert_path,
        "self_key": selfsigned.key_path,
    }
    return out


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def test_good_bundle_exit_0_with_summary(files, capsys):
    code, out, err = run_cli(
        ["cert", "check", "--cert", str(files["chain"]), "--key", str(files["key"]),
         "--hostname", "scoring.example.test", "--hostname", "localhost"],
        capsys,
    )  # fmt: skip
    assert code == 0, out
    lines = out.splitlines()
    assert lines[-1] == "verdict: OK, usable in dev"
    summary = lines[-2]
    assert summary.startswith(
        "summary: CN=scoring.example.test (EC P-256, issued by CN=Test Intermediate CA, "
    )
    assert "SANs: scoring.example.test, localhost, 127.0.0.1" in summary
    assert "(88 days left)" in summary and "key: matches the leaf" in summary
    assert "hostnames checked: scoring.example.test, localhost" in summary
    assert not any(line.startswith(("ERROR", "WARNING")) for line in lines)


def test_errors_exit_1_one_line_per_finding_with_fix(files, capsys):
    code, out, _ = run_cli(
        ["cert", "check", "--cert", str(files["chain"]), "--key", str(files["other_key"]),
         "--hostname", "api.other.test"],
        capsys,
    )  # fmt: skip
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("ERROR key-mismatch: the private key (EC P-256) does not belong to the leaf")
    assert lines[1].startswith("    fix: Use the key that was generated with this certificate's CSR")
    assert lines[2].startswith("ERROR hostname-mismatch: hostname 'api.other.test' is not covered")
    assert lines[3].startswith("    fix: ")
    assert lines[-1] == "verdict: NOT USABLE, 2 errors"


def test_warnings_only_exit_0(files, capsys):
    code, out, _ = run_cli(
        ["cert", "check", "--cert", str(files["soon"]), "--key", str(files["soon_key"])], capsys
    )
    assert code == 0
    assert out.startswith(
        "WARNING cert-expiring-soon: certificate #1 (leaf, CN=soon.example.test) expires on "
    )
    assert out.splitlines()[-1] == "verdict: OK, usable in dev with 1 warning"
    code, out, _ = run_cli(
        ["cert", "check", "--cert", str(files["soon"]), "--key", str(files["soon_key"]), "--min-days", "5"],
        capsys,
    )
    assert code == 0 and "WARNING" not in out


def test_self_signed_depends_on_environment(files, capsys):
    base = ["cert", "check", "--cert", str(files["self"]), "--key", str(files["self_key"])]
    assert run_cli(base, capsys)[0] == 0
    code, out, _ = run_cli([*base, "--environment", "production"], capsys)
    assert code == 1 and out.startswith("ERROR self-signed: ")


def test_key_not_given_is_said(files, capsys):
    code, out, _ = run_cli(["cert", "check", "--cert", str(files["chain"])], capsys)
    assert code == 0 and "key: not checked (no --key given)" in out


def test_encrypted_key_and_der_cert(files, capsys):
    code, out, _ = run_cli(
        ["cert", "check", "--cert", str(files["der"]), "--key", str(files["enc_key"])], capsys
    )
    assert code == 1
    assert f"ERROR cert-not-pem: {files['der']} is a DER (binary) certificate, not PEM" in out
    assert f"fix: Convert it to PEM: openssl x509 -inform der -in {files['der']} -out cert.pem" in out
    assert "ERROR key-encrypted: " in out and "Azure ML refuses passphrase-protected keys" in out


def test_json_is_the_design_shape(files, capsys):
    code, out, _ = run_cli(
        ["cert", "check", "--cert", str(files["chain"]), "--key", str(files["other_key"]), "--format", "json",
         "--hostname", "scoring.example.test"],
        capsys,
    )  # fmt: skip
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("key-mismatch", "error")]
    assert set(doc["findings"][0]) >= {"code", "severity", "message"}
    assert doc["certificate"]["subject"] == "CN=scoring.example.test"
    assert doc["certificate"]["hostnames"] == ["scoring.example.test", "localhost", "127.0.0.1"]
    assert doc["hostnames_checked"] == ["scoring.example.test"] and doc["environment"] == "dev"
    code, out, _ = run_cli(
        ["cert", "check", "--cert", str(files["chain"]), "--key", str(files["key"]), "--format", "json"],
        capsys,
    )
    assert code == 0 and json.loads(out)["ok"] is True and json.loads(out)["findings"] == []


def test_now_option_moves_the_clock(files, capsys):
    code, out, _ = run_cli(
        ["cert", "check", "--cert", str(files["chain"]), "--now", "2031-01-01T00:00:00Z"], capsys
    )
    assert (
        code == 1 and "ERROR cert-expired: certificate #1 (leaf, CN=scoring.example.test) expired on" in out
    )


def test_stdin_dash(files, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(files["chain"].read_bytes())))
    code, out, _ = run_cli(["cert", "check", "--cert", "-", "--key", str(files["key"])], capsys)
    assert code == 0 and "key: matches the leaf" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cert", "/nonexistent/chain.pem"], "--cert: file '/nonexistent/chain.pem' does not exist"),
        (
            ["--cert", "{chain}", "--key", "/nonexistent/key.pem"],
            "--key: file '/nonexistent/key.pem' does not exist",
        ),
        (["--cert", "/"], "--cert: '/' is a directory"),
        (["--cert", "/proc/self/mem"], "--cert: file '/proc/self/mem' cannot be read (OSError"),
        (["--cert", "{chain}", "--hostname", "two words"], "--hostname: 'two words' is not a hostname"),
        (["--cert", "{chain}", "--now", "tomorrow"], "--now: 'tomorrow' is not an ISO 8601 date-time"),
        (["--cert", "-", "--key", "-"], "--key: standard input ('-') can be used for only one file"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(files, capsys, monkeypatch, argv, message):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    argv = [a.replace("{chain}", str(files["chain"])) for a in argv]
    code, out, err = run_cli(["cert", "check", *argv], capsys)
    assert code == 2 and out == ""
    assert err.startswith("secure-scoring cert: error: ") and message in err and "Fix: " in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--cert"],
        ["--cert", "x", "--min-days", "-1"],
        ["--cert", "x", "--min-days", "soon"],
        ["--cert", "x", "--environment", "qa"],
        ["--cert", "x", "--format", "yaml"],
    ],
)
def test_argparse_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(["cert", "check", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: secure-scoring cert check" in err and "Traceback" not in err


def test_cert_without_subcommand_exit_2(capsys):
    code, _, err = run_cli(["cert"], capsys)
    assert code == 2 and "the only one is 'check'" in err


# ------------------------------------------------------------------------------------------ import cost
def _imported_top_levels(argv: list[str]) -> tuple[int, set[str], str]:
    """Run ``python -X importtime -m secure_scoring ARGV`` and list the top-level packages it imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "secure_scoring", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name and name != "imported package":
                modules.add(name.split(".")[0])
    return proc.returncode, modules, proc.stdout


def test_cert_check_does_not_import_pulumi(files):
    code, modules, out = _imported_top_levels(
        [
            "cert",
            "check",
            "--cert",
            str(files["chain"]),
            "--key",
            str(files["key"]),
            "--hostname",
            "localhost",
        ]
    )
    assert code == 0 and "verdict: OK" in out
    assert "cryptography" in modules  # the measurement sees the inspector's imports
    assert "secure_scoring" in modules
    assert not {"pulumi", "pulumi_azure_native", "pulumi_tls", "pulumi_policy", "grpc"} & modules, sorted(
        modules
    )


def test_help_imports_neither_pulumi_nor_cryptography():
    code, modules, out = _imported_top_levels(["--help"])
    assert code == 0 and "cert" in out
    assert not {"pulumi", "pulumi_azure_native", "cryptography"} & modules, sorted(modules)


def test_importing_the_inspector_does_not_import_pulumi():
    code = (
        "import sys, secure_scoring.pem, secure_scoring.cli.cert\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_azure_native'))\n"
        "print(bad)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == "[]"
