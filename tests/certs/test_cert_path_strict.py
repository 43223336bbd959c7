"""The path check's findings beyond cryptography's verifier, where a real client refuses the chain:
OpenSSL's strict mode (X509_V_FLAG_X509_STRICT, on in Python 3.13's ssl.create_default_context) for key
identifiers, OpenSSL for a root whose authorityKeyIdentifier is not its own. Errors in production, warnings elsewhere; the
policy pack's chain_trust (verified or not) does not change."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from secure_scoring.certs.path import verify_path
from secure_scoring.certs.pem import inspect_bundle
from secure_scoring.certs.trust import SOURCE_CA_BUNDLE, SOURCE_SYSTEM, TrustAnchors
from support.chains import NOW, Issued, make_ca, make_leaf, pem_of

HOST = "api.example.com"


def anchors_of(*cas: Issued, source: str = SOURCE_CA_BUNDLE) -> TrustAnchors:
    return TrustAnchors([c.cert for c in cas], source, "roots.pem")


def inspect(chain: bytes, anchors: TrustAnchors, environment: str = "production"):
    return inspect_bundle(chain, None, hostname=[HOST], environment=environment, now=NOW, anchors=anchors)


def codes(report, severity: str = "error") -> list[str]:
    return [f.code for f in report.findings if f.severity == severity]


def reissue(
    cert: Issued,
    signer: Issued | None,
    *,
    drop: tuple[type, ...] = (),
    add: tuple[x509.ExtensionType, ...] = (),
) -> Issued:
    """``cert`` signed again by ``signer`` (None: its own key) without the extensions of classes ``drop``
    and with ``add`` (non-critical)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(cert.cert.subject)
        .issuer_name(signer.cert.subject if signer else cert.cert.subject)
        .public_key(cert.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(cert.cert.not_valid_before_utc)
        .not_valid_after(cert.cert.not_valid_after_utc)
    )
    for ext in cert.cert.extensions:
        if not isinstance(ext.value, drop):
            builder = builder.add_extension(ext.value, ext.critical)
    for value in add:
        builder = builder.add_extension(value, critical=False)
    return Issued(builder.sign((signer or cert).key, hashes.SHA256()), cert.key)


@pytest.fixture(scope="module")
def root() -> Issued:
    return make_ca("Strict Root")


def test_a_normal_chain_has_no_strict_finding(root) -> None:
    inter = make_ca("Strict Inter", root)
    report = inspect(pem_of(make_leaf(inter, [HOST]), inter), anchors_of(root))
    assert report.ok and report.findings == []


# ------------------------------------------------------------------------------------------- aki-missing
def test_aki_missing_on_an_intermediate(root) -> None:
    inter = reissue(make_ca("Strict No AKI", root), root, drop=(x509.AuthorityKeyIdentifier,))
    chain = pem_of(make_leaf(inter, [HOST]), inter)
    assert codes(inspect(chain, anchors_of(root))) == ["aki-missing"]
    dev = inspect(chain, anchors_of(root), environment="dev")
    assert dev.ok and codes(dev, "warning") == ["aki-missing"]
    assert "CN=Strict No AKI" in dev.findings[0].message


def test_a_root_needs_no_aki(root) -> None:
    report = inspect(make_leaf(root, [HOST]).pem, anchors_of(root))
    assert report.ok and report.findings == []


# ------------------------------------------------------------------------------------------- ski-missing
def test_ski_missing(root) -> None:
    inter = reissue(make_ca("Strict No SKI", root), root, drop=(x509.SubjectKeyIdentifier,))
    chain = pem_of(make_leaf(inter, [HOST]), inter)
    assert codes(inspect(chain, anchors_of(root))) == ["ski-missing"]
    dev = inspect(chain, anchors_of(root), environment="staging")
    assert dev.ok and codes(dev, "warning") == ["ski-missing"]


def test_ski_missing_on_a_declared_root_only() -> None:
    bare = reissue(make_ca("Strict Bare Root"), None, drop=(x509.SubjectKeyIdentifier,))
    leaf = make_leaf(bare, [HOST])
    assert codes(inspect(leaf.pem, anchors_of(bare))) == ["ski-missing"]
    # a public root of the OS store without subjectKeyIdentifier (one exists): not judged
    public = inspect(leaf.pem, anchors_of(bare, source=SOURCE_SYSTEM))
    assert public.ok and "ski-missing" not in public.codes


# ------------------------------------------------------------------------------------------- anchor-aki-fields
def test_anchor_aki_not_its_own_ski() -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    odd = reissue(
        make_ca("Strict Odd Root"),
        None,
        add=(x509.AuthorityKeyIdentifier.from_issuer_public_key(other),),
    )
    leaf = make_leaf(odd, [HOST])
    assert codes(inspect(leaf.pem, anchors_of(odd))) == ["anchor-aki-fields"]
    assert codes(inspect(leaf.pem, anchors_of(odd), environment="dev"), "warning") == ["anchor-aki-fields"]
    plain = make_ca("Strict Own Root")
    own = reissue(
        plain, None, add=(x509.AuthorityKeyIdentifier.from_issuer_public_key(plain.key.public_key()),)
    )
    assert inspect(make_leaf(own, [HOST]).pem, anchors_of(own)).findings == []


# ------------------------------------------------------------------------------------------- not-server-auth
def test_any_eku_without_server_auth(root) -> None:
    any_only = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE])
    leaf = reissue(make_leaf(root, [HOST]), root, drop=(x509.ExtendedKeyUsage,), add=(any_only,))
    assert codes(inspect(leaf.pem, anchors_of(root))) == ["not-server-auth"]
    # cryptography's verifier itself refuses it (rustls and Firefox do not recognise anyExtendedKeyUsage)
    assert codes(inspect(leaf.pem, anchors_of(root), environment="dev")) == ["not-server-auth"]
    both = x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE]
    )
    leaf = reissue(make_leaf(root, [HOST]), root, drop=(x509.ExtendedKeyUsage,), add=(both,))
    assert inspect(leaf.pem, anchors_of(root)).findings == []


# ------------------------------------------------------------------------------------------- the pack
def test_outside_production_the_path_still_verifies(root) -> None:
    """chain_trust (the policy pack) calls verify_path with production=False and reads `verified`."""
    inter = reissue(
        make_ca("Strict Pack", root), root, drop=(x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier)
    )
    leaf = make_leaf(inter, [HOST])
    result = verify_path(leaf.cert, [inter.cert], anchors=anchors_of(root), at=NOW, production=False)
    assert result.verified and result.ok
    assert {f.code: f.severity for f in result.findings} == {
        "aki-missing": "warning",
        "ski-missing": "warning",
    }
    strict = verify_path(leaf.cert, [inter.cert], anchors=anchors_of(root), at=NOW, production=True)
    assert strict.verified and not strict.ok
