"""auth-required: our components (and their endpoints) and OnlineEndpoint."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_STRING_VALUE,
)

from support.policy_rules import (
    R,
    check,
    judged,
    notes,
)


# --------------------------------------------------------------------------------------------- auth-required
def test_auth_required_components():
    none = {"authMode": "none", "keyAuthEnabled": False, "tokenAuthEnabled": False, "endpoints": []}
    assert (
        "no authentication (authMode none; stack 'production' is a production stack)"
        in check("auth-required", R.ACI_SERVICE, none)[0].message
    )
    assert check("auth-required", R.ACI_SERVICE, {**none, "authMode": "key", "keyAuthEnabled": True}) == []
    aks = {
        "authMode": "key",
        "keyAuthEnabled": True,
        "tokenAuthEnabled": False,
        "endpoints": [
            {"name": "fraud", "authMode": "none", "keyAuthEnabled": False, "tokenAuthEnabled": False},
            {"name": "churn", "authMode": "token", "keyAuthEnabled": False, "tokenAuthEnabled": True},
        ],
    }
    assert [f.message.split(" (")[0] for f in check("auth-required", R.AKS_CLUSTER, aks)] == [
        "endpoint 'fraud' has no authentication"
    ]
    assert notes(check("auth-required", R.ACI_SERVICE, {**none, "authMode": UNKNOWN_STRING_VALUE}))


@pytest.mark.parametrize(
    ("props", "bad"),
    [
        ({"properties": {"authMode": "Key"}}, False),
        ({"properties": {"authMode": "AADToken"}}, False),
        ({"properties": {}}, True),
        ({"properties": {"authMode": "None"}}, True),
        ({"properties": {"authMode": ""}}, True),
    ],
)
def test_auth_required_online_endpoint(props, bad):
    assert bool(judged(check("auth-required", R.ONLINE_ENDPOINT, props))) is bad
