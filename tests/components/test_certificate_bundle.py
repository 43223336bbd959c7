"""CertificateBundle under Pulumi mocks: exact children per source, security inputs, secrets, errors.

Certificates for the ``pem`` source are made by the real ``openssl`` (``pki`` / ``cert_factory``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pulumi.output import Output

from secure_scoring.certs import pem
from secure_scoring.components.certificate_bundle import (
    CertificateBundle,
    CertificateBundleArgs,
    CertificateBundleError,
)
from secure_scoring.errors import ConfigurationError, PolicyRefusal
from secure_scoring.gate.mocking import SECRET_SIG, UNKNOWN, output_is_secret, output_value, run_with_mocks
from support.certs import trust_test_roots

BUNDLE = "secure-scoring:index:CertificateBundle"
PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
CERT_REQUEST = "tls:index/certRequest:CertRequest"
LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
SERVER_USES = {"digital_signature", "key_encipherment", "server_auth"}


@dataclass
class Run:
    recording: object
    bundle: CertificateBundle

    @property
    def component(self):
        return self.recording.one(BUNDLE)

    def children(self):
        return {(r.type, r.name): r for r in self.recording.children_of(self.component.urn)}


def build(name: str = "tls", args: CertificateBundleArgs | None = None, *, factory=None, **run_kw) -> Run:
    holder: dict[str, CertificateBundle] = {}

    def program() -> None:
        holder["b"] = factory() if factory is not None else CertificateBundle(name, args)

    recording = run_with_mocks(program, **run_kw)
    return Run(recording, holder["b"])


def registers_nothing(program) -> Exception:
    """Run ``program`` (which must raise at construction); return the exception and check that the
    run registered no CertificateBundle and no child resource."""
    caught: list[Exception] = []

    def wrapper() -> None:
        try:
            program()
        except Exception as exc:  # noqa: BLE001 - inspected below
            caught.append(exc)

    recording = run_with_mocks(wrapper)
    assert caught, "the program did not raise"
    assert recording.resources == [], [r.type for r in recording.resources]
    return caught[0]


def plaintext_without_secrets(wire: object) -> str:
    """JSON of a wire value with the content of every secret envelope removed."""

    def strip(v):
        if isinstance(v, dict):
            if v.get(SECRET_SIG):
                return "<secret>"
            return {k: strip(x) for k, x in v.items()}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return json.dumps(strip(wire))


def load_chain(text: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(text.encode())


def sha256_hex(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def assert_key_secret_everywhere(run: Run, key_text: str) -> None:
    """The key is a secret output, and no plaintext copy is in the component's props or outputs."""
    comp = run.component
    assert output_is_secret(run.bundle.key_pem)
    assert output_value(run.bundle.key_pem) == key_text
    assert comp.outputs is not None
    assert comp.outputs["key_pem"][SECRET_SIG], comp.outputs["key_pem"]
    assert comp.outputs["key_pem"]["value"] == key_text
    assert "PRIVATE KEY" not in json.dumps(comp.wire_inputs)
    assert "PRIVATE KEY" not in plaintext_without_secrets(comp.outputs)
    body = "".join(line for line in key_text.splitlines() if "-----" not in line)
    assert body[:40] not in json.dumps(comp.wire_inputs)
    assert body[:40] not in plaintext_without_secrets(comp.outputs)


# --------------------------------------------------------------------------------------------- certificates
@pytest.fixture(scope="module")
def bad(cert_factory, pki):
    """Problem certificates issued by the shared PKI's intermediate (names unique to this module)."""
    f = cert_factory
    expired = f.leaf(pki.inter, ["bundle-expired.example.test"], days=1, not_before_days_ago=10)
    soon = f.leaf(pki.inter, ["bundle-soon.example.test"], days=11, not_before_days_ago=1)
    selfsigned = f.self_signed(["bundle-self.example.test"])
    return {"expired": expired, "soon": soon, "self_signed": selfsigned, "der": f.der(pki.leaf)}


# --------------------------------------------------------------------------------------------- self_signed
@pytest.mark.parametrize(
    ("algorithm_args", "expected_key_inputs"),
    [
        ({}, {"algorithm": "ECDSA", "ecdsaCurve": "P256"}),
        ({"key_algorithm": "ECDSA", "ecdsa_curve": "P384"}, {"algorithm": "ECDSA", "ecdsaCurve": "P384"}),
        ({"key_algorithm": "RSA", "rsa_bits": 3072}, {"algorithm": "RSA", "rsaBits": 3072}),
    ],
)
def test_self_signed_children_and_security_inputs(algorithm_args, expected_key_inputs):
    args = CertificateBundleArgs(
        source="self_signed",
        hostnames=["Scoring.Dev.Example.Test", "127.0.0.1"],
        validity_days=90,
        early_renewal_days=20,
        **algorithm_args,
    )
    run = build("dev", args)
    comp = run.component
    assert comp.type == BUNDLE and not comp.custom
    assert len(run.recording.resources) == 3
    children = run.children()
    assert set(children) == {(PRIVATE_KEY, "dev-key"), (SELF_SIGNED, "dev-cert")}
    assert all(r.parent == comp.urn for r in children.values())

    key = children[(PRIVATE_KEY, "dev-key")]
    assert key.inputs == expected_key_inputs
    assert {"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"} <= set(key.additional_secret_outputs)

    cert = children[(SELF_SIGNED, "dev-cert")]
    assert cert.is_secret("privateKeyPem")  # the key travels to the cert resource as a secret
    assert "privateKeyPem" in cert.additional_secret_outputs
    assert cert.inputs["privateKeyPem"] == key.state["privateKeyPem"]
    assert set(cert.inputs["allowedUses"]) == SERVER_USES
    assert cert.inputs["isCaCertificate"] is False
    assert cert.inputs["dnsNames"] == ["scoring.dev.example.test"]
    assert cert.inputs["ipAddresses"] == ["127.0.0.1"]
    assert cert.inputs["subject"] == {"commonName": "scoring.dev.example.test"}
    assert cert.inputs["validityPeriodHours"] == 90 * 24
    assert cert.inputs["earlyRenewalHours"] == 20 * 24

    # outputs: the generated certificate, its facts, the key as a secret
    b = run.bundle
    chain_text = output_value(b.cert_pem)
    (leaf,) = load_chain(chain_text)
    assert output_value(b.ca_cert_pem) == chain_text
    assert output_value(b.not_after) == iso(leaf.not_valid_after_utc)
    assert abs(leaf.not_valid_after_utc - (dt.datetime.now(dt.UTC) + dt.timedelta(days=90))) < dt.timedelta(
        hours=1
    )
    assert output_value(b.fingerprint_sha256) == sha256_hex(leaf)
    assert output_value(b.self_signed) is True
    assert output_value(b.hostnames) == ["scoring.dev.example.test", "127.0.0.1"]
    assert not output_is_secret(b.cert_pem)
    assert_key_secret_everywhere(run, key.state["privateKeyPem"])

    assert comp.inputs == {
        "certificateSource": "self_signed",
        "selfSigned": True,
        "hostnames": ["scoring.dev.example.test", "127.0.0.1"],
        "environment": "dev",
        "dnsManagedByAzure": False,
        "chainTrust": "unknown",
    }
    assert comp.outputs["source"] == "self_signed" and comp.outputs["self_signed"] is True
    assert b.source == "self_signed" and b.is_self_signed and not b.dns_managed_by_azure
    assert b.hostname_list == ["scoring.dev.example.test", "127.0.0.1"]
    assert b.covers("scoring.dev.example.test") and b.covers("SCORING.dev.example.test.")
    assert not b.covers("other.dev.example.test")
    # the generated bundle passes the same inspector users run (dev: self-signed is only a warning)
    report = pem.inspect_bundle(chain_text, key.state["privateKeyPem"], hostname="scoring.dev.example.test")
    assert report.ok, report.findings
    assert report.codes == ["self-signed"]


# --------------------------------------------------------------------------------------------- dev_ca
def test_dev_ca_children_chain_and_trust_anchor():
    args = CertificateBundleArgs(
        source="dev_ca",
        hostnames=["scoring.dev.example.test", "*.dev.example.test", "127.0.0.1"],
        validity_days=30,
        early_renewal_days=10,
        ca_validity_days=400,
        organization="Contoso Dev",
    )
    run = build("dev", args)
    comp = run.component
    assert len(run.recording.resources) == 6
    children = run.children()
    assert set(children) == {
        (PRIVATE_KEY, "dev-ca-key"),
        (SELF_SIGNED, "dev-ca-cert"),
        (PRIVATE_KEY, "dev-key"),
        (CERT_REQUEST, "dev-csr"),
        (LOCALLY_SIGNED, "dev-cert"),
    }
    assert all(r.parent == comp.urn for r in children.values())
    ca_key, leaf_key = children[(PRIVATE_KEY, "dev-ca-key")], children[(PRIVATE_KEY, "dev-key")]
    for k in (ca_key, leaf_key):
        assert k.inputs == {"algorithm": "ECDSA", "ecdsaCurve": "P256"}
        assert "privateKeyPem" in k.additional_secret_outputs
    assert ca_key.state["privateKeyPem"] != leaf_key.state["privateKeyPem"]

    ca = children[(SELF_SIGNED, "dev-ca-cert")]
    assert ca.inputs["isCaCertificate"] is True
    assert set(ca.inputs["allowedUses"]) == {"cert_signing", "crl_signing", "digital_signature"}
    assert ca.inputs["subject"] == {"commonName": "dev development CA", "organization": "Contoso Dev"}
    assert ca.inputs["validityPeriodHours"] == 400 * 24
    assert ca.inputs["earlyRenewalHours"] == 30 * 24  # renewed while it still outlives a whole leaf
    assert "dnsNames" not in ca.inputs
    assert ca.is_secret("privateKeyPem") and ca.inputs["privateKeyPem"] == ca_key.state["privateKeyPem"]

    csr = children[(CERT_REQUEST, "dev-csr")]
    assert csr.inputs["dnsNames"] == ["scoring.dev.example.test", "*.dev.example.test"]
    assert csr.inputs["ipAddresses"] == ["127.0.0.1"]
    assert csr.is_secret("privateKeyPem") and csr.inputs["privateKeyPem"] == leaf_key.state["privateKeyPem"]

    signed = children[(LOCALLY_SIGNED, "dev-cert")]
    assert set(signed.inputs["allowedUses"]) == SERVER_USES
    assert signed.inputs["isCaCertificate"] is False
    assert signed.inputs["validityPeriodHours"] == 30 * 24
    assert signed.inputs["earlyRenewalHours"] == 10 * 24
    assert signed.inputs["caCertPem"] == ca.state["certPem"]
    assert signed.inputs["certRequestPem"] == csr.state["certRequestPem"]
    assert signed.is_secret("caPrivateKeyPem")
    assert signed.inputs["caPrivateKeyPem"] == ca_key.state["privateKeyPem"]
    assert "caPrivateKeyPem" in signed.additional_secret_outputs

    b = run.bundle
    chain_text = output_value(b.cert_pem)
    leaf, root = load_chain(chain_text)  # full chain: leaf first, then the CA
    assert chain_text.startswith(signed.state["certPem"])
    assert output_value(b.ca_cert_pem) == ca.state["certPem"]
    assert leaf.issuer == root.subject and root.subject != leaf.subject
    leaf.verify_directly_issued_by(root)
    assert output_value(b.fingerprint_sha256) == sha256_hex(leaf)
    assert output_value(b.not_after) == iso(leaf.not_valid_after_utc)
    assert output_value(b.self_signed) is True
    assert_key_secret_everywhere(run, leaf_key.state["privateKeyPem"])
    assert comp.inputs["certificateSource"] == "dev_ca" and comp.inputs["selfSigned"] is True
    assert b.is_self_signed
    assert b.covers("api.dev.example.test") and not b.covers("a.b.dev.example.test")

    report = pem.inspect_bundle(
        chain_text,
        leaf_key.state["privateKeyPem"],
        hostname=["scoring.dev.example.test", "127.0.0.1"],
        min_days=10,
    )
    assert report.ok, report.findings
    assert report.codes == []


def test_rsa_dev_ca_uses_rsa_for_both_keys():
    args = CertificateBundleArgs(
        source="dev_ca", hostnames=["a.example.test"], key_algorithm="rsa", rsa_bits=2048.0
    )
    run = build("r", args)
    keys = [r for r in run.recording.by_type(PRIVATE_KEY)]
    assert sorted(r.name for r in keys) == ["r-ca-key", "r-key"]
    assert all(r.inputs == {"algorithm": "RSA", "rsaBits": 2048} for r in keys)


# --------------------------------------------------------------------------------------------- production rule
@pytest.mark.parametrize("source", ["self_signed", "dev_ca"])
@pytest.mark.parametrize("environment", ["production", "Prod", " PRODUCTION "])
def test_self_signed_and_dev_ca_refused_in_production(source, environment):
    exc = registers_nothing(
        lambda: CertificateBundle(
            "tls",
            CertificateBundleArgs(source=source, hostnames=["scoring.example.test"], environment=environment),
        )
    )
    assert isinstance(exc, ConfigurationError)
    text = str(exc)
    assert text.startswith("CertificateBundle('tls').source:")
    assert "production" in text and "development only" in text
    assert "'pem'" in text and "from_files" in text


def test_self_signed_pem_is_an_error_in_production_and_a_warning_elsewhere(bad):
    cert = bad["self_signed"]
    exc = registers_nothing(
        lambda: CertificateBundle.from_files(
            "tls", cert.cert_path, cert.key_path, hostnames=["bundle-self.example.test"], environment="prod"
        )
    )
    assert isinstance(exc, CertificateBundleError)
    assert exc.codes == ("self-signed",)

    run = build(
        factory=lambda: CertificateBundle.from_files(
            "tls",
            cert.cert_path,
            cert.key_path,
            hostnames=["bundle-self.example.test"],
            environment="staging",
        )
    )
    assert run.bundle.is_self_signed and output_value(run.bundle.self_signed) is True
    assert run.component.inputs["selfSigned"] is True
    warnings = [m for level, m in run.recording.logs if level == "warning"]
    assert len(warnings) == 1 and "[self-signed]" in warnings[0]


# --------------------------------------------------------------------------------------------- pem
def test_pem_from_files_has_no_children_and_exposes_the_certificate_facts(pki, tmp_path):
    chain_file = pki.leaf.write_chain(tmp_path / "fullchain.pem")
    run = build(
        factory=lambda: CertificateBundle.from_files(
            "tls", chain_file, pki.leaf.key_path, hostnames=["scoring.example.test"], environment="production"
        )
    )
    assert [r.type for r in run.recording.resources] == [BUNDLE]
    assert run.children() == {}
    leaf, inter = load_chain(chain_file.read_text())
    b = run.bundle
    expected_names = ["scoring.example.test", "localhost", "127.0.0.1"]
    assert run.component.inputs == {
        "certificateSource": "pem",
        "selfSigned": False,
        "hostnames": expected_names,
        "environment": "production",
        "dnsManagedByAzure": False,
        "notAfter": iso(leaf.not_valid_after_utc),
        "fingerprintSha256": sha256_hex(leaf),
        "chainTrust": "declared-ca",  # the test roots (support.fixtures_certs.test_roots_declared)
    }
    assert output_value(b.chain_trust) == "declared-ca" == b.known_chain_trust
    assert output_value(b.cert_pem) == chain_file.read_text()
    assert output_value(b.not_after) == iso(leaf.not_valid_after_utc) == b.known_not_after
    assert output_value(b.fingerprint_sha256) == sha256_hex(leaf) == b.known_fingerprint_sha256
    assert output_value(b.hostnames) == expected_names == b.hostname_list
    assert output_value(b.self_signed) is False and not b.is_self_signed
    assert output_value(b.ca_cert_pem) is None
    assert b.is_production and b.environment == "production"
    assert_key_secret_everywhere(run, pki.leaf.key_pem)
    assert [m for level, m in run.recording.logs if level == "warning"] == []
    assert b.covers("scoring.example.test") and b.covers("127.0.0.1")
    assert not b.covers("other.example.test") and not b.covers("127.0.0.2")


def test_wildcard_pem_covers_exactly_one_label(pki, tmp_path):
    run = build(
        "wild",
        CertificateBundleArgs(cert_pem=pki.wildcard.chain_pem(), key_pem=pki.wildcard.key_pem),
    )
    b = run.bundle
    assert b.hostname_list == ["*.example.test"]
    assert b.covers("api.example.test")
    assert not b.covers("example.test") and not b.covers("a.b.example.test")


def test_bad_bundle_lists_every_error_code_at_construction(pki, bad):
    expired = bad["expired"]
    args = CertificateBundleArgs(
        cert_pem=expired.chain_pem(),
        key_pem=pki.leaf.key_pem,  # the key of another certificate
        hostnames=["scoring.example.test"],  # not in the expired certificate
    )
    exc = registers_nothing(lambda: CertificateBundle("tls", args))
    assert isinstance(exc, CertificateBundleError) and isinstance(exc, ConfigurationError)
    assert set(exc.codes) == {"cert-expired", "hostname-mismatch", "key-mismatch"}
    text = str(exc)
    assert text.startswith("CertificateBundle('tls') [cert_pem/key_pem]: the certificate bundle has 3 errors")
    expected = pem.inspect_bundle(expired.chain_pem(), pki.leaf.key_pem, hostname="scoring.example.test")
    for finding in expected.errors:
        assert f"[{finding.code}] {finding.message.rstrip('.')}" in text
    assert "Fix:" in text and "secure-scoring cert check" in text
    assert "PRIVATE KEY" not in text


def test_from_files_error_gives_the_cert_check_command_that_reproduces_it(pki, bad, tmp_path, monkeypatch):
    trust_test_roots(monkeypatch, tmp_path)  # cert check verifies the path to the trust store
    chain = bad["expired"].write_chain(tmp_path / "full chain.pem")  # a space: the command must quote it
    exc = registers_nothing(
        lambda: CertificateBundle.from_files(
            "tls", chain, pki.leaf.key_path, hostnames=["scoring.example.test"], environment="Production"
        )
    )
    assert isinstance(exc, CertificateBundleError)
    assert str(exc).startswith(f"CertificateBundle('tls') [cert_file={chain}, key_file={pki.leaf.key_path}]")
    command = re.search(r"`(secure-scoring cert check [^`]+)`", str(exc)).group(1)
    argv = shlex.split(command)
    assert argv[:3] == ["secure-scoring", "cert", "check"]
    assert (
        argv[argv.index("--cert") + 1] == str(chain) and argv[argv.index("--environment") + 1] == "production"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "secure_scoring", *argv[1:], "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    reported = json.loads(proc.stdout)
    assert {f["code"] for f in reported["findings"] if f["severity"] == "error"} == set(exc.codes)
    assert set(exc.codes) == {"cert-expired", "hostname-mismatch", "key-mismatch"}


def test_from_files_errors_name_the_files(pki, bad):
    exc = registers_nothing(
        lambda: CertificateBundle.from_files(
            "tls", bad["der"], pki.leaf.key_path, hostnames=["scoring.example.test"]
        )
    )
    assert isinstance(exc, CertificateBundleError)
    assert "cert-not-pem" in exc.codes
    assert f"cert_file={bad['der']}" in str(exc) and "openssl" in str(exc)


def test_from_files_missing_or_unreadable(pki, tmp_path):
    missing = tmp_path / "nope" / "fullchain.pem"
    exc = registers_nothing(lambda: CertificateBundle.from_files("tls", missing, pki.leaf.key_path))
    assert isinstance(exc, ConfigurationError) and not isinstance(exc, CertificateBundleError)
    assert str(exc).startswith("CertificateBundle('tls').cert_file:")
    assert f"file '{missing}' does not exist" in str(exc) and "Fix:" in str(exc)

    exc = registers_nothing(lambda: CertificateBundle.from_files("tls", pki.leaf.cert_path, tmp_path))
    assert str(exc).startswith("CertificateBundle('tls').key_file:")
    assert f"'{tmp_path}' is a directory" in str(exc)


def test_from_files_refuses_a_file_far_too_large_for_pem(pki, tmp_path):
    """A wrong path to a model file must not be read whole: the limit is cert check's 5 MiB."""
    big = tmp_path / "model.onnx"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: no disk used
    exc = registers_nothing(lambda: CertificateBundle.from_files("tls", big, pki.leaf.key_path))
    assert isinstance(exc, ConfigurationError) and not isinstance(exc, CertificateBundleError)
    assert str(exc).startswith(f"CertificateBundle('tls').cert_file: file '{big}' is larger than 5 MiB")
    exc = registers_nothing(lambda: CertificateBundle.from_files("tls", pki.leaf.cert_path, big))
    assert str(exc).startswith("CertificateBundle('tls').key_file:") and "Fix: pass the right file" in str(
        exc
    )
    just_right = tmp_path / "chain.pem"
    just_right.write_text(pki.leaf.chain_pem() + "\n" * (5 * 1024 * 1024 - len(pki.leaf.chain_pem()) - 1))
    run = build(factory=lambda: CertificateBundle.from_files("tls", just_right, pki.leaf.key_path))
    assert run.bundle.known_fingerprint_sha256


@pytest.mark.parametrize("bad_path", [None, "", 5])
def test_from_files_with_no_usable_path_is_a_named_error(pki, bad_path):
    exc = registers_nothing(lambda: CertificateBundle.from_files("tls", bad_path, pki.leaf.key_path))
    assert str(exc).startswith("CertificateBundle('tls').cert_file:"), str(exc)
    assert "path of a PEM file" in str(exc) and "Fix:" in str(exc)
    exc = registers_nothing(lambda: CertificateBundle.from_files("tls", pki.leaf.cert_path, bad_path))
    assert str(exc).startswith("CertificateBundle('tls').key_file:"), str(exc)


def test_unicode_hostname_is_its_idna_a_label():
    """Issue 11: names.py decides; ``Bücher.Example.Test.`` is accepted as its UTS 46 A-label, as the
    inspector, the gateway and verify read it (it used to be refused here)."""
    run = build("dev", CertificateBundleArgs(source="self_signed", hostnames=["Bücher.Example.Test."]))
    assert run.bundle.hostname_list == ["xn--bcher-kva.example.test"]
    assert run.bundle.covers("bücher.example.test") and run.bundle.covers("XN--BCHER-KVA.example.test.")


def test_a_doubled_trailing_dot_is_refused_as_names_refuses_it():
    args = CertificateBundleArgs(source="self_signed", hostnames=["scoring.example.com.."])
    exc = registers_nothing(lambda: CertificateBundle("dev", args))
    assert str(exc).startswith("CertificateBundle('dev').hostnames[0]:"), str(exc)
    assert "'scoring.example.com'" in str(exc)


def test_warnings_are_logged_once_each(bad):
    soon = bad["soon"]
    run = build(
        "tls",
        CertificateBundleArgs(
            cert_pem=soon.chain_pem(),
            key_pem=soon.key_pem,
            hostnames=["bundle-soon.example.test"],
            min_days=30,
        ),
    )
    warnings = [m for level, m in run.recording.logs if level == "warning"]
    assert len(warnings) == 1, warnings
    assert "[cert-expiring-soon]" in warnings[0] and "certificate bundle 'tls'" in warnings[0]
    assert "PRIVATE KEY" not in warnings[0]
    # with a horizon shorter than the remaining days there is nothing to warn about
    quiet = build(
        "tls",
        CertificateBundleArgs(
            cert_pem=soon.chain_pem(),
            key_pem=soon.key_pem,
            hostnames=["bundle-soon.example.test"],
            min_days=5,
        ),
    )
    assert [m for level, m in quiet.recording.logs if level == "warning"] == []


def test_pem_output_is_inspected_when_known(pki):
    run = build(
        "tls",
        CertificateBundleArgs(
            cert_pem=pulumi.Output.from_input(pki.leaf.chain_pem()),
            key_pem=pulumi.Output.secret(pki.leaf.key_pem),
            hostnames=["scoring.example.test"],
        ),
    )
    b = run.bundle
    leaf = load_chain(pki.leaf.chain_pem())[0]
    assert run.children() == {}
    # the facts come from the certificate, and stay public although the key input was a secret
    assert run.component.inputs["notAfter"] == iso(leaf.not_valid_after_utc)
    assert run.component.inputs["fingerprintSha256"] == sha256_hex(leaf)
    assert run.component.inputs["hostnames"] == ["scoring.example.test", "localhost", "127.0.0.1"]
    assert run.component.inputs["selfSigned"] is False
    assert not run.component.is_secret("notAfter")
    assert output_value(b.cert_pem) == pki.leaf.chain_pem() and not output_is_secret(b.cert_pem)
    assert_key_secret_everywhere(run, pki.leaf.key_pem)
    assert b.known_not_after is None  # not known at construction
    assert b.hostname_list == ["scoring.example.test"]  # the declared (and verified) names


def test_pem_output_with_errors_fails_the_run(pki, bad):
    expired = bad["expired"]

    def program() -> None:
        CertificateBundle(
            "tls",
            CertificateBundleArgs(
                cert_pem=pulumi.Output.from_input(expired.chain_pem()),
                key_pem=pulumi.Output.secret(pki.leaf.key_pem),
                hostnames=["scoring.example.test"],
            ),
        )

    with pytest.raises(Exception) as info:  # noqa: PT011 - the SDK wraps what apply raised
        run_with_mocks(program)
    text = str(info.value)
    for code in ("cert-expired", "hostname-mismatch", "key-mismatch"):
        assert f"[{code}]" in text
    assert "CertificateBundle('tls') [cert_pem/key_pem]" in text
    assert "BEGIN" not in text


def _unknown_output() -> pulumi.Output:
    """An Output whose value is unknown, as during a preview before its resource exists."""
    loop = asyncio.get_event_loop()
    futures = [loop.create_future() for _ in range(4)]
    for future, value in zip(futures, (set(), None, False, False), strict=True):
        future.set_result(value)
    return Output(*futures)


def test_pem_output_unknown_in_preview_is_not_judged_yet(pki):
    run = build(
        "tls",
        CertificateBundleArgs(cert_pem=_unknown_output(), key_pem=pulumi.Output.secret(pki.leaf.key_pem)),
        preview=True,
    )
    props = run.component.wire_inputs
    assert props["certificateSource"] == "pem"
    assert props["notAfter"] == UNKNOWN and props["fingerprintSha256"] == UNKNOWN
    assert run.component.outputs["cert_pem"] == UNKNOWN
    assert [m for level, m in run.recording.logs if level in ("warning", "error")] == []


def test_pem_output_warning_logged_once(bad):
    soon = bad["soon"]
    run = build(
        "tls",
        CertificateBundleArgs(
            cert_pem=pulumi.Output.from_input(soon.chain_pem()),
            key_pem=pulumi.Output.secret(soon.key_pem),
            hostnames=["bundle-soon.example.test"],
        ),
    )
    warnings = [m for level, m in run.recording.logs if level == "warning"]
    assert len(warnings) == 1 and "[cert-expiring-soon]" in warnings[0]


@pytest.mark.parametrize("as_output", [False, True])
def test_a_combined_certificate_file_does_not_put_the_key_in_cert_pem(pki, tmp_path, as_output):
    """A certificate file that also holds the private key (as nginx allows) passes the inspector; the
    non-secret cert_pem output keeps only the certificates, and a warning says why."""
    leaf = pki.leaf
    combined = tmp_path / "combined.pem"
    combined.write_text(leaf.chain_pem() + leaf.key_pem)
    if as_output:
        args = CertificateBundleArgs(
            cert_pem=pulumi.Output.from_input(combined.read_text()),
            key_pem=pulumi.Output.secret(leaf.key_pem),
        )
        run = build("tls", args)
    else:
        run = build(factory=lambda: CertificateBundle.from_files("tls", combined, combined))
    assert output_value(run.bundle.cert_pem) == leaf.chain_pem()
    assert not output_is_secret(run.bundle.cert_pem)
    assert output_is_secret(run.bundle.key_pem)
    key_body = "".join(line for line in leaf.key_pem.splitlines() if "-----" not in line)
    plaintext = plaintext_without_secrets(run.component.outputs) + json.dumps(run.component.wire_inputs)
    assert "PRIVATE KEY" not in plaintext and key_body[:40] not in plaintext
    warnings = [m for level, m in run.recording.logs if level == "warning"]
    assert len(warnings) == 1 and "also holds a private key" in warnings[0], warnings
    assert "PRIVATE KEY" not in warnings[0]
    # a plain chain is passed through unchanged, with no warning
    plain = tmp_path / "chain.pem"
    plain.write_text("issued by our CA\n" + leaf.chain_pem())
    run = build(factory=lambda: CertificateBundle.from_files("tls", plain, leaf.key_path))
    assert output_value(run.bundle.cert_pem) == plain.read_text()
    assert [m for level, m in run.recording.logs if level == "warning"] == []


def test_pem_requires_both_parts():
    exc = registers_nothing(lambda: CertificateBundle("tls", CertificateBundleArgs(cert_pem="x")))
    assert str(exc).startswith("CertificateBundle('tls').key_pem: key_pem is required for source 'pem'")


# --------------------------------------------------------------------------------------------- microsoft_managed
def test_microsoft_managed_has_no_children_and_a_fqdn_pattern():
    run = build(
        "aks",
        CertificateBundleArgs(
            source="microsoft_managed",
            leaf_domain_label="scoring-1",
            overwrite_existing_domain=True,
            location="West Europe",
            environment="production",
        ),
    )
    assert [r.type for r in run.recording.resources] == [BUNDLE]
    b = run.bundle
    pattern = "scoring-1######.westeurope.cloudapp.azure.com"
    assert b.fqdn_pattern == pattern and b.location == "westeurope"
    assert b.dns_managed_by_azure and not b.is_self_signed
    assert b.leaf_domain_label == "scoring-1" and b.overwrite_existing_domain is True
    assert b.hostname_list == [pattern]
    assert run.component.inputs == {
        "certificateSource": "microsoft_managed",
        "selfSigned": False,
        "hostnames": [pattern],
        "environment": "production",
        "dnsManagedByAzure": True,
        "leafDomainLabel": "scoring-1",
        "overwriteExistingDomain": True,
        "location": "westeurope",
        "fqdnPattern": pattern,
        "chainTrust": "public-store",
    }
    out = run.component.outputs
    assert out["fqdn_pattern"] == pattern and out["dns_managed_by_azure"] is True
    assert "cert_pem" not in out and "key_pem" not in out  # None values are not registered
    assert output_value(b.cert_pem) is None and output_value(b.key_pem) is None
    assert b.covers("scoring-1a1b2c3.westeurope.cloudapp.azure.com")
    assert b.covers("SCORING-1123456.westeurope.cloudapp.azure.com.")
    assert not b.covers("scoring-1a1b2c3.northeurope.cloudapp.azure.com")
    assert not b.covers("scoring-1a1b2c.westeurope.cloudapp.azure.com")  # 5 generated characters
    assert not b.covers("scoring-1a1b2c3d.westeurope.cloudapp.azure.com")  # 7
    assert not b.covers("x.scoring-1a1b2c3.westeurope.cloudapp.azure.com")
    assert not b.covers("scoring.example.com")


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("Scoring", "is not a valid DNS label"),
        ("-scoring", "is not a valid DNS label"),
        ("scoring-", "is not a valid DNS label"),
        ("1scoring", "is not a valid DNS label"),
        ("sc_oring", "is not a valid DNS label"),
        ("sc.oring", "is not a valid DNS label"),
        ("a" * 58, "Azure appends 6 more"),
        ("", "is required"),
        (None, "is required"),
    ],
)
def test_microsoft_managed_label_validation(label, problem):
    exc = registers_nothing(
        lambda: CertificateBundle(
            "aks",
            CertificateBundleArgs(source="microsoft_managed", leaf_domain_label=label, location="westeurope"),
        )
    )
    assert isinstance(exc, ConfigurationError)
    assert str(exc).startswith("CertificateBundle('aks').leaf_domain_label:")
    assert problem in str(exc) and "Fix:" in str(exc)


@pytest.mark.parametrize("label", ["a", "a" * 57, "scoring-v2"])
def test_microsoft_managed_valid_labels(label):
    run = build(
        "aks", CertificateBundleArgs(source="microsoft_managed", leaf_domain_label=label, location="eastus2")
    )
    assert run.bundle.fqdn_pattern == f"{label}######.eastus2.cloudapp.azure.com"


@pytest.mark.parametrize(
    ("extra", "field", "problem"),
    [
        ({"location": None}, "location", "is required"),
        ({"location": "west/europe"}, "location", "is not an Azure region name"),
        ({"hostnames": ["scoring.example.com"]}, "hostnames", "Azure generates"),
        ({"cert_pem": "x"}, "cert_pem", "not used with source 'microsoft_managed'"),
        ({"overwrite_existing_domain": "yes"}, "overwrite_existing_domain", "must be True or False"),
    ],
)
def test_microsoft_managed_refusals(extra, field, problem):
    kwargs = {
        "source": "microsoft_managed",
        "leaf_domain_label": "scoring",
        "location": "westeurope",
        **extra,
    }
    exc = registers_nothing(lambda: CertificateBundle("aks", CertificateBundleArgs(**kwargs)))
    assert str(exc).startswith(f"CertificateBundle('aks').{field}:"), str(exc)
    assert problem in str(exc)


# --------------------------------------------------------------------------------------------- argument checks
@pytest.mark.parametrize(
    ("kwargs", "field", "problem"),
    [
        ({"source": "letsencrypt"}, "source", "unknown certificate source"),
        ({"source": "self_signed"}, "hostnames", "is empty"),
        ({"source": "self_signed", "hostnames": ["bad host"]}, "hostnames[0]", "is not a hostname"),
        ({"source": "self_signed", "hostnames": ["a.test", "*.*.example.test"]}, "hostnames[1]", "more than one wildcard"),
        ({"source": "self_signed", "hostnames": ["a..b.test"]}, "hostnames[0]", "empty label"),
        ({"source": "self_signed", "hostnames": ["f*.example.test"]}, "hostnames[0]", "wildcard inside a label"),
        ({"source": "self_signed", "hostnames": [42]}, "hostnames[0]", "plain string"),
        ({"source": "dev_ca", "hostnames": ["a.test"], "key_algorithm": "ED25519"}, "key_algorithm", "unsupported"),
        ({"source": "dev_ca", "hostnames": ["a.test"], "ecdsa_curve": "P224"}, "ecdsa_curve", "unsupported curve"),
        ({"source": "dev_ca", "hostnames": ["a.test"], "key_algorithm": "RSA", "rsa_bits": 1024}, "rsa_bits", "at least 2048"),
        ({"source": "dev_ca", "hostnames": ["a.test"], "validity_days": 30.5}, "validity_days", "whole number"),
        ({"source": "dev_ca", "hostnames": ["a.test"], "validity_days": 30, "early_renewal_days": 30}, "early_renewal_days", "not less than validity_days"),
        ({"source": "dev_ca", "hostnames": ["a.test"], "ca_validity_days": 365}, "ca_validity_days", "not more than validity_days"),
        ({"source": "self_signed", "hostnames": ["a.test"], "key_pem": "x"}, "key_pem", "not used with source 'self_signed'"),
        ({"source": "dev_ca", "hostnames": ["a.test"], "leaf_domain_label": "x"}, "leaf_domain_label", "not used with source 'dev_ca'"),
        ({"source": "self_signed", "hostnames": ["a.test"], "environment": " "}, "environment", "is empty"),
    ],
)  # fmt: skip
def test_argument_errors_name_the_input(kwargs, field, problem):
    exc = registers_nothing(lambda: CertificateBundle("c", CertificateBundleArgs(**kwargs)))
    assert isinstance(exc, ConfigurationError)
    assert str(exc).startswith(f"CertificateBundle('c').{field}:"), str(exc)
    assert problem in str(exc) and "Fix:" in str(exc)


def test_hostnames_must_be_plain_values():
    exc = registers_nothing(
        lambda: CertificateBundle(
            "c", CertificateBundleArgs(source="self_signed", hostnames=pulumi.Output.from_input(["a.test"]))
        )
    )
    assert "plain strings known at construction" in str(exc)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("300.1.1.1", "'300.1.1.1' is not a valid IP address"),
        ("127.000.0.1", "'127.000.0.1' is not a valid IP address"),
        ("10.0.0.1.5", "'10.0.0.1.5' is not a valid IP address"),
        ("host.example.123", "'host.example.123' is not a hostname"),
    ],
)
def test_hostnames_that_no_certificate_can_cover_are_refused(host, problem):
    """A mistyped IP address is not taken for a DNS name (self_signed would issue DNS:300.1.1.1)."""
    args = CertificateBundleArgs(source="self_signed", hostnames=["ok.example.test", host])
    exc = registers_nothing(lambda: CertificateBundle("c", args))
    assert str(exc).startswith(f"CertificateBundle('c').hostnames[1]: {problem}"), str(exc)


def test_a_bracketed_ipv6_hostname_is_an_ip_address():
    run = build("c", CertificateBundleArgs(source="self_signed", hostnames=["[2001:DB8::1]", "a.test"]))
    assert run.bundle.hostname_list == ["a.test", "2001:db8::1"] and run.bundle.covers("2001:db8::1")
    assert run.recording.one(SELF_SIGNED).inputs["ipAddresses"] == ["2001:db8::1"]


def test_whole_number_floats_are_accepted():
    run = build(
        "c",
        CertificateBundleArgs(
            source="self_signed", hostnames="a.test", validity_days=10.0, early_renewal_days=2.0
        ),
    )
    cert = run.recording.one(SELF_SIGNED)
    assert cert.inputs["validityPeriodHours"] == 240 and cert.inputs["earlyRenewalHours"] == 48


# --------------------------------------------------------------------------------------------- package exports
def test_import_secure_scoring_stays_free_of_pulumi():
    code = (
        "import sys, secure_scoring\n"
        "assert 'pulumi' not in sys.modules, 'pulumi imported by the package'\n"
        "from secure_scoring import CertificateBundle, CertificateBundleArgs\n"
        "import secure_scoring.components.certificate_bundle as m\n"
        "assert CertificateBundle is m.CertificateBundle and CertificateBundleArgs is m.CertificateBundleArgs\n"
        "assert 'pulumi' in sys.modules\n"
        "assert 'CertificateBundle' in secure_scoring.__all__ and 'CertificateBundle' in dir(secure_scoring)\n"
        "try:\n    secure_scoring.NotAThing\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit('no AttributeError')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent
    )
    assert proc.returncode == 0, proc.stderr


def test_pem_certificate_known_with_a_key_output_is_judged_at_construction(pki):
    # the stacks' layout: the chain as plain config, the key as a secret (unknown to the offline gate)
    run = build(
        "tls",
        CertificateBundleArgs(
            cert_pem=pki.leaf.chain_pem(),
            key_pem=pulumi.Output.secret(pki.leaf.key_pem),
            hostnames=["scoring.example.test"],
        ),
        preview=True,
    )
    b = run.bundle
    leaf = load_chain(pki.leaf.chain_pem())[0]
    # facts known before the key is: plain props and attributes, not Outputs
    assert b.is_self_signed is False
    assert b.known_not_after == iso(leaf.not_valid_after_utc)
    assert b.known_fingerprint_sha256 == sha256_hex(leaf)
    assert run.component.inputs["selfSigned"] is False
    assert run.component.inputs["notAfter"] == iso(leaf.not_valid_after_utc)
    assert output_value(b.cert_pem) == pki.leaf.chain_pem() and not output_is_secret(b.cert_pem)
    assert_key_secret_everywhere(run, pki.leaf.key_pem)


def test_pem_certificate_known_with_a_key_output_refuses_certificate_errors_before_registering(pki, bad):
    def program() -> None:
        CertificateBundle(
            "tls",
            CertificateBundleArgs(
                cert_pem=bad["expired"].chain_pem(),
                key_pem=pulumi.Output.secret(pki.leaf.key_pem),
                hostnames=["scoring.example.test"],
            ),
        )

    exc = registers_nothing(program)
    assert isinstance(exc, CertificateBundleError)
    assert "cert-expired" in exc.codes and "key-mismatch" not in exc.codes  # the key is checked later
    assert "BEGIN" not in str(exc)


def test_pem_certificate_known_with_a_key_output_still_checks_the_key(pki):
    def program() -> None:
        CertificateBundle(
            "tls",
            CertificateBundleArgs(
                cert_pem=pki.leaf.chain_pem(),
                key_pem=pulumi.Output.secret(pki.wildcard.key_pem),  # another certificate's key
                hostnames=["scoring.example.test"],
            ),
        )

    with pytest.raises(Exception) as info:  # noqa: PT011 - the SDK wraps what apply raised
        run_with_mocks(program)
    assert "[key-mismatch]" in str(info.value)
    assert "PRIVATE KEY" not in str(info.value)


def test_self_signed_is_unknown_not_false_while_the_certificate_is_an_unknown_output(pki):
    from secure_scoring import SecureAciService, SecureAciServiceArgs

    holder = {}

    def program() -> None:
        cert = CertificateBundle(
            "tls",
            CertificateBundleArgs(
                cert_pem=_unknown_output(),
                key_pem=pulumi.Output.secret(pki.leaf.key_pem),
                hostnames=["scoring.example.test"],
            ),
        )
        holder["cert"] = cert
        SecureAciService(
            "svc",
            SecureAciServiceArgs(
                resource_group_name="rg",
                certificate=cert,
                hostname="scoring.example.test",
                dns_name_label="contoso-scoring",
            ),
        )

    rec = run_with_mocks(program, preview=True)
    assert holder["cert"].is_self_signed is None
    service = rec.one("secure-scoring:index:SecureAciService")
    assert service.wire_inputs["selfSigned"] == UNKNOWN  # what the policy pack cannot judge yet, not False


@pytest.mark.parametrize("service", ["aci", "aks"])
def test_a_production_service_refuses_a_self_signed_certificate_that_arrives_as_an_output(bad, service):
    """The service declares production, the bundle does not (so the bundle itself only warns about a
    self-signed certificate). With known PEM the service refuses it at construction; with PEM that is
    an Output the same refusal must happen when the value is known, not be skipped because
    is_self_signed was None."""
    from secure_scoring import SecureAciService, SecureAciServiceArgs, aks

    selfsigned = bad["self_signed"]
    host = "bundle-self.example.test"

    def program() -> None:
        cert = CertificateBundle(
            "tls",
            CertificateBundleArgs(
                cert_pem=pulumi.Output.from_input(selfsigned.chain_pem()),
                key_pem=pulumi.Output.secret(selfsigned.key_pem),
                hostnames=[host],
                environment="dev",
            ),
        )
        if service == "aci":
            SecureAciService(
                "svc",
                SecureAciServiceArgs(
                    resource_group_name="rg",
                    certificate=cert,
                    hostname=host,
                    dns_name_label="contoso-scoring",
                    environment="production",
                ),
            )
        else:
            aks.SecureAksCluster(
                "ml",
                aks.SecureAksClusterArgs(
                    cluster_id="/subscriptions/0000/resourceGroups/rg-aks/providers/"
                    "Microsoft.ContainerService/managedClusters/aks-prod",
                    workspace_name="ws-prod",
                    workspace_resource_group_name="rg-ml",
                    location="westeurope",
                    certificate=cert,
                    hostname=host,
                    environment="production",
                ),
            )

    with pytest.raises(Exception) as info:  # noqa: PT011 - the SDK wraps what apply raised
        run_with_mocks(program)
    assert "environment 'production' is production but the certificate is self-signed" in str(info.value)
    assert "PRIVATE KEY" not in str(info.value)


# --------------------------------------------------------------------------------------------- chain trust
def test_production_chain_to_an_undeclared_private_ca_is_refused_with_both_ways_to_declare(
    pki, tmp_path, real_trust_store
):
    chain = pki.leaf.write_chain(tmp_path / "fullchain.pem")
    exc = registers_nothing(
        lambda: CertificateBundle.from_files(
            "tls", chain, pki.leaf.key_path, hostnames=["scoring.example.test"], environment="production"
        )
    )
    assert isinstance(exc, ConfigurationError) and not isinstance(exc, CertificateBundleError)
    assert isinstance(exc, PolicyRefusal) and exc.rule == "no-self-signed-in-production"
    text = str(exc)
    assert "does not verify to a public root or a declared CA" in text and "[issuer-unknown]" in text
    assert "ca_bundle_pem" in text and "ca_bundle_file" in text and "trustedCaCertificates" in text


@pytest.mark.parametrize("how", ["args", "file"])
def test_declared_ca_makes_a_production_chain_declared_ca(pki, tmp_path, real_trust_store, how):
    chain = pki.leaf.write_chain(tmp_path / "fullchain.pem")
    if how == "file":
        factory = lambda: CertificateBundle.from_files(  # noqa: E731
            "tls",
            chain,
            pki.leaf.key_path,
            hostnames=["scoring.example.test"],
            environment="production",
            ca_bundle_file=pki.ca_bundle_path,
        )
    else:
        factory = lambda: CertificateBundle(  # noqa: E731
            "tls",
            CertificateBundleArgs(
                cert_pem=pki.leaf.chain_pem(),
                key_pem=pki.leaf.key_pem,
                hostnames=["scoring.example.test"],
                environment="production",
                ca_bundle_pem=pki.root.cert_pem,
            ),
        )
    run = build(factory=factory)
    assert run.component.inputs["chainTrust"] == "declared-ca" == run.bundle.known_chain_trust
    assert output_value(run.bundle.chain_trust) == "declared-ca"
    assert run.component.outputs["chain_trust"] == "declared-ca"


def test_dev_chain_to_an_undeclared_ca_is_a_warning_and_unknown(pki, real_trust_store):
    run = build(
        args=CertificateBundleArgs(
            cert_pem=pki.leaf.chain_pem(), key_pem=pki.leaf.key_pem, hostnames=["scoring.example.test"]
        )
    )
    assert run.component.inputs["chainTrust"] == "unknown"
    warnings = [m for level, m in run.recording.logs if level == "warning"]
    assert any("[issuer-unknown]" in w for w in warnings), warnings


def test_a_declared_ca_that_did_not_issue_the_chain_is_an_error_everywhere(pki, bad, real_trust_store):
    other = bad["self_signed"]  # not a CA: refused as an anchor
    exc = registers_nothing(
        lambda: CertificateBundle(
            "tls",
            CertificateBundleArgs(
                cert_pem=pki.leaf.chain_pem(), key_pem=pki.leaf.key_pem, ca_bundle_pem=other.cert_pem
            ),
        )
    )
    assert isinstance(exc, ConfigurationError)
    assert str(exc).startswith("CertificateBundle('tls').ca_bundle_pem:") and "not a CA certificate" in str(
        exc
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "is empty"), ("no pem here", "is not PEM"), (42, "must be PEM text")],
)
def test_bad_ca_bundle_pem_is_a_configuration_error(pki, value, expected):
    exc = registers_nothing(
        lambda: CertificateBundle(
            "tls",
            CertificateBundleArgs(
                cert_pem=pki.leaf.chain_pem(), key_pem=pki.leaf.key_pem, ca_bundle_pem=value
            ),
        )
    )
    assert isinstance(exc, ConfigurationError) and expected in str(exc)


def test_ca_bundle_file_missing_names_the_file(pki, tmp_path):
    exc = registers_nothing(
        lambda: CertificateBundle.from_files(
            "tls",
            pki.leaf.write_chain(tmp_path / "c.pem"),
            pki.leaf.key_path,
            ca_bundle_file=tmp_path / "nope.pem",
        )
    )
    assert str(exc).startswith("CertificateBundle('tls').ca_bundle_file:") and "does not exist" in str(exc)


def test_ca_bundle_pem_belongs_to_source_pem(pki):
    exc = registers_nothing(
        lambda: CertificateBundle(
            "tls",
            CertificateBundleArgs(
                source="dev_ca", hostnames=["a.example.test"], ca_bundle_pem=pki.root.cert_pem
            ),
        )
    )
    assert "ca_bundle_pem" in str(exc) and "not used with source 'dev_ca'" in str(exc)


def test_a_self_signed_certificate_stays_refused_in_production_even_when_declared(bad):
    cert = bad["self_signed"]
    exc = registers_nothing(
        lambda: CertificateBundle(
            "tls",
            CertificateBundleArgs(
                cert_pem=cert.cert_pem,
                key_pem=cert.key_pem,
                environment="production",
                ca_bundle_pem=cert.cert_pem,
            ),
        )
    )
    assert isinstance(exc, ConfigurationError)


def test_chain_trust_of_a_pem_output_arrives_with_the_value(pki):
    run = build(
        args=CertificateBundleArgs(
            cert_pem=Output.from_input(pki.leaf.chain_pem()),
            key_pem=pki.leaf.key_pem,
            hostnames=["scoring.example.test"],
            ca_bundle_pem=pki.root.cert_pem,
        )
    )
    assert run.bundle.known_chain_trust is None
    assert output_value(run.bundle.chain_trust) == "declared-ca"
