"""Fuzzing the inspector and ``cert check``: garbage in gives findings (or a clear usage error), never a crash."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_scoring.certs.pem import FINDING_CODES, Report, covers, hostname_matches, inspect_bundle
from secure_scoring.cli import main
from support.certs import declared_test_roots

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_CLI = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_clean(report: Report) -> None:
    assert isinstance(report, Report)
    for finding in report.findings:
        assert finding.code in FINDING_CODES
        assert finding.severity in ("error", "warning")
        assert finding.message and finding.fix
    json.dumps(report.to_dict())  # always serializable
    assert report.ok == (not report.errors)


@pytest.fixture(scope="module")
def material(pki) -> dict[str, bytes]:
    return {
        "chain": pki.leaf.chain_pem().encode(),
        "full": pki.leaf.full_chain_pem().encode(),
        "key": pki.leaf.key_pem.encode(),
        "wildcard": pki.wildcard.chain_pem().encode(),
    }


def mutate_der_inside(pem: bytes, data: st.DataObject) -> bytes:
    """Decode one PEM block, damage its DER (flip, cut, insert), re-encode it as valid base64."""
    blocks = list(re.finditer(rb"-----BEGIN ([A-Z ]+)-----\n(.*?)-----END \1-----\n", pem, re.DOTALL))
    block = blocks[data.draw(st.integers(0, len(blocks) - 1), label="block")]
    der = bytearray(base64.b64decode(b"".join(block.group(2).split())))
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        pos = data.draw(st.integers(0, len(der) - 1), label="pos")
        op = data.draw(st.sampled_from(["flip", "cut", "insert", "zero-length"]), label="op")
        if op == "flip":
            der[pos] ^= data.draw(st.integers(1, 255), label="xor")
        elif op == "cut":
            del der[pos : pos + data.draw(st.integers(1, 40), label="n")]
        elif op == "insert":
            der[pos:pos] = data.draw(st.binary(min_size=1, max_size=8), label="ins")
        else:
            der[pos] = 0
        if not der:
            der = bytearray(b"\x30")
    body = base64.encodebytes(bytes(der))
    label = block.group(1)
    new = b"-----BEGIN " + label + b"-----\n" + body + b"-----END " + label + b"-----\n"
    return pem[: block.start()] + new + pem[block.end() :]


def mutate_text(pem: bytes, data: st.DataObject) -> bytes:
    out = bytearray(pem)
    for _ in range(data.draw(st.integers(1, 6), label="text edits")):
        if not out:
            break
        pos = data.draw(st.integers(0, len(out) - 1), label="tpos")
        op = data.draw(st.sampled_from(["replace", "delete", "insert", "crlf", "dash"]), label="top")
        if op == "replace":
            out[pos] = data.draw(st.integers(0, 255), label="byte")
        elif op == "delete":
            del out[pos : pos + data.draw(st.integers(1, 80), label="dn")]
        elif op == "insert":
            out[pos:pos] = data.draw(
                st.sampled_from([b"\n", b"\r\n", b"-----", b"-----BEGIN CERTIFICATE-----", b"-----END PRIVATE KEY-----",
                                 b"Proc-Type: 4,ENCRYPTED\n", b"\x00", b"  "]),
                label="ins",
            )  # fmt: skip
        elif op == "crlf":
            out = bytearray(bytes(out).replace(b"\n", b"\r\n"))
        else:
            out[pos:pos] = b"-----END CERTIFICATE-----"
    return bytes(out)


@FUZZ
@given(cert=st.binary(max_size=3000), key=st.one_of(st.none(), st.binary(max_size=2000)))
def test_random_bytes(cert, key):
    assert_clean(inspect_bundle(cert, key, hostname="scoring.example.test"))


@FUZZ
@given(cert=st.text(max_size=2000), key=st.text(max_size=500), hostname=st.text(max_size=60))
def test_random_text_and_hostnames(cert, key, hostname):
    assert_clean(inspect_bundle(cert, key, hostname=[hostname, "x"], environment=hostname))


@FUZZ
@given(data=st.data())
def test_truncated_pem(material, data):
    chain, key = material["chain"], material["key"]
    cut_cert = data.draw(st.integers(0, len(chain)), label="cut cert")
    cut_key = data.draw(st.integers(0, len(key)), label="cut key")
    # the test roots are declared anchors: a chain cut down to its leaf no longer reaches them
    report = inspect_bundle(
        chain[:cut_cert], key[:cut_key], hostname="scoring.example.test", anchors=declared_test_roots()
    )
    assert_clean(report)
    if cut_cert < len(chain) - 1:  # the file lost at least part of the last END line
        assert not report.ok


@FUZZ
@given(data=st.data())
def test_mutated_der_inside_valid_pem(material, data):
    which = data.draw(st.sampled_from(["chain", "full", "wildcard"]), label="bundle")
    cert = mutate_der_inside(material[which], data)
    key = (
        mutate_der_inside(material["key"], data)
        if data.draw(st.booleans(), label="mutate key")
        else material["key"]
    )
    assert_clean(
        inspect_bundle(cert, key, hostname=["scoring.example.test", "a.example.test"], environment="prod")
    )


@FUZZ
@given(data=st.data())
def test_mutated_pem_text(material, data):
    cert = mutate_text(material["full"], data)
    key = mutate_text(material["key"], data)
    assert_clean(inspect_bundle(cert, key, hostname="scoring.example.test"))


@FUZZ
@given(pattern=st.text(max_size=40), hostname=st.text(max_size=40))
def test_hostname_matching_never_raises(pattern, hostname):
    result = hostname_matches(pattern, hostname)
    assert isinstance(result, bool)
    assert covers([pattern], hostname) is result


@pytest.fixture(scope="module")
def fuzz_dir():
    with tempfile.TemporaryDirectory(prefix="cert-fuzz-") as d:
        yield Path(d)


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@FUZZ_CLI
@given(data=st.data())
def test_cli_on_mutated_files(material, fuzz_dir, data):
    kind = data.draw(st.sampled_from(["bytes", "truncated", "der", "text"]), label="kind")
    if kind == "bytes":
        cert = data.draw(st.binary(max_size=2000), label="cert bytes")
        key = data.draw(st.binary(max_size=500), label="key bytes")
    elif kind == "truncated":
        cert = material["chain"][: data.draw(st.integers(0, len(material["chain"])), label="cut")]
        key = material["key"][: data.draw(st.integers(0, len(material["key"])), label="cutk")]
    elif kind == "der":
        cert, key = mutate_der_inside(material["chain"], data), material["key"]
    else:
        cert, key = mutate_text(material["chain"], data), mutate_text(material["key"], data)
    (fuzz_dir / "cert.pem").write_bytes(cert)
    (fuzz_dir / "key.pem").write_bytes(key)
    fmt = data.draw(st.sampled_from(["text", "json"]), label="format")
    code, out, err = run_main(
        ["cert", "check", "--cert", str(fuzz_dir / "cert.pem"), "--key", str(fuzz_dir / "key.pem"),
         "--hostname", "scoring.example.test", "--format", fmt]
    )  # fmt: skip
    assert code in (0, 1), err
    assert "Traceback" not in out + err and err == ""
    if fmt == "json":
        doc = json.loads(out)
        assert doc["ok"] is (code == 0)
        assert all(f["code"] in FINDING_CODES for f in doc["findings"])
    else:
        assert out.splitlines()[-1].startswith("verdict: ")
        assert ("verdict: OK" in out) is (code == 0)


@FUZZ_CLI
@given(
    args=st.lists(
        st.one_of(
            st.sampled_from(["--cert", "--key", "--hostname", "--environment", "--min-days", "--format", "--now",
                             "-", "prod", "json", "30", "/nonexistent", "/"]),
            st.text(max_size=12).filter(lambda s: "\x00" not in s),
        ),
        max_size=8,
    )
)  # fmt: skip
def test_cli_on_random_arguments(args, monkeypatch_stdin):
    code, out, err = run_main(["cert", "check", *args])
    assert code in (0, 1, 2)
    assert "Traceback" not in out + err
    if code == 2:
        assert "error" in err


@pytest.fixture(scope="module")
def monkeypatch_stdin():
    """Random arguments may contain '-': give them an empty stdin instead of the terminal."""
    import sys

    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""))
    yield
    sys.stdin = saved
