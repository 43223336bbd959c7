"""certs/blocks: PEM blocks and OpenSSL quirks: non-PEM inputs, damaged, glued, indented, CR-only, BOM, UTF-16, blank lines."""
# ruff: noqa: F811 - the bad fixture (support.pem_cases) is a parameter of the tests

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from secure_scoring.certs.pem import (
    canonical_pem,
    parse_pem_certificates,
)
from support.pem_cases import Bad, bad, check, good_kwargs, one  # noqa: F401, F811 - bad is a fixture


def _openssl_reads(chain: str, tmp_path: Path) -> list[str]:
    """Subjects of the certificates OpenSSL's PEM reader finds in ``chain`` (as nginx reads a chain)."""
    path = tmp_path / "chain.pem"
    path.write_bytes(chain.encode())
    p7 = subprocess.run(
        ["openssl", "crl2pkcs7", "-nocrl", "-certfile", str(path)], capture_output=True, check=False
    )
    if p7.returncode != 0:
        return []
    out = subprocess.run(
        ["openssl", "pkcs7", "-print_certs", "-noout"], input=p7.stdout, capture_output=True, check=True
    ).stdout.decode()
    return [line for line in out.splitlines() if line.startswith("subject=")]


# ------------------------------------------------------------------------------------------ each code
def test_cert_not_pem_der_and_pkcs12_with_conversion_commands(pki, bad):
    der = one(check(bad.f.der(pki.leaf).read_bytes(), None, cert_name="leaf.der"), "cert-not-pem")
    assert (
        "DER" in der.message
        and der.fix == "Convert it to PEM: openssl x509 -inform der -in leaf.der -out cert.pem"
    )
    p12 = check(bad.f.pkcs12(pki.leaf).read_bytes(), None, cert_name="bundle.pfx")
    finding = one(p12, "cert-not-pem")
    assert "PKCS#12" in finding.message
    assert "openssl pkcs12 -in bundle.pfx -nokeys" in finding.fix
    assert "openssl pkcs12 -in bundle.pfx -nocerts -nodes" in finding.fix
    protected = check(bad.f.pkcs12(pki.leaf, password="s3cret").read_bytes(), None)
    assert "PKCS#12" in one(protected, "cert-not-pem").message
    assert one(check(b"just some text\n", None), "cert-not-pem").message.endswith("without PEM markers)")
    assert "cert-not-pem" not in check(**good_kwargs(pki)).codes


def test_cert_not_pem_for_damaged_truncated_and_glued_blocks(pki):
    chain = pki.leaf.chain_pem()
    damaged = chain.replace(chain.splitlines()[3], "@@@@" + chain.splitlines()[3][4:], 1)
    assert "damaged" in one(check(damaged, None), "cert-not-pem").message
    both = check(damaged.replace(chain.splitlines()[-3], "!" + chain.splitlines()[-3][1:]), None)
    assert [f.message.split(" cannot")[0] for f in both.findings if f.code == "cert-not-pem"] == [
        "the certificate file: certificate block #1",
        "the certificate file: certificate block #2",
    ]
    truncated = check(chain[: len(chain) - 100], None)
    assert "no matching END line" in one(truncated, "cert-not-pem").message
    glued = pki.leaf.cert_pem.rstrip("\n") + pki.inter.cert_pem
    report = check(glued, pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"] and "glued" in report.findings[0].message
    assert len(report.chain) == 2  # both certificates are still inspected


def test_no_certificate(pki):
    swapped = check(pki.leaf.key_pem, pki.leaf.cert_pem)
    assert "swapped" in one(swapped, "no-certificate").message and "swapped" in one(swapped, "no-key").message
    assert one(check("", pki.leaf.key_pem), "no-certificate")
    assert one(check(None, None), "no-certificate")
    assert "no-certificate" not in check(**good_kwargs(pki)).codes


# ------------------------------------------------------------------------------------------ parsing
def test_crlf_text_around_and_glued_blocks_parse(pki):
    crlf = "issued by our CA\r\n\r\n" + pki.leaf.chain_pem().replace("\n", "\r\n") + "\r\nbye\r\n"
    assert check(crlf, pki.leaf.key_pem.replace("\n", "\r\n")).findings == []
    openssl_text = subprocess.run(
        ["openssl", "x509", "-in", str(pki.leaf.cert_path), "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert check(openssl_text + pki.inter.cert_pem, pki.leaf.key_pem).findings == []
    glued = pki.leaf.cert_pem.rstrip("\n") + pki.inter.cert_pem.rstrip("\n")
    assert [c.subject.rfc4514_string() for c in parse_pem_certificates(glued)] == [
        "CN=scoring.example.test",
        "CN=Test Intermediate CA",
    ]
    assert canonical_pem(glued) == pki.leaf.chain_pem()
    assert parse_pem_certificates(b"\x00garbage") == [] and parse_pem_certificates("") == []


def test_many_blocks_and_pathological_markers(pki):
    many = check(pki.inter.cert_pem * 100, None)
    assert "holds 100 PEM blocks; only the first 64 were inspected" in one(many, "cert-not-pem").message
    assert len(many.chain) == 64 and "chain-order" in many.codes  # duplicates
    # a BEGIN line without END before the next block: that block alone is unterminated
    report = check("-----BEGIN CERTIFICATE-----\nMIIB\n" + pki.leaf.chain_pem(), pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"] and "no matching END line" in report.findings[0].message
    assert len(report.chain) == 2
    # markers that never close: the parser stays linear (a backtracking regex would not finish)
    hostile = b"-----BEGIN CERTIFICATE-----" * 50_000 + b"-----END x"
    assert one(check(hostile, hostile), "cert-not-pem")


def test_prefix_before_begin_line(pki):
    """OpenSSL silently skips a block whose BEGIN line has text before it, but tolerates a UTF-8 BOM."""
    chain = pki.leaf.chain_pem()
    assert check("\ufeff" + chain, pki.leaf.key_pem).findings == []
    for prefix in ("  ", "subject=CN = x ", "\t"):
        report = check(prefix + chain, pki.leaf.key_pem)
        assert report.codes == ["cert-not-pem"] and "does not start a line" in report.findings[0].message
    indented = "".join("    " + line for line in chain.splitlines(keepends=True))
    assert "cert-not-pem" in check(indented, None).codes


def test_indented_pem_is_one_finding_about_indentation(pki):
    chain = pki.leaf.full_chain_pem()
    indented = "".join("    " + line for line in chain.splitlines(keepends=True))
    report = check(indented, pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"], [f.message for f in report.findings]
    message = report.findings[0].message
    assert "the BEGIN lines of certificate blocks #1, #2, #3 do not start a line" in message
    assert "the PEM is indented" in message and "glued" not in message
    assert "Remove the indentation" in report.findings[0].fix
    assert len(report.chain) == 3  # still inspected
    glued = check(pki.leaf.cert_pem.rstrip("\n") + pki.inter.cert_pem, None).findings[0]
    assert "block #2 does not start a line: it is glued to the previous END line" in glued.message
    assert "indented" not in glued.message
    text = check("subject=CN = x " + chain, None).findings[0]
    assert "text before '-----BEGIN'" in text.message
    key = check(chain, "  " + pki.leaf.key_pem)
    assert key.codes == ["key-not-pem"] and "the PEM is indented" in key.findings[0].message


def test_marker_lines_that_openssl_does_not_read(pki, tmp_path):
    """OpenSSL splits lines at LF and takes a BEGIN/END line only when it starts a line and holds
    nothing else: text after a marker, CR-only line endings and an END glued to the base64 before it
    lose a certificate or the whole file there, so the inspector reports them."""
    chain = pki.leaf.chain_pem()
    assert len(_openssl_reads(chain, tmp_path)) == 2 and check(chain, None).findings == []
    cases = {
        "text after END": (
            pki.leaf.cert_pem.rstrip("\n") + " leaf\n" + pki.inter.cert_pem,
            "there is text after the '-----END' line of certificate block #1 on the same line",
        ),
        "text after BEGIN": (
            chain.replace("CATE-----\n", "CATE----- leaf\n", 1),
            "the BEGIN line of certificate block #1 does not end after '-----'",
        ),
        "CR-only": (
            chain.replace("\n", "\r"),
            "the lines of certificate blocks #1, #2 end in a CR only",
        ),
        "END glued to the base64": (
            pki.leaf.cert_pem.replace("\n-----END", "-----END") + pki.inter.cert_pem,
            "the END line of certificate block #1 does not start a line: glued to the base64 text",
        ),
        "END indented": (
            pki.leaf.cert_pem.replace("\n-----END", "\n  -----END") + pki.inter.cert_pem,
            "the END line of certificate block #1 is indented",
        ),
    }
    for name, (text, expected) in cases.items():
        assert len(_openssl_reads(text, tmp_path)) < 2, name
        report = check(text, pki.leaf.key_pem)
        assert report.codes == ["cert-not-pem"], (name, [f.message for f in report.findings])
        assert expected in report.findings[0].message, (name, report.findings[0].message)
        assert len(report.chain) == 2, name  # both certificates are still inspected
    # a key whose END line has text after it: OpenSSL cannot load the key
    key = check(chain, pki.leaf.key_pem.rstrip("\n") + " key\n")
    assert key.codes == ["key-not-pem"] and "after the '-----END' line of the 'PRIVATE KEY' block" in (
        key.findings[0].message
    )
    # whitespace after the markers and CR CR LF line endings are fine for OpenSSL and the inspector
    for text in (chain.replace("-----\n", "-----  \n"), chain.replace("\n", "\r\r\n")):
        assert len(_openssl_reads(text, tmp_path)) == 2 and check(text, pki.leaf.key_pem).findings == []


def test_byte_order_marks_of_concatenated_files(pki, tmp_path):
    """Files saved with a UTF-8 BOM and concatenated: OpenSSL strips a BOM at the start of the file and
    right after the previous END line (it reads block after block), not after a blank line."""
    bom = "\ufeff"
    joined = bom + pki.leaf.cert_pem + bom + pki.inter.cert_pem
    assert len(_openssl_reads(joined, tmp_path)) == 2
    assert check(joined, bom + pki.leaf.key_pem).findings == []
    assert check(pki.leaf.chain_pem() + bom + pki.leaf.key_pem, None).findings == []  # key after the chain
    spaced = bom + pki.leaf.cert_pem + "\n" + bom + pki.inter.cert_pem
    assert len(_openssl_reads(spaced, tmp_path)) == 1
    report = check(spaced, pki.leaf.key_pem)
    assert report.codes == ["cert-not-pem"], [f.message for f in report.findings]
    assert (
        "block #2 does not start a line: a UTF-8 byte-order mark (BOM) precedes" in report.findings[0].message
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_pem_is_named_as_such_and_still_inspected(pki, bad, encoding):
    """PEM saved as UTF-16 (Windows PowerShell 5's '>'): OpenSSL reads nothing; the finding says UTF-16
    (not 'binary data' with a DER hint) and the content is inspected all the same."""
    chain, key = pki.leaf.chain_pem().encode(encoding), pki.leaf.key_pem.encode(encoding)
    report = check(chain, key, cert_name="fullchain.pem", key_name="key.pem")
    assert report.codes == ["cert-not-pem", "key-not-pem"], [f.message for f in report.findings]
    cert_finding, key_finding = report.findings
    assert cert_finding.message.startswith("fullchain.pem is UTF-16 text")
    assert key_finding.message.startswith("key.pem is UTF-16 text")
    assert "iconv -f UTF-16 -t UTF-8" in cert_finding.fix and "DER" not in cert_finding.fix
    assert len(report.chain) == 2 and report.key_checked
    other = check(chain, bad.ec_other.key_pem.encode(encoding))
    assert other.codes == ["cert-not-pem", "key-not-pem", "key-mismatch"]
    # binary data that is not UTF-16 PEM keeps its own message
    assert "binary data" in one(check(bytes(range(256)) * 4, None), "cert-not-pem").message


def test_blank_line_inside_a_block(pki, tmp_path):
    """OpenSSL reads one blank line after the BEGIN line as the end of the (empty) RFC 1421 headers;
    any other blank line inside a block (before END, in the middle, a second one) fails the file."""
    leaf, inter = pki.leaf.cert_pem, pki.inter.cert_pem

    def blank_at(pem: str, index: int, blank: str = "") -> str:
        lines = pem.split("\n")
        return "\n".join([*lines[:index], blank, *lines[index:]])

    for text in (
        blank_at(leaf, 1) + inter,
        blank_at(leaf, 1, "  ") + inter,
        (leaf + inter).replace("\n", "\r\n"),
    ):
        assert len(_openssl_reads(text, tmp_path)) == 2
        assert check(text, pki.leaf.key_pem).findings == []
    cases = {
        "before END": (blank_at(leaf, -2) + inter, "certificate block #1 has a blank line"),
        "middle of #2": (leaf + blank_at(inter, 5, " \r"), "certificate block #2 has a blank line"),
        "two after BEGIN": (blank_at(blank_at(leaf, 1), 1) + inter, "certificate block #1 has a blank line"),
        "both": (blank_at(leaf, 4) + blank_at(inter, -2), "certificate blocks #1, #2 have a blank line"),
    }
    for name, (text, expected) in cases.items():
        assert len(_openssl_reads(text, tmp_path)) < 2, name
        report = check(text, pki.leaf.key_pem)
        assert report.codes == ["cert-not-pem"], (name, [f.message for f in report.findings])
        assert expected in report.findings[0].message, (name, report.findings[0].message)
        assert len(report.chain) == 2, name
    key = check(leaf + inter, blank_at(pki.leaf.key_pem, -2))
    assert (
        key.codes == ["key-not-pem"] and "the 'PRIVATE KEY' block has a blank line" in key.findings[0].message
    )


def test_a_block_of_another_kind_that_openssl_cannot_finish(pki, tmp_path):
    """OpenSSL reads every block of a certificate file, a key first (a combined file) included: a key
    block whose END line it does not see, or with a blank line inside, fails the file. (Its key reader
    is checked against nginx in test_nginx_agrees_with_the_inspector.)"""
    leaf, inter, key = pki.leaf.cert_pem, pki.inter.cert_pem, pki.leaf.key_pem
    combined = {
        "END indented": key.replace("\n-----END", "\n  -----END"),
        "blank line": key.replace("\n-----END", "\n\n-----END"),
        "text after END": key.rstrip("\n") + " x\n",
    }
    assert (
        len(_openssl_reads(key + leaf + inter, tmp_path)) == 2
        and check(key + leaf + inter, key).findings == []
    )
    for name, broken in combined.items():
        assert len(_openssl_reads(broken + leaf + inter, tmp_path)) < 2, name
        report = check(broken + leaf + inter, key)
        assert report.codes == ["cert-not-pem"], (name, [f.message for f in report.findings])
        assert "the 'PRIVATE KEY' block" in report.findings[0].message, name
    # a key block OpenSSL does not see at all (text before its BEGIN) is skipped: no finding for it
    skipped = "x" + key + leaf + inter
    assert len(_openssl_reads(skipped, tmp_path)) == 2 and check(skipped, key).findings == []


def test_bytes_and_str_inputs_agree(pki):
    as_bytes = check(pki.leaf.chain_pem().encode(), pki.leaf.key_pem.encode(), hostname="localhost")
    as_str = check(pki.leaf.chain_pem(), pki.leaf.key_pem, hostname="localhost")
    assert as_bytes.findings == as_str.findings == [] and as_bytes.chain == as_str.chain
