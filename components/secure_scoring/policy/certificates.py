"""How the rules read a certificate from resource properties.

The facts of a certificate (its names, expiry, whether it is self-signed) come from the one reader,
:func:`secure_scoring.certs.facts.read_certificate_facts` (imported when a certificate is judged:
``cryptography`` is not loaded by rules that never see one). Whether a certificate's names cover a
host name is :func:`secure_scoring.names.covers` (RFC 6125, never raises). This module only knows
where a resource keeps its certificate and how it is encoded there.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .. import names
from .props import UNKNOWN, get, is_unknown

if TYPE_CHECKING:
    from ..certs.facts import CertificateFacts

COMPUTE_CERT = "properties.properties.sslConfiguration.cert"
"""Where an AKS v1 compute (``machinelearningservices:Compute``) keeps its PEM certificate."""


def certificate_facts(pem_text: Any) -> CertificateFacts | None:
    """The facts of the leaf of a PEM chain; None when ``pem_text`` holds no readable certificate."""
    if not isinstance(pem_text, str) or "-----BEGIN" not in pem_text:
        return None
    from ..certs.facts import read_certificate_facts  # lazy: cryptography only when judged

    return read_certificate_facts(pem_text)


def covers(hostnames: Iterable[str], hostname: str) -> bool:
    """A certificate with ``hostnames`` (SAN entries) covers ``hostname`` (never raises).

    RFC 6125 by :func:`secure_scoring.names.covers`; a name no host-name rule accepts is covered by
    the identical entry only (case and one trailing dot aside): Azure's placeholder for a
    Microsoft-managed certificate, ``<label>######.<region>.cloudapp.azure.com``, is what a
    component declares both as its hostname and as its certificate's name.
    """
    pool = [n for n in hostnames if isinstance(n, str)]
    if names.covers(pool, hostname):
        return True
    same = _as_written(hostname)
    return any(_as_written(n) == same for n in pool)


def _as_written(name: str) -> str:
    text = name.strip().lower()
    return text[:-1] if text.endswith(".") else text


def decode_pem_setting(value: Any) -> str | None:
    """A certificate from a setting that holds PEM text or base64 of PEM (Azure's scoringFe.sslCert)."""
    if not isinstance(value, str) or not value.strip():
        return None
    if "-----BEGIN" in value:
        return value
    try:
        decoded = base64.b64decode(value.strip(), validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
    return decoded if "-----BEGIN" in decoded else None


def extension_certificate(props: Mapping[str, Any]) -> tuple[Any, bool]:
    """(the Azure ML extension's ``scoringFe.sslCert`` setting as given, whether the certificate is
    given as a file path in the settings instead)."""
    cert = get(props, "configurationProtectedSettings")
    value = None
    if isinstance(cert, Mapping):
        value = cert.get("scoringFe.sslCert")
    elif is_unknown(cert):
        value = UNKNOWN
    settings = get(props, "configurationSettings")
    by_path = isinstance(settings, Mapping) and bool(settings.get("sslCertPemFile"))
    return value, by_path


def extension_pem(cert: Any) -> str | None:
    """The PEM text of an extension's ``scoringFe.sslCert`` value (PEM or base64 of PEM)."""
    return decode_pem_setting(cert) if isinstance(cert, str) else None
