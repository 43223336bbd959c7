"""certs/inspect: inspect_bundle as a whole: API shape, validity dates, what the leaf is for, all codes at once, real consumers agree."""
# ruff: noqa: F811 - the bad fixture (support.pem_cases) is a parameter of the tests

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secure_scoring.certs.findings import PATH_FINDING_CODES
from secure_scoring.certs.pem import (
    FINDING_CODES,
    PRODUCTION_ENVIRONMENTS,
    CertificateInfo,
    days_left,
    parse_pem_certificates,
)
from support.pem_cases import Bad, bad, check, good_kwargs, one  # noqa: F401, F811 - bad is a fixture

# DESIGN.md, "The CLI": the finding codes, in that order
DESIGN_CODES = [
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
]


# ------------------------------------------------------------------------------------------ API shape
def test_finding_codes_are_exactly_the_design_codes():
    assert list(FINDING_CODES) == DESIGN_CODES + list(PATH_FINDING_CODES)
    assert PRODUCTION_ENVIRONMENTS == ("production", "prod")


def test_good_bundle_has_no_findings_and_a_faithful_summary(pki):
    report = check(**good_kwargs(pki), environment="production")
    assert report.findings == [] and report.ok and report.codes == []
    leaf = report.leaf
    assert isinstance(leaf, CertificateInfo)
    assert leaf.subject == "CN=scoring.example.test" and leaf.issuer == "CN=Test Intermediate CA"
    assert leaf.hostnames == ("scoring.example.test", "localhost", "127.0.0.1")
    assert leaf.key_description == "EC P-256" and not leaf.is_ca and not leaf.self_signed
    assert leaf.not_after.tzinfo is not None and leaf.not_after.utcoffset() == timedelta(0)
    assert timedelta(days=88) < leaf.not_after - datetime.now(UTC) <= timedelta(days=89)
    der = subprocess.run(
        ["openssl", "x509", "-in", str(pki.leaf.cert_path), "-outform", "DER"],
        capture_output=True,
        check=True,
    ).stdout
    assert leaf.fingerprint_sha256 == hashlib.sha256(der).hexdigest()
    assert [c.subject for c in report.chain] == ["CN=scoring.example.test", "CN=Test Intermediate CA"]
    assert report.chain[1].is_ca and report.key_checked
    doc = report.to_dict()
    assert doc["ok"] is True and doc["findings"] == []
    assert (
        doc["certificate"]["subject"] == "CN=scoring.example.test" and doc["certificate"]["days_left"] == 88
    )


def test_to_dict_lists_findings_with_code_severity_message_fix(pki):
    doc = check(pki.leaf.cert_pem, pki.inter.key_pem).to_dict()
    assert doc["ok"] is False
    assert {tuple(sorted(f)) for f in doc["findings"]} == {("code", "fix", "message", "severity")}
    assert {f["code"] for f in doc["findings"]} == {"key-mismatch", "issuer-unknown"}
    assert check(b"", None).to_dict()["certificate"] is None


def test_cert_expired(pki, bad):
    report = check(bad.expired.chain_pem(), bad.expired.key_pem)
    finding = one(report, "cert-expired")
    assert finding.message.startswith("certificate #1 (leaf, CN=expired.example.test) expired on ")
    # expired 9 days and a few seconds ago: the floor of the difference is -10, in the message, the
    # summary and JSON alike (a "9 days ago" next to days_left -10 contradicted it)
    assert report.days_left() == -10 and report.to_dict()["certificate"]["days_left"] == -10
    assert "(days left: -10)" in finding.message and "ago" not in finding.message
    inter = check(bad.expired_inter_leaf.chain_pem(), None)
    assert inter.codes == ["cert-expired"]
    assert inter.findings[0].message.startswith("certificate #2 (CN=Expired Intermediate) expired on ")
    later = datetime.now(UTC) + timedelta(days=100)
    assert "cert-expired" in check(**good_kwargs(pki), now=later).codes
    assert "cert-expired" not in check(**good_kwargs(pki)).codes


def test_cert_not_yet_valid(pki, bad):
    finding = one(check(bad.future.chain_pem(), bad.future.key_pem), "cert-not-yet-valid")
    # 5 days ahead minus the seconds since the certificate was made: 4 whole days and 23 hours
    assert "not valid before" in finding.message and "(starts in 4 days 23 hours;" in finding.message
    earlier = datetime.now(UTC) - timedelta(days=3)
    assert "cert-not-yet-valid" in check(**good_kwargs(pki), now=earlier).codes
    assert "cert-not-yet-valid" not in check(**good_kwargs(pki)).codes


def test_cert_expiring_soon_is_a_warning(pki, bad):
    report = check(bad.soon.chain_pem(), bad.soon.key_pem)
    assert report.codes == ["cert-expiring-soon"] and report.ok
    finding = report.findings[0]
    assert finding.severity == "warning" and "in 9 days (the minimum is 30 days)" in finding.message
    assert check(bad.soon.chain_pem(), bad.soon.key_pem, min_days=5).findings == []
    assert check(**good_kwargs(pki), min_days=120).codes == ["cert-expiring-soon"]
    assert "cert-expiring-soon" not in check(**good_kwargs(pki)).codes


@pytest.mark.parametrize(("environment", "severity"), [("dev", "warning"), ("staging", "warning"),
                                                       ("production", "error"), ("prod", "error"),
                                                       ("Production", "error")])  # fmt: skip
def test_self_signed_error_only_in_production(bad, environment, severity):
    report = check(bad.self_signed.cert_pem, bad.self_signed.key_pem, environment=environment)
    assert report.codes == ["self-signed"]
    assert report.findings[0].severity == severity and report.ok is (severity == "warning")
    assert report.leaf.self_signed


def test_self_signed_not_reported_for_ca_issued(pki):
    assert "self-signed" not in check(**good_kwargs(pki), environment="production").codes


def test_ca_as_leaf(pki, bad):
    report = check(bad.ca_leaf.chain_pem(), bad.ca_leaf.key_pem)
    assert report.codes == ["ca-as-leaf"] and "CA:TRUE" in report.findings[0].message
    assert "ca-as-leaf" not in check(**good_kwargs(pki)).codes


@pytest.mark.parametrize(("environment", "severity"), [("dev", "warning"), ("staging", "warning"),
                                                       ("production", "error")])  # fmt: skip
def test_a_self_signed_ca_certificate_as_leaf_is_a_warning_outside_production(bad, environment, severity):
    """`openssl req -x509` without -addext basicConstraints makes CA:TRUE: the most common self-signed
    dev certificate. OpenSSL-based clients that trust it accept it; self-signed is refused in
    production anyway."""
    cert = bad.f.self_signed(["dev.example.test"], ca=True)
    report = check(cert.cert_pem, cert.key_pem, hostname="dev.example.test", environment=environment)
    assert {f.code: f.severity for f in report.findings} == {"self-signed": severity, "ca-as-leaf": severity}
    assert report.ok is (severity == "warning")


def test_not_server_auth(pki, bad):
    report = check(bad.client_only.chain_pem(), bad.client_only.key_pem)
    assert report.codes == ["not-server-auth"] and "clientAuth" in report.findings[0].message
    assert check(bad.no_eku.chain_pem(), bad.no_eku.key_pem).findings == []  # no EKU: any usage
    assert check(bad.both_eku.chain_pem(), bad.both_eku.key_pem).findings == []


def test_all_codes_are_reported_at_once(bad):
    """A bundle with many defects reports each of them (one exception lists every code)."""
    f = bad.f
    mess = f.self_signed(["mess.example.test"], key="rsa:1024", digest="sha1", ca=True, eku="clientAuth", san=False,
                         days=5)  # fmt: skip
    report = check(
        mess.cert_pem, bad.ec_other.key_pem, hostname="other.example.test", environment="production"
    )
    assert set(report.codes) == {
        "key-mismatch", "cert-expiring-soon", "no-san", "hostname-mismatch", "weak-key", "weak-signature",
        "self-signed", "ca-as-leaf", "not-server-auth",
    }  # fmt: skip


def test_days_left_is_the_floor_of_the_exact_difference(pki):
    end = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    assert days_left(end, end - timedelta(days=3, hours=1)) == 3
    assert days_left(end, end) == 0
    assert days_left(end, end + timedelta(seconds=1)) == -1
    assert days_left(end, end + timedelta(days=3, hours=1)) == -4
    leaf = check(pki.leaf.chain_pem(), None).leaf
    later = leaf.not_after + timedelta(days=3, hours=1)
    report = check(pki.leaf.chain_pem(), None, now=later)
    assert report.days_left() == -4 and "(days left: -4)" in one(report, "cert-expired").message


def test_naive_now_is_utc(pki):
    leaf_after = check(pki.leaf.cert_pem, None).leaf.not_after
    naive = leaf_after.replace(tzinfo=None) + timedelta(minutes=1)
    assert "cert-expired" in check(pki.leaf.chain_pem(), None, now=naive).codes
    assert "cert-expired" not in check(pki.leaf.chain_pem(), None, now=naive - timedelta(minutes=2)).codes


def test_every_code_is_covered_by_a_bad_case():
    """Each code has a test in these modules (tests/certs/test_cert_*.py) that makes the inspector report it."""
    source = "".join(p.read_text() for p in Path(__file__).parent.glob("test_cert_*.py"))
    for code in FINDING_CODES:
        assert f"def test_{code.replace('-', '_')}" in source, code


# ------------------------------------------------------------------------------------------ real consumers agree
def _nginx_accepts(nginx: str, directory: Path, cert: bytes | str, key: bytes | str) -> tuple[bool, str]:
    """``nginx -t`` with the bundle as ssl_certificate/ssl_certificate_key (no socket is opened)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "logs").mkdir(exist_ok=True)
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    for path, data in ((cert_file, cert), (key_file, key)):
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    conf = directory / "nginx.conf"
    conf.write_text(
        f"pid {directory}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; server {{ listen 127.0.0.1:8443 ssl; "
        f"ssl_certificate {cert_file}; ssl_certificate_key {key_file}; }} }}\n"
    )
    proc = subprocess.run(
        [nginx, "-t", "-q", "-p", str(directory), "-c", str(conf), "-e", "stderr"],
        capture_output=True, text=True, check=False, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return proc.returncode == 0, proc.stderr


_EC_PARAMETERS = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"


def test_nginx_agrees_with_the_inspector(pki, bad, tmp_path):
    """nginx loads what the inspector accepts and refuses the file-level mistakes it reports."""
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    leaf = pki.leaf
    cases = {
        "good": (leaf.chain_pem(), leaf.key_pem, True),
        "crlf and text around": ("notes\r\n" + leaf.chain_pem().replace("\n", "\r\n"), leaf.key_pem, True),
        "pkcs1 key": (bad.rsa.chain_pem(), bad.f.key_in_format(bad.rsa, "pkcs1").read_text(), True),
        "key mismatch": (leaf.chain_pem(), bad.ec_other.key_pem, False),
        "intermediate first": (pki.inter.cert_pem + leaf.cert_pem, leaf.key_pem, False),
        "encrypted key": (leaf.chain_pem(), bad.f.encrypted_key(leaf).read_text(), False),
        "legacy encrypted key": (
            bad.rsa.chain_pem(),
            bad.f.encrypted_key(bad.rsa, legacy=True).read_text(),
            False,
        ),
        "der certificate": (bad.f.der(leaf).read_bytes(), leaf.key_pem, False),
        "glued blocks": (leaf.cert_pem.rstrip("\n") + pki.inter.cert_pem, leaf.key_pem, False),
        "text after END": (leaf.cert_pem.rstrip("\n") + " leaf\n" + pki.inter.cert_pem, leaf.key_pem, False),
        "text after BEGIN": (
            leaf.chain_pem().replace("CATE-----\n", "CATE----- leaf\n", 1),
            leaf.key_pem,
            False,
        ),
        "CR-only lines": (leaf.chain_pem().replace("\n", "\r"), leaf.key_pem.replace("\n", "\r"), False),
        "key: text after END": (leaf.chain_pem(), leaf.key_pem.rstrip("\n") + " key\n", False),
        "spaces after the markers": (leaf.chain_pem().replace("-----\n", "-----  \n"), leaf.key_pem, True),
        "CR CR LF": (leaf.chain_pem().replace("\n", "\r\r\n"), leaf.key_pem, True),
        "blank line before END": (
            leaf.cert_pem.replace("\n-----END", "\n\n-----END") + pki.inter.cert_pem,
            leaf.key_pem,
            False,
        ),
        "key: blank line before END": (
            leaf.chain_pem(),
            leaf.key_pem.replace("\n-----END", "\n\n-----END"),
            False,
        ),
        # nginx's key reader skips blocks before the key it cannot read, but the one right before the key
        # swallows it when the END line is not seen
        "key: EC PARAMETERS first": (leaf.chain_pem(), _EC_PARAMETERS + leaf.key_pem, True),
        "key: EC PARAMETERS END glued": (
            leaf.chain_pem(),
            _EC_PARAMETERS.replace("\n-----END", "-----END") + leaf.key_pem,
            False,
        ),
        "key: a certificate with text after END first": (
            leaf.chain_pem(),
            leaf.cert_pem.rstrip("\n") + " x\n" + leaf.key_pem,
            True,
        ),
        "key: END glued two blocks before the key": (
            leaf.chain_pem(),
            leaf.cert_pem.replace("\n-----END", "-----END") + pki.inter.cert_pem + leaf.key_pem,
            True,
        ),
        "blank line after BEGIN": (
            leaf.chain_pem().replace("CATE-----\n", "CATE-----\n\n"),
            leaf.key_pem,
            True,
        ),
        "UTF-16": (leaf.chain_pem().encode("utf-16"), leaf.key_pem.encode("utf-16"), False),
        "swapped": (leaf.key_pem, leaf.chain_pem(), False),
    }
    for n, (name, (cert, key, nginx_ok)) in enumerate(cases.items()):
        accepted, log = _nginx_accepts(nginx, tmp_path / str(n), cert, key)
        assert accepted is nginx_ok, f"{name}: nginx {'accepted' if accepted else 'refused'}: {log}"
        assert check(cert, key).ok is nginx_ok, name


def test_openssl_verify_agrees_on_chains(pki, bad, tmp_path):
    """``openssl verify`` (root trusted, the file's other certificates untrusted) fails where the
    inspector reports chain-incomplete or cert-expired, and passes on a good chain."""
    cases = {
        "good": (pki.leaf.chain_pem(), True, []),
        "leaf alone": (pki.leaf.cert_pem, False, ["issuer-unknown"]),
        "expired leaf": (bad.expired.chain_pem(), False, ["cert-expired"]),
        "expired intermediate": (bad.expired_inter_leaf.chain_pem(), False, ["cert-expired"]),
    }
    from cryptography.hazmat.primitives import serialization

    for name, (chain, verify_ok, codes) in cases.items():
        certs = parse_pem_certificates(chain)
        leaf_file, rest_file = tmp_path / f"{name}-leaf.pem", tmp_path / f"{name}-rest.pem"
        pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in certs]
        leaf_file.write_text(pems[0])
        rest_file.write_text("".join(pems[1:]))
        args = ["openssl", "verify", "-CAfile", str(pki.ca_bundle_path)]
        if len(certs) > 1:
            args += ["-untrusted", str(rest_file)]
        proc = subprocess.run([*args, str(leaf_file)], capture_output=True, text=True, check=False)
        assert (proc.returncode == 0) is verify_ok, f"{name}: {proc.stdout}{proc.stderr}"
        assert check(chain, None).codes == codes, name
