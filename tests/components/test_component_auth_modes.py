"""resolve_auth_mode: one mode, from a name or the SDK v1 flags, never contradicting itself."""

import pytest

from secure_scoring.components.keys import resolve_auth_mode
from secure_scoring.errors import ConfigurationError


@pytest.mark.parametrize(
    ("mode", "flags", "expected"),
    [
        (None, {}, "key"),
        (None, {"key_auth_enabled": False}, "none"),
        (None, {"token_auth_enabled": True}, "token"),
        (None, {"key_auth_enabled": False, "token_auth_enabled": True}, "token"),
        ("AMLToken", {}, "token"),
        ("key", {"key_auth_enabled": True}, "key"),
        ("token", {"key_auth_enabled": False}, "token"),
    ],
)
def test_resolves(mode, flags, expected):
    assert resolve_auth_mode(mode, platform="aks", **flags) == expected


@pytest.mark.parametrize(
    ("mode", "flags", "needle"),
    [
        ("key", {"token_auth_enabled": True}, "contradicts"),
        ("token", {"key_auth_enabled": True}, "contradicts"),
        ("none", {"key_auth_enabled": True}, "contradicts"),
        (None, {"key_auth_enabled": True, "token_auth_enabled": True}, "both enabled"),
        ("jwt", {}, "unknown authentication mode"),
    ],
)
def test_refuses_contradictions(mode, flags, needle):
    with pytest.raises(ConfigurationError, match=needle) as err:
        resolve_auth_mode(mode, platform="aks", **flags)
    assert "Fix:" in str(err.value)


def test_token_on_aci_names_the_reason():
    with pytest.raises(ConfigurationError, match="only on AKS"):
        resolve_auth_mode("token", platform="aci")


def test_error_rendering_single_and_multi_line():
    from secure_scoring.errors import SecureScoringError

    assert str(SecureScoringError("--cert", "file not found", "check the path")) == (
        "--cert: file not found. Fix: check the path"
    )
    multi = str(SecureScoringError("certificate", "2 findings:\n  - a\n  - b", "renew it"))
    assert multi.splitlines() == ["certificate: 2 findings:", "  - a", "  - b", "Fix: renew it"]


@pytest.mark.parametrize("value", ["false", "True", 1, 0.0])
def test_flags_must_be_bools(value):
    with pytest.raises(ConfigurationError, match="must be True, False or None"):
        resolve_auth_mode(None, platform="aks", key_auth_enabled=value, token_auth_enabled=True)
