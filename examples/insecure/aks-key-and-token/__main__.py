"""Insecure on purpose (breaks `single-auth-mode`): an AKS scoring component registered by a program
in another language (or an older copy of the component) that enables key AND token authentication.
Azure ML refuses that combination; our Python SecureAksCluster refuses it at construction, so this
example registers the component's type and properties by hand, the way a TypeScript or Go program
using a different implementation would, to show that the policy pack catches it anyway.

The fix: exactly one mode per endpoint, auth="key" or auth="token"."""

import pulumi

FACTS = {
    "platform": "aks",
    "tlsEnabled": True,
    "certificateSource": "pem",
    "selfSigned": False,
    "authMode": "key",
    "keyAuthEnabled": True,
    "tokenAuthEnabled": True,
    "minTlsVersion": "1.2",
    "environment": "production",
    "hostname": None,
    "certificateHostnames": [],
    "certificateNotAfter": None,
    "endpoints": [{"name": "fraud", "authMode": "key", "keyAuthEnabled": True, "tokenAuthEnabled": True}],
}


class ForeignAksCluster(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secure-scoring:index:SecureAksCluster", name, dict(FACTS), opts)
        self.register_outputs(
            {
                "platform": "aks",
                "tls_enabled": True,
                "certificate_source": "pem",
                "self_signed": False,
                "auth_mode": "key",
                "key_auth_enabled": True,
                "token_auth_enabled": True,
                "min_tls_version": "1.2",
                "environment": "production",
                "endpoints": [
                    {
                        "name": "fraud",
                        "auth_mode": "key",
                        "key_auth_enabled": True,
                        "token_auth_enabled": True,
                    }
                ],
            }
        )


ForeignAksCluster("aks")
