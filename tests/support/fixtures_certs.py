"""Certificate fixtures (session scope: openssl runs once per test session).

``cert_factory``: a ``CertFactory`` in a session temp directory, for tests that need their own
certificates. ``pki``: a ready-made PKI (root CA, intermediate, server leaves) shared by all tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from support.certs import Cert, CertFactory

__all__ = ["PKI", "cert_factory", "pki"]


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
