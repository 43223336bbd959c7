"""SecureAciService blue/green slots under mocks (issue 14, docs/runbooks/zero-downtime.md).

The runbook's ``pulumi up`` sequence as successive programs: the exact children at each step, the
DNS record's target, the set of groups, the keys each group accepts, blue untouched while green is
added, the refusals (each naming the input) and the policy pack judging every slot's group.
"""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pytest

from secure_scoring.components.aci import AciSlotArgs, SecureAciService, SecureAciServiceArgs
from secure_scoring.components.aci.slots import SLOT_OVERRIDES
from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
from secure_scoring.components.dns_binding import DnsRecordBinding, DnsRecordBindingArgs
from secure_scoring.errors import ConfigurationError
from secure_scoring.gate.mocking import output_value, run_with_mocks, unwrap_secrets

GROUP = "azure-native:containerinstance:ContainerGroup"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
RECORD = "azure-native:dns:RecordSet"
SERVICE = "secure-scoring:index:SecureAciService"
HOST = "scoring.example.test"
LABEL = "contoso-scoring"


def bundle(name: str, hostnames: tuple[str, ...] = (HOST,)) -> CertificateBundle:
    return CertificateBundle(
        name, CertificateBundleArgs(source="self_signed", hostnames=list(hostnames), environment="dev")
    )


def run(slots: list[dict[str, Any]] | None, active: str | None, **service: Any):
    """One program: the service (named ``svc``, primary v3 / secondary v2) and its DNS record. Each
    slot dict is AciSlotArgs' fields; ``certificate`` names a bundle ("renewed" or "other")."""
    box: dict[str, Any] = {}

    def program():
        # bundles by name: "cert" (the service's), "renewed" (a slot's), "other" (for another name)
        hostnames = {"cert": (HOST,), "renewed": (HOST,), "other": ("other.example.test",)}
        certs = {"cert": bundle("cert")}
        for s in slots or []:
            if "certificate" in s and s["certificate"] not in certs:
                certs[s["certificate"]] = bundle(s["certificate"], hostnames[s["certificate"]])
        slot_args = None
        if slots is not None:
            slot_args = [
                AciSlotArgs(
                    **{**s, **({"certificate": certs[s["certificate"]]} if "certificate" in s else {})}
                )
                for s in slots
            ]
        args = {
            "resource_group_name": "rg",
            "certificate": certs["cert"],
            "hostname": HOST,
            "dns_name_label": LABEL,
            "primary_key_version": 3,
            "secondary_key_version": 2,
            "slots": slot_args,
            "active_slot": active,
            **service,
        }
        svc = SecureAciService("svc", SecureAciServiceArgs(**args))
        DnsRecordBinding(
            "dns",
            DnsRecordBindingArgs(
                zone_name="example.test",
                resource_group_name="rg",
                relative_name="scoring",
                target=svc,
                ttl=60,
            ),
        )
        box["svc"] = svc

    return run_with_mocks(program), box["svc"]


def refused(slots: Any, active: Any, **service: Any) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        run(slots, active, **service)
    return info.value


def children(rec) -> list[tuple[str, str]]:
    svc = rec.one(SERVICE)
    return sorted((c.type, c.name) for c in rec.children_of(svc.urn))


def record_target(rec) -> str:
    return rec.one(RECORD).inputs["cnameRecord"]["cname"]


def groups(rec) -> dict[str, str]:
    """child name -> DNS label of every container group."""
    return {g.name: g.inputs["ipAddress"]["dnsNameLabel"] for g in rec.by_type(GROUP)}


def secret_files(group) -> dict[str, str]:
    (volume,) = group.wire_inputs["volumes"]
    return {k: base64.b64decode(v).decode() for k, v in unwrap_secrets(volume["secret"]).items()}


def keys_by_child(rec) -> dict[str, str]:
    return {pw.name: pw.state["result"] for pw in rec.by_type(RANDOM_PASSWORD)}


def accepted_keys(rec, group_name: str) -> set[str]:
    """The key children whose value the group's gateway accepts (its keys.conf)."""
    group = next(g for g in rec.by_type(GROUP) if g.name == group_name)
    keys_conf = secret_files(group)["keys.conf"]
    return {child for child, value in keys_by_child(rec).items() if value in keys_conf}


def normalized_group(rec, group_name: str) -> dict[str, Any]:
    """The group's inputs with its secret files decoded and every generated value (keys, certificate
    and private key of the mocks) replaced by the name of the child that generated it: equal across
    two programs iff Pulumi would see no change to the group."""
    group = next(g for g in rec.by_type(GROUP) if g.name == group_name)
    generated = {
        str(v): f"<{r.name}.{k}>"
        for r in rec.resources
        if r.custom and r.type != GROUP
        for k, v in r.state.items()
        if isinstance(v, str) and len(v) > 24
    }
    inputs = {k: v for k, v in group.wire_inputs.items() if k != "volumes"}
    files = secret_files(group)
    for value, placeholder in generated.items():
        files = {name: text.replace(value, placeholder) for name, text in files.items()}
    return {**inputs, "files": files}


# -- the runbook's sequence, step by step -------------------------------------------------------------

BLUE = {"name": "blue"}
GREEN = {"name": "green", "certificate": "renewed", "primary_key_version": 4, "cpu": 2.0}

STEPS = {
    "0 blue serves": ([BLUE], "blue"),
    "1 green added": ([BLUE, GREEN], "blue"),
    "3 record moved": ([BLUE, GREEN], "green"),
    "5 blue removed": ([GREEN], "green"),
}


@pytest.fixture(scope="module")
def sequence():
    return {step: run(slots, active) for step, (slots, active) in STEPS.items()}


def test_exact_children_at_each_step(sequence):
    expected = {
        "0 blue serves": ["svc-blue-group", "svc-primary-key-3", "svc-secondary-key-2"],
        "1 green added": [
            "svc-blue-group",
            "svc-green-group",
            "svc-primary-key-3",
            "svc-primary-key-4",
            "svc-secondary-key-2",
        ],
        "3 record moved": [
            "svc-blue-group",
            "svc-green-group",
            "svc-primary-key-3",
            "svc-primary-key-4",
            "svc-secondary-key-2",
        ],
        "5 blue removed": ["svc-green-group", "svc-primary-key-4", "svc-secondary-key-2"],
    }
    for step, (rec, _) in sequence.items():
        names = [name for _, name in children(rec)]
        assert sorted(names) == expected[step], step
        types = {name: t for t, name in children(rec)}
        assert all(types[n] == (GROUP if n.endswith("-group") else RANDOM_PASSWORD) for n in names)
        # nothing of the service outside its children
        assert len(rec.by_type(GROUP)) == sum(n.endswith("-group") for n in names)


def test_the_record_and_the_groups_at_each_step(sequence):
    blue_fqdn = f"{LABEL}-blue.westeurope.azurecontainer.io"
    green_fqdn = f"{LABEL}-green.westeurope.azurecontainer.io"
    walk = [
        (step, record_target(rec), groups(rec), output_value(svc.fqdn))
        for step, (rec, svc) in sequence.items()
    ]
    assert walk == [
        ("0 blue serves", blue_fqdn, {"svc-blue-group": f"{LABEL}-blue"}, blue_fqdn),
        (
            "1 green added",
            blue_fqdn,
            {"svc-blue-group": f"{LABEL}-blue", "svc-green-group": f"{LABEL}-green"},
            blue_fqdn,
        ),
        (
            "3 record moved",
            green_fqdn,
            {"svc-blue-group": f"{LABEL}-blue", "svc-green-group": f"{LABEL}-green"},
            green_fqdn,
        ),
        ("5 blue removed", green_fqdn, {"svc-green-group": f"{LABEL}-green"}, green_fqdn),
    ]


def test_adding_green_leaves_blue_untouched(sequence):
    # step 1's preview must show no change to blue's group (a changed volume would restart it)
    before = normalized_group(sequence["0 blue serves"][0], "svc-blue-group")
    after = normalized_group(sequence["1 green added"][0], "svc-blue-group")
    assert before == after
    # and moving the record changes neither group
    moved = sequence["3 record moved"][0]
    assert normalized_group(moved, "svc-blue-group") == after
    assert normalized_group(moved, "svc-green-group") == normalized_group(
        sequence["1 green added"][0], "svc-green-group"
    )


def test_green_accepts_the_key_clients_use_and_the_new_primary(sequence):
    rec, _ = sequence["1 green added"]
    # the secondary (the key clients use during a rotation) is ONE key, accepted by both groups
    assert accepted_keys(rec, "svc-blue-group") == {"svc-primary-key-3", "svc-secondary-key-2"}
    assert accepted_keys(rec, "svc-green-group") == {"svc-primary-key-4", "svc-secondary-key-2"}
    for pw in rec.by_type(RANDOM_PASSWORD):
        assert pw.inputs["keepers"] == {"rotation": pw.name.rsplit("-", 1)[-1]}
        assert pw.inputs["special"] is False and pw.inputs["length"] == 48
        assert "result" in pw.additional_secret_outputs


def test_green_gets_its_own_certificate_and_size(sequence):
    rec, _ = sequence["1 green added"]
    blue, green = (
        next(g for g in rec.by_type(GROUP) if g.name == n) for n in ("svc-blue-group", "svc-green-group")
    )
    certs = {r.name: r.state["certPem"] for r in rec.resources if r.name in ("cert-cert", "renewed-cert")}
    assert secret_files(blue)["tls.crt"].strip() == certs["cert-cert"].strip()
    assert secret_files(green)["tls.crt"].strip() == certs["renewed-cert"].strip()
    scorer = {g.name: g.inputs["containers"][0]["resources"]["requests"]["cpu"] for g in (blue, green)}
    assert scorer == {"svc-blue-group": 1.0, "svc-green-group": 2.0}
    # the group a slot gets is the group the service builds without slots (replacement options too)
    for g in (blue, green):
        assert g.replace_on_changes == ["containers[*].resources", "osType", "restartPolicy"]
        assert g.delete_before_replace is True


def test_outputs_follow_the_active_slot(sequence):
    for step, (rec, svc) in sequence.items():
        outputs = rec.one(SERVICE).outputs
        active = outputs["active_slot"]
        assert active == STEPS[step][1]
        assert (
            outputs["fqdn"]
            == outputs["slot_fqdns"][active]
            == f"{LABEL}-{active}.westeurope.azurecontainer.io"
        )
        assert outputs["dns_name_label"] == f"{LABEL}-{active}"
        assert sorted(outputs["slot_fqdns"]) == sorted(s["name"] for s in STEPS[step][0])
        assert outputs["scoring_uri"] == f"https://{HOST}/score"
        primary = "svc-primary-key-4" if active == "green" else "svc-primary-key-3"
        assert output_value(svc.primary_key) == keys_by_child(rec)[primary]
        assert output_value(svc.secondary_key) == keys_by_child(rec)["svc-secondary-key-2"]
        assert svc.active_slot == active and set(svc.slots) == set(outputs["slot_fqdns"])


def test_the_pack_judges_every_slot_group_as_the_single_group():
    from secure_scoring.policy import pack as policy_pack

    def judged(rec) -> set[tuple[str, str, str]]:
        found = policy_pack.evaluate(rec.resources, stack="dev", project="project")
        return {(d.rule, d.resource_type, d.urn.rsplit("::", 1)[-1]) for d in found if d.judged}

    single, _ = run(None, None, auth="none")
    slotted, _ = run([BLUE, {"name": "green"}], "blue", auth="none")
    per_group = {(rule, t) for rule, t, name in judged(single) if name == "svc-group"}
    assert per_group  # the dev certificate and auth none give the group findings
    for name in ("svc-blue-group", "svc-green-group"):
        assert {(rule, t) for rule, t, n in judged(slotted) if n == name} == per_group


# -- taking over the group a service had without slots ---------------------------------------------


def test_existing_group_keeps_the_single_group_label_and_keys(monkeypatch):
    seen: dict[str, list[Any]] = {}
    original = pulumi.CustomResource.__init__

    def spy(self, t, name, props=None, opts=None, *a, **kw):
        # the former names (azure-native adds aliases of its API versions: same name, other type)
        named = [
            a.name for a in (opts.aliases or []) if isinstance(a, pulumi.Alias) and isinstance(a.name, str)
        ]
        if opts is not None and named:
            seen[name] = named
        original(self, t, name, props, opts, *a, **kw)

    monkeypatch.setattr(pulumi.CustomResource, "__init__", spy)
    rec, _ = run([{"name": "blue", "existing_group": True}, GREEN], "blue")
    assert groups(rec) == {"svc-blue-group": LABEL, "svc-green-group": f"{LABEL}-green"}
    assert seen == {
        "svc-blue-group": ["svc-group"],
        "svc-primary-key-3": ["svc-primary-key"],
        "svc-secondary-key-2": ["svc-secondary-key"],
    }
    assert record_target(rec) == f"{LABEL}.westeurope.azurecontainer.io"


def test_slot_group_names_derive_from_the_service_group_name():
    rec, _ = run([BLUE, {"name": "green"}], "blue", container_group_name="contoso-scoring")
    names = {g.name: g.inputs["containerGroupName"] for g in rec.by_type(GROUP)}
    assert names == {"svc-blue-group": "contoso-scoring-blue", "svc-green-group": "contoso-scoring-green"}


# -- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "active", "service", "input_name", "problem"),
    [
        ([BLUE, GREEN], "purple", {}, "active_slot", "'purple' is not one of the slots (blue, green)"),
        ([BLUE, GREEN], None, {}, "active_slot", "is required with slots"),
        (None, "blue", {}, "active_slot", "the service has no slots"),
        ([], "blue", {}, "slots", "is empty"),
        ([BLUE, {"name": "blue"}], "blue", {}, "slots[1].name", "slot 'blue' is given twice"),
        ([{"name": "Blue"}], "Blue", {}, "slots[0].name", "is not a slot name"),
        (
            [BLUE, {"name": "green", "dns_name_label": f"{LABEL}-blue"}],
            "blue",
            {},
            "slots[1].dns_name_label",
            "is also the label of slots[0]",
        ),
        (
            [
                {"name": "blue", "container_group_name": "cg-one"},
                {"name": "green", "container_group_name": "cg-one"},
            ],
            "blue",
            {},
            "slots[1].container_group_name",
            "is also the group name of slots[0]",
        ),
        (
            [{"name": "blue", "existing_group": True}, {"name": "green", "existing_group": True}],
            "blue",
            {},
            "slots[1].existing_group",
            "already takes over",
        ),
        ([BLUE, {"name": "green", "cpu": 9.0}], "blue", {}, "slots[1].cpu", "is outside"),
        (
            [BLUE, {"name": "green", "primary_key_version": 4}],
            "blue",
            {"auth": "none"},
            "slots[1].primary_key_version",
            "has no keys",
        ),
        (
            [BLUE, {"name": "green", "certificate": "other"}],
            "blue",
            {},
            "slots[1].certificate",
            "does not cover",
        ),
        (
            [{"name": "blue", "dns_name_label": "x" * 64}],
            "blue",
            {},
            "slots[0].dns_name_label",
            "",
        ),
    ],
)
def test_refusals_name_the_input(slots, active, service, input_name, problem):
    error = refused(slots, active, **service)
    assert error.input_name == input_name
    assert problem in error.problem
    assert error.fix
    assert str(error).startswith(f"{input_name}: ")


def test_a_slot_refusal_keeps_its_type_and_rule():
    from secure_scoring.errors import PolicyRefusal

    error = refused([BLUE, {"name": "green", "gateway_options": {"min_tls_version": "1.0"}}], "blue")
    assert error.input_name.startswith("slots[1].")
    if isinstance(error, PolicyRefusal):  # refusals a rule forbids stay typed (issue 13)
        assert error.rule


def test_every_slot_override_is_a_service_argument():
    fields = SecureAciServiceArgs.__dataclass_fields__
    assert all(f in fields for f in SLOT_OVERRIDES)
