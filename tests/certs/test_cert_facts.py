"""certs/facts: one reader of certificate facts, one definition of self-signed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from secure_scoring.certs import facts
from secure_scoring.certs.chain import walk
from secure_scoring.certs.facts import (
    CertificateFacts,
    days_left,
    is_self_signed,
    issued_by,
    read_certificate_facts,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    issuer: str,
    public_key,
    signing_key,
    *,
    sans: tuple[str, ...] = (),
    ca: bool = False,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        entries: list[x509.GeneralName] = []
        for s in sans:
            try:
                import ipaddress

                entries.append(x509.IPAddress(ipaddress.ip_address(s)))
            except ValueError:
                entries.append(x509.DNSName(s))
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


@pytest.fixture(scope="module")
def keys():
    return {name: ec.generate_private_key(ec.SECP256R1()) for name in ("ca", "other", "leaf", "self")}


# ------------------------------------------------------------------------------------------ self-signed
def test_a_real_self_signed_certificate_is_self_signed(keys):
    k = keys["self"]
    cert = _cert("dev.example.test", "dev.example.test", k.public_key(), k, sans=("dev.example.test",))
    assert is_self_signed(cert)
    assert read_certificate_facts(cert).self_signed is True


def test_issuer_equal_to_subject_but_signed_by_another_key_is_not_self_signed(keys):
    # the other definition (issuer == subject only) called this self-signed
    cert = _cert("Example CA", "Example CA", keys["self"].public_key(), keys["other"], ca=True)
    assert cert.issuer == cert.subject
    assert not is_self_signed(cert)
    assert read_certificate_facts(cert).self_signed is False


def test_a_leaf_signed_by_a_dev_ca_is_not_self_signed(keys):
    ca = _cert("Dev CA", "Dev CA", keys["ca"].public_key(), keys["ca"], ca=True)
    leaf = _cert(
        "scoring.example.test",
        "Dev CA",
        keys["leaf"].public_key(),
        keys["ca"],
        sans=("scoring.example.test",),
    )
    assert is_self_signed(ca) and not is_self_signed(leaf)
    assert issued_by(leaf, ca) and not issued_by(ca, leaf)
    f = read_certificate_facts(_pem(leaf, ca))
    assert f is not None and f.self_signed is False and f.issuer == "CN=Dev CA" and not f.is_ca


def test_sha1_self_signed_certificates_are_verified_too(cert_factory):
    old = cert_factory.self_signed("sha1.facts.example.test", digest="sha1", key="rsa")
    assert read_certificate_facts(old.cert_pem).self_signed is True
    assert read_certificate_facts(old.cert_pem).signature_hash == "sha1"


def test_the_self_signed_fact_agrees_with_the_inspector(pki, cert_factory):
    from secure_scoring.certs import inspect_bundle

    dev = cert_factory.self_signed("dev.facts.example.test")
    for pem, expected in ((dev.cert_pem, True), (pki.leaf.chain_pem(), False)):
        report = inspect_bundle(pem, None)
        assert report.leaf.self_signed is expected
        assert read_certificate_facts(pem).self_signed is expected


# ------------------------------------------------------------------------------------------ reading
def test_facts_of_a_pem_chain_are_the_leafs(keys):
    ca = _cert("Dev CA", "Dev CA", keys["ca"].public_key(), keys["ca"], ca=True)
    leaf = _cert(
        "scoring.example.test",
        "Dev CA",
        keys["leaf"].public_key(),
        keys["ca"],
        sans=("Scoring.Example.TEST", "xn--bcher-kva.example", "2001:db8:0::1"),
    )
    f = read_certificate_facts(_pem(ca, leaf))  # CA first: the leaf is still the non-CA one
    assert isinstance(f, CertificateFacts)
    assert f.subject == "CN=scoring.example.test" and f.common_name == "scoring.example.test"
    assert f.san_names == ("Scoring.Example.TEST", "xn--bcher-kva.example", "2001:db8::1")
    assert f.hostnames == ("scoring.example.test", "xn--bcher-kva.example", "2001:db8::1")
    assert f.has_san and f.san_error is None
    assert f.not_after == NOW + timedelta(days=90) and f.not_after.tzinfo is not None
    assert f.not_after_iso == "2030-04-01T00:00:00Z"
    assert f.days_left(NOW) == 90 == days_left(f.not_after, NOW)
    assert f.fingerprint_sha256 == leaf.fingerprint(hashes.SHA256()).hex()
    assert (f.key_type, f.key_size, f.key_description) == ("EC", 256, "EC P-256")
    assert f.extended_key_usage == (ExtendedKeyUsageOID.SERVER_AUTH,)
    assert f.covers("bücher.example") and f.covers("[2001:db8::1]") and not f.covers("other.example.test")


def test_every_source_form_reads_the_same(keys):
    cert = _cert("a.example.test", "Dev CA", keys["leaf"].public_key(), keys["ca"], sans=("a.example.test",))
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = _pem(cert)
    assert read_certificate_facts(cert) == read_certificate_facts(pem) == read_certificate_facts(pem.encode())
    assert read_certificate_facts(der) == read_certificate_facts(cert)


@pytest.mark.parametrize(
    "junk", [None, "", "not a certificate", b"\x30\x03\x02\x01\x01", 42, "-----BEGIN CERTIFICATE-----\nAAA\n"]
)
def test_unreadable_input_is_none(junk):
    assert read_certificate_facts(junk) is None


def test_rsa_key_facts():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _cert("rsa.example.test", "rsa.example.test", key.public_key(), key, sans=("rsa.example.test",))
    f = read_certificate_facts(cert)
    assert (f.key_type, f.key_size, f.key_description) == ("RSA", 2048, "RSA 2048")
    assert facts.describe_key(key) == "RSA 2048"  # a private key too


def test_days_left_is_the_floor():
    end = NOW + timedelta(days=3)
    assert days_left(end, NOW) == 3
    assert days_left(end, end + timedelta(seconds=1)) == -1


# ------------------------------------------------------------------------------------------ chain walk
def test_walk_follows_signatures_not_names(keys):
    ca = _cert("Dev CA", "Dev CA", keys["ca"].public_key(), keys["ca"], ca=True)
    impostor = _cert("Dev CA", "Dev CA", keys["other"].public_key(), keys["other"], ca=True)
    leaf = _cert("x.example.test", "Dev CA", keys["leaf"].public_key(), keys["ca"], sans=("x.example.test",))
    assert walk([leaf, ca]).path == (0, 1) and walk([leaf, ca]).complete
    stuck = walk([leaf, impostor])
    assert stuck.path == (0,) and not stuck.complete and stuck.impostor == 1
    assert walk([leaf, impostor, ca]).path == (0, 2)
