"""The openssl certificate factory makes what it says (checked with openssl itself and cryptography)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from support.certs import CertFactory


def _load(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def test_pki_chain_verifies_with_openssl(pki):
    chain = pki.directory / "factory-chain.pem"
    pki.leaf.write_chain(chain)
    assert chain.read_text().count("BEGIN CERTIFICATE") == 2  # leaf + intermediate, no root
    proc = subprocess.run(
        ["openssl", "verify", "-CAfile", str(pki.ca_bundle_path), "-untrusted", str(pki.inter.cert_path),
         str(pki.leaf.cert_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    leaf = _load(pki.leaf.cert_pem)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["scoring.example.test", "localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    leaf.verify_directly_issued_by(_load(pki.inter.cert_pem))
    _load(pki.inter.cert_pem).verify_directly_issued_by(_load(pki.root.cert_pem))
    wildcard = _load(pki.wildcard.cert_pem)
    assert wildcard.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["*.example.test"]


def test_validity_windows_and_variants(cert_factory: CertFactory, pki):
    f = cert_factory
    now = datetime.now(UTC)
    expired = _load(f.leaf(pki.inter, ["old.example.test"], days=1, not_before_days_ago=10).cert_pem)
    assert expired.not_valid_after_utc < now - timedelta(days=8)
    future = _load(f.leaf(pki.inter, ["new.example.test"], not_before_days_ago=-5).cert_pem)
    assert future.not_valid_before_utc > now + timedelta(days=4)
    sha1 = _load(f.leaf(pki.inter, ["sha1.example.test"], digest="sha1").cert_pem)
    assert sha1.signature_hash_algorithm.name == "sha1"
    cn_only = _load(f.leaf(pki.inter, ["cn.example.test"], san=False).cert_pem)
    assert not [e for e in cn_only.extensions if isinstance(e.value, x509.SubjectAlternativeName)]
    assert cn_only.subject.rfc4514_string() == "CN=cn.example.test"
    weak = f.leaf(pki.inter, ["weak.example.test"], key="rsa:1024", eku="clientAuth", ca=True)
    weak_cert = _load(weak.cert_pem)
    assert isinstance(weak_cert.public_key(), rsa.RSAPublicKey) and weak_cert.public_key().key_size == 1024
    assert weak_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert (
        ExtendedKeyUsageOID.SERVER_AUTH
        not in weak_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    p384 = _load(f.leaf(pki.inter, ["p384.example.test"], key="ec:P-384").cert_pem)
    assert (
        isinstance(p384.public_key(), ec.EllipticCurvePublicKey)
        and p384.public_key().curve.name == "secp384r1"
    )
    selfsigned = f.self_signed("self.example.test")
    assert selfsigned.chain_pem().count("BEGIN CERTIFICATE") == 1
    _load(selfsigned.cert_pem).verify_directly_issued_by(_load(selfsigned.cert_pem))


def test_key_encodings(cert_factory: CertFactory, pki):
    f = cert_factory
    rsa_leaf = f.leaf(pki.inter, ["rsa.example.test"], key="rsa")
    assert f.key_in_format(rsa_leaf, "pkcs1").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert f.key_in_format(pki.leaf, "sec1").read_text().startswith("-----BEGIN EC PRIVATE KEY-----")
    assert f.key_in_format(pki.leaf, "pkcs8").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert f.encrypted_key(pki.leaf).read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    legacy = f.encrypted_key(rsa_leaf, legacy=True).read_text()
    assert legacy.startswith(
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,"
    )
    assert "Proc-Type: 4,ENCRYPTED" in f.encrypted_key(pki.leaf, legacy=True).read_text()
    der = f.der(pki.leaf).read_bytes()
    assert der[0] == 0x30 and x509.load_der_x509_certificate(der) == _load(pki.leaf.cert_pem)
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, extra = pkcs12.load_key_and_certificates(f.pkcs12(pki.leaf).read_bytes(), b"")
    assert cert == _load(pki.leaf.cert_pem) and key is not None and extra == [_load(pki.inter.cert_pem)]
