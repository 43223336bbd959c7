"""Private keys in the program's own messages are redacted (gate/redaction.py), in every format.

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from secure_scoring import gate
from secure_scoring.cli import main as cli_main
from support.gate_programs import (
    write_project,
)

KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKeyMaterialThatMustNeverBeShown0123456789abcdef\n-----END EC PRIVATE KEY-----\n"


KEY_LINE = "MHcCAQEEIKeyMaterialThatMustNeverBeShown"


@pytest.mark.parametrize(
    "statement",
    [
        "int(KEY)",  # ValueError quoting a cut-off repr, newlines escaped, no END line
        "raise ValueError('bad key: ' + KEY + ' (after)')",  # the whole block, real newlines
        "raise ValueError(f'bad key {KEY!r} (after)')",  # the whole block, escaped newlines
        "pulumi.log.error('cannot use ' + KEY)",
    ],
)
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_private_keys_in_the_programs_error_are_redacted(tmp_path, capsys, statement, fmt):
    main = f"import pulumi\nKEY = {KEY_PEM!r}\n{statement}\n"
    root = write_project(tmp_path / "p", main, {"dev": "config: {}\n"})
    out_file = tmp_path / "report.out"
    code = cli_main(["check", str(root), "--stack", "dev", "--format", fmt, "--output", str(out_file)])
    captured = capsys.readouterr()
    everything = captured.out + captured.err + out_file.read_text()
    assert code == 2
    assert KEY_LINE not in everything and "BEGIN EC PRIVATE KEY" not in everything
    assert "<EC PRIVATE KEY redacted>" in everything
    if "(after)" in statement:
        assert "(after)" in everything  # only the key is cut out


def test_private_keys_in_program_warnings_are_redacted(tmp_path):
    main = f"import pulumi\npulumi.log.warn('rotating ' + {KEY_PEM!r})\n"
    root = write_project(tmp_path / "p", main, {"dev": "config: {}\n"})
    report = gate.check(root, "dev")
    (note,) = [n for n in report.notes if n.kind == "program-warning"]
    assert KEY_LINE not in note.message and note.message.startswith("rotating <EC PRIVATE KEY redacted>")
    assert KEY_LINE not in gate.render_sarif(report) + gate.render_json(report) + gate.render_text(report)


def test_redact_leaves_certificates_and_plain_text():
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    assert gate.redact(f"chain {cert} ok") == f"chain {cert} ok"
    assert gate.redact("RSA PRIVATE KEY is a phrase") == "RSA PRIVATE KEY is a phrase"


def test_redact_keeps_messages_that_only_name_the_pem_markers(tmp_path):
    """A mislabelled key file's error names both markers ("begins with '-----BEGIN RSA PRIVATE
    KEY-----' but ends with '-----END PRIVATE KEY-----'"): no key material, so the text stays (the
    span between the markers was replaced, hiding what is wrong with the file)."""
    certs = Path(__file__).resolve().parents[2] / "stacks" / "certs"
    bad_key = tmp_path / "bad.key"
    bad_key.write_text(
        (certs / "production.key").read_text().replace("BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE KEY", 1)
    )
    main = textwrap.dedent(
        f"""\
        from secure_scoring import CertificateBundle
        CertificateBundle.from_files(
            "tls", {str(certs / "production-fullchain.pem")!r}, {str(bad_key)!r},
            hostnames=["scoring.example.com"], environment="production",
        )
        """
    )
    root = write_project(tmp_path / "p", main, {"dev": "config: {}\n"})
    with pytest.raises(gate.ProgramError) as info:
        gate.check(root, "dev")
    assert "begins with '-----BEGIN RSA PRIVATE KEY-----' but ends with '-----END PRIVATE KEY-----'" in (
        info.value.message
    )
    body = (certs / "production.key").read_text().splitlines()[1]
    assert body[:20] not in info.value.message


@pytest.mark.parametrize(
    "label, headers",
    [
        ("RSA PRIVATE KEY", ""),  # PKCS#1
        (
            "RSA PRIVATE KEY",
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0A1B2C3D4E5F60718293A4B5C6D7E8F9\n\n",
        ),
        ("EC PRIVATE KEY", ""),
        ("ENCRYPTED PRIVATE KEY", ""),
        ("PRIVATE KEY", ""),
        ("OPENSSH PRIVATE KEY", ""),
    ],
)
def test_redact_still_hides_every_key_form(label, headers):
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
    pem = f"-----BEGIN {label}-----\n{headers}{body}\n{body}\n-----END {label}-----\n"
    for text in (
        f"bad {pem} (after)",
        f"bad {pem!r} (after)",
        repr(pem.splitlines()),
        f"cut {pem[: pem.index(body) + 30]}",
    ):
        out = gate.redact(text)
        assert body[:16] not in out and f"<{label} redacted>" in out, text
        if "(after)" in text:
            assert out.endswith("(after)")
