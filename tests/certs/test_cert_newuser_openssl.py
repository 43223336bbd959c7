"""A new user's private openssl CA and regenerated mkcert root: the fixes ``cert check`` gives can be
followed (``openssl x509 -req`` drops the CSR's extensions and makes a v1 certificate; a declared root
with the issuer's name but another key is not blamed on an intermediate)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from secure_scoring.cli import main
from support.chains import make_ca, make_leaf, pem_of

HOST = "api.acme.test"

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _check(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["cert", "check", "--format", "json", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    d = tmp_path_factory.mktemp("newuser-openssl")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-subj", "/CN=Acme Private Root", "-days", "3650",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )  # fmt: skip
    # what a new user does: the names on the CSR (-addext), then 'openssl x509 -req' without -extfile
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
        "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
        cwd=d,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "v1.pem", "-days", "365",
        cwd=d,
    )  # fmt: skip
    return d


@needs_openssl
def test_v1_leaf_from_openssl_x509_req_gets_a_fix_that_works(private_ca: Path, capsys) -> None:
    code, report = _check(
        capsys,
        "--cert",
        str(private_ca / "v1.pem"),
        "--hostname",
        HOST,
        "--ca-bundle",
        str(private_ca / "ca.pem"),
    )
    assert code == 1
    by_code = {f["code"]: f for f in report["findings"]}
    # no-san: the CSR's -addext was dropped by 'openssl x509 -req': advising -addext again cannot work
    assert "-extfile" in by_code["no-san"]["fix"] and "-copy_extensions copy" in by_code["no-san"]["fix"]
    assert f"subjectAltName=DNS:{HOST}" in by_code["no-san"]["fix"]
    assert "version 1" in by_code["cert-malformed"]["message"]
    assert "-extfile" in by_code["cert-malformed"]["fix"]
    # following the fix gives a certificate that passes in production
    _openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "fixed.pem", "-days", "365", "-copy_extensions", "copy",
        cwd=private_ca,
    )  # fmt: skip
    code, report = _check(
        capsys,
        "--cert", str(private_ca / "fixed.pem"), "--key", str(private_ca / "leaf.key"), "--hostname", HOST,
        "--ca-bundle", str(private_ca / "ca.pem"), "--environment", "production",
    )  # fmt: skip
    assert code == 0, report["findings"]


@needs_openssl
def test_self_signed_leaf_without_san_keeps_the_req_x509_fix(tmp_path: Path, capsys) -> None:
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
        "-subj", f"/CN={HOST}", "-days", "30",
        cwd=tmp_path,
    )  # fmt: skip
    code, report = _check(capsys, "--cert", str(tmp_path / "c.pem"), "--hostname", HOST)
    assert code == 1
    [no_san] = [f for f in report["findings"] if f["code"] == "no-san"]
    assert f"-addext 'subjectAltName=DNS:{HOST}'" in no_san["fix"] and "-extfile" not in no_san["fix"]


def test_declared_root_with_the_issuers_name_but_another_key_is_blamed_not_an_intermediate(
    tmp_path: Path, capsys
) -> None:
    """A regenerated mkcert CAROOT keeps the root's name with a new key: the fix names the root to pass,
    not an intermediate the user never had."""
    issuing = make_ca("mkcert root@vm")
    regenerated = make_ca("mkcert root@vm")
    leaf = make_leaf(issuing, [HOST])
    (tmp_path / "chain.pem").write_bytes(pem_of(leaf))
    (tmp_path / "other-root.pem").write_bytes(pem_of(regenerated))
    code, report = _check(
        capsys,
        "--cert", str(tmp_path / "chain.pem"), "--hostname", HOST, "--environment", "production",
        "--ca-bundle", str(tmp_path / "other-root.pem"), "--at", "2026-05-01T12:00:00Z",
    )  # fmt: skip
    assert code == 1
    [finding] = report["findings"]
    assert finding["code"] == "signature-invalid"
    assert "--ca-bundle" in finding["fix"] and "mkcert -CAROOT" in finding["fix"]
    assert "other-root.pem" in finding["message"] and "another key" in finding["message"]


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_at_outside_the_representable_years_in_utc_is_a_usage_error(at: str, tmp_path: Path, capsys) -> None:
    root = make_ca("Acme Root")
    (tmp_path / "chain.pem").write_bytes(pem_of(make_leaf(root, [HOST])))
    code = main(["cert", "check", "--cert", str(tmp_path / "chain.pem"), "--at", at, "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "--at" in err and "Fix:" in err
