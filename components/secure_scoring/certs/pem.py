"""Certificate bundle inspection: PEM parsing, chain, key, validity, hostnames, strength.

Pure logic (imports ``cryptography`` only, never Pulumi), shared by ``secure-scoring cert check``
and the ``CertificateBundle`` component. :func:`inspect_bundle` never raises: every problem with the
input, however garbled, comes back as a :class:`Finding` with a stable code, a message that says
which certificate and what was found, and a fix hint.

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
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning

from .. import names
from .facts import (
    CURVE_NAMES,
    CertificateFacts,
    certificate_facts,
    days_left,
    describe_key,
    issued_by,
    names_match,
    utc,
)

hostname_matches = names.matches  # the matcher's old name here (docs, tests); one matcher: names.matches
covers = names.covers

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

PRODUCTION_ENVIRONMENTS = ("production", "prod")

ERROR = "error"
WARNING = "warning"

MIN_RSA_BITS = 2048
ACCEPTED_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}
WEAK_HASHES = ("sha1", "md5", "md2", "md4")

_CERT_LABELS = ("CERTIFICATE", "X509 CERTIFICATE")
_PLAIN_KEY_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY")
_BEGIN_RE = re.compile(rb"-----BEGIN ([A-Z0-9 #]{1,64})-----")
_END_RE = re.compile(rb"-----END ([A-Z0-9 #]{1,64})-----")
MAX_BLOCKS = 64  # a chain has a handful of certificates; more blocks are inspected no further
_B64_JUNK_RE = re.compile(rb"[ \t\r\n\v\f]+")
# ASN.1 prefix of a PKCS#12 PFX: SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data ...
_PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")
_PKCS7_SIGNED_OID = bytes.fromhex("06092a864886f70d010702")


# --------------------------------------------------------------------------------------------- results
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


@dataclass(frozen=True)
class CertificateInfo:
    """A summary of one certificate of the bundle."""

    subject: str
    issuer: str
    hostnames: tuple[str, ...]  # subjectAltName DNS names and IP addresses, in certificate order
    not_before: datetime  # timezone-aware UTC
    not_after: datetime  # timezone-aware UTC
    fingerprint_sha256: str  # lowercase hex, no colons
    self_signed: bool
    is_ca: bool
    key_description: str  # "EC P-256", "RSA 2048", ...

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "hostnames": list(self.hostnames),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "fingerprint_sha256": self.fingerprint_sha256,
            "self_signed": self.self_signed,
            "is_ca": self.is_ca,
            "key": self.key_description,
        }


@dataclass
class Report:
    """What :func:`inspect_bundle` found. ``chain`` is in file order; ``leaf`` is the server certificate."""

    findings: list[Finding] = field(default_factory=list)
    chain: list[CertificateInfo] = field(default_factory=list)
    leaf_index: int = 0
    key_checked: bool = False  # a readable private key was checked against a readable leaf
    checked_at: datetime | None = None
    key_given: bool = False  # a key input was given (its format findings are reported either way)

    @property
    def leaf(self) -> CertificateInfo | None:
        if not self.chain:
            return None
        return self.chain[self.leaf_index if 0 <= self.leaf_index < len(self.chain) else 0]

    @property
    def ok(self) -> bool:
        """True when there is no error finding (warnings allowed)."""
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def days_left(self) -> int | None:
        """Whole days from ``checked_at`` until the leaf expires (negative when expired)."""
        leaf = self.leaf
        if leaf is None or self.checked_at is None:
            return None
        return days_left(leaf.not_after, self.checked_at)

    def to_dict(self) -> dict[str, Any]:
        leaf = self.leaf
        certificate: dict[str, Any] | None = None
        if leaf is not None:
            certificate = leaf.to_dict()
            certificate["days_left"] = self.days_left()
            certificate["chain_length"] = len(self.chain)
        return {
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "certificate": certificate,
            "chain": [c.to_dict() for c in self.chain],
            "key_given": self.key_given,
            "key_checked": self.key_checked,
        }


# --------------------------------------------------------------------------------------------- PEM parsing
@dataclass
class _Block:
    label: str
    index: int  # 1-based position among all blocks of the input
    der: bytes | None
    headers: dict[str, str]
    error: str | None = None
    at_line_start: bool = True
    # what precedes the BEGIN line on its line: None (nothing), "indented" (spaces/tabs only),
    # "glued" (a previous END line), "cr" (a CR-only line break), "bom" (a UTF-8 byte-order mark where
    # OpenSSL does not strip it) or "text"
    prefix: str | None = None
    # why OpenSSL does not read the BEGIN/END lines as this parser does, in the order found: the prefix
    # kinds above, "begin-tail" (text after the BEGIN marker), "end-tail" (text after the END marker),
    # "end-glued" (the END marker after base64 text), "end-indented" (spaces before it), "cr",
    # "blank-line" (a blank line inside the base64 text)
    line_problems: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    blocks: list[_Block]
    unterminated: list[str]  # labels of BEGIN lines without an END
    text_found: bool  # any non-whitespace content at all
    total: int = 0  # complete blocks found (only the first MAX_BLOCKS are decoded)


def _to_bytes(data: Any) -> bytes | None:
    if data is None:
        return None
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8", errors="replace")
    return None


def _split_pem(data: bytes) -> _Parsed:
    """Find PEM blocks in linear time: each BEGIN line pairs with the first END line after it, unless
    another BEGIN line comes first (then it is unterminated)."""
    blocks: list[_Block] = []
    unterminated: list[str] = []
    begins = list(_BEGIN_RE.finditer(data))
    ends = list(_END_RE.finditer(data))
    end_starts = [m.start() for m in ends]
    after_previous_end = -1  # where the line after the previous block's END line starts
    for i, begin in enumerate(begins):
        label = begin.group(1).decode("ascii")
        next_begin = begins[i + 1].start() if i + 1 < len(begins) else len(data) + 1
        j = bisect.bisect_left(end_starts, begin.end())
        if j == len(ends) or ends[j].start() >= next_begin:
            unterminated.append(label)
            continue
        if len(blocks) >= MAX_BLOCKS:
            continue
        end = ends[j]
        end_label = end.group(1).decode("ascii")
        start = begin.start()
        # OpenSSL reads lines up to LF (a CR before it is trailing whitespace) and takes a BEGIN line only
        # at the start of a line; with anything before it on the line the block is skipped. A UTF-8
        # byte-order mark is stripped from the first line it reads for a block: the first line of the
        # file, or the line right after the previous block's END line (files with a BOM concatenated)
        lo = max(0, start - 4096)
        newline = data.rfind(b"\n", lo, start)
        line_start = newline + 1 if newline >= 0 else lo
        before = data[line_start:start]
        bom = before.startswith(b"\xef\xbb\xbf")
        if bom and line_start in (0, after_previous_end):
            before = before[3:]
        at_line_start = not before
        prefix = None
        if not at_line_start:
            if _after_cr_break(before):
                prefix = "cr"
            elif before == b"\xef\xbb\xbf":
                prefix = "bom"
            elif not before.strip(b" \t\v\f"):
                prefix = "indented"
            elif before.rstrip(b" \t").endswith(b"-----") and _END_RE.search(before):
                prefix = "glued"
            else:
                prefix = "text"
        problems = [prefix] if prefix else []
        # ... and the BEGIN and END lines must hold nothing else (trailing whitespace aside)
        blank, cr = _rest_of_line(data, begin.end())
        if not blank:
            problems.append("cr" if cr else "begin-tail")
        newline = data.rfind(b"\n", begin.end(), end.start())
        before_end = data[newline + 1 : end.start()] if newline >= 0 else b""  # else: on the BEGIN line
        if before_end:
            if _after_cr_break(before_end):
                problems.append("cr")
            elif before_end.strip(b" \t\v\f"):
                problems.append("end-glued")  # OpenSSL reads on past it, into the next block
            elif prefix != "indented":
                problems.append("end-indented")
        blank, cr = _rest_of_line(data, end.end())
        if not blank:
            if cr:
                problems.append("cr")
            elif not data[end.end() : end.end() + 64].lstrip(b" \t").startswith(b"-----BEGIN"):
                problems.append("end-tail")  # a BEGIN line glued there is reported with its own block
        if _blank_line_inside(data[begin.end() : end.start()]):
            problems.append("blank-line")
        newline = data.find(b"\n", end.end(), end.end() + 4096)
        after_previous_end = newline + 1 if newline >= 0 else -1
        block = _Block(
            label=label,
            index=len(blocks) + 1,
            der=None,
            headers={},
            at_line_start=at_line_start,
            prefix=prefix,
            line_problems=list(dict.fromkeys(problems)),
        )
        blocks.append(block)
        if label != end_label:
            block.error = (
                f"the block begins with '-----BEGIN {label}-----' but ends with '-----END {end_label}-----'"
            )
            continue
        b64_lines: list[bytes] = []
        body = re.split(rb"\r\n|\r|\n", data[begin.end() : end.start()])
        if "begin-tail" in problems and len(body) > 1 and _der_shaped(b"".join(body[1:])):
            body = body[1:]  # text after the BEGIN marker (reported): the base64 starts on the next line
        for line in body:
            stripped = line.strip()
            if b":" in stripped:  # RFC 1421 headers (Proc-Type, DEK-Info); never part of base64
                key, _, value = stripped.partition(b":")
                block.headers[key.decode("ascii", "replace").strip()] = value.decode(
                    "ascii", "replace"
                ).strip()
                continue
            b64_lines.append(stripped)
        payload = _B64_JUNK_RE.sub(b"", b"".join(b64_lines))
        if not payload:
            block.error = "the block is empty"
            continue
        try:
            block.der = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            block.error = "its base64 content is damaged (characters that are not base64, or cut short)"
    total = len(begins) - len(unterminated)
    return _Parsed(
        blocks=blocks, unterminated=unterminated[:MAX_BLOCKS], text_found=bool(data.strip()), total=total
    )


_BLANK_RUN_RE = re.compile(rb"[\x00-\x09\x0b-\x20]*")  # what OpenSSL strips from a line's end (not LF)


def _der_shaped(body: bytes) -> bool:
    """``body`` is base64 of one whole DER SEQUENCE (its length header matches the decoded size)."""
    try:
        der = base64.b64decode(_B64_JUNK_RE.sub(b"", body), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(der) < 2 or der[0] != 0x30:
        return False
    if der[1] < 0x80:
        return der[1] + 2 == len(der)
    size = der[1] & 0x7F
    if not 1 <= size <= 4 or len(der) < 2 + size:
        return False
    return int.from_bytes(der[2 : 2 + size], "big") + 2 + size == len(der)


_UNFINISHED = ("end-glued", "end-indented")  # OpenSSL reads on past the block's END, into the next block
_FAILING = (*_UNFINISHED, "end-tail", "blank-line")  # ... or it fails on the block


def _read_breaking(block: _Block, kinds: tuple[str, ...]) -> list[str]:
    """The ``line_problems`` (among ``kinds``) of a block OpenSSL starts reading (its BEGIN line is
    fine) but cannot finish: they matter even in a block of another kind than the one looked for."""
    if block.prefix or "begin-tail" in block.line_problems:
        return []  # OpenSSL does not see this BEGIN line and skips the block's lines
    return [k for k in block.line_problems if k in kinds]


def _blank_line_inside(body: bytes) -> bool:
    """``body`` (between the BEGIN and END markers) has a blank line OpenSSL does not accept: it reads
    one blank line as the end of the RFC 1421 headers, so one is fine right after the BEGIN line (or
    after the headers); another blank line, or one after base64 text, makes it stop there and fail
    ('bad end line', or the base64 before it is taken for headers)."""
    header_part = True  # no base64 line yet: a blank line here ends the (possibly empty) headers
    for line in body.split(b"\n")[1:-1]:  # the rest of the BEGIN line and the start of the END line
        text = line.rstrip(_LINE_END_BLANKS)  # are checked on their own
        if not text:
            if not header_part:
                return True
            header_part = False
        elif b":" not in text:
            header_part = False
    return False


_LINE_END_BLANKS = bytes(range(0x21))  # what OpenSSL strips from a line's end (LF splits lines)


def _rest_of_line(data: bytes, pos: int) -> tuple[bool, bool]:
    """(nothing but whitespace/control characters until the next LF or the end of the data, a CR is
    followed by more text on the same LF-terminated line: CR-only line endings)."""
    run = _BLANK_RUN_RE.match(data, pos)
    stop = run.end() if run else pos
    if stop >= len(data) or data[stop] == 0x0A:
        return True, False
    return False, b"\r" in data[pos:stop]


def _after_cr_break(before: bytes) -> bool:
    """``before`` (the text between a marker and the LF before it) ends with a CR-only line break."""
    _, cr, after = before.rpartition(b"\r")
    return bool(cr) and not after.strip(b" \t\v\f")


def _load_der_certificate(der: bytes) -> x509.Certificate:
    """``x509.load_der_x509_certificate`` without its deprecation warnings on stderr (a negative serial
    number, for one): a checker reports what matters as findings, not as Python warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_der_x509_certificate(der)


def _canonical(label: str, der: bytes) -> bytes:
    b64 = base64.b64encode(der)
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (
        b"-----BEGIN "
        + label.encode()
        + b"-----\n"
        + b"\n".join(lines)
        + b"\n-----END "
        + label.encode()
        + b"-----\n"
    )


def parse_pem_certificates(data: bytes | str) -> list[x509.Certificate]:
    """Every well-formed certificate block in ``data`` (text around blocks, CRLF and glued blocks
    are tolerated), in file order. Never raises: malformed input gives ``[]``."""
    try:
        raw = _to_bytes(data)
        if raw is None:
            return []
        certs: list[x509.Certificate] = []
        for block in _split_pem(raw).blocks:
            if block.label in _CERT_LABELS and block.der is not None and block.error is None:
                try:
                    certs.append(_load_der_certificate(block.der))
                except Exception:  # noqa: BLE001, S112 - skip damaged certificates
                    continue
        return certs
    except Exception:  # noqa: BLE001
        return []


def canonical_pem(data: bytes | str) -> str:
    """The certificates of ``data`` re-encoded as clean PEM (LF line endings, one block after the
    other, nothing around them), in file order. ``""`` when there is none."""
    return "".join(
        c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in parse_pem_certificates(data)
    )


# --------------------------------------------------------------------------------------------- helpers
def _fmt_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _expired_for(not_after: datetime, now: datetime) -> str:
    """'days left: -4', the figure JSON ``days_left`` and the summary show (see :func:`days_left`)."""
    return f"days left: {days_left(not_after, now)}"


def _starts_in(not_before: datetime, now: datetime) -> str:
    """'starts in 4 days 23 hours': days by :func:`days_left`, then the whole hours that remain."""
    days = days_left(not_before, now)
    hours = int((not_before - now - timedelta(days=days)).total_seconds() // 3600)
    return f"starts in {days} day{'s' if days != 1 else ''} {hours} hour{'s' if hours != 1 else ''}"


def _key_weakness(key: Any) -> str | None:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            return f"an RSA key of {key.key_size} bits (at least {MIN_RSA_BITS} are required)"
        return None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name in ACCEPTED_CURVES:
            return None
        return f"an EC key on curve {CURVE_NAMES.get(key.curve.name, key.curve.name)}, {_UNSUPPORTED_KEY}"
    if isinstance(key, dsa.DSAPublicKey):
        return f"a DSA key ({key.key_size} bits), {_UNSUPPORTED_KEY}"
    return f"{_with_article(describe_key(key))} key, {_UNSUPPORTED_KEY}"


# not weak cryptography, but not what the endpoints' TLS front end serves (finding code stays weak-key)
_UNSUPPORTED_KEY = "unsupported by Azure ML's TLS front end (not RSA ≥ 2048 or EC P-256/P-384)"


def _with_article(noun: str) -> str:
    """'an Ed25519', 'an RSA 1024', 'a DSA 2048': the article by the sound of the first letter."""
    return ("an " if noun[:1].upper() in "AEFHILMNORSX" else "a ") + noun


def _public_der(key: Any) -> bytes | None:
    try:
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except Exception:  # noqa: BLE001
        return None


@dataclass
class _Cert:
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

    def info(self) -> CertificateInfo:
        return CertificateInfo(
            subject=self.subject,
            issuer=self.issuer,
            hostnames=self.hostnames,
            not_before=self.not_before,
            not_after=self.not_after,
            fingerprint_sha256=self.fingerprint,
            self_signed=self.self_signed,
            is_ca=self.is_ca,
            key_description=self.key_description,
        )


def _analyse(index: int, cert: x509.Certificate) -> _Cert:
    facts = certificate_facts(cert)
    try:
        public_key: Any = cert.public_key()
    except Exception:  # noqa: BLE001 - unsupported algorithm
        public_key = None
    return _Cert(
        index=index,
        cert=cert,
        facts=facts,
        public_key=public_key,
        public_der=_public_der(public_key) if public_key is not None else None,
        explicit_curve=isinstance(public_key, ec.EllipticCurvePublicKey) and _explicit_ec_parameters(cert),
    )


def _der_children(der: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
    """(tag, content start, content end) of the DER elements in ``der[start:end]``; stops at anything
    malformed (a minimal reader for the few fields cryptography does not expose)."""
    out: list[tuple[int, int, int]] = []
    pos, stop = start, len(der) if end is None else end
    while pos + 2 <= stop:
        tag, length = der[pos], der[pos + 1]
        pos += 2
        if length & 0x80:
            size = length & 0x7F
            if not 1 <= size <= 4 or pos + size > stop:
                break
            length = int.from_bytes(der[pos : pos + size], "big")
            pos += size
        if pos + length > stop:
            break
        out.append((tag, pos, pos + length))
        pos += length
    return out


def _explicit_ec_parameters(cert: x509.Certificate) -> bool:
    """The certificate's EC key has explicit domain parameters (a SEQUENCE) instead of a namedCurve OID."""
    try:
        tbs = cert.tbs_certificate_bytes
        (_, start, end), *_ = _der_children(tbs)
        fields = _der_children(tbs, start, end)
        if fields and fields[0][0] == 0xA0:  # [0] version
            fields = fields[1:]
        _, spki_start, spki_end = fields[5]  # serial, signature, issuer, validity, subject, SPKI
        _, alg_start, alg_end = _der_children(tbs, spki_start, spki_end)[0]
        parameters = _der_children(tbs, alg_start, alg_end)[1]
        return parameters[0] == 0x30
    except Exception:  # noqa: BLE001 - unreadable: leave it to the other checks
        return False


def _binary_kind(data: bytes) -> str | None:
    """Recognize binary (DER) inputs: 'pkcs12', 'certificate', 'key', 'encrypted-key', 'pkcs7' or None."""
    if not data or data[0] != 0x30:
        return None
    head = data[:40]
    # PFX: SEQUENCE { INTEGER 3, ContentInfo { pkcs7-data ...
    if b"\x02\x01\x03\x30" in head[:12] and _PKCS7_DATA_OID in data[:40]:
        return "pkcs12"
    try:
        _load_der_certificate(data)
        return "certificate"
    except Exception:  # noqa: BLE001, S110
        pass
    if _PKCS7_SIGNED_OID in head:
        return "pkcs7"
    try:
        serialization.load_der_private_key(data, password=None)
        return "key"
    except TypeError:
        return "encrypted-key"
    except Exception:  # noqa: BLE001, S110
        pass
    try:
        from cryptography.hazmat.primitives.serialization import pkcs12

        pkcs12.load_key_and_certificates(data, None)
        return "pkcs12"
    except Exception:  # noqa: BLE001, S110
        pass
    return None


# --------------------------------------------------------------------------------------------- fix hints
def _fix_der_cert(src: str) -> str:
    return f"Convert it to PEM: openssl x509 -inform der -in {src} -out cert.pem"


def _fix_pkcs12(src: str) -> str:
    return (
        f"Extract PEM files from the PKCS#12 bundle: openssl pkcs12 -in {src} -nokeys -out cert.pem "
        f"(certificates) and openssl pkcs12 -in {src} -nocerts -nodes -out key.pem (unencrypted key); "
        "add -legacy for old RC2-encrypted files. Check that cert.pem lists the leaf first"
    )


_FIX_ENCRYPTED = (
    "Remove the passphrase: openssl pkey -in key.pem -out key-plain.pem (asks for the passphrase once). "
    "Azure ML refuses passphrase-protected keys; keep the plain key in a secret store or a Pulumi "
    "secret, not in the repository"
)
_FIX_CHAIN_ORDER = (
    "Rebuild the file leaf first, then each issuer: cat leaf.pem intermediate.pem > fullchain.pem "
    "(the root is optional); remove certificates that do not belong to the chain"
)
_FIX_CHAIN_INCOMPLETE = (
    "Append the intermediate certificate(s) your CA supplied after the leaf: "
    "cat leaf.pem intermediate.pem > fullchain.pem. Azure ML needs the full chain, leaf first"
)
_FIX_WEAK_KEY = (
    "Create a new key and have the certificate re-issued for it: "
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem (or -algorithm RSA "
    "-pkeyopt rsa_keygen_bits:2048), then a new CSR"
)


def _from_utf16(raw: bytes) -> bytes | None:
    """The UTF-8 form of PEM text saved as UTF-16 (Windows PowerShell 5's '>' and Out-File write it,
    with or without a byte-order mark); None for anything else."""
    head = raw[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif head.count(b"\x00") * 3 < len(head):  # ASCII text in UTF-16 is half NUL bytes
        return None
    else:  # the NUL bytes are the high bytes: at odd offsets in little-endian, even ones in big-endian
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text.encode("utf-8") if "-----BEGIN " in text else None


def _utf16_finding(src: str, what: str) -> tuple[str, str]:
    return (
        f"{src} is UTF-16 text (as Windows PowerShell's '>' and Out-File write it), not ASCII PEM; OpenSSL "
        "and nginx find no PEM block in it",
        f"Save the {what} as ASCII or UTF-8 without a byte-order mark: iconv -f UTF-16 -t UTF-8 in.pem > "
        "out.pem (PowerShell: Get-Content in.pem | Set-Content -Encoding ascii out.pem)",
    )


def _misplaced_marker(src: str, what: str, numbers: list[int], kind: str) -> tuple[str, str]:
    """(message, fix) for BEGIN/END lines that OpenSSL does not read as such (a ``_Block.line_problems``
    kind), one finding per kind for the file."""
    plural = len(numbers) > 1
    if numbers:
        blocks = f"{what} block{'s' if plural else ''} " + ", ".join(f"#{n}" for n in numbers)
    else:
        blocks = f"the {what} block"
    lines = f"the BEGIN line{'s' if plural else ''} of {blocks} {'do' if plural else 'does'}"
    skip = "OpenSSL and nginx skip such a block or reject the file ('bad end line')"
    own_line = "Put every '-----BEGIN' and '-----END' line on its own line, starting in column 1"
    if kind == "indented":
        return (
            f"{src}: {lines} not start a line: the PEM is indented (spaces or tabs before "
            f"'-----BEGIN', as when it is pasted from YAML or JSON); {skip}",
            "Remove the indentation so that every line of the PEM starts in column 1, e.g. "
            "sed 's/^[[:space:]]*//' in.pem > out.pem (in YAML, use a block scalar such as 'cert: |' "
            "whose content the parser un-indents)",
        )
    if kind == "glued":
        return (
            f"{src}: {lines} not start a line: it is glued to the previous END line "
            f"('-----END CERTIFICATE----------BEGIN CERTIFICATE-----', files concatenated without a final "
            f"newline); {skip}",
            "Put a newline after every '-----END' line (when concatenating: cat leaf.pem intermediate.pem, "
            "each file ending in a newline)",
        )
    if kind == "bom":
        return (
            f"{src}: {lines} not start a line: a UTF-8 byte-order mark (BOM) precedes '-----BEGIN'; "
            "OpenSSL strips one only at the start of the file or right after the previous END line, and "
            "skips this block",
            "Save the PEM files as UTF-8 without a byte-order mark (or ASCII) and concatenate them again, "
            "or remove the marks: sed 's/^\\xEF\\xBB\\xBF//' in.pem > out.pem",
        )
    if kind == "cr":
        return (
            f"{src}: the lines of {blocks} end in a CR only (classic Mac OS line endings); OpenSSL splits "
            "lines at LF, so it does not find these BEGIN/END lines and skips the block or rejects the file",
            "Convert the line endings to LF (or CRLF), e.g. tr '\\r' '\\n' < in.pem > out.pem",
        )
    if kind == "begin-tail":
        return (
            f"{src}: {lines} not end after '-----': there is text after the BEGIN marker on the same line; "
            "OpenSSL does not take it for a BEGIN line and skips the block",
            own_line + ", with nothing after it",
        )
    if kind == "end-tail":
        return (
            f"{src}: there is text after the '-----END' line of {blocks} on the same line; OpenSSL and "
            "nginx reject the file ('bad end line')",
            own_line + ", with nothing after it (a newline after every '-----END' line)",
        )
    if kind == "end-glued":
        return (
            f"{src}: the END line{'s' if plural else ''} of {blocks} {'do' if plural else 'does'} not start "
            "a line: glued to the base64 text before it; OpenSSL does not see it and reads on into the next "
            "block, which is lost (or rejects the file at its end)",
            own_line + " (a newline before every '-----END')",
        )
    if kind == "blank-line":
        return (
            f"{src}: {blocks} {'have' if plural else 'has'} a blank line inside the base64 text (other than "
            "one right after the BEGIN line); OpenSSL stops reading the block there and rejects the file "
            "('bad end line'), and nginx does not start",
            "Remove the blank lines between '-----BEGIN' and '-----END' (blank lines between blocks are fine), "
            "e.g. sed '/^[[:space:]]*$/d' in.pem > out.pem",
        )
    if kind == "end-indented":
        return (
            f"{src}: the END line{'s' if plural else ''} of {blocks} {'are' if plural else 'is'} indented "
            "(spaces or tabs before '-----END'); OpenSSL does not see it and reads on into the next block, "
            "which is lost (or rejects the file at its end)",
            "Remove the indentation so that every line of the PEM starts in column 1, e.g. "
            "sed 's/^[[:space:]]*//' in.pem > out.pem",
        )
    return (
        f"{src}: {lines} not start a line: there is text before '-----BEGIN' on the same line; {skip}",
        own_line,
    )


# --------------------------------------------------------------------------------------------- inspection
class _Inspector:
    def __init__(
        self,
        *,
        hostnames: list[str],
        environment: str,
        min_days: int,
        now: datetime,
        cert_name: str,
        key_name: str,
    ) -> None:
        self.findings: list[Finding] = []
        self.hostnames = hostnames
        self.environment = (environment or "dev").strip().lower()
        self.min_days = min_days
        self.now = now
        self.cert_name = cert_name
        self.key_name = key_name
        self._seen: set[tuple[str, str]] = set()

    def add(self, code: str, message: str, fix: str, severity: str = ERROR) -> None:
        assert code in FINDING_CODES, code
        if (code, message) in self._seen:
            return
        self._seen.add((code, message))
        self.findings.append(Finding(code=code, severity=severity, message=message, fix=fix))

    # ---- certificate input
    def parse_certificates(self, data: Any) -> list[_Cert]:
        raw = _to_bytes(data)
        src = self.cert_name
        if raw is None or not raw.strip():
            what = "is empty" if raw is not None else "was not supplied"
            self.add(
                "no-certificate",
                f"the certificate input ({src}) {what}",
                "Supply the server certificate in PEM ('-----BEGIN CERTIFICATE-----'): the full chain, leaf first",
            )
            return []
        decoded = _from_utf16(raw)
        if decoded is not None:
            self.add("cert-not-pem", *_utf16_finding(src, "certificate chain"))
            raw = decoded  # inspect the content too, so every other problem shows up at once
        parsed = _split_pem(raw)
        if not parsed.blocks and not parsed.unterminated:
            self._cert_not_pem_binary(raw, src)
            return []
        if parsed.total > MAX_BLOCKS:
            self.add(
                "cert-not-pem",
                f"{src} holds {parsed.total} PEM blocks; only the first {MAX_BLOCKS} were inspected (a "
                "certificate chain has a handful)",
                "Pass the server's chain only: the leaf, then its intermediates",
            )
        for label in parsed.unterminated:
            self.add(
                "cert-not-pem",
                f"{src}: a '-----BEGIN {label}-----' line has no matching END line (the file is cut short "
                "or the END line is damaged)",
                "Copy the complete PEM block again, from the BEGIN line to the END line inclusive",
            )
        certs: list[_Cert] = []
        other_labels: list[str] = []
        cert_blocks = 0
        misplaced: dict[str, list[int]] = {}  # line_problems kind → certificate block numbers
        for block in parsed.blocks:
            if block.label not in _CERT_LABELS:
                other_labels.append(block.label)
                # OpenSSL reads every block while looking for certificates: one it cannot finish (a key
                # first in a combined file, say) fails the file, and nginx does not start
                for kind in _read_breaking(block, _FAILING):
                    self.add("cert-not-pem", *_misplaced_marker(src, f"'{block.label}'", [], kind))
                if block.label in ("PKCS7", "CMS"):
                    self.add(
                        "cert-not-pem",
                        f"{src} holds a PKCS#7 bundle (block #{block.index}, '-----BEGIN {block.label}-----'), "
                        "not PEM certificates",
                        f"Convert it: openssl pkcs7 -print_certs -in {src} -out cert.pem, then check that "
                        "the leaf comes first",
                    )
                elif block.label == "TRUSTED CERTIFICATE":
                    self.add(
                        "cert-not-pem",
                        f"{src}: block #{block.index} is an OpenSSL 'TRUSTED CERTIFICATE', which servers "
                        "do not read as a certificate",
                        f"Convert it: openssl x509 -in {src} -out cert.pem",
                    )
                continue
            cert_blocks += 1
            position = f"certificate block #{cert_blocks}"
            if block.error:
                self.add(
                    "cert-not-pem",
                    f"{src}: {position} cannot be read: {block.error}",
                    "Copy the certificate again from the file your CA sent; do not edit the base64 lines",
                )
                continue
            try:
                cert = _load_der_certificate(block.der or b"")
                info = _analyse(len(certs), cert)
            except Exception as exc:  # noqa: BLE001 - any parse failure is a finding
                self.add(
                    "cert-not-pem",
                    f"{src}: {position} is not a valid X.509 certificate ({_short(exc)})",
                    "Copy the certificate again from the file your CA sent; do not edit the base64 lines",
                )
                continue
            for kind in block.line_problems:
                misplaced.setdefault(kind, []).append(cert_blocks)
            certs.append(info)
        for kind, numbers in misplaced.items():
            self.add("cert-not-pem", *_misplaced_marker(src, "certificate", numbers, kind))
        if not certs:
            if other_labels and not any(f.code == "cert-not-pem" for f in self.findings):
                found = ", ".join(sorted(set(other_labels)))
                hint = ""
                if any("PRIVATE KEY" in label for label in other_labels):
                    hint = " (a private key: were the certificate and key files swapped?)"
                elif any("REQUEST" in label for label in other_labels):
                    hint = " (a certificate signing request: send it to your CA to get the certificate)"
                self.add(
                    "no-certificate",
                    f"{src} has no CERTIFICATE block; it holds: {found}{hint}",
                    "Supply the server certificate in PEM ('-----BEGIN CERTIFICATE-----'): the full chain, "
                    "leaf first",
                )
            elif not any(f.code in ("cert-not-pem", "no-certificate") for f in self.findings):
                self.add(
                    "no-certificate",
                    f"{src} has no readable certificate",
                    "Supply the server certificate in PEM: the full chain, leaf first",
                )
        return certs

    def _cert_not_pem_binary(self, raw: bytes, src: str) -> None:
        kind = _binary_kind(raw)
        if kind == "certificate":
            self.add("cert-not-pem", f"{src} is a DER (binary) certificate, not PEM", _fix_der_cert(src))
        elif kind == "pkcs12":
            self.add("cert-not-pem", f"{src} is a PKCS#12 (.pfx/.p12) bundle, not PEM", _fix_pkcs12(src))
        elif kind == "pkcs7":
            self.add(
                "cert-not-pem",
                f"{src} is a DER PKCS#7 (.p7b) bundle, not PEM",
                f"Convert it: openssl pkcs7 -inform der -print_certs -in {src} -out cert.pem",
            )
        elif kind in ("key", "encrypted-key"):
            self.add(
                "cert-not-pem",
                f"{src} is a DER private key, not a PEM certificate (were the certificate and key swapped?)",
                "Pass the certificate chain (PEM, leaf first) as the certificate and the key as the key",
            )
        else:
            self.add(
                "cert-not-pem",
                f"{src} is not PEM: no '-----BEGIN CERTIFICATE-----' block found ({_describe_bytes(raw)})",
                "Supply the certificate chain in PEM. From DER: openssl x509 -inform der -in cert.der -out "
                "cert.pem; from PKCS#12: openssl pkcs12 -in bundle.pfx -nokeys -out cert.pem",
            )

    # ---- key input
    def parse_key(self, data: Any) -> list[Any]:
        """The usable private keys of the input ([] with findings when there is none)."""
        raw = _to_bytes(data)
        src = self.key_name
        if raw is None or not raw.strip():
            self.add(
                "no-key",
                f"the key input ({src}) is empty",
                "Supply the unencrypted private key in PEM ('-----BEGIN PRIVATE KEY-----')",
            )
            return []
        decoded = _from_utf16(raw)
        if decoded is not None:
            self.add("key-not-pem", *_utf16_finding(src, "private key"))
            raw = decoded
        parsed = _split_pem(raw)
        if not parsed.blocks and not parsed.unterminated:
            kind = _binary_kind(raw)
            if kind == "key":
                msg, fix = (
                    f"{src} is a DER (binary) private key, not PEM",
                    f"Convert it: openssl pkey -inform der -in {src} -out key.pem",
                )
            elif kind == "encrypted-key":
                msg, fix = (
                    f"{src} is an encrypted DER private key, not PEM",
                    f"Convert and decrypt it: openssl pkey -inform der -in {src} -out key.pem",
                )
            elif kind == "pkcs12":
                msg, fix = f"{src} is a PKCS#12 (.pfx/.p12) bundle, not a PEM key", _fix_pkcs12(src)
            elif kind == "certificate":
                msg, fix = (
                    f"{src} is a DER certificate, not a private key (were the certificate and key swapped?)",
                    "Pass the unencrypted private key in PEM as the key",
                )
            else:
                msg, fix = (
                    f"{src} is not PEM: no '-----BEGIN PRIVATE KEY-----' block found ({_describe_bytes(raw)})",
                    "Supply the unencrypted private key in PEM. From DER: openssl pkey -inform der -in "
                    "key.der -out key.pem",
                )
            self.add("key-not-pem", msg, fix)
            return []
        for label in parsed.unterminated:
            self.add(
                "key-not-pem",
                f"{src}: a '-----BEGIN {label}-----' line has no matching END line (the file is cut short)",
                "Copy the complete key block again, from the BEGIN line to the END line inclusive",
            )
        key_blocks = [b for b in parsed.blocks if "PRIVATE KEY" in b.label]
        if not key_blocks:
            if parsed.blocks:
                found = ", ".join(sorted({b.label for b in parsed.blocks}))
                hint = ""
                if any(b.label in _CERT_LABELS for b in parsed.blocks):
                    hint = " (a certificate: were the certificate and key files swapped?)"
                elif any(b.label == "PUBLIC KEY" for b in parsed.blocks):
                    hint = " (a public key: the server needs the private key)"
                self.add(
                    "no-key",
                    f"{src} has no private key block; it holds: {found}{hint}",
                    "Supply the unencrypted private key in PEM ('-----BEGIN PRIVATE KEY-----', "
                    "'RSA PRIVATE KEY' or 'EC PRIVATE KEY')",
                )
            return []
        # OpenSSL's key reader skips the blocks before the key (EC PARAMETERS, certificates) it cannot
        # read, but the block right before the key swallows it when OpenSSL does not see its END line
        for block in parsed.blocks[max(0, key_blocks[0].index - 2) : key_blocks[0].index - 1]:
            for kind in _read_breaking(block, _UNFINISHED):
                self.add("key-not-pem", *_misplaced_marker(src, f"'{block.label}'", [], kind))
        keys: list[Any] = []
        for block in key_blocks:
            key = self._load_key_block(block, src)
            if key is not None:
                keys.append(key)
        return keys

    def _load_key_block(self, block: _Block, src: str) -> Any | None:
        label = block.label
        if label == "ENCRYPTED PRIVATE KEY" or "ENCRYPTED" in block.headers.get("Proc-Type", "").upper():
            kind = (
                "PKCS#8 encrypted" if label == "ENCRYPTED PRIVATE KEY" else "legacy 'Proc-Type: 4,ENCRYPTED'"
            )
            self.add(
                "key-encrypted",
                f"{src}: the private key is protected by a passphrase ({kind})",
                _FIX_ENCRYPTED,
            )
            return None
        if label == "OPENSSH PRIVATE KEY":
            self.add(
                "key-not-pem",
                f"{src} holds an OpenSSH private key, which TLS servers cannot use",
                "Use the key that belongs to the certificate (PKCS#8/PKCS#1/SEC1 PEM); an SSH key is not a TLS key",
            )
            return None
        if block.error:
            self.add(
                "key-not-pem",
                f"{src}: the '{label}' block cannot be read: {block.error}",
                "Copy the key again from where it was generated; do not edit the base64 lines",
            )
            return None
        if label not in _PLAIN_KEY_LABELS:
            self.add(
                "key-not-pem",
                f"{src}: '-----BEGIN {label}-----' is not a private key format TLS servers read",
                "Convert it to PKCS#8 PEM: openssl pkey -in key-file -out key.pem",
            )
            return None
        try:
            # RSA's full key validation (primality tests) costs ~70 ms on a slow core; check_key_match proves
            # instead that the key signs what the certificate's public key verifies, which a damaged key fails
            key = serialization.load_pem_private_key(
                _canonical(label, block.der or b""), password=None, unsafe_skip_rsa_key_validation=True
            )
        except TypeError:
            self.add("key-encrypted", f"{src}: the private key is protected by a passphrase", _FIX_ENCRYPTED)
            return None
        except Exception as exc:  # noqa: BLE001 - any failure is a finding
            self.add(
                "key-not-pem",
                f"{src}: the '{label}' block is not a valid private key ({_short(exc)})",
                "Copy the key again from where it was generated; do not edit the base64 lines",
            )
            return None
        for kind in block.line_problems:
            self.add("key-not-pem", *_misplaced_marker(src, f"'{label}'", [], kind))
        return key

    # ---- checks on parsed certificates
    def pick_leaf(self, certs: list[_Cert], key: Any | None) -> int:
        key_der = _public_der(key.public_key()) if key is not None else None
        non_ca = [c for c in certs if not c.is_ca]
        if key_der is not None:
            for c in non_ca:
                if c.public_der == key_der:
                    return c.index
        if non_ca:
            return non_ca[0].index
        if key_der is not None:
            for c in certs:
                if c.public_der == key_der:
                    return c.index
        return 0

    def check_key_match(self, certs: list[_Cert], leaf: _Cert, key: Any) -> None:
        try:
            key_der = _public_der(key.public_key())
        except Exception:  # noqa: BLE001
            key_der = None
        if key_der is not None and key_der == leaf.public_der:
            if not _proves_possession(key, leaf.public_key):
                self.add(
                    "key-mismatch",
                    f"the private key has the public key of the leaf {leaf.label()}, but a signature made with it "
                    "does not verify: the private key is damaged",
                    "Use an intact copy of the key that was generated with this certificate's CSR, or create a "
                    "new key and have the certificate re-issued",
                )
            return
        other = next((c for c in certs if c is not leaf and c.public_der == key_der), None)
        where = f"; it is the key of {other.label()}" if other else ""
        self.add(
            "key-mismatch",
            f"the private key ({describe_key(key)}) does not belong to the leaf {leaf.label()}, whose key "
            f"is {leaf.key_description}{where}",
            "Use the key that was generated with this certificate's CSR, or have the certificate re-issued "
            "for this key. Compare: openssl x509 -in cert.pem -noout -pubkey | openssl sha256 and "
            "openssl pkey -in key.pem -pubout | openssl sha256",
        )

    def check_validity(self, certs: list[_Cert], leaf_index: int) -> None:
        for c in certs:
            label = c.label(leaf_index)
            if c.not_after <= self.now:
                self.add(
                    "cert-expired",
                    f"{label} expired on {_fmt_date(c.not_after)} ({_expired_for(c.not_after, self.now)})",
                    "Renew the certificate with your CA (same hostnames, new validity) and deploy the new chain"
                    if c.index == leaf_index
                    else "Get the current certificate of this CA from your CA and rebuild the chain file",
                )
            elif c.not_before > self.now:
                self.add(
                    "cert-not-yet-valid",
                    f"{label} is not valid before {_fmt_date(c.not_before)} "
                    f"({_starts_in(c.not_before, self.now)}; checked at {_fmt_date(self.now)})",
                    "Deploy it once it is valid, check the clock of the machine that issued it, or have it "
                    "re-issued with a start date in the past",
                )
            elif c.not_after - self.now < timedelta(days=self.min_days):
                days = days_left(c.not_after, self.now)
                self.add(
                    "cert-expiring-soon",
                    f"{label} expires on {_fmt_date(c.not_after)}, in {days} day{'s' if days != 1 else ''} "
                    f"(the minimum is {self.min_days} days)",
                    "Renew it now and deploy the new chain; Azure ML does not renew custom certificates",
                    WARNING,
                )

    def check_hostnames(self, leaf: _Cert, leaf_index: int) -> None:
        label = leaf.label(leaf_index)
        if leaf.san_error:
            self.add(
                "no-san",
                f"{label}: the subjectAltName extension cannot be read ({leaf.san_error})",
                "Have the certificate re-issued with a well-formed subjectAltName listing every hostname",
            )
            return
        if not leaf.has_san or not leaf.hostnames:
            cn = leaf.facts.common_name
            asked = f"; hostname(s) asked: {', '.join(self.hostnames)}" if self.hostnames else ""
            self.add(
                "no-san",
                f"{label} has no subjectAltName DNS/IP names (CN={cn or 'none'}); clients ignore the CN "
                f"(Go, Chrome, Python reject the certificate){asked}",
                "Have the certificate re-issued with the hostnames in subjectAltName, e.g. openssl req "
                "... -addext 'subjectAltName=DNS:scoring.example.com'",
            )
            for host in self.hostnames:
                if not (cn and names.matches(cn, host)) and not self._invalid_host(host, label):
                    self.add(
                        "hostname-mismatch",
                        f"hostname '{host}' is not in {label}: no subjectAltName, CN={cn or 'none'}",
                        f"Have the certificate re-issued with {names.san_entry(_host(host))} in subjectAltName",
                    )
            return
        for host in self.hostnames:
            if names.covers(leaf.hostnames, host) or self._invalid_host(host, label):
                continue
            asked = _host(host)
            sans = ", ".join(leaf.hostnames)
            hint = ""
            is_ip = isinstance(asked, names.IpAddress)
            if is_ip:
                hint = " (an IP address is covered only by the same IP address SAN entry)"
            elif any(p.startswith("*.") for p in leaf.hostnames):
                hint = " (a wildcard covers exactly one left-most label, not the bare domain or deeper names)"
            wanted = names.san_entry(asked)
            labels = asked.labels if isinstance(asked, names.DnsName) else ()
            if len(labels) >= 3:  # *.com would cover nothing
                wanted += f" (or the wildcard DNS:*.{'.'.join(labels[1:])})"
            self.add(
                "hostname-mismatch",
                f"hostname '{host}' is not covered by {label}; its subjectAltName has: {sans}{hint}",
                f"Have the certificate re-issued with {wanted} in subjectAltName, or use a hostname it "
                f"covers ({sans})",
            )

    def _invalid_host(self, host: str, label: str) -> bool:
        """A requested name no certificate can cover (names.parse_host refuses it): a finding that says
        why, instead of advice to put it in a subjectAltName."""
        try:
            _host(host)
            return False
        except names.InvalidHostname as e:
            self.add(
                "hostname-mismatch",
                f"hostname '{host}' is not covered by {label}: {e.problem}",
                e.fix[:1].upper() + e.fix[1:],
            )
            return True

    def check_chain(self, certs: list[_Cert], leaf_index: int) -> None:
        leaf = certs[leaf_index]
        path = [leaf]
        used = {leaf.index}
        cur = leaf
        bad_signature: _Cert | None = None
        while not cur.self_signed:
            named = [c for c in certs if c.index not in used and names_match(cur.cert, c.cert)]
            issuer = next((c for c in named if issued_by(cur.cert, c.cert)), None)
            if issuer is None:
                bad_signature = named[0] if named else None
                break
            path.append(issuer)
            used.add(issuer.index)
            cur = issuer
        # duplicates and certificates outside the chain
        leftovers = [c for c in certs if c.index not in used]
        duplicates = [
            c for c in leftovers if any(o.fingerprint == c.fingerprint for o in certs if o.index < c.index)
        ]
        for dup in duplicates:
            first = next(o for o in certs if o.fingerprint == dup.fingerprint)
            self.add(
                "chain-order",
                f"{dup.label()} is a duplicate of certificate #{first.index + 1}",
                "Remove the duplicate certificate from the file",
            )
        leftovers = [c for c in leftovers if c not in duplicates]
        gap = not cur.self_signed
        # order of the chain in the file; duplicates are reported above and do not count here
        in_file = [c for c in certs if c not in duplicates]
        rank = {c.index: r for r, c in enumerate(in_file)}
        ranks = [rank[c.index] for c in path]
        if ranks != list(range(len(path))):
            order = ", ".join(f"#{c.index + 1}" for c in path)
            if ranks[0] != 0:
                msg = (
                    f"the leaf {leaf.label(leaf_index)} is not the first certificate of the file "
                    f"(#1 is {certs[0].subject}); servers take the first certificate as the leaf"
                )
            else:
                k = next(i for i, r in enumerate(ranks) if r != i)
                child = path[k - 1]
                nxt = in_file[k] if k < len(in_file) else None
                msg = (
                    f"{child.label(leaf_index)} is followed by "
                    f"{nxt.label(leaf_index) if nxt else 'nothing'}, which did not issue it; its issuer is "
                    f"{path[k].label(leaf_index)}"
                )
            self.add("chain-order", f"{msg}. Expected order: {order}", _FIX_CHAIN_ORDER)
        # completeness
        if bad_signature is not None:
            self.add(
                "chain-incomplete",
                f"{bad_signature.label(leaf_index)} has the name of the issuer of {cur.label(leaf_index)} "
                "but its key did not sign it (a re-keyed or different CA certificate with the same name); "
                f"the real issuer '{cur.issuer}' is missing",
                "Use the intermediate certificate your CA delivered together with this certificate",
            )
        elif gap and (len(path) == 1 or any(c.is_ca for c in leftovers)):
            if any(c.is_ca for c in leftovers):
                what = "the chain has a gap"
            elif leftovers:
                what = "the leaf's issuer is missing"
            else:
                what = "the file holds only the leaf"
            self.add(
                "chain-incomplete",
                f"{what}: the issuer '{cur.issuer}' of {cur.label(leaf_index)} is not in the file",
                _FIX_CHAIN_INCOMPLETE,
            )
        chain = ", ".join(f"#{x.index + 1}" for x in path)
        for c in leftovers:
            if gap and c.is_ca:
                continue  # may sit above the missing issuer; reported as chain-incomplete
            child = next(
                (x for x in path[:-1] if names_match(x.cert, c.cert) and issued_by(x.cert, c.cert)), None
            )
            if child is not None:  # the same CA twice: a cross-signed or re-issued certificate of it
                position = path.index(child) + 1
                why = (
                    f"it is a second certificate of the issuer of #{child.index + 1} (cross-signed or "
                    f"re-issued), which #{path[position].index + 1} already provides"
                )
            else:
                why = "it issued none of its certificates (another server certificate, or a CA of another chain)"
            self.add(
                "chain-order",
                f"{c.label(leaf_index)} is not part of the leaf's chain ({chain}): {why}",
                _FIX_CHAIN_ORDER,
            )

    def check_strength(self, certs: list[_Cert], leaf_index: int) -> None:
        for c in certs:
            label = c.label(leaf_index)
            if c.public_key is None:
                self.add(
                    "weak-key",
                    f"{label} has a public key of an algorithm this tool cannot read",
                    _FIX_WEAK_KEY,
                )
            else:
                weakness = _key_weakness(c.public_key)
                if c.explicit_curve and weakness is None:
                    self.add(
                        "weak-key",
                        f"{label} has an {c.key_description} key with explicit curve parameters instead of the "
                        "named curve: RFC 5480 requires the name, and Go clients, among others, reject the "
                        "certificate",
                        "Re-encode the key with the curve's name and have the certificate re-issued: openssl ec "
                        "-in key.pem -param_enc named_curve -out key-named.pem, then a new CSR from key-named.pem"
                        if c.index == leaf_index
                        else "Use the CA's certificate with a named curve (ask your CA)",
                    )
                if c.rsa_pss and weakness is None:
                    weakness = (
                        f"an RSA-PSS key (id-RSASSA-PSS, {c.public_key.key_size} bits), which Chrome, Go and "
                        f"many other TLS clients do not accept; {_UNSUPPORTED_KEY}"
                    )
                if weakness:
                    if c.index == leaf_index:
                        fix = _FIX_WEAK_KEY
                    else:
                        fix = "Use a CA whose certificates use RSA 2048+ or EC P-256/P-384 keys"
                    self.add("weak-key", f"{label} has {weakness}", fix)
            if c.self_signed and c.index != leaf_index:
                continue  # a root's self-signature is not checked by clients
            try:
                algorithm = c.cert.signature_hash_algorithm
                hash_name = algorithm.name.lower() if algorithm is not None else None
            except Exception:  # noqa: BLE001 - unsupported signature algorithm
                hash_name = None
            if hash_name in WEAK_HASHES:
                self.add(
                    "weak-signature",
                    f"{label} is signed with {hash_name.upper()}, which clients reject",
                    "Have the certificate re-issued with a SHA-256 (or stronger) signature"
                    if c.index == leaf_index
                    else "Use the CA's current SHA-256 intermediate certificate",
                )

    def check_leaf_usage(self, leaf: _Cert, leaf_index: int) -> None:
        label = leaf.label(leaf_index)
        if leaf.self_signed:
            production = self.environment in PRODUCTION_ENVIRONMENTS
            self.add(
                "self-signed",
                f"{label} is self-signed"
                + (
                    f" and the environment is '{self.environment}': clients cannot verify it"
                    if production
                    else f" (acceptable in '{self.environment}', refused in production)"
                ),
                "In production use a certificate from a public or corporate CA (or the Microsoft-managed "
                "certificate on AKS); self-signed certificates are for development only",
                ERROR if production else WARNING,
            )
        if leaf.is_ca:
            self.add(
                "ca-as-leaf",
                f"{label} is a CA certificate (basicConstraints CA:TRUE) used as the server certificate; "
                "browsers reject it",
                "Have the server certificate issued with basicConstraints=critical,CA:FALSE (for a self-signed "
                "one: openssl req -x509 ... -addext basicConstraints=critical,CA:FALSE)",
            )
        if leaf.eku_error:
            self.add(
                "not-server-auth",
                f"{label}: the extendedKeyUsage extension cannot be read ({leaf.eku_error})",
                "Have the certificate re-issued with extendedKeyUsage=serverAuth",
            )
        elif leaf.eku is not None:
            server_auth = x509.oid.ExtendedKeyUsageOID.SERVER_AUTH
            any_usage = x509.oid.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
            if server_auth not in leaf.eku and any_usage not in leaf.eku:
                names = (
                    ", ".join(getattr(oid, "_name", None) or oid.dotted_string for oid in leaf.eku) or "none"
                )
                self.add(
                    "not-server-auth",
                    f"{label} has extendedKeyUsage without serverAuth ({names}); TLS clients reject it for a server",
                    "Have the certificate re-issued with extendedKeyUsage=serverAuth",
                )


_PROBE = b"secure-scoring key possession check"


def _proves_possession(key: Any, public_key: Any) -> bool:
    """Sign a probe with the private key and verify it with the certificate's public key."""
    from cryptography.hazmat.primitives import hashes

    try:
        if isinstance(key, rsa.RSAPrivateKey):
            sig = key.sign(_PROBE, padding.PKCS1v15(), hashes.SHA256())
            public_key.verify(sig, _PROBE, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            sig = key.sign(_PROBE, ec.ECDSA(hashes.SHA256()))
            public_key.verify(sig, _PROBE, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
            public_key.verify(key.sign(_PROBE), _PROBE)
        elif isinstance(key, dsa.DSAPrivateKey):
            public_key.verify(key.sign(_PROBE, hashes.SHA256()), _PROBE, hashes.SHA256())
        return True
    except Exception:  # noqa: BLE001 - a failed or impossible signature is "does not prove possession"
        return False


def _choose_key(keys: list[Any], certs: list[_Cert]) -> Any | None:
    """The key that belongs to a non-CA certificate of the chain, else the first key."""
    for key in keys:
        key_der = _public_der(key.public_key())
        if key_der is not None and any(c.public_der == key_der and not c.is_ca for c in certs):
            return key
    return keys[0] if keys else None


def _short(exc: BaseException) -> str:
    text = str(exc).split("\n")[0].strip() or type(exc).__name__
    return text[:160]


def _describe_bytes(raw: bytes) -> str:
    if b"\x00" in raw[:512] or sum(b < 9 or 13 < b < 32 for b in raw[:512]) > 4:
        return f"{len(raw)} bytes of binary data"
    return f"{len(raw)} bytes of text without PEM markers"


def _host(text: str) -> names.Host:
    """A requested hostname as the matcher reads it (a wildcard or an underscore is compared as is)."""
    return names.parse_host(text, allow_wildcard=True, allow_underscore=True)


def _hostname_list(hostname: str | Sequence[str] | None) -> list[str]:
    if hostname is None:
        return []
    if isinstance(hostname, str):
        items: list[Any] = [hostname]
    else:
        try:
            items = list(hostname)
        except TypeError:
            return []
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip() and item.strip() not in out:
            out.append(item.strip())
    return out


def inspect_bundle(
    cert: bytes | str | None,
    key: bytes | str | None,
    *,
    hostname: str | Sequence[str] | None = None,
    environment: str = "dev",
    min_days: int = 30,
    now: datetime | None = None,
    cert_name: str = "the certificate file",
    key_name: str = "the key file",
) -> Report:
    """Inspect a certificate chain (PEM, leaf first) and its private key. Never raises.

    ``key=None`` skips the key checks (``Report.key_checked`` is False); a key input without a private
    key gives ``no-key``. ``key_checked`` is also False when no certificate could be read (the key's
    own format is still checked; ``key_given`` says a key was supplied). ``hostname``: one name or several, each must be covered by the leaf's SAN.
    ``environment`` in ``PRODUCTION_ENVIRONMENTS`` makes ``self-signed`` an error. ``min_days``: the
    ``cert-expiring-soon`` horizon. ``now`` defaults to the current time (naive means UTC).
    ``cert_name``/``key_name`` name the inputs in messages and fix commands (file names in the CLI).
    """
    try:
        when = utc(now) if isinstance(now, datetime) else datetime.now(UTC)
    except Exception:  # noqa: BLE001
        when = datetime.now(UTC)
    try:
        days = int(min_days)
    except (TypeError, ValueError, OverflowError):
        days = 30
    env = environment if isinstance(environment, str) else "dev"
    inspector = _Inspector(
        hostnames=_hostname_list(hostname),
        environment=env,
        min_days=days,
        now=when,
        cert_name=str(cert_name),
        key_name=str(key_name),
    )
    report = Report(checked_at=when, key_given=key is not None)
    try:
        certs = inspector.parse_certificates(cert)
        keys = inspector.parse_key(key) if key is not None else []
        report.chain = [c.info() for c in certs]
        # without a readable certificate there is no leaf to check the key against, and without a readable
        # private key (encrypted, a public key, not PEM) nothing to check: claim nothing
        report.key_checked = bool(keys) and bool(certs)
        if certs:
            private_key = _choose_key(keys, certs)
            leaf_index = inspector.pick_leaf(certs, private_key)
            report.leaf_index = leaf_index
            leaf = certs[leaf_index]
            if private_key is not None:
                inspector.check_key_match(certs, leaf, private_key)
            inspector.check_validity(certs, leaf_index)
            inspector.check_hostnames(leaf, leaf_index)
            inspector.check_chain(certs, leaf_index)
            inspector.check_strength(certs, leaf_index)
            inspector.check_leaf_usage(leaf, leaf_index)
    except Exception as exc:  # noqa: BLE001 - safety net: the inspector never raises
        inspector.add(
            "cert-not-pem",
            f"{cert_name} could not be inspected: {_short(exc)}",
            "Check that the certificate is a PEM chain (leaf first) as your CA delivered it",
        )
    report.findings = inspector.findings
    return report
