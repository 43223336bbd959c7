"""Hostile or unusual inputs: YAML bombs, deep nesting and duplicate keys in the project and stack
files (gate/project.py), key material without PEM lines (gate/redaction.py), and the program's own
virtualenv (Pulumi.yaml runtime.options.virtualenv)."""

from __future__ import annotations

import base64
import json
import resource
import time

import pytest

from secure_scoring import gate
from secure_scoring.cli import main as cli_main
from secure_scoring.errors import UsageError
from secure_scoring.gate.redaction import BARE_KEY_MARK, redact
from support.gate_programs import CG_PROGRAM, write_program

BOMB = "config:\n" + "".join(
    f"  k{i}: &a{i} [{', '.join([f'*a{i - 1}' if i else '1'] * 9)}]\n" for i in range(10)
)


@pytest.mark.parametrize(
    "body, words",
    [
        (BOMB, "alias bomb"),
        ("config:\n  a: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested more than"),
        ("config:\n  a: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n", "nested more than"),
        (
            "config:\n  secure-scoring:environment: production\n  secure-scoring:environment: dev\n",
            "appears twice",
        ),
    ],
    ids=["alias-bomb", "deep-list", "deep-map", "duplicate-key"],
)
def test_hostile_stack_files_are_refused_quickly_with_bounded_memory(tmp_path, body, words):
    root = write_program(tmp_path / "p", CG_PROGRAM, stacks={"dev": body})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.monotonic()
    with pytest.raises(UsageError) as err:
        gate.check(root, "dev")
    assert time.monotonic() - t0 < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB
    assert words in str(err.value) and "Pulumi.dev.yaml" in str(err.value)


def test_duplicate_keys_in_the_project_file_are_refused(tmp_path):
    root = write_program(tmp_path / "p", CG_PROGRAM, project_yaml="name: a\nname: b\nruntime: python\n")
    with pytest.raises(UsageError, match="'name' appears twice .*lines 1 and 2"):
        gate.load_project(root)


def test_a_refused_stack_file_still_writes_the_report(tmp_path, capsys):
    root = write_program(tmp_path / "p", CG_PROGRAM, stacks={"dev": BOMB})
    out = tmp_path / "r.json"
    out.write_text("stale")
    assert cli_main(["check", str(root), "--stack", "dev", "--format", "json", "--output", str(out)]) == 2
    assert json.loads(out.read_text())["exitCode"] == 2
    assert "alias bomb" in capsys.readouterr().err


def test_merge_keys_and_anchors_of_ordinary_size_still_work(tmp_path):
    body = "config:\n  base: &b {x: 1}\n  other:\n    <<: *b\n    y: 2\n"
    root = write_program(tmp_path / "p", CG_PROGRAM, stacks={"dev": body})
    config = gate.load_stack_config(gate.load_project(root), "dev")
    assert json.loads(config.values["demo:other"]) == {"x": 1, "y": 2}


# ------------------------------------------------------------------------------------------ redaction
def _key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key, pem, der


@pytest.mark.parametrize("form", ["base64-pem", "base64-der", "hex-der", "hex-scalar", "colon-hex"])
def test_key_material_without_pem_lines_is_redacted(form):
    key, pem, der = _key()
    material = {
        "base64-pem": base64.b64encode(pem).decode(),
        "base64-der": base64.b64encode(der).decode(),
        "hex-der": der.hex(),
        "hex-scalar": f"{key.private_numbers().private_value:064x}",
        "colon-hex": ":".join(f"{b:02x}" for b in der[:40]),
    }[form]
    text = redact(f"bad key {material} (after)")
    assert material not in text and BARE_KEY_MARK in text and text.endswith("(after)")


@pytest.mark.parametrize(
    "text",
    [
        "/work/main/components/secure_scoring/gate/redaction.py:12",
        "urn:pulumi:dev::proj::azure-native:containerinstance:ContainerGroup::scoring",
        "AnExtremelyLongCamelCaseIdentifierWithoutAnyDigitsInIt",
        "image mcr.microsoft.com/azureml/minimal-py311-inference:59",
    ],
)
def test_ordinary_text_is_not_redacted(text):
    assert redact(text) == text


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_bare_key_material_in_the_programs_error_never_reaches_a_report(tmp_path, capsys, fmt):
    _, _, der = _key()
    b64 = base64.b64encode(der).decode()
    root = write_program(tmp_path / "p", f"raise ValueError('bad key {b64} and {der.hex()}')\n")
    out = tmp_path / "r.out"
    assert cli_main(["check", str(root), "--stack", "dev", "--format", fmt, "--output", str(out)]) == 2
    everything = out.read_text() + "".join(capsys.readouterr())
    assert b64 not in everything and der.hex() not in everything and BARE_KEY_MARK in everything


# ------------------------------------------------------------------------------------------ virtualenv
VENV_PROJECT = "name: demo\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"


def test_the_programs_virtualenv_dependencies_are_importable(tmp_path):
    import sys

    root = write_program(
        tmp_path / "p",
        "import my_private_dep\nmy_private_dep.check()\n" + CG_PROGRAM,
        project_yaml=VENV_PROJECT,
    )
    sp = root / "venv" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    sp.mkdir(parents=True)
    (sp / "my_private_dep.py").write_text("def check():\n    return True\n")
    report = gate.check(root, "dev")
    assert [f.rule for f in report.findings] == ["tls-required"]
    assert report.findings[0].location.path.name == "__main__.py"  # never a venv frame


def test_a_missing_module_names_the_virtualenv(tmp_path):
    root = write_program(tmp_path / "p", "import not_installed_anywhere\n", project_yaml=VENV_PROJECT)
    (root / "venv" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    with pytest.raises(gate.ProgramError) as err:
        gate.check(root, "dev")
    assert "not_installed_anywhere" in err.value.hint and "virtualenv venv" in err.value.hint


def test_a_missing_virtualenv_is_named(tmp_path):
    root = write_program(tmp_path / "p", "import not_installed_anywhere\n", project_yaml=VENV_PROJECT)
    with pytest.raises(gate.ProgramError) as err:
        gate.check(root, "dev")
    assert "does not exist" in err.value.hint and "python -m venv venv" in err.value.hint


def test_a_missing_module_without_a_virtualenv_says_how_to_declare_one(tmp_path):
    root = write_program(tmp_path / "p", "import not_installed_anywhere\n")
    with pytest.raises(gate.ProgramError) as err:
        gate.check(root, "dev")
    assert "runtime.options.virtualenv" in err.value.hint or "options: {virtualenv" in err.value.hint
