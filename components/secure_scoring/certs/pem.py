"""The certificate inspector's public API under its first name: ``secure_scoring.pem`` (docs, programs)
and ``secure_scoring.certs.pem`` are this module.

The inspector lives in the modules of :mod:`secure_scoring.certs`, one concept each: :mod:`.blocks`
(PEM blocks and OpenSSL's quirks), :mod:`.cert_input` and :mod:`.keys` (the two inputs; key match and
strength), :mod:`.chain`, :mod:`.hostnames`, :mod:`.facts` (what a certificate says; self-signed),
:mod:`.findings` (finding codes) and :mod:`.inspect` (:func:`inspect_bundle`, :class:`Report`).
Host-name matching is :mod:`secure_scoring.names`'s (``hostname_matches`` is ``names.matches``).
"""

from __future__ import annotations

from ..names import covers
from ..names import matches as hostname_matches
from .blocks import canonical_pem, parse_pem_certificates
from .facts import days_left
from .findings import FINDING_CODES, PRODUCTION_ENVIRONMENTS, Finding
from .inspect import CertificateInfo, Report, inspect_bundle

__all__ = [
    "FINDING_CODES",
    "PRODUCTION_ENVIRONMENTS",
    "CertificateInfo",
    "Finding",
    "Report",
    "canonical_pem",
    "covers",
    "days_left",
    "hostname_matches",
    "inspect_bundle",
    "parse_pem_certificates",
]
