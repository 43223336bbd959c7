"""The words for inputs OpenSSL cannot read: messages and fix hints of ``cert-not-pem``/``key-not-pem``.

One place for the explanations of the PEM quirks :mod:`.blocks` detects (each ``Block.line_problems``
kind), UTF-16 files and binary formats, shared by the certificate and the key input.
"""

from __future__ import annotations

from typing import Any

__all__ = ["fix_der_cert", "fix_pkcs12", "misplaced_marker", "utf16_finding"]


def fix_der_cert(src: str) -> str:
    return f"Convert it to PEM: openssl x509 -inform der -in {src} -out cert.pem"


def fix_pkcs12(src: str) -> str:
    return (
        f"Extract PEM files from the PKCS#12 bundle: openssl pkcs12 -in {src} -nokeys -out cert.pem "
        f"(certificates) and openssl pkcs12 -in {src} -nocerts -nodes -out key.pem (unencrypted key); "
        "add -legacy for old RC2-encrypted files. Check that cert.pem lists the leaf first"
    )


def utf16_finding(src: str, what: str) -> tuple[str, str]:
    return (
        f"{src} is UTF-16 text (as Windows PowerShell's '>' and Out-File write it), not ASCII PEM; OpenSSL "
        "and nginx find no PEM block in it",
        f"Save the {what} as ASCII or UTF-8 without a byte-order mark: iconv -f UTF-16 -t UTF-8 in.pem > "
        "out.pem (PowerShell: Get-Content in.pem | Set-Content -Encoding ascii out.pem)",
    )


def misplaced_marker(src: str, what: str, numbers: list[int], kind: str) -> tuple[str, str]:
    """(message, fix) for BEGIN/END lines that OpenSSL does not read as such (a ``Block.line_problems``
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


def read_input(
    findings: Any, src: str, data: Any, *, missing: tuple[str, str, str], not_pem: str, what: str
) -> bytes | None:
    """The bytes of a certificate or key input, UTF-16 decoded; ``None`` (with the ``missing``
    finding: code, problem, fix) when it is empty or absent. A UTF-16 file is a ``not_pem`` finding,
    and its decoded content is inspected too, so every other problem shows up at once."""
    from .blocks import from_utf16, to_bytes

    raw = to_bytes(data)
    if raw is None or not raw.strip():
        code, problem, fix = missing
        findings.add(
            code, problem.replace("{state}", "is empty" if raw is not None else "was not supplied"), fix
        )
        return None
    decoded = from_utf16(raw)
    if decoded is not None:
        findings.add(not_pem, *utf16_finding(src, what))
        return decoded
    return raw
