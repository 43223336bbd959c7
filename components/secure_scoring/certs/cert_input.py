"""The certificate input: from PEM text (or whatever was given instead) to the certificates to check.

:func:`read_certificates` reads the blocks (:mod:`.blocks`), reports what OpenSSL would not read
(``cert-not-pem``, ``no-certificate``) and returns one :class:`CertRecord` per readable certificate: its
:class:`~secure_scoring.certs.facts.CertificateFacts` and the few things only the inspector needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from .advice import fix_der_cert, fix_pkcs12, misplaced_marker, read_input
from .blocks import (
    CERT_LABELS,
    FAILING,
    MAX_BLOCKS,
    binary_kind,
    der_children,
    describe_bytes,
    load_der_certificate,
    read_breaking,
    split_pem,
)
from .facts import CertificateFacts, certificate_facts
from .findings import Findings, short_error
from .keys import public_der

__all__ = ["CertRecord", "analyse", "read_certificates"]


@dataclass
class CertRecord:
    """One certificate of the input: its facts (:mod:`.facts`) and what only the inspector needs."""

    index: int  # 0-based position among the certificates of the file
    cert: x509.Certificate
    facts: CertificateFacts
    public_key: Any
    public_der: bytes | None
    explicit_curve: bool = False  # EC parameters spelled out instead of the named curve's OID

    # the facts the checks read, by their short names
    subject = property(lambda self: self.facts.subject)
    issuer = property(lambda self: self.facts.issuer)
    fingerprint = property(lambda self: self.facts.fingerprint_sha256)
    is_ca = property(lambda self: self.facts.is_ca)
    self_signed = property(lambda self: self.facts.self_signed)
    hostnames = property(lambda self: self.facts.san_names)
    has_san = property(lambda self: self.facts.has_san)
    san_error = property(lambda self: self.facts.san_error)
    eku = property(lambda self: self.facts.extended_key_usage)
    eku_error = property(lambda self: self.facts.eku_error)
    not_before = property(lambda self: self.facts.not_before)
    not_after = property(lambda self: self.facts.not_after)
    key_description = property(lambda self: self.facts.key_description)
    rsa_pss = property(lambda self: self.facts.key_type == "RSA-PSS")

    def label(self, leaf_index: int | None = None) -> str:
        role = "leaf, " if leaf_index is not None and self.index == leaf_index else ""
        return f"certificate #{self.index + 1} ({role}{self.subject})"


def analyse(index: int, cert: x509.Certificate) -> CertRecord:
    facts = certificate_facts(cert)
    try:
        public_key: Any = cert.public_key()
    except Exception:  # noqa: BLE001 - unsupported algorithm
        public_key = None
    return CertRecord(
        index=index,
        cert=cert,
        facts=facts,
        public_key=public_key,
        public_der=public_der(public_key) if public_key is not None else None,
        explicit_curve=isinstance(public_key, ec.EllipticCurvePublicKey) and _explicit_ec_parameters(cert),
    )


def _explicit_ec_parameters(cert: x509.Certificate) -> bool:
    """The certificate's EC key has explicit domain parameters (a SEQUENCE) instead of a namedCurve OID."""
    try:
        tbs = cert.tbs_certificate_bytes
        (_, start, end), *_ = der_children(tbs)
        fields = der_children(tbs, start, end)
        if fields and fields[0][0] == 0xA0:  # [0] version
            fields = fields[1:]
        _, spki_start, spki_end = fields[5]  # serial, signature, issuer, validity, subject, SPKI
        _, alg_start, alg_end = der_children(tbs, spki_start, spki_end)[0]
        parameters = der_children(tbs, alg_start, alg_end)[1]
        return parameters[0] == 0x30
    except Exception:  # noqa: BLE001 - unreadable: leave it to the other checks
        return False


def read_certificates(findings: Findings, src: str, data: Any) -> list[CertRecord]:
    """The readable certificates of the certificate input ``data`` (named ``src`` in messages), in file
    order; every problem with the input is a finding."""
    raw = read_input(
        findings,
        src,
        data,
        missing=(
            "no-certificate",
            f"the certificate input ({src}) {{state}}",
            "Supply the server certificate in PEM ('-----BEGIN CERTIFICATE-----'): the full chain, leaf first",
        ),
        not_pem="cert-not-pem",
        what="certificate chain",
    )
    if raw is None:
        return []
    parsed = split_pem(raw)
    if not parsed.blocks and not parsed.unterminated:
        _cert_not_pem_binary(findings, raw, src)
        return []
    if parsed.total > MAX_BLOCKS:
        findings.add(
            "cert-not-pem",
            f"{src} holds {parsed.total} PEM blocks; only the first {MAX_BLOCKS} were inspected (a "
            "certificate chain has a handful)",
            "Pass the server's chain only: the leaf, then its intermediates",
        )
    for label in parsed.unterminated:
        findings.add(
            "cert-not-pem",
            f"{src}: a '-----BEGIN {label}-----' line has no matching END line (the file is cut short "
            "or the END line is damaged)",
            "Copy the complete PEM block again, from the BEGIN line to the END line inclusive",
        )
    certs: list[CertRecord] = []
    other_labels: list[str] = []
    cert_blocks = 0
    misplaced: dict[str, list[int]] = {}  # line_problems kind → certificate block numbers
    for block in parsed.blocks:
        if block.label not in CERT_LABELS:
            other_labels.append(block.label)
            # OpenSSL reads every block while looking for certificates: one it cannot finish (a key
            # first in a combined file, say) fails the file, and nginx does not start
            for kind in read_breaking(block, FAILING):
                findings.add("cert-not-pem", *misplaced_marker(src, f"'{block.label}'", [], kind))
            if block.label in ("PKCS7", "CMS"):
                findings.add(
                    "cert-not-pem",
                    f"{src} holds a PKCS#7 bundle (block #{block.index}, '-----BEGIN {block.label}-----'), "
                    "not PEM certificates",
                    f"Convert it: openssl pkcs7 -print_certs -in {src} -out cert.pem, then check that "
                    "the leaf comes first",
                )
            elif block.label == "TRUSTED CERTIFICATE":
                findings.add(
                    "cert-not-pem",
                    f"{src}: block #{block.index} is an OpenSSL 'TRUSTED CERTIFICATE', which servers "
                    "do not read as a certificate",
                    f"Convert it: openssl x509 -in {src} -out cert.pem",
                )
            continue
        cert_blocks += 1
        position = f"certificate block #{cert_blocks}"
        if block.error:
            findings.add(
                "cert-not-pem",
                f"{src}: {position} cannot be read: {block.error}",
                "Copy the certificate again from the file your CA sent; do not edit the base64 lines",
            )
            continue
        try:
            cert = load_der_certificate(block.der or b"")
            info = analyse(len(certs), cert)
        except Exception as exc:  # noqa: BLE001 - any parse failure is a finding
            findings.add(
                "cert-not-pem",
                f"{src}: {position} is not a valid X.509 certificate ({short_error(exc)})",
                "Copy the certificate again from the file your CA sent; do not edit the base64 lines",
            )
            continue
        for kind in block.line_problems:
            misplaced.setdefault(kind, []).append(cert_blocks)
        certs.append(info)
    for kind, numbers in misplaced.items():
        findings.add("cert-not-pem", *misplaced_marker(src, "certificate", numbers, kind))
    if not certs:
        if other_labels and not findings.has("cert-not-pem"):
            found = ", ".join(sorted(set(other_labels)))
            hint = ""
            if any("PRIVATE KEY" in label for label in other_labels):
                hint = " (a private key: were the certificate and key files swapped?)"
            elif any("REQUEST" in label for label in other_labels):
                hint = " (a certificate signing request: send it to your CA to get the certificate)"
            findings.add(
                "no-certificate",
                f"{src} has no CERTIFICATE block; it holds: {found}{hint}",
                "Supply the server certificate in PEM ('-----BEGIN CERTIFICATE-----'): the full chain, "
                "leaf first",
            )
        elif not findings.has("cert-not-pem", "no-certificate"):
            findings.add(
                "no-certificate",
                f"{src} has no readable certificate",
                "Supply the server certificate in PEM: the full chain, leaf first",
            )
    return certs


def _cert_not_pem_binary(findings: Findings, raw: bytes, src: str) -> None:
    kind = binary_kind(raw)
    if kind == "certificate":
        findings.add("cert-not-pem", f"{src} is a DER (binary) certificate, not PEM", fix_der_cert(src))
    elif kind == "pkcs12":
        findings.add("cert-not-pem", f"{src} is a PKCS#12 (.pfx/.p12) bundle, not PEM", fix_pkcs12(src))
    elif kind == "pkcs7":
        findings.add(
            "cert-not-pem",
            f"{src} is a DER PKCS#7 (.p7b) bundle, not PEM",
            f"Convert it: openssl pkcs7 -inform der -print_certs -in {src} -out cert.pem",
        )
    elif kind in ("key", "encrypted-key"):
        findings.add(
            "cert-not-pem",
            f"{src} is a DER private key, not a PEM certificate (were the certificate and key swapped?)",
            "Pass the certificate chain (PEM, leaf first) as the certificate and the key as the key",
        )
    else:
        findings.add(
            "cert-not-pem",
            f"{src} is not PEM: no '-----BEGIN CERTIFICATE-----' block found ({describe_bytes(raw)})",
            "Supply the certificate chain in PEM. From DER: openssl x509 -inform der -in cert.der -out "
            "cert.pem; from PKCS#12: openssl pkcs12 -in bundle.pfx -nokeys -out cert.pem",
        )
