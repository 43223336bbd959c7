"""single-auth-mode: our components (and their endpoints) and OnlineEndpoint."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
)

from support.policy_rules import (
    R,
    check,
    judged,
    notes,
)


# --------------------------------------------------------------------------------------------- single-auth-mode
def test_single_auth_mode_components():
    assert check("single-auth-mode", R.AKS_CLUSTER, {"keyAuthEnabled": True, "tokenAuthEnabled": False}) == []
    assert (
        "both true"
        in judged(
            check("single-auth-mode", R.AKS_CLUSTER, {"keyAuthEnabled": True, "tokenAuthEnabled": True})
        )[0].message
    )
    eps = {
        "keyAuthEnabled": False,
        "tokenAuthEnabled": False,
        "endpoints": [
            {"name": "fraud", "authMode": "key", "keyAuthEnabled": True, "tokenAuthEnabled": False},
            {"name": "churn", "authMode": "token", "keyAuthEnabled": True, "tokenAuthEnabled": True},
        ],
    }
    assert [f.message for f in judged(check("single-auth-mode", R.AKS_CLUSTER, eps))] == [
        "endpoint 'churn' enables key and token auth together"
    ]
    outputs = {"key_auth_enabled": True, "token_auth_enabled": True, "endpoints": []}
    assert judged(check("single-auth-mode", R.AKS_CLUSTER, outputs))
    assert notes(
        check(
            "single-auth-mode",
            R.AKS_CLUSTER,
            {"keyAuthEnabled": UNKNOWN_BOOLEAN_VALUE, "tokenAuthEnabled": True},
        )
    )


@pytest.mark.parametrize(
    ("props", "bad"),
    [
        ({"properties": {"authMode": "Key"}}, False),
        ({"properties": {"authMode": "AMLToken"}}, False),
        ({"properties": {"authMode": "KeyAndAAD"}}, True),
        (
            {"properties": {"authMode": "Key", "authEnabled": True, "tokenAuthEnabled": True}},
            True,
        ),  # SDK v1 style
        ({"authEnabled": True, "tokenAuthEnabled": True}, True),
    ],
)
def test_single_auth_mode_online_endpoint(props, bad):
    assert bool(judged(check("single-auth-mode", R.ONLINE_ENDPOINT, props))) is bad
