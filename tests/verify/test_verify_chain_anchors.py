"""verify's certificate-chain step and the anchors of --ca-bundle, as cert check judges them: a root with
the issuer's name but another key (a regenerated mkcert CAROOT) is named with its fix (OpenSSL only says
the issuer "cannot be found"); an intermediate CA given as the anchor verifies (curl, Python 3.13 and
cert check accept it; Python 3.11's default context did not)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from secure_scoring.verify.run import verify
from support.chains import make_ca, make_leaf, pem_of

HOST = "api.example.test"


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[int, Path, Path, Path]]:
    """A TLS server on 127.0.0.1 serving a leaf issued by an intermediate of 'mkcert root@vm' (leaf and
    intermediate sent); (port, the issuing root's file, the file of another root with the same name,
    the intermediate's file)."""
    now = datetime.now(UTC)
    issuing, regenerated = make_ca("mkcert root@vm"), make_ca("mkcert root@vm")
    inter = make_ca("Private Intermediate", issuing)
    leaf = make_leaf(inter, [HOST], not_before=now - timedelta(days=1), not_after=now + timedelta(days=90))
    (tmp_path / "leaf.pem").write_bytes(pem_of(leaf, inter))
    (tmp_path / "inter.pem").write_bytes(pem_of(inter))
    (tmp_path / "leaf.key").write_bytes(
        leaf.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "root.pem").write_bytes(pem_of(issuing))
    (tmp_path / "other-root.pem").write_bytes(pem_of(regenerated))
    with _serve(tmp_path / "leaf.pem", tmp_path / "leaf.key") as port:
        yield port, tmp_path / "root.pem", tmp_path / "other-root.pem", tmp_path / "inter.pem"


@contextlib.contextmanager
def _serve(cert: Path, key: Path) -> Iterator[int]:
    """A TLS server on 127.0.0.1 (a free port) serving ``cert`` (the chain file) that answers 401 to
    every request; stopped (thread joined, socket closed) on exit."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1024)
                    tls.sendall(
                        b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
            except OSError:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _chain_step(port: int, bundle: Path):
    report = verify(
        f"https://{HOST}:{port}", connect_to="127.0.0.1", ca_bundle=str(bundle), timeout=2, deadline=30
    )
    return next(s for s in report.steps if s.name == "certificate-chain")


def test_the_issuing_root_passes(served) -> None:
    port, root, _, _ = served
    assert _chain_step(port, root).status == "pass"


def test_an_intermediate_as_the_anchor_passes(served) -> None:
    port, _, _, inter = served
    step = _chain_step(port, inter)
    assert step.status == "pass", (step.detail, step.fix)


def test_a_root_with_the_same_name_and_another_key_is_named_with_its_fix(served) -> None:
    port, _, other, _ = served
    step = _chain_step(port, other)
    assert step.status == "fail"
    assert "[signature-invalid]" in step.detail and "another key" in step.detail and str(other) in step.detail
    assert "mkcert -CAROOT" in step.fix and "serve the full chain" not in step.fix


def test_a_self_signed_ca_certificate_trusted_directly_is_a_warning(tmp_path) -> None:
    """Plain `openssl req -x509` makes CA:TRUE; with that very certificate as --ca-bundle, curl/OpenSSL
    and Python accept the server (and cert check warns outside production): a warning, not a failure."""
    cert, key = tmp_path / "self.pem", tmp_path / "self.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "30", "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=DNS:{HOST}"],
        check=True, capture_output=True,
    )  # fmt: skip
    with _serve(cert, key) as port:
        step = _chain_step(port, cert)
    assert step.status == "warn", (step.detail, step.fix)
    assert "[ca-as-leaf]" in step.detail and "trusts directly" in step.detail
    assert "basicConstraints=critical,CA:FALSE" in step.fix


def test_a_leaf_without_authority_key_identifier_is_refused_alike_on_every_python(tmp_path) -> None:
    """Python 3.13's default context turns on OpenSSL's strict mode (3.11/3.12 do not): verify's
    handshake leaves it off on every version, and the chain step names the fault with cert check's code
    and fix, the same on 3.11, 3.12 and 3.13 (3.13 gave OpenSSL's bare "Missing Authority Key
    Identifier" with a generic fix)."""
    now = datetime.now(UTC)
    root = make_ca("No AKI Root")
    leaf = make_leaf(
        root, [HOST], not_before=now - timedelta(days=1), not_after=now + timedelta(days=90), aki=False
    )
    (tmp_path / "leaf.pem").write_bytes(pem_of(leaf))
    (tmp_path / "leaf.key").write_bytes(
        leaf.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "root.pem").write_bytes(pem_of(root))
    with _serve(tmp_path / "leaf.pem", tmp_path / "leaf.key") as port:
        step = _chain_step(port, tmp_path / "root.pem")
    assert step.status == "fail"
    assert step.detail.startswith("[aki-missing]"), (step.detail, step.fix)
    assert "authorityKeyIdentifier" in step.fix
