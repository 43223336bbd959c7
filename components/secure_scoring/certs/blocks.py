"""PEM blocks as OpenSSL reads them: BEGIN/END pairs, base64, RFC 1421 headers, and the quirks.

Pure parsing, no findings: :func:`split_pem` finds every block in linear time and records, per block,
what OpenSSL would not read as this parser does (``Block.line_problems``: indented or glued BEGIN
lines, text after a marker, CR-only line breaks, a byte-order mark where OpenSSL does not strip one, a
blank line inside the base64...). Also: UTF-16 text (:func:`from_utf16`), binary (DER) inputs
(:func:`binary_kind`), a minimal DER reader (:func:`der_children`), and the public helpers
:func:`parse_pem_certificates` and :func:`canonical_pem`.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning

__all__ = [
    "CERT_LABELS",
    "FAILING",
    "MAX_BLOCKS",
    "PLAIN_KEY_LABELS",
    "UNFINISHED",
    "Block",
    "ParsedPem",
    "binary_kind",
    "canonical_block",
    "canonical_pem",
    "der_children",
    "describe_bytes",
    "from_utf16",
    "load_der_certificate",
    "parse_pem_certificates",
    "read_breaking",
    "split_pem",
    "to_bytes",
]


CERT_LABELS = ("CERTIFICATE", "X509 CERTIFICATE")


PLAIN_KEY_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY")


_BEGIN_RE = re.compile(rb"-----BEGIN ([A-Z0-9 #]{1,64})-----")


_END_RE = re.compile(rb"-----END ([A-Z0-9 #]{1,64})-----")


MAX_BLOCKS = 64  # a chain has a handful of certificates; more blocks are inspected no further


_B64_JUNK_RE = re.compile(rb"[ \t\r\n\v\f]+")


_PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")


_PKCS7_SIGNED_OID = bytes.fromhex("06092a864886f70d010702")


@dataclass
class Block:
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
class ParsedPem:
    blocks: list[Block]
    unterminated: list[str]  # labels of BEGIN lines without an END
    text_found: bool  # any non-whitespace content at all
    total: int = 0  # complete blocks found (only the first MAX_BLOCKS are decoded)


def to_bytes(data: Any) -> bytes | None:
    if data is None:
        return None
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8", errors="replace")
    return None


def split_pem(data: bytes) -> ParsedPem:
    """Find PEM blocks in linear time: each BEGIN line pairs with the first END line after it, unless
    another BEGIN line comes first (then it is unterminated)."""
    blocks: list[Block] = []
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
        block = Block(
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
    return ParsedPem(
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


UNFINISHED = ("end-glued", "end-indented")  # OpenSSL reads on past the block's END, into the next block


FAILING = (*UNFINISHED, "end-tail", "blank-line")  # ... or it fails on the block


def read_breaking(block: Block, kinds: tuple[str, ...]) -> list[str]:
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


def load_der_certificate(der: bytes) -> x509.Certificate:
    """``x509.load_der_x509_certificate`` without its deprecation warnings on stderr (a negative serial
    number, for one): a checker reports what matters as findings, not as Python warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_der_x509_certificate(der)


def canonical_block(label: str, der: bytes) -> bytes:
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
        raw = to_bytes(data)
        if raw is None:
            return []
        certs: list[x509.Certificate] = []
        for block in split_pem(raw).blocks:
            if block.label in CERT_LABELS and block.der is not None and block.error is None:
                try:
                    certs.append(load_der_certificate(block.der))
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


def from_utf16(raw: bytes) -> bytes | None:
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


def binary_kind(data: bytes) -> str | None:
    """Recognize binary (DER) inputs: 'pkcs12', 'certificate', 'key', 'encrypted-key', 'pkcs7' or None."""
    if not data or data[0] != 0x30:
        return None
    head = data[:40]
    # PFX: SEQUENCE { INTEGER 3, ContentInfo { pkcs7-data ...
    if b"\x02\x01\x03\x30" in head[:12] and _PKCS7_DATA_OID in data[:40]:
        return "pkcs12"
    try:
        load_der_certificate(data)
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


def der_children(der: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
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


def describe_bytes(raw: bytes) -> str:
    if b"\x00" in raw[:512] or sum(b < 9 or 13 < b < 32 for b in raw[:512]) > 4:
        return f"{len(raw)} bytes of binary data"
    return f"{len(raw)} bytes of text without PEM markers"
