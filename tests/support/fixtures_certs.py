"""Certificate fixtures (session scope: openssl runs once per test session).

``cert_factory``: a ``CertFactory`` in a session temp directory, for tests that need their own
certificates. ``pki``: a ready-made PKI (root CA, intermediate, server leaves) shared by all tests.

``test_roots_declared`` (autouse): a ``CertificateBundle`` that declares no CA (no ``ca_bundle_pem``)
gets the session's test roots as its declared CAs, as a test estate declares its enterprise root, so
production bundles made from the test PKI are ``declared-ca`` without each test passing
``ca_bundle_pem``; the pack's raw certificates (``secure-scoring:trustedCaCertificates``) likewise. A test that judges the real default (the system trust store) requests
``real_trust_store``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from support.certs import Cert, CertFactory

__all__ = ["PKI", "cert_factory", "pki", "real_trust_store", "test_roots_declared"]


@dataclass(frozen=True)
class PKI:
    """A root CA, an intermediate CA and two server leaves issued by the intermediate.

    ``leaf``: ``scoring.example.test``, ``localhost`` and IP ``127.0.0.1`` (EC P-256, serverAuth, 90 days).
    ``wildcard``: ``*.example.test``. ``ca_bundle_path``: the root certificate alone (PEM), what a
    client trusts. Write a leaf's full chain with ``leaf.write_chain(path)``.
    """

    root: Cert
    inter: Cert
    leaf: Cert
    wildcard: Cert
    ca_bundle_path: Path
    directory: Path


@pytest.fixture
def real_trust_store() -> None:
    """Requested by a test: bundles without ``ca_bundle_pem`` use the system trust store."""


@pytest.fixture(autouse=True)
def test_roots_declared(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "real_trust_store" in request.fixturenames:
        return
    from secure_scoring.components import certificate_bundle
    from secure_scoring.policy import certificates
    from support.certs import declared_test_roots

    monkeypatch.setattr(certificate_bundle, "default_anchors", declared_test_roots)
    monkeypatch.setattr(certificates, "default_anchors", declared_test_roots)


@pytest.fixture(scope="session")
def cert_factory(tmp_path_factory: pytest.TempPathFactory) -> CertFactory:
    from support.requirements import require_binary

    openssl = require_binary("openssl")
    return CertFactory(tmp_path_factory.mktemp("certs"), openssl=openssl)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    from support.requirements import require_binary

    openssl = require_binary("openssl")
    directory = tmp_path_factory.mktemp("pki")
    f = CertFactory(directory, openssl=openssl)
    root = f.ca("Test Root CA")
    inter = f.intermediate(root, "Test Intermediate CA")
    leaf = f.leaf(inter, ["scoring.example.test", "localhost", "127.0.0.1"])
    wildcard = f.leaf(inter, ["*.example.test"])
    bundle = directory / "ca-bundle.pem"
    bundle.write_text(root.cert_pem)
    return PKI(
        root=root, inter=inter, leaf=leaf, wildcard=wildcard, ca_bundle_path=bundle, directory=directory
    )
