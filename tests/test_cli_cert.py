"""``secure-scoring cert check``: exit codes, text and JSON output, and no Pulumi import."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from secure_scoring import names
from secure_scoring.cli import main
from support.certs import CertFactory, trust_test_roots


@pytest.fixture(autouse=True)
def _test_roots_trusted(pki, monkeypatch, tmp_path):
    """The test PKI's root is in the trust store (as a public CA's root would be)."""
    trust_test_roots(monkeypatch, tmp_path)


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


@pytest.mark.parametrize("host", ["10.0.0.1", "2001:db8::1", "::ffff:127.0.0.1", "[2001:db8::1]"])
def test_ip_hostname_mismatch_advises_an_ip_san(files, capsys, host):
    code, out, _ = run_cli(["cert", "check", "--cert", str(files["chain"]), "--hostname", host], capsys)
    canonical = names.normalize(host)  # ::ffff:127.0.0.1 is written ::ffff:7f00:1
    assert code == 1
    # cert check names the host in its canonical form (secure_scoring.names), the form it checked
    assert f"ERROR hostname-mismatch: hostname '{canonical}' is not covered" in out
    assert f"fix: Have the certificate re-issued with IP:{canonical} in subjectAltName" in out
    assert "DNS:" not in out and "wildcard" not in out


def test_der_certificate_with_the_right_key_claims_no_key_match(files, capsys):
    base = ["cert", "check", "--cert", str(files["der"]), "--key", str(files["key"])]
    code, out, _ = run_cli(base, capsys)
    assert code == 1
    assert "summary: no readable certificate; key: not checked against the certificate" in out
    assert "matches the leaf" not in out
    code, out, _ = run_cli([*base, "--format", "json"], capsys)
    doc = json.loads(out)
    assert doc["certificate"] is None and doc["key_checked"] is False and doc["key_given"] is True


def test_expired_days_are_one_figure_in_finding_summary_and_json(files, capsys):
    base = ["cert", "check", "--cert", str(files["chain"])]
    code, out, _ = run_cli([*base, "--format", "json"], capsys)
    not_after = datetime.fromisoformat(json.loads(out)["certificate"]["not_after"])
    later = (not_after + timedelta(days=3, hours=1)).isoformat()  # 3 days 1 hour after expiry
    code, out, _ = run_cli([*base, "--now", later], capsys)
    assert code == 1
    assert "(days left: -4)" in out.splitlines()[0]  # the cert-expired finding
    assert "ago" not in out
    assert f"expired {not_after.strftime('%Y-%m-%d %H:%M UTC')} (days left: -4)" in out.splitlines()[-2]
    code, out, _ = run_cli([*base, "--now", later, "--format", "json"], capsys)
    assert json.loads(out)["certificate"]["days_left"] == -4


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
        (
            ["--cert", "{chain}", "--hostname", "scoring.example.test:443"],
            "--hostname: 'scoring.example.test:443' includes a port (443). Fix: drop the port: pass "
            "--hostname scoring.example.test",
        ),
        (
            ["--cert", "{chain}", "--hostname", "[2001:db8::1]:8443"],
            "includes a port (8443). Fix: drop the port: pass --hostname 2001:db8::1",
        ),
        (
            ["--cert", "{chain}", "--hostname", "*.example.test"],
            "--hostname: '*.example.test' is a wildcard pattern, not a name clients use. Fix: pass a "
            "concrete name",
        ),
        (["--cert", "{chain}", "--hostname", "https://scoring.example.test"], "is a URL, not a hostname"),
        (["--cert", "{chain}", "--hostname", "a:b:c"], "is not a hostname or IP address"),
        # not a name a certificate could cover: a usage error, not a hostname-mismatch with a wildcard hint
        (
            ["--cert", "{chain}", "--hostname", "300.1.1.1"],
            "--hostname: '300.1.1.1' is not a valid IP address",
        ),
        (["--cert", "{chain}", "--hostname", "10.0.0.1.5"], "'10.0.0.1.5' is not a valid IP address"),
        (["--cert", "{chain}", "--hostname", "127.000.0.1"], "'127.000.0.1' is not a valid IP address"),
        (
            ["--cert", "{chain}", "--hostname", "a..example.test"],
            "'a..example.test' is not a hostname: an empty",
        ),
        (["--cert", "{chain}", "--hostname", ".example.test"], "is not a hostname: an empty label"),
        (["--cert", "{chain}", "--hostname", "a" * 64 + ".test"], "a label longer than 63 characters"),
        (["--cert", "{chain}", "--hostname", "host.example.123"], "an all-digit top-level label (123)"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(files, capsys, monkeypatch, argv, message):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    argv = [a.replace("{chain}", str(files["chain"])) for a in argv]
    code, out, err = run_cli(["cert", "check", *argv], capsys)
    assert code == 2 and out == ""
    assert err.startswith("secure-scoring cert check: error: ") and message in err and "Fix: " in err


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


@pytest.mark.parametrize(
    "host",
    ["localhost", "scoring.example.test.", "LOCALHOST", "127.0.0.1", "[127.0.0.1]", "xn--bcher-kva.test"],
)
def test_plain_names_and_addresses_are_not_usage_errors(files, capsys, host):
    code, out, err = run_cli(["cert", "check", "--cert", str(files["chain"]), "--hostname", host], capsys)
    assert code in (0, 1) and err == "", err


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


def test_a_negative_serial_number_prints_no_python_warning(pki, cert_factory, tmp_path):
    """cryptography warns (CryptographyDeprecationWarning) when it parses a serial number that is not
    positive; a user of cert check gets findings, not a Python warning naming a source line."""
    f = cert_factory
    key, csr, cert = tmp_path / "neg.key", tmp_path / "neg.csr", tmp_path / "neg.pem"
    f.new_key("ec", key)
    f.run("req", "-new", "-key", key, "-subj", "/CN=neg.example.test", "-out", csr)
    ext = tmp_path / "ext.cnf"
    ext.write_text("subjectAltName = DNS:neg.example.test\nextendedKeyUsage = serverAuth\n")
    f.run(
        "x509", "-req", "-in", csr, "-CA", pki.inter.cert_path, "-CAkey", pki.inter.key_path,
        "-set_serial", "-5", "-days", "60", "-extfile", ext, "-out", cert,
    )  # fmt: skip
    chain = tmp_path / "chain.pem"
    chain.write_text(cert.read_text() + pki.inter.cert_pem)
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-m", "secure_scoring", "cert", "check", "--cert", str(chain),
         "--key", str(key), "--hostname", "neg.example.test"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    # the path check refuses it like strict clients (RFC 5280: a positive serial number), as a finding
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr == "" and "ERROR cert-malformed:" in proc.stdout and "negative" in proc.stdout


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
        "import sys, secure_scoring.certs.pem, secure_scoring.cli.cert\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_azure_native'))\n"
        "print(bad)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------------ dispatcher
def _all_parsers(parser):
    import argparse

    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _all_parsers(child)


def test_version(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"secure-scoring {metadata.version('secure-scoring')}\n"


def test_version_falls_back_to_unknown(monkeypatch):
    from importlib import metadata

    import secure_scoring.cli as cli

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert cli.version() == "unknown"


def test_no_parser_accepts_abbreviated_options(files, capsys):
    from secure_scoring.cli import build_parser

    parsers = list(_all_parsers(build_parser()))
    assert {p.prog for p in parsers} >= {
        "secure-scoring",
        "secure-scoring cert check",
        "secure-scoring verify",
    }
    assert all(p.allow_abbrev is False for p in parsers), [p.prog for p in parsers if p.allow_abbrev]
    # '--host' used to be taken as '--hostname'
    with pytest.raises(SystemExit) as exc:
        main(["cert", "check", "--cert", str(files["chain"]), "--host", "localhost"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: secure-scoring cert check" in err
    assert "secure-scoring cert check: error: unrecognized arguments: --host localhost" in err


@pytest.mark.parametrize(
    ("argv", "prog", "extra"),
    [
        (
            ["verify", "https://scoring.example.test", "--check-port80"],
            "secure-scoring verify",
            "--check-port80",
        ),
        (["verify", "https://scoring.example.test", "--check"], "secure-scoring verify", "--check"),
        (["cert", "--bogus"], "secure-scoring cert", "--bogus"),
        (["--bogus"], "secure-scoring", "--bogus"),
    ],
)
def test_a_mistyped_option_shows_the_subcommands_usage(capsys, argv, prog, extra):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: {prog} ")
    assert f"{prog}: error: unrecognized arguments: {extra}\n" in err
    assert err.rstrip().endswith(f"Fix: see '{prog} --help' for the options and their values")


def test_help_texts_do_not_point_at_bare_repository_paths(capsys):
    for argv in (["cert", "check", "--help"], ["verify", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping
        assert "see the project docs (docs/" in out and "in the source)" in out, out


def test_version_imports_neither_pulumi_nor_cryptography():
    code, modules, out = _imported_top_levels(["--version"])
    assert code == 0 and out.startswith("secure-scoring ")
    assert not {"pulumi", "pulumi_azure_native", "cryptography"} & modules, sorted(modules)


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["cert", "check", "--cert", "x.pem", "--min-days", "-1"], "--min-days"),
        (["check", "--stack"], "--stack"),
        (["verify", "https://scoring.example.test/score", "--bogus"], "--bogus"),
    ],
)
def test_option_errors_name_the_option_and_say_where_the_fix_is(argv, named, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert named in err and "error:" in err
    assert "Fix: " in err
    assert (
        f"see 'secure-scoring {' '.join(a for a in argv[:2] if not a.startswith(('-', 'http')))} --help'"
        in err
    )
    assert "Traceback" not in err


def test_handler_errors_use_the_full_subcommand_name_like_option_errors(capsys) -> None:
    # both kinds of usage error say 'secure-scoring cert check: error:' (the handler said 'cert:')
    assert main(["cert", "check", "--cert", "nope.pem"]) == 2
    assert capsys.readouterr().err.startswith("secure-scoring cert check: error: --cert: ")
    with pytest.raises(SystemExit):
        main(["cert", "check", "--cert", "nope.pem", "--min-days", "-1"])
    assert "secure-scoring cert check: error: argument --min-days" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "option", "env"),
    [
        (["verify", "https://scoring.example.test/score", "--key", "-Abc123"], "--key", "SECURE_SCORING_KEY"),
        (["verify", "https://scoring.example.test/score", "--token"], "--token", "SECURE_SCORING_TOKEN"),
        (["cert", "check", "--cert"], "--cert", None),
    ],
)
def test_a_missing_option_value_says_how_to_give_one_that_starts_with_a_dash(capsys, argv, option, env):
    """argparse takes '-Abc123' (a key starting with '-', about 1 in 64 of serve-local's) for an option:
    the fix says to join it to the option, and for a credential names the environment variable."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: expected one argument" in err
    assert f"Fix: give {option} a value (see 'secure-scoring {argv[0]}" in err
    assert f"a value that starts with '-' must be joined to the option: {option}=VALUE" in err
    assert (env in err) if env else "SECURE_SCORING" not in err
    assert "-Abc123" not in err.split("Fix:")[1]  # the value is never echoed in the fix
