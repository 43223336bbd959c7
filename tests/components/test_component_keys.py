"""components/keys.py: the pure auth-mode resolution and the pulumi-random key pair with rotation keepers."""

from __future__ import annotations

import subprocess
import sys

import pulumi
import pytest

from secure_scoring.components.keys import (
    KEY_LENGTH,
    ScoringKeys,
    create_scoring_keys,
    resolve_auth_mode,
    rotation_version,
)
from secure_scoring.dataplane.gateway import validate_key
from secure_scoring.errors import ConfigurationError
from secure_scoring.gate.mocking import output_is_secret, output_value, run_with_mocks

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


# -- pure part ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "platform", "expected"),
    [
        (None, "aci", "key"),
        ("key", "aci", "key"),
        ("Keys", "aks", "key"),
        ("none", "aci", "none"),
        ("OFF", "aks", "none"),
        ("token", "aks", "token"),
        ("AMLToken", "aks", "token"),
        ("aml-token", "aks", "token"),
    ],
)
def test_resolve_auth_mode_canonical_names(mode, platform, expected):
    assert resolve_auth_mode(mode, platform=platform) == expected


def test_token_on_aci_is_refused_with_the_reason():
    with pytest.raises(ConfigurationError) as err:
        resolve_auth_mode("token", platform="aci")
    text = str(err.value)
    assert text.startswith("auth:")
    assert "only on AKS" in text and "Fix:" in text


def test_key_and_token_together_are_refused():
    with pytest.raises(ConfigurationError, match="both enabled"):
        resolve_auth_mode(None, platform="aks", key_auth_enabled=True, token_auth_enabled=True)


@pytest.mark.parametrize(
    ("key_flag", "token_flag", "expected"),
    [(True, False, "key"), (False, True, "token"), (False, False, "none"), (None, None, "key")],
)
def test_sdk_v1_flags_map_to_a_mode(key_flag, token_flag, expected):
    assert (
        resolve_auth_mode(None, platform="aks", key_auth_enabled=key_flag, token_auth_enabled=token_flag)
        == expected
    )


def test_mode_contradicting_flags_is_refused():
    with pytest.raises(ConfigurationError, match="contradicts"):
        resolve_auth_mode("none", platform="aks", key_auth_enabled=True, token_auth_enabled=False)


def test_unknown_mode_is_refused_naming_the_input():
    with pytest.raises(ConfigurationError) as err:
        resolve_auth_mode("basic", platform="aks", input_name="endpoints[0].auth")
    assert str(err.value).startswith("endpoints[0].auth: unknown authentication mode 'basic'")


def test_pure_part_imports_no_pulumi():
    code = "import sys, secure_scoring.components.keys; print('pulumi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("value", "expected"), [(1, "1"), (2.0, "2"), ("2026-11", "2026-11"), (" v3 ", "v3")]
)
def test_rotation_version_normalises(value, expected):
    assert rotation_version(value, "primary_key_version") == expected


@pytest.mark.parametrize("value", [None, True, 1.5, "", "a b", "x;y", "k" * 65])
def test_rotation_version_refuses(value):
    with pytest.raises(ConfigurationError) as err:
        rotation_version(value, "secondary_key_version")
    assert str(err.value).startswith("secondary_key_version:")


# -- key pair under mocks -----------------------------------------------------------------------------


class _Holder(pulumi.ComponentResource):
    def __init__(self, name: str, primary, secondary) -> None:
        super().__init__("secure-scoring:index:TestHolder", name, {})
        self.keys = create_scoring_keys(
            name, parent=self, primary_version=primary, secondary_version=secondary
        )
        self.register_outputs({})


def _run(primary=1, secondary=1):
    box: dict[str, _Holder] = {}
    rec = run_with_mocks(lambda: box.setdefault("h", _Holder("svc", primary, secondary)))
    return rec, box["h"]


def test_key_pair_children_and_their_settings():
    rec, holder = _run()
    children = rec.children_of(next(r.urn for r in rec.resources if r.name == "svc"))
    assert sorted((c.type, c.name) for c in children) == [
        (RANDOM_PASSWORD, "svc-primary-key"),
        (RANDOM_PASSWORD, "svc-secondary-key"),
    ]
    for child in children:
        assert child.custom
        assert child.inputs["length"] == KEY_LENGTH
        assert child.inputs["special"] is False
        assert child.inputs["keepers"] == {"rotation": "1"}
        assert "result" in child.additional_secret_outputs

    primary, secondary = output_value(holder.keys.primary), output_value(holder.keys.secondary)
    assert len(primary) == len(secondary) == KEY_LENGTH
    assert primary != secondary
    validate_key(primary, "primary_key")  # the gateway accepts what we generate
    validate_key(secondary, "secondary_key")
    assert output_is_secret(holder.keys.primary)
    assert output_is_secret(holder.keys.secondary)
    assert not any(primary in msg or secondary in msg for _, msg in rec.logs)


def test_changing_one_version_changes_only_that_keeper():
    before, _ = _run(1, 1)
    after, _ = _run(1, 2.0)

    def keepers(rec):
        return {r.name: r.inputs["keepers"] for r in rec.by_type(RANDOM_PASSWORD)}

    assert keepers(before) == {"svc-primary-key": {"rotation": "1"}, "svc-secondary-key": {"rotation": "1"}}
    assert keepers(after) == {"svc-primary-key": {"rotation": "1"}, "svc-secondary-key": {"rotation": "2"}}


def test_bad_version_registers_nothing():
    seen: list[Exception] = []

    def program():
        try:
            _Holder("svc", 1, "no spaces allowed")
        except ConfigurationError as exc:
            seen.append(exc)

    rec = run_with_mocks(program)
    assert seen and str(seen[0]).startswith("secondary_key_version:")
    assert rec.by_type(RANDOM_PASSWORD) == []


def test_scoring_keys_refuses_a_short_length():
    with pytest.raises(ConfigurationError, match="key_length"):
        ScoringKeys("svc", parent=None, length=8)
