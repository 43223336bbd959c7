"""Running the program (gate/program.py, gate/pulumi_hooks.py): cwd and sys.path, secure values as unknowns, the program's own errors at its own line, pulumi.log.error, duplicate URNs, a failed run that leaves nothing behind.

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from secure_scoring import gate
from secure_scoring.cli import main as cli_main
from secure_scoring.facts import UNKNOWN
from support.gate_programs import (
    DIRECT,
    pack_spy_resources,
    write_program,
    write_project,
)


def test_program_sees_config_secret_placeholder_and_runs_in_its_directory(tmp_path, pack_spy):
    root = write_program(
        tmp_path / "p",
        """\
        import os
        import pulumi
        import helper  # a module next to __main__.py, importable like under the language host

        c = pulumi.Config()
        pulumi.export("cwd", os.getcwd())
        assert c.get_int("count") == 3 and c.get_bool("flag") is True
        assert c.get_object("obj") == {"a": [1, 2]}
        key = c.require_secret("apiKey")
        helper.make(key)
        """,
        stacks={
            "dev": "config:\n  count: 3\n  flag: true\n  obj: {a: [1, 2]}\n  apiKey:\n    secure: AAAB\n"
        },
    )
    (root / "helper.py").write_text(
        "import pulumi_azure_native.containerinstance as ci\n"
        "def make(secret):\n"
        "    return ci.ContainerGroup('g', resource_group_name='rg', os_type='Linux', containers=[ci.ContainerArgs(\n"
        "        name='a', image='i', resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1)),\n"
        "        environment_variables=[ci.EnvironmentVariableArgs(name='K', secure_value=secret)])])\n"
    )
    report = gate.check(root, "dev")
    assert report.ok and [r.type for r in report.resources] == [
        "azure-native:containerinstance:ContainerGroup"
    ]
    [call] = pack_spy
    assert call["stack"] == call["env_stack"] == "dev" and call["env_project"] == call["project"] == "demo"
    assert call["env_config"]["demo:count"] == "3" and call["config"]["demo:count"] == "3"
    assert call["dry_run"] is True and call["env_dry_run"] == "true"
    # the secure value reaches the resource as a secret holding Pulumi's unknown sentinel
    [res] = pack_spy_resources(root)
    env = res.wire_inputs["containers"][0]["environmentVariables"][0]["secureValue"]
    assert env == {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": UNKNOWN,
    }
    assert [n.message for n in report.notes] == [
        "could not judge demo:apiKey: secure value (not decrypted offline; rules that read it treat it as unknown)"
    ]
    assert "helper" not in sys.modules  # the program's own modules are forgotten afterwards


@pytest.mark.parametrize(
    ("main", "line", "expected"),
    [
        (
            "import pulumi\n\nhost = pulumi.Config().require('hostname')\n",
            3,
            "ConfigMissingError: Missing required configuration variable 'demo:hostname'",
        ),
        (
            "import pulumi\n\n\ndef boom(v):\n    raise ValueError('bad value in apply')\n\n\npulumi.Output.from_input(1).apply(boom)\n",
            5,
            "ValueError: bad value in apply",
        ),
        ("x = (\n", 1, "SyntaxError"),
        (
            "from secure_scoring import CertificateBundle, CertificateBundleArgs\n\n"
            # (a refusal that a rule names is a violation instead: tests/gate/test_gate_refusals.py)
            "CertificateBundle('tls', CertificateBundleArgs(source='self_signed', environment='dev',\n"
            "                  hostnames=[]))\n",
            3,
            "ConfigurationError",
        ),
    ],
)
def test_program_failure_exits_2_with_the_programs_error(tmp_path, capsys, pack_spy, main, line, expected):
    root = write_program(tmp_path / "p", main)
    rc = cli_main(["check", str(root), "--stack", "dev"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "the program failed" in err
    assert f"__main__.py:{line}: " in err
    assert expected.split(":")[0] in err and expected.split(": ", 1)[-1] in err
    assert "Traceback" not in err and "gate.py" not in err and "secure_scoring/gate/" not in err


def test_secure_value_parsed_by_program_fails_with_a_hint(tmp_path, capsys, pack_spy):
    root = write_program(
        tmp_path / "p",
        "import pulumi\nport = pulumi.Config().get_int('port')\n",
        stacks={"dev": "config:\n  port:\n    secure: AAAB\n"},
    )
    assert cli_main(["check", str(root), "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "demo:port is a secure value that the offline gate cannot decrypt" in err


def test_pulumi_log_error_fails_like_a_preview(tmp_path, capsys, pack_spy):
    root = write_program(tmp_path / "p", "import pulumi\npulumi.log.error('no region set')\n")
    assert cli_main(["check", str(root), "--stack", "dev"]) == 2
    assert "no region set" in capsys.readouterr().err


def test_secure_key_in_config_is_unknown_to_the_program_not_a_broken_pem(tmp_path, pack_spy):
    # A production key kept as a secure config value: offline it cannot be decrypted. The program
    # gets an *unknown* secret Output (as in a preview), so the certificate component does not fail
    # on a placeholder; the gate passes and says what it could not judge.
    chain = (
        Path(__file__).resolve().parents[2] / "stacks" / "certs" / "production-fullchain.pem"
    ).read_text()
    indented = "".join(f"    {line}\n" for line in chain.splitlines())
    root = write_program(
        tmp_path / "p",
        "import pulumi\n"
        "from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs\n\n"
        "c = pulumi.Config()\n"
        "key = c.require_secret('tlsKeyPem')\n"
        "key.apply(lambda k: (_ for _ in ()).throw(RuntimeError('apply ran on ' + k)))\n"
        "from pathlib import Path\n"
        f"ROOT = Path({str(Path(__file__).resolve().parents[2] / 'stacks' / 'certs' / 'example-root-ca.pem')!r}).read_text()\n"
        "CertificateBundle('tls', CertificateBundleArgs(source='pem', cert_pem=c.require('certPem'),\n"
        "    key_pem=key, hostnames=['scoring.example.com'], environment='production', ca_bundle_pem=ROOT))\n",
        stacks={"production": f"config:\n  tlsKeyPem:\n    secure: v1:AAAAB\n  certPem: |\n{indented}"},
    )
    report = gate.check(root, "production")
    assert report.ok and report.findings == []
    kinds = [n.kind for n in report.notes]
    assert (
        kinds[0] == "secure-config"
        and "could not judge demo:tlsKeyPem: secure value" in report.notes[0].message
    )
    # the certificate itself is plain config: it is judged offline (self-signed, expiry, names),
    # only the key check waits for the key
    assert "unknown-value" not in kinds, [n.message for n in report.notes]
    assert all("could not judge: could not judge" not in n.message for n in report.notes)


def test_self_signed_certificate_with_a_secure_key_is_refused_in_production(tmp_path, capsys, pack_spy):
    # The stacks' recommended layout (certPem plain, tlsKeyPem secure) must not hide a self-signed
    # certificate from the offline gate just because the key cannot be decrypted there.
    from support.certs import CertFactory

    leaf = CertFactory(tmp_path / "pki").self_signed(["scoring.example.com"])
    indented = "".join(f"    {line}\n" for line in leaf.chain_pem().splitlines())
    main = (
        "import pulumi\n"
        "from secure_scoring import CertificateBundle, CertificateBundleArgs, SecureAciService, SecureAciServiceArgs\n\n"
        "c = pulumi.Config()\n"
        "cert = CertificateBundle('tls', CertificateBundleArgs(source='pem', cert_pem=c.require('certPem'),\n"
        "    key_pem=c.require_secret('tlsKeyPem'), hostnames=['scoring.example.com']))\n"
        "SecureAciService('svc', SecureAciServiceArgs(resource_group_name='rg', certificate=cert,\n"
        "    hostname='scoring.example.com', dns_name_label='contoso-scoring'))\n"
    )
    stack = f"config:\n  tlsKeyPem:\n    secure: v1:AAAAB\n  certPem: |\n{indented}"
    root = write_program(tmp_path / "p", main, stacks={"production": stack, "dev": stack})
    assert cli_main(["check", str(root), "--stack", "production"]) != 0
    out = capsys.readouterr()
    assert "self-signed" in (out.out + out.err)
    assert "PRIVATE KEY" not in out.out + out.err
    # in dev the same certificate is allowed, and the service records it as self-signed (not a guess)
    report = gate.check(root, "dev")
    assert report.ok


def test_duplicate_resource_names_fail_like_the_engine(tmp_path, capsys, pack_spy):
    root = write_program(
        tmp_path / "p",
        "import pulumi_tls as tls\n\nfor algorithm in ('RSA', 'ECDSA'):\n"
        "    tls.PrivateKey('key', algorithm=algorithm)\n",
    )
    assert cli_main(["check", str(root), "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "__main__.py:4: ResourceError: Duplicate resource URN" in err and "::key'" in err


def test_pulumi_log_error_is_located_at_the_call(tmp_path, capsys, pack_spy):
    root = write_program(tmp_path / "p", "import pulumi\nimport checks\n\nchecks.verify()\n")
    (root / "checks.py").write_text(
        "import pulumi\n\n\ndef verify():\n    pulumi.log.warn('fine')\n    pulumi.log.error('no region set')\n"
    )
    assert cli_main(["check", str(root), "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "checks.py:6: pulumi.log.error: no region set" in err, err
    import pulumi

    assert pulumi.log.error.__module__ == "pulumi.log"  # the wrapper is removed after the run


def test_program_with_null_bytes_is_located_in_the_program(tmp_path, capsys):
    """compile() refuses null bytes with a SyntaxError that has no file name; the location must be
    the program's file, not runpy's `<frozen runpy>` made to look like a program file."""
    root = write_project(tmp_path / "p", "", {"dev": "config: {}\n"})
    (root / "__main__.py").write_bytes(b"import pulumi\n\x00\n")
    with pytest.raises(gate.ProgramError) as info:
        gate.check(root, "dev")
    assert info.value.location is not None
    assert info.value.location.path == (root / "__main__.py").resolve()
    assert "<" not in str(info.value.location.path)


APPLY_VALUE_ERROR = """\
import pulumi
import pulumi_azure_native.containerinstance as ci


def port_of(v):
    return int("not-a-port")  # line 6


port = pulumi.Output.from_input("443").apply(port_of)
ci.ContainerGroup("g", resource_group_name="rg", os_type="Linux", containers=[],
                  ip_address=ci.IpAddressArgs(type="Public", ports=[ci.PortArgs(port=port)]))
"""


BUNDLE_FROM_OUTPUTS = """\
import pulumi_tls as tls
from secure_scoring import CertificateBundle, CertificateBundleArgs

key = tls.PrivateKey("k", algorithm="ECDSA", ecdsa_curve="P256")
cert = tls.SelfSignedCert("c", private_key_pem=key.private_key_pem, validity_period_hours=8760,
                          allowed_uses=["server_auth"], dns_names=["api.contoso.test"],
                          subject=tls.SelfSignedCertSubjectArgs(common_name="api"))
CertificateBundle("tls", CertificateBundleArgs(  # line 8
    source="pem", cert_pem=cert.cert_pem, key_pem=key.private_key_pem,
    hostnames=["api.contoso.test"], environment="production"))
"""


@pytest.mark.parametrize(
    ("main", "line", "kind", "message"),
    [
        (APPLY_VALUE_ERROR, 6, "ValueError", "invalid literal for int() with base 10: 'not-a-port'"),
        (BUNDLE_FROM_OUTPUTS, 8, "CertificateBundleError", "CertificateBundle('tls') [cert_pem/key_pem]"),
    ],
)
def test_errors_raised_while_pulumi_prepares_inputs_are_the_programs_own(tmp_path, main, line, kind, message):
    """The SDK wraps a ValueError from an input's apply in "While processing resource ... ValueError
    has risen: While processing input ... value <Output object at 0x...>"; the gate shows the
    original error, at the program's line (the apply's, else the line that created the resource)."""
    root = write_project(tmp_path / "p", main, {"prod": "config: {}\n"})
    with pytest.raises(gate.ProgramError) as info:
        gate.check(root, "prod")
    err = info.value
    assert (err.kind, err.location.path.name, err.location.line) == (kind, "__main__.py", line)
    assert err.message.startswith(message)
    assert "While processing" not in err.message and "object at 0x" not in err.message


def test_a_failed_run_leaves_nothing_that_reports_later(tmp_path, capsys):
    """The failed run's futures are finalized by the gate, quietly: a later run or garbage collection
    in the same process prints no "Future exception was never retrieved" tracebacks (and, on
    CPython 3.11, no finalizer runs inside a later compile(): "AST constructor recursion depth")."""
    import gc

    failing = write_project(tmp_path / "bad", BUNDLE_FROM_OUTPUTS, {"prod": "config: {}\n"})
    ok = write_project(tmp_path / "ok", DIRECT, {"prod": "config: {}\n"})
    for _ in range(2):
        with pytest.raises(gate.ProgramError):
            gate.check(failing, "prod")
        assert gate.check(ok, "prod").exit_code == 1
        gc.collect()
    err = capsys.readouterr().err
    assert "never retrieved" not in err and "Traceback" not in err
    import asyncio

    unreported = [
        o
        for o in gc.get_objects()
        if isinstance(o, asyncio.Future) and o.done() and not o.cancelled() and o._log_traceback
    ]
    assert unreported == []  # none left to print "exception was never retrieved" later
