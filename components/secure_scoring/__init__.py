"""secure-scoring: Pulumi components and a policy pack for Azure ML scoring endpoints.

The components are exported lazily: ``import secure_scoring`` imports nothing from Pulumi;
``from secure_scoring import CertificateBundle`` imports its module (and ``pulumi``) on first use.
To export a new public name, add one line ``"Name": ".module",`` to ``_LAZY``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .lazy import lazy_exports

# public name -> module (relative to this package) that defines it
_LAZY: dict[str, str] = {
    "CertificateBundle": ".components.certificate_bundle",
    "CertificateBundleArgs": ".components.certificate_bundle",
    "SecureAciService": ".components.aci",
    "SecureAciServiceArgs": ".components.aci",
    "DnsRecordBinding": ".components.dns_binding",
    "DnsRecordBindingArgs": ".components.dns_binding",
    "SecureAksCluster": ".components.aks",
    "SecureAksClusterArgs": ".components.aks",
    "AksEndpointArgs": ".components.aks",
    "AksDnsArgs": ".components.aks",
}

if TYPE_CHECKING:  # for IDEs and type checkers only; never executed
    from .components.aci import SecureAciService as SecureAciService
    from .components.aci import SecureAciServiceArgs as SecureAciServiceArgs
    from .components.aks import AksDnsArgs as AksDnsArgs
    from .components.aks import AksEndpointArgs as AksEndpointArgs
    from .components.aks import SecureAksCluster as SecureAksCluster
    from .components.aks import SecureAksClusterArgs as SecureAksClusterArgs
    from .components.certificate_bundle import CertificateBundle as CertificateBundle
    from .components.certificate_bundle import CertificateBundleArgs as CertificateBundleArgs
    from .components.dns_binding import DnsRecordBinding as DnsRecordBinding
    from .components.dns_binding import DnsRecordBindingArgs as DnsRecordBindingArgs

__all__ = sorted(_LAZY)


_lazy_getattr, __dir__ = lazy_exports(__name__, globals(), _LAZY)


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the installed distribution's version (looked up when asked)
        from .facts import version

        return version()
    return _lazy_getattr(name)
