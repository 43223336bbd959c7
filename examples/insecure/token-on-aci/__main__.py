"""Insecure on purpose (breaks `token-auth-aks-only`): an ACI scoring component, registered by hand
the way a program in another language would, that asks for token authentication. Azure Container
Instances have no token authentication (only AKS does), so such a service would end up with no
working authentication. Our Python SecureAciService refuses auth="token" at construction.

The fix: auth="key" on ACI, or move the endpoint to AKS (SecureAksCluster) for tokens."""

import pulumi


class ForeignAciService(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "platform": "aci",
            "tlsEnabled": True,
            "certificateSource": "pem",
            "selfSigned": False,
            "authMode": "token",
            "keyAuthEnabled": False,
            "tokenAuthEnabled": True,
            "minTlsVersion": "1.2",
            "environment": "production",
            "hostname": None,
            "certificateHostnames": [],
            "certificateNotAfter": None,
            "endpoints": [],
        }
        super().__init__("secure-scoring:index:SecureAciService", name, props, opts)
        self.register_outputs(
            {
                "platform": "aci",
                "tls_enabled": True,
                "certificate_source": "pem",
                "self_signed": False,
                "auth_mode": "token",
                "key_auth_enabled": False,
                "token_auth_enabled": True,
                "min_tls_version": "1.2",
                "environment": "production",
            }
        )


ForeignAciService("scoring")
