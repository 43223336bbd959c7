"""Findings: what the inspector reports, with a stable code, a severity, a message and a fix.

Finding codes (``FINDING_CODES``; severity ``error`` unless noted):

============================  =================================================================
``cert-not-pem``              certificate input is not PEM (DER, PKCS#12, PKCS#7, damaged or
                              glued/indented blocks OpenSSL cannot read)
``key-not-pem``               key input is not PEM (DER, PKCS#12, OpenSSH, damaged block)
``no-certificate``            no certificate block in the certificate input
``no-key``                    a key input without any private key block
``key-encrypted``             passphrase-protected key (PKCS#8 encrypted or ``Proc-Type: 4,ENCRYPTED``)
``key-mismatch``              the key is not the leaf certificate's key
``cert-expired``              a certificate of the chain is past its notAfter
``cert-not-yet-valid``        a certificate of the chain is before its notBefore
``cert-expiring-soon``        (warning) a certificate expires within ``min_days``
``hostname-mismatch``         a requested hostname is not covered by the leaf's SAN
``no-san``                    the leaf has no subjectAltName (clients ignore the CN)
``chain-order``               the file is not leaf first, each certificate issued by the next
``chain-incomplete``          an issuer is missing (a leaf alone, or a gap in the chain)
``weak-key``                  RSA < 2048 (weak); EC other than P-256/P-384, DSA, Ed25519/Ed448,
                              RSA-PSS or another type (unsupported by Azure ML's TLS front end)
``weak-signature``            SHA-1 or MD5 signature (self-signed roots excepted)
``self-signed``               self-signed leaf (error in production, warning elsewhere)
``ca-as-leaf``                the leaf has basicConstraints CA:TRUE
``not-server-auth``           the leaf has extendedKeyUsage without serverAuth
============================  =================================================================

The path check (:mod:`.path`, cryptography's verifier to a trust anchor) adds the codes of
``PATH_FINDING_CODES``, listed with meaning and fix in :data:`secure_scoring.certs.path.PATH_CODES`
(``issuer-unknown``, ``name-constraints-violated``, ``ca-bit-missing``...).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..facts import PRODUCTION_NAMES

__all__ = [
    "ERROR",
    "FINDING_CODES",
    "PATH_FINDING_CODES",
    "PRODUCTION_ENVIRONMENTS",
    "WARNING",
    "Finding",
    "Findings",
    "short_error",
]


FINDING_CODES: tuple[str, ...] = (
    "cert-not-pem",
    "key-not-pem",
    "no-certificate",
    "no-key",
    "key-encrypted",
    "key-mismatch",
    "cert-expired",
    "cert-not-yet-valid",
    "cert-expiring-soon",
    "hostname-mismatch",
    "no-san",
    "chain-order",
    "chain-incomplete",
    "weak-key",
    "weak-signature",
    "self-signed",
    "ca-as-leaf",
    "not-server-auth",
)

# the path check's own codes (certs/path.py PATH_CODES; its other codes are the inspector's above)
PATH_FINDING_CODES: tuple[str, ...] = (
    "issuer-unknown",
    "trust-store-unavailable",
    "path-not-found",
    "signature-invalid",
    "name-constraints-violated",
    "name-constraints-unsupported",
    "ca-bit-missing",
    "ca-key-usage",
    "path-length-exceeded",
    "path-too-long",
    "path-search-exhausted",
    "unknown-critical-extension",
    "extension-invalid",
    "extension-criticality",
    "aki-missing",
    "ski-missing",
    "cn-not-in-san",
    "anchor-aki-fields",
    "cert-malformed",
)
FINDING_CODES += PATH_FINDING_CODES


PRODUCTION_ENVIRONMENTS = PRODUCTION_NAMES  # the environments judged as production (facts decides)


ERROR = "error"


WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem: a stable ``code`` (see ``FINDING_CODES``), ``severity`` ("error" | "warning"),
    a ``message`` naming the certificate and what was found, and a ``fix`` hint."""

    code: str
    severity: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "message": self.message, "fix": self.fix}


def short_error(exc: BaseException) -> str:
    text = str(exc).split("\n")[0].strip() or type(exc).__name__
    return text[:160]


class Findings:
    """The findings of one inspection, in the order found; the same (code, message) is kept once."""

    def __init__(self) -> None:
        self.items: list[Finding] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, code: str, message: str, fix: str, severity: str = ERROR) -> None:
        assert code in FINDING_CODES, code
        if (code, message) in self._seen:
            return
        self._seen.add((code, message))
        self.items.append(Finding(code=code, severity=severity, message=message, fix=fix))

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.items)

    def has(self, *codes: str) -> bool:
        """Any finding with one of ``codes``."""
        return any(f.code in codes for f in self.items)
