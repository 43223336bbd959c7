"""From diagnostics to the report (gate/findings.py, gate/report.py): notes for values unknown during preview, the engine's URNs, one finding per dev certificate.

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

import json

from secure_scoring import gate, rules
from support.gate_programs import (
    write_program,
)


def test_values_unknown_during_preview_become_notes_not_violations(tmp_path, pack_spy):
    # RandomInteger.result is not faked by the mocks: in preview it stays unknown, as in a real
    # `pulumi preview` of a new stack, and the rule that needs it says it could not judge it
    root = write_program(
        tmp_path / "p",
        "import pulumi_random as random\n"
        "import pulumi_azure_native.containerinstance as ci\n\n"
        "port = random.RandomInteger('port', min=440, max=450)\n"
        "ci.ContainerGroup('g', resource_group_name='rg', os_type='Linux', containers=[ci.ContainerArgs(\n"
        "    name='a', image='i', resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1)))],\n"
        "    ip_address=ci.IpAddressArgs(type='Public', ports=[ci.PortArgs(port=port.result)]))\n",
        stacks={"production": "config: {}\n"},
    )
    report = gate.check(root, "production")
    assert report.ok and report.findings == []
    [note] = [n for n in report.notes if n.kind == "unknown-value"]
    assert note.message.startswith("tls-required: could not judge: ")
    assert "ipAddress.ports[0]" in note.message and note.urn.endswith("ContainerGroup::g")
    assert "could not judge" in gate.render_text(report)
    sarif = json.loads(gate.render_sarif(report))
    assert sarif["runs"][0]["results"] == []
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["level"] == "note"


def test_reports_use_the_engines_urns(tmp_path, pack_spy):
    # the engine's URN: the parent's whole type chain, no `pulumi:pulumi:Stack` (the mock differs)
    root = write_program(
        tmp_path / "p",
        "import pulumi\nimport pulumi_tls as tls\n\n"
        "class Inner(pulumi.ComponentResource):\n"
        "    def __init__(self, name, opts=None):\n"
        "        super().__init__('x:index:Inner', name, {}, opts)\n"
        "        tls.PrivateKey(f'{name}-key', algorithm='ECDSA', ecdsa_curve='P256',\n"
        "                       opts=pulumi.ResourceOptions(parent=self))\n\n"
        "class Outer(pulumi.ComponentResource):\n"
        "    def __init__(self, name):\n"
        "        super().__init__('x:index:Outer', name, {}, None)\n"
        "        Inner(f'{name}-inner', pulumi.ResourceOptions(parent=self))\n\n"
        "Outer('o')\n",
    )
    report = gate.check(root, "dev")
    assert [(r.urn, r.parent) for r in report.resources] == [
        ("urn:pulumi:dev::demo::x:index:Outer::o", "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev"),
        (
            "urn:pulumi:dev::demo::x:index:Outer$x:index:Inner::o-inner",
            "urn:pulumi:dev::demo::x:index:Outer::o",
        ),
        (
            "urn:pulumi:dev::demo::x:index:Outer$x:index:Inner$tls:index/privateKey:PrivateKey::o-inner-key",
            "urn:pulumi:dev::demo::x:index:Outer$x:index:Inner::o-inner",
        ),
    ]


DEV_CERT_PROGRAM = """\
import pulumi
import pulumi_tls as tls
from secure_scoring import CertificateBundle, CertificateBundleArgs

bundle = CertificateBundle("dev-cert", CertificateBundleArgs(source="self_signed", hostnames=["a.example.test"]))


class Mine(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:index:Mine", name)
        k = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=pulumi.ResourceOptions(parent=self))
        tls.SelfSignedCert(f"{name}-cert", private_key_pem=k.private_key_pem, validity_period_hours=24,
            allowed_uses=["server_auth"], dns_names=["b.example.test"], opts=pulumi.ResourceOptions(parent=self))


Mine("mine")
raw_key = tls.PrivateKey("raw-key", algorithm="ECDSA", ecdsa_curve="P256")
tls.SelfSignedCert("raw-cert", private_key_pem=raw_key.private_key_pem, validity_period_hours=24,
    allowed_uses=["server_auth"], dns_names=["c.example.test"])
"""


def test_one_dev_certificate_is_reported_once_at_our_component(tmp_path, pack_spy):
    root = write_program(tmp_path / "p", DEV_CERT_PROGRAM, stacks={"production": "config: {}\n"})
    report = gate.check(root, "production")
    found = {(f.resource_type, f.resource_name): f for f in report.findings if f.rule == rules.NO_SELF_SIGNED}
    # the bundle's own SelfSignedCert child is folded into the bundle's finding ...
    assert set(found) == {
        (rules.CERTIFICATE_BUNDLE, "dev-cert"),
        (rules.TLS_SELF_SIGNED, "mine-cert"),  # ... a user's own component is not ours: kept
        (rules.TLS_SELF_SIGNED, "raw-cert"),  # ... and a hand-written one is always caught
    }
    bundle = found[(rules.CERTIFICATE_BUNDLE, "dev-cert")]
    assert bundle.level == "mandatory"
    assert bundle.message.endswith("(also found on its children: SelfSignedCert 'dev-cert-cert')")
    assert all(f.level == "mandatory" for f in found.values())
    assert not report.ok
