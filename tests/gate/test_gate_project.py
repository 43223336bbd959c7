"""Pulumi.yaml and the stack file (gate/project.py): config map, namespaces, secure values, stackConfigDir and main, the .yml/.yaml rules, the typo guard, --allow-missing-stack-file, usage errors.

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

import json
import textwrap

import pytest

from secure_scoring import gate
from secure_scoring.cli import main as cli_main
from secure_scoring.errors import UsageError
from secure_scoring.facts import UNKNOWN
from support.gate_programs import (
    SELF_SIGNED,
    write_program,
    write_project,
)


def test_stack_config_namespaces_json_encoding_and_secure_values(tmp_path):
    root = write_program(
        tmp_path / "p",
        "",
        project_yaml=textwrap.dedent(
            """\
            name: demo
            runtime:
              name: python
              options: {toolchain: pip, virtualenv: .venv}
            config:
              region:
                type: string
                default: westeurope
              size: small
            """
        ),
        stacks={
            "dev": """\
            config:
              size: large
              demo:count: 3
              ratio: 1.5
              flag: true
              obj: {a: 1, b: [x, y]}
              other:key: plain
              aws:config:region: us-east-1
              apiKey:
                secure: AAABAKxyz
              nested:
                user: me
                password:
                  secure: AAABAzz
            """
        },
    )
    project = gate.load_project(root)
    cfg = gate.load_stack_config(project, "dev")
    assert cfg.values == {
        "demo:region": "westeurope",  # project default
        "demo:size": "large",  # stack overrides project
        "demo:count": "3",
        "demo:ratio": "1.5",
        "demo:flag": "true",
        "demo:obj": '{"a":1,"b":["x","y"]}',
        "other:key": "plain",
        "aws:region": "us-east-1",  # legacy ns:config:key
        "demo:apiKey": UNKNOWN,
        "demo:nested": json.dumps({"user": "me", "password": UNKNOWN}, separators=(",", ":")),
    }
    assert cfg.secret_keys == ["demo:apiKey", "demo:nested"]
    assert cfg.undecryptable == ["demo:apiKey", "demo:nested"]


def test_stack_config_dir_and_main_are_respected(tmp_path):
    root = tmp_path / "repo"
    (root / "prog").mkdir(parents=True)
    (root / "envs").mkdir()
    (root / "Pulumi.yaml").write_text("name: x\nruntime: python\nmain: prog/\nstackConfigDir: envs\n")
    (root / "prog" / "__main__.py").write_text("")
    (root / "envs" / "Pulumi.prod.yaml").write_text("config:\n  a: b\n")
    project = gate.load_project(root)
    assert project.main_file == (root / "prog" / "__main__.py").resolve()
    # like the Pulumi CLI, a directory without Pulumi.yaml uses the nearest parent's project
    assert gate.load_project(root / "prog").file == (root / "Pulumi.yaml").resolve()
    assert gate.load_stack_config(project, "prod").values == {"x:a": "b"}
    # org/project/stack names use the last part for the file
    assert gate.load_stack_config(project, "acme/x/prod").values == {"x:a": "b"}


@pytest.mark.parametrize(
    ("files", "stack", "expected"),
    [
        ({}, "dev", "no Pulumi.yaml"),
        ({"Pulumi.yaml": "name: x\nruntime: nodejs\n"}, "dev", "Python programs only"),
        ({"Pulumi.yaml": "runtime: python\n"}, "dev", "missing or invalid project name"),
        ({"Pulumi.yaml": "name: x\n"}, "dev", "runtime: missing"),
        ({"Pulumi.yaml": "name: x\nruntime: python\nmain: nope/\n"}, "dev", "'nope/' does not exist"),
        ({"Pulumi.yaml": "name: [x\n"}, "dev", "not valid YAML"),
        (
            {
                "Pulumi.yaml": "name: x\nruntime: python\n",
                "__main__.py": "",
                "Pulumi.dev.yaml": "config: [1]\n",
            },
            "dev",
            "must be a mapping",
        ),
        (
            {
                "Pulumi.yaml": "name: x\nruntime: python\n",
                "__main__.py": "",
                "Pulumi.dev.yaml": "config:\n  a:b:c: 1\n",
            },
            "dev",
            "not of the form",
        ),
        (
            {"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": ""},
            "bad stack!",
            "invalid stack name",
        ),
        (  # the Pulumi CLI: "provided project name doesn't match Pulumi.yaml"
            {"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": "", "Pulumi.prod.yaml": ""},
            "acme/other/prod",
            "'acme/other/prod' names project 'other', but Pulumi.yaml is project 'x'",
        ),
        (
            {
                "Pulumi.yaml": "name: x\nruntime: python\nconfig: envs\nstackConfigDir: envs\n",
                "__main__.py": "",
            },
            "prod",
            "the old spelling of stackConfigDir) is given together with stackConfigDir",
        ),
    ],
)
def test_bad_project_or_stack_is_a_usage_error(tmp_path, files, stack, expected):
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    with pytest.raises(UsageError) as err:
        project = gate.load_project(tmp_path)
        gate.load_stack_config(project, stack)
    assert expected in str(err.value)


def test_legacy_config_directory_is_the_stack_config_dir(tmp_path):
    """`config: <dir>` in Pulumi.yaml is the old spelling of `stackConfigDir: <dir>` (the Pulumi CLI
    still reads it so)."""
    (tmp_path / "envs").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: x\nruntime: python\nconfig: envs\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "envs" / "Pulumi.prod.yaml").write_text("config:\n  a: b\n")
    project = gate.load_project(tmp_path)
    assert project.stack_config_dir == (tmp_path / "envs").resolve() and project.config == {}
    assert gate.load_stack_config(project, "prod").values == {"x:a": "b"}


def test_cli_usage_errors_exit_2_without_traceback(tmp_path, capsys):
    assert cli_main(["check", str(tmp_path / "missing"), "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    root = write_program(tmp_path / "p", "")
    (tmp_path / "pc.json").write_text("[1, 2]")
    assert cli_main(["check", str(root), "--stack", "dev", "--policy-config", str(tmp_path / "pc.json")]) == 2
    assert "must hold a JSON object" in capsys.readouterr().err


def test_missing_stack_file_is_empty_config_like_the_cli(tmp_path, pack_spy):
    root = write_program(
        tmp_path / "p",
        "import pulumi\nassert pulumi.Config().get('region') == 'westeurope'\n",
        project_yaml="name: demo\nruntime: python\nconfig:\n  region: westeurope\n",
        stacks={"prod": "config: {}\n"},
    )
    project = gate.load_project(root)
    cfg = gate.load_stack_config(project, "qa", allow_missing_stack_file=True)
    assert cfg.values == {"demo:region": "westeurope"}  # project defaults only
    assert cfg.notes == [
        "no Pulumi.qa.yaml: running with project defaults only (the Pulumi CLI treats a missing stack "
        "config file as empty config); stack files found: Pulumi.prod.yaml"
    ]
    report = gate.check(root, "qa", allow_missing_stack_file=True)
    assert report.ok and [n.kind for n in report.notes] == ["environment"]
    # an invalid stack name is still a usage error
    with pytest.raises(UsageError, match="invalid stack name"):
        gate.load_stack_config(project, "no good")


def test_missing_stack_file_beside_other_stack_files_is_refused_as_a_likely_typo(tmp_path, capsys, pack_spy):
    # 'prodution' would run without the production rules and pass: refuse it, naming the stacks
    root = write_program(
        tmp_path / "p",
        "from secure_scoring import CertificateBundle, CertificateBundleArgs\n\n"
        "CertificateBundle('tls', CertificateBundleArgs(source='self_signed', hostnames=['a.example.test']))\n",
        stacks={"production": "config: {}\n", "dev": "config: {}\n"},
    )
    with pytest.raises(UsageError) as caught:
        gate.check(root, "prodution")
    text = str(caught.value)
    assert caught.value.input_name == "--stack"
    assert "no Pulumi.prodution.yaml" in text and "dev, production" in text
    assert "--allow-missing-stack-file" in text
    assert cli_main(["check", str(root), "--stack", "prodution"]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.prodution.yaml" in err and "Traceback" not in err
    # the opt-out runs it on the project's config, with the note
    assert cli_main(["check", str(root), "--stack", "prodution", "--allow-missing-stack-file"]) == 0
    out = capsys.readouterr()
    assert "no Pulumi.prodution.yaml" in out.out + out.err


def test_a_project_without_any_stack_file_runs_on_its_config(tmp_path, pack_spy):
    root = write_program(tmp_path / "p", "import pulumi\n")
    (root / "Pulumi.dev.yaml").unlink()
    report = gate.check(root, "dev")
    assert report.ok
    assert any("no Pulumi.dev.yaml" in n.message for n in report.notes)


def test_project_namespace_environment_gets_a_note(tmp_path):
    root = write_program(
        tmp_path / "p",
        "",
        stacks={
            "dev": "config:\n  demo:environment: production\n",
            "ok": "config:\n  demo:environment: production\n  secure-scoring:environment: production\n",
        },
    )
    project = gate.load_project(root)
    assert gate.load_stack_config(project, "dev").notes == [
        "demo:environment is set but the policy pack reads secure-scoring:environment: the project-namespace "
        "key is ignored when judging production; write `secure-scoring:environment: production` under `config:` "
        "in Pulumi.dev.yaml (the key needs the secure-scoring: namespace)"
    ]
    assert gate.load_stack_config(project, "ok").notes == []


SELF_SIGNED_RAW = """\
import pulumi_tls as tls

key = tls.PrivateKey("key", algorithm="ECDSA")
tls.SelfSignedCert(
    "cert",
    private_key_pem=key.private_key_pem,
    subject=tls.SelfSignedCertSubjectArgs(common_name="a.example.test"),
    dns_names=["a.example.test"],
    allowed_uses=["server_auth"],
    validity_period_hours=24,
)
"""


def test_a_pulumi_yml_project_reads_its_stack_files_with_the_same_extension(tmp_path, capsys, pack_spy):
    # the Pulumi CLI names a stack file after the project file's extension: Pulumi.yml ->
    # Pulumi.<stack>.yml. Read as Pulumi.live.yaml, the file's `environment: production` was ignored
    # and the self-signed certificate passed as a non-production stack.
    root = tmp_path / "p"
    root.mkdir()
    (root / "Pulumi.yml").write_text("name: demo\nruntime: python\n")
    (root / "__main__.py").write_text(SELF_SIGNED_RAW)
    (root / "Pulumi.live.yml").write_text("config:\n  secure-scoring:environment: production\n")
    cfg = gate.load_stack_config(gate.load_project(root), "live")
    assert cfg.file == root / "Pulumi.live.yml"
    assert "secure-scoring:environment" in cfg.values and cfg.notes == []
    report = gate.check(root, "live")
    assert report.exit_code == 1
    assert "no-self-signed-in-production" in {f.rule for f in report.mandatory}
    # the typo guard sees .yml stack files too
    with pytest.raises(UsageError) as caught:
        gate.check(root, "lvie")
    assert "no Pulumi.lvie.yml" in str(caught.value) and "live" in str(caught.value)


def test_a_stack_file_with_the_other_extension_is_named_in_the_refusal(tmp_path, pack_spy):
    # Pulumi.yaml project, Pulumi.prod.yml stack file: the Pulumi CLI does not read it either
    root = write_program(tmp_path / "p", "import pulumi\n", stacks={})
    (root / "Pulumi.prod.yml").write_text("config: {}\n")
    with pytest.raises(UsageError) as caught:
        gate.check(root, "prod")
    text = str(caught.value)
    assert "Pulumi.prod.yml" in text and "Pulumi.prod.yaml" in text and "rename" in text


def test_a_stack_file_name_given_as_the_stack_names_the_yml_file_in_a_yml_project(tmp_path, capsys):
    """In a Pulumi.yml project the stack file is Pulumi.<stack>.yml: the fix must not send the user
    to a Pulumi.<stack>.yaml the Pulumi CLI ignores."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "Pulumi.yml").write_text("name: p\nruntime: python\n")
    (root / "__main__.py").write_text("import pulumi\n")
    (root / "Pulumi.prod.yml").write_text("config: {}\n")
    assert cli_main(["check", str(root), "--stack", "Pulumi.prod.yml"]) == 2
    err = capsys.readouterr().err
    assert "use --stack prod (check reads Pulumi.prod.yml itself)" in err


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--policy-config", "{root}/missing.json"], "--policy-config"),
        (["--format", "json", "--output", "{root}/no-such-dir/report.json"], "--output"),
    ],
)
def test_unreadable_or_unwritable_files_get_a_fix(tmp_path, capsys, extra, named):
    root = write_project(tmp_path / "p", SELF_SIGNED, {"dev": "config: {}\n"})
    code = cli_main(["check", str(root), "--stack", "dev", *[a.format(root=root) for a in extra]])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    line = next(x for x in err.splitlines() if f"error: {named}:" in x)
    assert "No such file or directory. Fix: " in line


@pytest.mark.parametrize("which", ["Pulumi.yaml", "Pulumi.dev.yaml"])
def test_a_file_that_is_not_utf8_is_a_usage_error(tmp_path, capsys, which):
    root = write_project(tmp_path / "p", "import pulumi\n", {"dev": "config: {}\n"})
    (root / which).write_bytes(b"name: \xff\xfe\n")
    code = cli_main(["check", str(root), "--stack", "dev"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "UnicodeDecodeError" not in err
    assert f"{which}: the " in err and "is not UTF-8 text" in err and "Fix: save it as UTF-8 YAML" in err


@pytest.mark.parametrize("which", ["project", "stack"])
def test_config_that_is_not_a_mapping_says_how_to_write_it(tmp_path, which):
    stacks = {"dev": "config: [1, 2]\n" if which == "stack" else "config: {}\n"}
    root = write_project(tmp_path / "p", "import pulumi\n", stacks)
    if which == "project":
        (root / "Pulumi.yaml").write_text("name: p\nruntime: python\nconfig: [1, 2]\n")
    with pytest.raises(UsageError) as info:
        gate.check(root, "dev")
    assert "must be a mapping" in info.value.problem and info.value.fix


@pytest.mark.parametrize("given", ["Pulumi.prod.yaml", "Pulumi.prod.yml", "stacks/Pulumi.prod.yaml"])
def test_a_stack_file_name_given_as_the_stack_is_refused(tmp_path, capsys, given):
    """`--stack Pulumi.prod.yaml` used to run a stack named "Pulumi.prod.yaml" with no config (and
    pass, not being production) next to the Pulumi.prod.yaml it meant."""
    root = write_project(tmp_path / "p", SELF_SIGNED, {"prod": "config: {}\n"})
    assert cli_main(["check", str(root), "--stack", given]) == 2
    err = capsys.readouterr().err
    assert "is a stack file name, not a stack name. Fix: use --stack prod" in err
