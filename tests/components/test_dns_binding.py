"""DnsRecordBinding under mocks: record types, public/private zones, wire inputs, refusals, outputs."""

from __future__ import annotations

from typing import Any

import pytest

from secure_scoring.components.aci import SecureAciService, SecureAciServiceArgs
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs
from secure_scoring.components.inputs import host_input, label_input
from secure_scoring.errors import ConfigurationError
from secure_scoring.gate.mocking import output_value, run_with_mocks

PUBLIC = "azure-native:dns:RecordSet"
PRIVATE = "azure-native:privatedns:PrivateRecordSet"
BINDING = "secure-scoring:index:DnsRecordBinding"
ZONE = "example.test"
PIP_ID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/router-ip"


def bind(expect_error: bool = False, **kwargs: Any):
    """Run one DnsRecordBinding named ``rec`` under mocks; return (recording, binding or error)."""
    box: dict[str, Any] = {}
    args = {"zone_name": ZONE, "resource_group_name": "rg-dns", **kwargs}

    def program():
        try:
            box["rec"] = DnsRecordBinding("rec", DnsRecordBindingArgs(**args))
        except ConfigurationError as exc:
            if not expect_error:
                raise
            box["error"] = exc

    rec = run_with_mocks(program)
    if expect_error:
        assert "error" in box, "expected a ConfigurationError"
        assert rec.resources == [], "nothing may be registered when the binding is refused"
        return rec, box["error"]
    return rec, box["rec"]


def only_child(rec):
    comp = rec.one(BINDING)
    (child,) = rec.children_of(comp.urn)
    return comp, child


# -- record kinds ----------------------------------------------------------------------------------------


def test_cname_in_a_public_zone():
    rec, b = bind(relative_name="scoring", target_fqdn="svc.westeurope.azurecontainer.io.")
    comp, child = only_child(rec)
    assert (child.type, child.name, child.custom) == (PUBLIC, "rec-record", True)
    assert child.wire_inputs == {
        "resourceGroupName": "rg-dns",
        "zoneName": ZONE,
        "relativeRecordSetName": "scoring",
        "recordType": "CNAME",
        "ttl": 300.0,
        "cnameRecord": {"cname": "svc.westeurope.azurecontainer.io"},
    }
    assert output_value(b.fqdn) == "scoring.example.test"  # Azure's trailing dot dropped
    assert b.record_type == "CNAME"
    assert output_value(b.target) == "svc.westeurope.azurecontainer.io"


def test_a_record_and_aaaa_record():
    rec, b = bind(relative_name="api.dev", target_ip="20.50.1.2", ttl=60.0)
    _, child = only_child(rec)
    assert child.wire_inputs["recordType"] == "A"
    assert child.wire_inputs["aRecords"] == [{"ipv4Address": "20.50.1.2"}]
    assert child.wire_inputs["ttl"] == 60.0
    assert output_value(b.fqdn) == "api.dev.example.test"

    rec6, b6 = bind(relative_name="scoring", target_ip="2001:4860:4860::8888")
    _, child6 = only_child(rec6)
    assert child6.wire_inputs["recordType"] == "AAAA"
    assert child6.wire_inputs["aaaaRecords"] == [{"ipv6Address": "2001:4860:4860::8888"}]


def test_alias_a_record_to_a_public_ip_at_the_apex():
    rec, b = bind(relative_name="@", target_resource_id=PIP_ID)
    _, child = only_child(rec)
    assert child.type == PUBLIC
    assert child.wire_inputs["recordType"] == "A"
    assert child.wire_inputs["relativeRecordSetName"] == "@"
    assert child.wire_inputs["targetResource"] == {"id": PIP_ID}
    assert "aRecords" not in child.wire_inputs
    assert output_value(b.fqdn) == ZONE


def test_private_zone_records():
    rec, b = bind(relative_name="scoring", target_ip="10.1.2.3", private=True)
    _, child = only_child(rec)
    assert (child.type, child.name) == (PRIVATE, "rec-record")
    assert child.wire_inputs == {
        "resourceGroupName": "rg-dns",
        "privateZoneName": ZONE,
        "relativeRecordSetName": "scoring",
        "recordType": "A",
        "ttl": 300.0,
        "aRecords": [{"ipv4Address": "10.1.2.3"}],
    }
    rec2, _ = bind(relative_name="scoring", target_fqdn="router.internal.example", private=True)
    _, child2 = only_child(rec2)
    assert child2.type == PRIVATE and child2.wire_inputs["cnameRecord"] == {
        "cname": "router.internal.example"
    }


def test_full_name_inside_the_zone_and_metadata():
    rec, b = bind(fqdn="Scoring.Example.Test.", target_fqdn="svc.example.net", metadata={"owner": "ml"})
    _, child = only_child(rec)
    assert child.wire_inputs["relativeRecordSetName"] == "scoring"
    assert child.wire_inputs["metadata"] == {"owner": "ml"}
    assert output_value(b.fqdn) == "scoring.example.test"


def test_props_and_outputs_for_the_policy_pack():
    rec, _ = bind(
        relative_name="scoring", target_fqdn="svc.example.net", certificate_hostnames=["*.example.test"]
    )
    comp, child = only_child(rec)
    assert comp.inputs == {
        "fqdn": "scoring.example.test",
        "zoneName": ZONE,
        "relativeName": "scoring",
        "recordType": "CNAME",
        "targetKind": "cname",
        "certificateHostnames": ["*.example.test"],
        "ttl": 300.0,
        "private": False,
    }
    out = comp.outputs
    assert out["fqdn"] == "scoring.example.test" and out["record_type"] == "CNAME"
    assert out["target"] == "svc.example.net" and out["ttl"] == 300.0 and out["private"] is False
    assert out["record_id"] == child.id


# -- certificate coverage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "hostnames", "ok"),
    [
        ("scoring", ["*.example.test"], True),
        ("a.b", ["*.example.test"], False),  # a wildcard covers one label only
        ("scoring", ["scoring.example.test"], True),
        ("scoring", ["other.example.test"], False),
        ("scoring", ["SCORING.example.test."], True),
    ],
)
def test_certificate_hostnames_must_cover_the_name(relative, hostnames, ok):
    if ok:
        bind(relative_name=relative, target_ip="20.50.1.2", certificate_hostnames=hostnames)
    else:
        _, err = bind(
            expect_error=True, relative_name=relative, target_ip="20.50.1.2", certificate_hostnames=hostnames
        )
        assert str(err).startswith("relative_name:") and "does not cover" in str(err)


def test_apex_is_not_covered_by_a_wildcard():
    _, err = bind(
        expect_error=True, relative_name="@", target_ip="20.50.1.2", certificate_hostnames=["*.example.test"]
    )
    assert "does not cover example.test" in str(err)


def test_a_certificate_bundle_is_checked(pki, tmp_path):
    chain = pki.leaf.write_chain(tmp_path / "chain.pem")
    seen: dict[str, Any] = {}

    def program():
        cert = CertificateBundle.from_files("cert", chain, pki.leaf.key_path)
        ok = DnsRecordBinding(
            "ok",
            DnsRecordBindingArgs(
                zone_name=ZONE,
                resource_group_name="rg",
                relative_name="scoring",
                target_ip="20.50.1.2",
                certificate=cert,
            ),
        )
        seen["ok"] = ok
        try:
            DnsRecordBinding(
                "bad",
                DnsRecordBindingArgs(
                    zone_name=ZONE,
                    resource_group_name="rg",
                    relative_name="www",
                    target_ip="20.50.1.2",
                    certificate=cert,
                ),
            )
        except ConfigurationError as exc:
            seen["error"] = exc

    rec = run_with_mocks(program)
    assert "does not cover www.example.test" in str(seen["error"])
    assert [r.name for r in rec.by_type(BINDING)] == ["ok"]
    assert "scoring.example.test" in rec.one(BINDING).inputs["certificateHostnames"]


# -- a service as the target -------------------------------------------------------------------------------


def _service_program(box, relative_name: str, **extra):
    def program():
        cert = CertificateBundle(
            "cert",
            CertificateBundleArgs(
                source="self_signed", hostnames=["scoring.example.test"], environment="dev"
            ),
        )
        svc = SecureAciService(
            "svc",
            SecureAciServiceArgs(
                resource_group_name="rg",
                certificate=cert,
                hostname="scoring.example.test",
                dns_name_label="contoso-scoring",
            ),
        )
        box["svc"] = svc
        try:
            box["rec"] = DnsRecordBinding(
                "rec",
                DnsRecordBindingArgs(
                    zone_name=ZONE, resource_group_name="rg", relative_name=relative_name, target=svc, **extra
                ),
            )
        except ConfigurationError as exc:
            box["error"] = exc

    return program


def test_service_target_gives_a_cname_to_the_group_fqdn_checked_against_its_certificate():
    box: dict[str, Any] = {}
    rec = run_with_mocks(_service_program(box, "scoring"))
    comp, child = only_child(rec)
    assert child.type == PUBLIC and child.wire_inputs["recordType"] == "CNAME"
    assert child.wire_inputs["cnameRecord"] == {"cname": "contoso-scoring.westeurope.azurecontainer.io"}
    assert comp.inputs["certificateHostnames"] == ["scoring.example.test"]
    assert output_value(box["rec"].fqdn) == "scoring.example.test"


def test_service_target_with_another_name_is_refused():
    box: dict[str, Any] = {}
    rec = run_with_mocks(_service_program(box, "www", certificate_hostnames=["*.example.test"]))
    assert "differs from the service's hostname scoring.example.test" in str(box["error"])
    assert rec.by_type(BINDING) == [] and rec.by_type(PUBLIC) == []


# -- refusals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "input_name", "fragment"),
    [
        (
            {"relative_name": "scoring.example.test.", "target_ip": "20.50.1.2"},
            "relative_name",
            "ends with a dot",
        ),
        (
            {"relative_name": "scoring.example.test", "target_ip": "20.50.1.2"},
            "relative_name",
            "already ends with the zone",
        ),
        ({"fqdn": "scoring.other.test", "target_ip": "20.50.1.2"}, "zone_name", "cannot contain"),
        ({"fqdn": "badexample.test", "target_ip": "20.50.1.2"}, "zone_name", "cannot contain"),
        ({"relative_name": "@", "target_fqdn": "svc.example.net"}, "relative_name", "apex"),
        ({"relative_name": "sc_oring", "target_ip": "20.50.1.2"}, "relative_name", "use a hyphen instead"),
        ({"relative_name": "a..b", "target_ip": "20.50.1.2"}, "relative_name", "empty"),
        ({"relative_name": "*", "target_ip": "20.50.1.2"}, "relative_name", "is a wildcard"),
        (
            {"relative_name": "scoring", "fqdn": "scoring.example.test", "target_ip": "20.50.1.2"},
            "relative_name",
            "exactly one",
        ),
        ({"relative_name": "scoring"}, "target", "exactly one target"),
        (
            {"relative_name": "scoring", "target_ip": "20.50.1.2", "target_fqdn": "a.example.net"},
            "target",
            "got 2",
        ),
        ({"relative_name": "scoring", "target_ip": "not-an-ip"}, "target_ip", "not an IP"),
        ({"relative_name": "scoring", "target_ip": "10.0.0.4"}, "target_ip", "not a public address"),
        (
            {"relative_name": "scoring", "target_resource_id": PIP_ID, "private": True},
            "target_resource_id",
            "public Azure DNS",
        ),
        (
            {"relative_name": "scoring", "target_resource_id": "/subscriptions/0/vnets/x"},
            "target_resource_id",
            "public IP",
        ),
        ({"relative_name": "scoring", "target_fqdn": "scoring.example.test"}, "target_fqdn", "itself"),
        (
            {"relative_name": "scoring", "target_fqdn": "bad_host.example"},
            "target_fqdn",
            "use a hyphen instead",
        ),
        ({"relative_name": "scoring", "target_ip": "20.50.1.2", "ttl": 0}, "ttl", "outside"),
        ({"relative_name": "scoring", "target_ip": "20.50.1.2", "ttl": 86401}, "ttl", "outside"),
        ({"relative_name": "scoring", "target_ip": "20.50.1.2", "ttl": 300.5}, "ttl", "whole number"),
        ({"relative_name": "scoring", "target_ip": "20.50.1.2", "ttl": "300"}, "ttl", "not a number"),
        (
            {
                "relative_name": "scoring",
                "target_ip": "20.50.1.2",
                "certificate_hostnames": "scoring.example.test",
            },
            "certificate_hostnames",
            "one string",
        ),
        (
            {"zone_name": "exa mple.test", "relative_name": "scoring", "target_ip": "20.50.1.2"},
            "zone_name",
            "letters, digits",
        ),
        ({"relative_name": "scoring", "target": "svc.example.net"}, "target", "not a service"),
        # wrong types get a message about the type, not "empty" or a traceback at serialisation
        ({"relative_name": "scoring", "target_fqdn": "20.50.1.2"}, "target_fqdn", "target_ip='20.50.1.2'"),
        (
            {"relative_name": "scoring", "target_ip": "20.50.1.2", "metadata": ["owner"]},
            "metadata",
            "got list",
        ),
        (
            {"relative_name": "scoring", "target_ip": "20.50.1.2", "resource_group_name": None},
            "resource_group_name",
            "required",
        ),
        ({"relative_name": "scoring", "target_ip": ["20.50.1.2"]}, "target_ip", "got list"),
        ({"relative_name": "scoring", "target_fqdn": ["a.example.net"]}, "target_fqdn", "got list"),
        ({"zone_name": 5, "relative_name": "scoring", "target_ip": "20.50.1.2"}, "zone_name", "got int"),
        ({"relative_name": 5, "target_ip": "20.50.1.2"}, "relative_name", "got int"),
        ({"fqdn": ["scoring.example.test"], "target_ip": "20.50.1.2"}, "fqdn", "got list"),
        (
            {"relative_name": "scoring", "target_ip": "20.50.1.2", "certificate_hostnames": [5]},
            "certificate_hostnames[0]",
            "got int",
        ),
    ],
)
def test_refusals_name_the_input_and_register_nothing(kwargs, input_name, fragment):
    _, err = bind(expect_error=True, **kwargs)
    text = str(err)
    assert text.startswith(input_name + ":"), text
    assert fragment in text, text
    assert "Fix:" in text or input_name == "target"


def test_an_output_where_a_plain_name_is_required_is_named_as_such():
    seen: dict[str, Any] = {}

    def program():
        import pulumi

        for field in ("zone_name", "relative_name"):
            args = {"zone_name": ZONE, "relative_name": "scoring", "target_ip": "20.50.1.2"}
            args[field] = pulumi.Output.from_input(args[field])
            try:
                DnsRecordBinding("rec", DnsRecordBindingArgs(resource_group_name="rg", **args))
            except ConfigurationError as exc:
                seen[field] = str(exc)

    rec = run_with_mocks(program)
    assert rec.by_type(BINDING) == []
    for field in ("zone_name", "relative_name"):
        assert seen[field].startswith(field + ":") and "got Output" in seen[field], seen[field]
        assert "empty" not in seen[field]


def test_microsoft_managed_certificate_is_refused():
    seen: dict[str, Any] = {}

    def program():
        cert = CertificateBundle(
            "cert",
            CertificateBundleArgs(
                source="microsoft_managed", leaf_domain_label="scoring", location="westeurope"
            ),
        )
        try:
            DnsRecordBinding(
                "rec",
                DnsRecordBindingArgs(
                    zone_name=ZONE,
                    resource_group_name="rg",
                    relative_name="scoring",
                    target_ip="20.50.1.2",
                    certificate=cert,
                ),
            )
        except ConfigurationError as exc:
            seen["error"] = exc

    rec = run_with_mocks(program)
    assert str(seen["error"]).startswith("certificate:") and "Microsoft-managed" in str(seen["error"])
    assert rec.by_type(BINDING) == []


# -- pure helpers ------------------------------------------------------------------------------------------


def test_hostname_helpers():
    assert host_input("Scoring.Example.COM.", "h") == "scoring.example.com"
    assert label_input("xn--bcher-kva", "l") == "xn--bcher-kva"
    # names.py decides: a Unicode label is its IDNA (UTS 46) A-label, not a refusal (issue 11)
    assert label_input("bücher", "l") == "xn--bcher-kva"
    for bad in ("a" * 64, "", "-a", "a-", "a b"):
        with pytest.raises(ConfigurationError):
            label_input(bad, "l")
    with pytest.raises(ConfigurationError, match="253"):
        host_input(".".join(["a" * 60] * 5), "h")


def test_an_internationalised_name_is_its_idna_a_label():
    """Issue 11: names.py decides for every caller; ``Bücher.Example.test.`` is accepted (UTS 46)."""
    rec, binding = bind(
        fqdn="Bücher.Example.test.", target_ip="20.50.1.2", certificate_hostnames=["*.example.test"]
    )
    assert binding.hostname == "xn--bcher-kva.example.test"
    assert binding.relative_name == "xn--bcher-kva"
    assert rec.one(PUBLIC).inputs["relativeRecordSetName"] == "xn--bcher-kva"
    _, binding = bind(relative_name="Bücher", target_ip="20.50.1.2")
    assert binding.hostname == "xn--bcher-kva.example.test"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fqdn": "scoring.example.test..", "target_ip": "20.50.1.2"},
        {"zone_name": "example.test..", "relative_name": "scoring", "target_ip": "20.50.1.2"},
        {"relative_name": "scoring", "target_fqdn": "svc.example.net.."},
    ],
)
def test_a_doubled_trailing_dot_is_refused(kwargs):
    _, err = bind(expect_error=True, **kwargs)
    assert "empty label" in str(err) and "Fix:" in str(err), str(err)
