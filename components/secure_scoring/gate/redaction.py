"""Private key material out of the program's own messages.

The program's exception and its ``pulumi.log`` calls end up in reports that CI uploads (SARIF,
JSON); a program that fails on a key (``int(key_pem)``, ``raise ValueError(f"bad key {key}")``) must
not publish it.
"""

from __future__ import annotations

import re

# A PEM private key (any flavour), whole or cut off (an exception's repr may shorten it, and its
# newlines may be escaped as `\n`): up to its END line, else up to the next quote or the end.
_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[^'\"]*)",
    re.DOTALL,
)
# key material: a run of base64 (a PEM body line is 64 characters; its escaped newlines `\n` cut it)
_KEY_MATERIAL_RE = re.compile(r"[A-Za-z0-9+/]{16,}")
# key material without PEM lines: bare base64 (a DER key, a base64-encoded PEM file as in
# scoringFe.sslKey), hex (``key.hex()``, 32 bytes and more) and colon-separated hex (openssl's
# ``-text`` dump of a key)
_BARE_BASE64_RE = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:[0-9a-fA-F]{32,}|(?:[0-9a-fA-F]{2}:){15,}[0-9a-fA-F]{2})(?![A-Za-z0-9])"
)
BARE_KEY_MARK = "<key material redacted>"


def redact(text: str) -> str:
    """``text`` without private key material: PEM private keys (whole or cut off), and key
    material written without PEM lines (bare base64, hex). The program's own messages (its exception, its
    ``pulumi.log`` calls) end up in reports that CI uploads (SARIF, JSON); a program that fails on a
    key (``int(key_pem)``, ``raise ValueError(f"bad key {key}")``) must not publish it."""
    text = _PRIVATE_KEY_RE.sub(_redacted, text)
    text = _HEX_RE.sub(BARE_KEY_MARK, text)
    return _BARE_BASE64_RE.sub(_bare_redacted, text)


def _bare_redacted(m: re.Match[str]) -> str:
    """A long base64 run is key material when it mixes digits, upper and lower case letters as
    random bytes do (a path or a long identifier does not)."""
    run = m.group(0)
    classes = (sum(c.isdigit() for c in run), sum(c.isupper() for c in run), sum(c.islower() for c in run))
    return BARE_KEY_MARK if min(classes) >= 3 else run


def _redacted(m: re.Match[str]) -> str:
    """The match redacted, unless it holds no key material: a message that only names the markers
    (the PEM checks' "begins with '-----BEGIN RSA PRIVATE KEY-----' but ends with '-----END PRIVATE
    KEY-----'") keeps its text."""
    body = m.group(0)[len(f"-----BEGIN {m.group(1)}PRIVATE KEY-----") :]
    body = re.sub(r"-----END [A-Z0-9 ]*PRIVATE KEY-----$", "", body)
    if not _KEY_MATERIAL_RE.search(body):
        return m.group(0)
    return f"<{m.group(1)}PRIVATE KEY redacted>"
