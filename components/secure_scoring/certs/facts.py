"""Certificate facts: ONE reader of what a certificate says, ONE definition of self-signed.

Pure (``cryptography`` only, never Pulumi) and cheap to import: ``cryptography`` is imported when a
certificate is read, not when this module is. Every part of the project that needs a fact about a
certificate reads it here: the inspector (``cert check``, :mod:`secure_scoring.certs.inspect`), the
``CertificateBundle`` component (the facts it registers), the policy rules (a certificate inline in a
resource's properties) and ``secure-scoring verify`` (the certificate a server sent).

API::

    read_certificate_facts(pem_text | pem_bytes | der_bytes | x509.Certificate) -> CertificateFacts | None
    is_self_signed(cert) -> bool            # issuer == subject AND its own key verifies its signature
    issued_by(child, parent) -> bool        # parent's subject is child's issuer AND parent's key signed it
    days_left(not_after, now) -> int        # whole days, floor: -1 during the first day after expiry
    describe_key(key) -> str                # "RSA 2048", "EC P-256", "Ed25519", ...

*Self-signed* means signed by its own key: the issuer name equals the subject name **and** the
certificate's public key verifies its signature (SHA-1 and MD5 signatures included, which
``cryptography``'s ``verify_directly_issued_by`` refuses). A certificate whose issuer name equals its
subject but that another key signed (a re-keyed CA's certificate, a forged name) is not self-signed:
its issuer is missing.

From PEM text the facts are those of the *leaf*: the first certificate that is not a CA
(basicConstraints CA:TRUE), else the first one - the certificate ``cert check`` reports as the leaf when
no key is given.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import names

if TYPE_CHECKING:
    from cryptography import x509

__all__ = [
    "CURVE_NAMES",
    "CertificateFacts",
    "days_left",
    "describe_key",
    "is_self_signed",
    "issued_by",
    "name_text",
    "read_certificate_facts",
    "utc",
]

CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
EMPTY_NAME = "(empty name)"


@dataclass(frozen=True)
class CertificateFacts:
    """What one certificate says, read once (see :func:`read_certificate_facts`)."""

    subject: str
    """RFC 4514 form of the subject (``CN=scoring.example.com,O=Contoso``); ``(empty name)`` when empty."""
    issuer: str
    """RFC 4514 form of the issuer; ``(empty name)`` when empty."""
    common_name: str | None
    """The subject's first commonName (clients ignore it for host names; messages show it)."""
    san_names: tuple[str, ...]
    """subjectAltName DNS names then IP addresses, as the certificate writes them."""
    hostnames: tuple[str, ...]
    """``san_names`` in canonical form (:func:`secure_scoring.names.normalize`: lower case, A-labels,
    compressed IPv6); an entry no host name rule accepts is kept lower-cased (it covers nothing)."""
    has_san: bool
    """The certificate has a (readable) subjectAltName extension, possibly empty."""
    san_error: str | None
    """Why the subjectAltName extension cannot be read (malformed, duplicated); None when it can."""
    not_before: datetime
    """Start of validity, timezone-aware UTC."""
    not_after: datetime
    """End of validity, timezone-aware UTC."""
    fingerprint_sha256: str
    """SHA-256 of the DER certificate: lower-case hex, no colons."""
    self_signed: bool
    """See :func:`is_self_signed`."""
    is_ca: bool
    """basicConstraints CA:TRUE (False when absent or unreadable)."""
    key_type: str
    """``RSA``, ``RSA-PSS``, ``EC``, ``Ed25519``, ``Ed448``, ``DSA``, another key class's name, or
    ``unknown`` when ``cryptography`` cannot read the key."""
    key_size: int | None
    """Bits (RSA, DSA; the curve's size for EC); None for Ed25519/Ed448 and unknown keys."""
    key_description: str
    """``RSA 2048``, ``RSA-PSS 2048``, ``EC P-256``, ``Ed25519``, ``DSA 2048``... or ``unknown``."""
    signature_hash: str | None
    """The signature's hash algorithm, lower case (``sha256``, ``sha1``); None when unknown (Ed25519)."""
    extended_key_usage: tuple[Any, ...] | None
    """The extendedKeyUsage OIDs (``x509.ObjectIdentifier``), None without the extension."""
    eku_error: str | None
    """Why the extendedKeyUsage extension cannot be read; None when it can."""

    @property
    def not_after_iso(self) -> str:
        """``not_after`` as ISO 8601 with ``Z`` (``2030-01-01T00:00:00Z``), as the components register it."""
        return self.not_after.isoformat().replace("+00:00", "Z")

    def days_left(self, at: datetime | None = None) -> int:
        """Whole days from ``at`` (default: now) until ``not_after`` (see :func:`days_left`)."""
        return days_left(self.not_after, datetime.now(UTC) if at is None else utc(at))

    def covers(self, host: str | names.Host) -> bool:
        """The subjectAltName covers ``host`` (RFC 6125, :func:`secure_scoring.names.covers`)."""
        return names.covers(self.san_names, host)


# ------------------------------------------------------------------------------------------ reading
def read_certificate_facts(source: Any) -> CertificateFacts | None:
    """The facts of one certificate; None when ``source`` holds no readable certificate. Never raises.

    ``source``: an ``x509.Certificate``; PEM text or bytes (the facts of the chain's leaf, see the
    module's docstring; OpenSSL's quirks are tolerated as by ``cert check``); or DER bytes (one
    certificate, as a TLS server sends it).
    """
    try:
        if isinstance(source, str):
            return _facts_of_pem(source) if "-----BEGIN" in source else None
        if isinstance(source, bytes | bytearray | memoryview):
            data = bytes(source)
            if b"-----BEGIN" in data:
                return _facts_of_pem(data)
            return _facts_of_der(data)
        from cryptography import x509

        if isinstance(source, x509.Certificate):
            return certificate_facts(source)
    except Exception:  # noqa: BLE001 - unreadable is None, never an exception
        return None
    return None


@functools.lru_cache(maxsize=512)
def _facts_of_pem(data: str | bytes) -> CertificateFacts | None:
    # a certificate's facts do not depend on when they are read: cache by text (rules read the same
    # inline certificate once per rule and resource)
    from .pem import parse_pem_certificates

    certs = parse_pem_certificates(data)
    if not certs:
        return None
    facts = [certificate_facts(c) for c in certs]
    return next((f for f in facts if not f.is_ca), facts[0])


def _facts_of_der(der: bytes) -> CertificateFacts | None:
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    return certificate_facts(cert)


def certificate_facts(cert: x509.Certificate) -> CertificateFacts:
    """The facts of ``cert``; raises only what ``cryptography`` raises for a certificate it cannot
    serialize (:func:`read_certificate_facts` turns that into None)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        public_key: Any = cert.public_key()
    except Exception:  # noqa: BLE001 - unsupported algorithm
        public_key = None
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except Exception:  # noqa: BLE001 - absent, malformed or duplicated: not a usable CA flag
        is_ca = False
    san_names: list[str] = []
    has_san, san_error = False, None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        has_san = True
        san_names.extend(str(n) for n in san.get_values_for_type(x509.DNSName))
        san_names.extend(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        pass
    except Exception as exc:  # noqa: BLE001
        san_error = str(exc) or type(exc).__name__
    eku: tuple[Any, ...] | None = None
    eku_error = None
    try:
        eku = tuple(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        pass
    except Exception as exc:  # noqa: BLE001
        eku_error = str(exc) or type(exc).__name__
    try:
        rsa_pss = cert.public_key_algorithm_oid == x509.oid.PublicKeyAlgorithmOID.RSASSA_PSS
    except Exception:  # noqa: BLE001
        rsa_pss = False
    key_type, key_size = _key_kind(public_key, rsa_pss)
    description = "unknown" if public_key is None else describe_key(public_key)
    if rsa_pss:
        description = description.replace("RSA", "RSA-PSS", 1)
    try:
        algorithm = cert.signature_hash_algorithm
        signature_hash = algorithm.name.lower() if algorithm is not None else None
    except Exception:  # noqa: BLE001 - unsupported signature algorithm
        signature_hash = None
    return CertificateFacts(
        subject=_name(cert.subject),
        issuer=_name(cert.issuer),
        common_name=_common_name(cert),
        san_names=tuple(san_names),
        hostnames=tuple(_canonical(n) for n in san_names),
        has_san=has_san,
        san_error=san_error,
        not_before=utc(cert.not_valid_before_utc),
        not_after=utc(cert.not_valid_after_utc),
        fingerprint_sha256=hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
        self_signed=is_self_signed(cert),
        is_ca=is_ca,
        key_type=key_type,
        key_size=key_size,
        key_description=description,
        signature_hash=signature_hash,
        extended_key_usage=eku,
        eku_error=eku_error,
    )


# ------------------------------------------------------------------------------------------ self-signed
def is_self_signed(cert: x509.Certificate) -> bool:
    """Signed by its own key: issuer == subject AND the certificate's public key verifies its signature.

    Issuer == subject alone is not enough: a certificate that carries its issuer's name but was signed
    by another key (a re-keyed CA, a forged name) is not self-signed.
    """
    return issued_by(cert, cert)


def issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """``parent``'s subject is ``child``'s issuer and ``parent``'s key verifies ``child``'s signature.

    SHA-1 and MD5 signatures, which ``verify_directly_issued_by`` refuses, are verified with the raw key
    API: such certificates still chain (``cert check`` reports them as ``weak-signature``). Never raises.
    """
    if not names_match(child, parent):
        return False
    try:
        child.verify_directly_issued_by(parent)
        return True
    except ValueError as exc:
        if "Unsupported signature algorithm" not in str(exc):
            return False
        return _verify_legacy_signature(child, parent)
    except Exception:  # noqa: BLE001 - bad signature, unsupported key type
        return False


def names_match(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """``child``'s issuer name is ``parent``'s subject name (no signature check). Never raises."""
    try:
        return bool(child.issuer == parent.subject)
    except Exception:  # noqa: BLE001
        return False


def _verify_legacy_signature(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Verify a signature that ``verify_directly_issued_by`` refuses (SHA-1, MD5) with the raw key API."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

    try:
        key: Any = parent.public_key()
        try:
            params = child.signature_algorithm_parameters
        except Exception:  # noqa: BLE001
            params = None
        algorithm = child.signature_hash_algorithm
        if algorithm is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            pad = params if isinstance(params, padding.AsymmetricPadding) else padding.PKCS1v15()
            key.verify(child.signature, child.tbs_certificate_bytes, pad, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(child.signature, child.tbs_certificate_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(child.signature, child.tbs_certificate_bytes, algorithm)
        else:
            return False
        return True
    except Exception:  # noqa: BLE001 - bad signature or unsupported algorithm
        return False


# ------------------------------------------------------------------------------------------ time
def utc(when: datetime) -> datetime:
    """``when`` as an aware UTC datetime (a naive one is taken to be UTC)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days from ``now`` until ``not_after``: the floor of the exact difference, so negative once
    expired (-1 during the first day after notAfter). Every days figure of the project (``cert check``'s
    messages, summary and JSON ``days_left``, ``secure-scoring verify``) comes from this function."""
    return int((not_after - now).total_seconds() // 86400)


# ------------------------------------------------------------------------------------------ keys
def describe_key(key: Any) -> str:
    """``RSA 2048``, ``EC P-256``, ``Ed25519``, ``Ed448``, ``DSA 2048`` or the key class's name; for a
    public or a private key."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return f"EC {CURVE_NAMES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey | ed448.Ed448PrivateKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey | dsa.DSAPrivateKey):
        return f"DSA {key.key_size}"
    return type(key).__name__


def _key_kind(key: Any, rsa_pss: bool) -> tuple[str, int | None]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    if key is None:
        return "unknown", None
    if isinstance(key, rsa.RSAPublicKey):
        return ("RSA-PSS" if rsa_pss else "RSA"), key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, None


# ------------------------------------------------------------------------------------------ names
def name_text(name: x509.Name) -> str:
    """RFC 4514 text of a name; ``(empty name)`` when empty or unreadable."""
    try:
        text = name.rfc4514_string()
    except Exception:  # noqa: BLE001
        text = ""
    return text or EMPTY_NAME


_name = name_text


def _common_name(cert: x509.Certificate) -> str | None:
    from cryptography import x509

    try:
        attrs = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    except Exception:  # noqa: BLE001
        return None
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else None


def _canonical(entry: str) -> str:
    try:
        return names.normalize(entry, allow_wildcard=True, allow_underscore=True)
    except names.InvalidHostname:
        return entry.strip().lower()
