"""token-auth-aks-only: SecureAciService and SecureAksCluster."""

from __future__ import annotations

from support.policy_rules import (
    R,
    check,
    judged,
)


# --------------------------------------------------------------------------------------------- token-auth-aks-only
def test_token_auth_only_on_aks():
    token = {"platform": "aci", "authMode": "token", "keyAuthEnabled": False, "tokenAuthEnabled": True}
    assert (
        "token authentication is requested on Azure Container Instances"
        in check("token-auth-aks-only", R.ACI_SERVICE, token)[0].message
    )
    assert judged(
        check(
            "token-auth-aks-only",
            R.ACI_SERVICE,
            {"platform": "aci", "auth_mode": "token", "token_auth_enabled": False},
        )
    )
    assert (
        check("token-auth-aks-only", R.ACI_SERVICE, {**token, "authMode": "key", "tokenAuthEnabled": False})
        == []
    )
    assert check("token-auth-aks-only", R.AKS_CLUSTER, {**token, "platform": "aks"}) == []
    assert check("token-auth-aks-only", R.ONLINE_ENDPOINT, {"properties": {"authMode": "AMLToken"}}) == []
