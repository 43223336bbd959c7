"""Certificates: PEM blocks and OpenSSL's quirks, the bundle inspector, the chain, certificate facts.

Pure (``cryptography``, never Pulumi). The public names below are loaded on first use, so importing
the package (or one of its light modules) costs nothing until a certificate is read::

    from secure_scoring.certs import inspect_bundle, read_certificate_facts, is_self_signed, covers
"""

from __future__ import annotations

from ..lazy import lazy_exports

# public name -> module (relative to this package) that defines it
_LAZY: dict[str, str] = {
    "FINDING_CODES": ".findings",
    "PRODUCTION_ENVIRONMENTS": ".findings",
    "Finding": ".findings",
    "CertificateInfo": ".inspect",
    "Report": ".inspect",
    "inspect_bundle": ".inspect",
    "CertificateFacts": ".facts",
    "read_certificate_facts": ".facts",
    "is_self_signed": ".facts",
    "issued_by": ".facts",
    "days_left": ".facts",
    "canonical_pem": ".blocks",
    "parse_pem_certificates": ".blocks",
    "covers": "..names",
    "hostname_matches": ".pem",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
