"""Certificates made by the real ``openssl`` binary, for tests.

Everything a user could hand to ``cert check`` or ``CertificateBundle``: CAs, intermediates, server
leaves with SAN/EKU/basicConstraints, expired and not-yet-valid certificates (``openssl ca`` with
``-startdate/-enddate``), CN-only certificates, SHA-1 signatures, weak keys, encrypted keys (PKCS#8
and legacy ``Proc-Type: 4,ENCRYPTED``), PKCS#1 / PKCS#8 / SEC1 key encodings, DER and PKCS#12 files.

    f = CertFactory(tmp_dir)
    root = f.ca("Test Root CA")
    inter = f.intermediate(root, "Test Intermediate CA")
    leaf = f.leaf(inter, ["scoring.example.test"])
    leaf.chain_pem()          # leaf + intermediates (no root), what Azure ML wants
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["Cert", "CertFactory", "OpenSSLError"]

_CA_CONFIG = """\
[ca]
default_ca = CA_default

[CA_default]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
rand_serial = yes
policy = policy_any
unique_subject = no
default_md = sha256
copy_extensions = none
email_in_dn = no

[policy_any]
commonName = optional
organizationName = optional
"""


class OpenSSLError(RuntimeError):
    """An ``openssl`` invocation failed (the command and its stderr are in the message)."""


@dataclass
class Cert:
    """One certificate and its private key on disk.

    ``issuer`` is the issuing ``Cert`` (``None`` for a self-signed certificate).
    """

    name: str
    cert_path: Path
    key_path: Path
    issuer: Cert | None = None
    hostnames: tuple[str, ...] = ()
    is_ca: bool = False
    key_type: str = "ec"
    extra: dict[str, Path] = field(default_factory=dict)

    @property
    def cert_pem(self) -> str:
        return self.cert_path.read_text()

    @property
    def key_pem(self) -> str:
        return self.key_path.read_text()

    @property
    def self_signed(self) -> bool:
        return self.issuer is None

    def ancestors(self) -> list[Cert]:
        """Issuers from the direct one up to the root."""
        out: list[Cert] = []
        cur = self.issuer
        while cur is not None:
            out.append(cur)
            cur = cur.issuer
        return out

    def chain_pem(self) -> str:
        """This certificate followed by its intermediates, without the self-signed root.

        That is the full chain Azure ML and nginx want in the certificate file.
        """
        parts = [self.cert_pem]
        parts += [c.cert_pem for c in self.ancestors() if c.issuer is not None]
        return "".join(parts)

    def full_chain_pem(self) -> str:
        """This certificate, its intermediates and the root."""
        return "".join([self.cert_pem] + [c.cert_pem for c in self.ancestors()])

    def write_chain(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.chain_pem())
        return path


ROOTS: list[Path] = []  # every root CA the factories of this test session made


def declared_test_roots():
    """The roots the test session made, as declared trust anchors (``cert check --ca-bundle``): the
    inspector's tests judge their chains as a user who declared the test CA would."""
    from secure_scoring.certs.trust import TrustAnchors

    return TrustAnchors.from_files([str(p) for p in ROOTS if p.exists()])


def trust_test_roots(monkeypatch, directory: Path) -> Path:
    """Make the test roots the machine's trust store for this test (``SSL_CERT_FILE``, which the system
    store of ``cert check`` and ``verify`` reads first)."""
    store = Path(directory) / "test-roots.pem"
    store.write_text("".join(p.read_text() for p in ROOTS if p.exists()))
    monkeypatch.setenv("SSL_CERT_FILE", str(store))
    return store


class CertFactory:
    """Makes keys and certificates with the ``openssl`` binary under ``directory``."""

    def __init__(self, directory: str | Path, openssl: str | None = None) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.openssl = openssl or shutil.which("openssl") or "/usr/bin/openssl"
        self._counter = itertools.count(1)

    # ------------------------------------------------------------------ plumbing
    def run(self, *args: str | Path, input: bytes | None = None) -> bytes:
        cmd = [self.openssl, *map(str, args)]
        proc = subprocess.run(cmd, input=input, capture_output=True, check=False, timeout=120)
        if proc.returncode != 0:
            raise OpenSSLError(
                f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}"
            )
        return proc.stdout

    def _slug(self, name: str) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "cert"
        return f"{next(self._counter):03d}-{slug[:40]}"

    def new_key(self, key: str = "ec", path: str | Path | None = None) -> Path:
        """A PKCS#8 PEM private key. ``key``: ``ec`` (P-256), ``ec:P-384``, ``ec:secp256k1``,
        ``rsa`` (2048), ``rsa:1024``, ``rsa:4096``, ``ed25519``."""
        path = Path(path) if path else self.dir / f"{self._slug('key-' + key)}.key"
        kind, _, param = key.lower().partition(":")
        if kind == "ec":
            curve = {"": "P-256", "p-256": "P-256", "p-384": "P-384", "p-521": "P-521"}.get(param, param)
            self.run("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-out", path)
        elif kind == "rsa":
            bits = param or "2048"
            self.run("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}", "-out", path)
        elif kind in ("ed25519", "ed448"):
            self.run("genpkey", "-algorithm", kind.upper(), "-out", path)
        else:
            raise ValueError(f"unknown key type {key!r}")
        return path

    @staticmethod
    def _asn1_time(when: datetime) -> str:
        return when.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")

    def _sign(
        self,
        *,
        name: str,
        subject: str,
        key_path: Path,
        issuer: Cert | None,
        extensions: list[str],
        days: float,
        not_before_days_ago: float,
        digest: str,
        out: Path,
    ) -> None:
        """Issue a certificate for ``key_path`` with ``openssl ca`` (self-signed when ``issuer`` is None)."""
        work = Path(tempfile.mkdtemp(prefix="ca-", dir=self.dir))
        (work / "index.txt").write_text("")
        config = work / "ca.cnf"
        config.write_text(_CA_CONFIG.format(dir=work) + "\n[ext]\n" + "\n".join(extensions) + "\n")
        csr = work / "req.csr"
        self.run("req", "-new", "-key", key_path, "-subj", subject, "-out", csr, "-config", config)
        now = datetime.now(UTC).replace(microsecond=0)
        start = now - timedelta(days=not_before_days_ago)
        end = start + timedelta(days=days)
        args: list[str | Path] = [
            "ca", "-batch", "-notext", "-config", config, "-in", csr, "-out", out,
            "-startdate", self._asn1_time(start), "-enddate", self._asn1_time(end),
            "-extfile", config, "-extensions", "ext", "-subj", subject, "-preserveDN",
        ]  # fmt: skip
        if digest:
            args += ["-md", digest]
        if issuer is None:
            args += ["-selfsign", "-keyfile", key_path]
        else:
            args += ["-cert", issuer.cert_path, "-keyfile", issuer.key_path]
        self.run(*args)
        shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def _subject(cn: str | None) -> str:
        if not cn:
            return "/O=secure-scoring tests"
        return "/CN=" + cn.replace("/", r"\/")

    # ------------------------------------------------------------------ certificates
    def ca(
        self,
        name: str = "Test Root CA",
        *,
        key: str = "ec",
        days: float = 3650,
        not_before_days_ago: float = 1,
        digest: str = "sha256",
    ) -> Cert:
        """A self-signed root CA (basicConstraints CA:TRUE, keyCertSign). Every root is also a trust
        anchor of :func:`declared_test_roots`."""
        root = self._ca_cert(name, None, "CA:TRUE", key, days, not_before_days_ago, digest)
        ROOTS.append(root.cert_path)
        return root

    def intermediate(
        self,
        issuer: Cert,
        name: str = "Test Intermediate CA",
        *,
        key: str = "ec",
        days: float = 1825,
        not_before_days_ago: float = 1,
        digest: str = "sha256",
    ) -> Cert:
        """An intermediate CA signed by ``issuer`` (pathlen 0)."""
        return self._ca_cert(name, issuer, "CA:TRUE, pathlen:0", key, days, not_before_days_ago, digest)

    def _ca_cert(
        self,
        name: str,
        issuer: Cert | None,
        constraints: str,
        key: str,
        days: float,
        not_before_days_ago: float,
        digest: str,
    ) -> Cert:
        slug = self._slug(name)
        key_path = self.new_key(key, self.dir / f"{slug}.key")
        cert_path = self.dir / f"{slug}.pem"
        self._sign(
            name=name,
            subject=self._subject(name),
            key_path=key_path,
            issuer=issuer,
            extensions=[
                f"basicConstraints = critical, {constraints}",
                "keyUsage = critical, keyCertSign, cRLSign",
                "subjectKeyIdentifier = hash",
                "authorityKeyIdentifier = keyid:always",
            ],
            days=days,
            not_before_days_ago=not_before_days_ago,
            digest=digest,
            out=cert_path,
        )
        return Cert(name, cert_path, key_path, issuer, (), True, key)

    def leaf(
        self,
        issuer: Cert | None,
        hostnames: list[str] | tuple[str, ...] | str,
        *,
        key: str = "ec",
        days: float = 90,
        not_before_days_ago: float = 1,
        eku: str | None = "serverAuth",
        ca: bool = False,
        digest: str = "sha256",
        cn: str | None = None,
        san: bool = True,
        key_path: str | Path | None = None,
    ) -> Cert:
        """A server certificate for ``hostnames`` (DNS names and IP addresses go into the SAN).

        ``issuer=None`` makes it self-signed. ``days`` counts from the not-before date, which is
        ``not_before_days_ago`` days before now (negative: in the future), so ``days=1,
        not_before_days_ago=10`` is expired and ``not_before_days_ago=-5`` is not valid yet.
        ``san=False`` leaves only the CN (the first hostname unless ``cn`` is given). ``eku=None``
        omits extendedKeyUsage; otherwise a comma-separated list such as ``"clientAuth"``.
        ``key_path`` reuses an existing key instead of generating one.
        """
        if isinstance(hostnames, str):
            hostnames = [hostnames]
        hostnames = tuple(hostnames)
        common_name = cn if cn is not None else (hostnames[0] if hostnames else "leaf")
        slug = self._slug(common_name or "leaf")
        if key_path is None:
            key_file = self.new_key(key, self.dir / f"{slug}.key")
        else:
            key_file = self.dir / f"{slug}.key"
            shutil.copyfile(key_path, key_file)
        cert_path = self.dir / f"{slug}.pem"
        ext = [
            f"basicConstraints = critical, CA:{'TRUE' if ca else 'FALSE'}",
            "subjectKeyIdentifier = hash",
            "authorityKeyIdentifier = keyid:always",
        ]
        if ca:
            ext.append("keyUsage = critical, keyCertSign, cRLSign, digitalSignature")
        elif key.lower().startswith("rsa"):
            ext.append("keyUsage = critical, digitalSignature, keyEncipherment")
        else:
            ext.append("keyUsage = critical, digitalSignature")
        if eku:
            ext.append(f"extendedKeyUsage = {eku}")
        if san and hostnames:
            ext.append("subjectAltName = " + ", ".join(_san_entry(h) for h in hostnames))
        self._sign(
            name=common_name,
            subject=self._subject(common_name),
            key_path=key_file,
            issuer=issuer,
            extensions=ext,
            days=days,
            not_before_days_ago=not_before_days_ago,
            digest=digest,
            out=cert_path,
        )
        return Cert(common_name, cert_path, key_file, issuer, hostnames, ca, key)

    def self_signed(self, hostnames: list[str] | tuple[str, ...] | str, **kwargs) -> Cert:
        """A self-signed server certificate (CA:FALSE, serverAuth), like ``openssl req -x509`` for a host."""
        return self.leaf(None, hostnames, **kwargs)

    # ------------------------------------------------------------------ other encodings
    def _out(self, cert: Cert, suffix: str) -> Path:
        return cert.cert_path.with_name(cert.cert_path.stem + suffix)

    def der(self, cert: Cert) -> Path:
        """The certificate in DER (binary) form."""
        out = self._out(cert, ".der")
        self.run("x509", "-in", cert.cert_path, "-outform", "DER", "-out", out)
        return out

    def key_der(self, cert: Cert) -> Path:
        """The private key in DER (binary PKCS#8) form."""
        out = self._out(cert, ".key.der")
        self.run("pkey", "-in", cert.key_path, "-outform", "DER", "-out", out)
        return out

    def pkcs12(self, cert: Cert, password: str = "", *, legacy: bool = False) -> Path:
        """A PKCS#12 (.pfx) file with the key, the certificate and its intermediates."""
        out = self._out(cert, ".p12")
        chain = self._out(cert, ".chain-for-p12.pem")
        chain.write_text("".join(c.cert_pem for c in cert.ancestors() if c.issuer is not None))
        args: list[str | Path] = [
            "pkcs12", "-export", "-in", cert.cert_path, "-inkey", cert.key_path, "-out", out,
            "-passout", f"pass:{password}", "-name", cert.name,
        ]  # fmt: skip
        if chain.read_text():
            args += ["-certfile", chain]
        if legacy:
            args.append("-legacy")
        self.run(*args)
        return out

    def key_in_format(self, cert: Cert, fmt: str) -> Path:
        """The key re-encoded: ``pkcs8`` (``BEGIN PRIVATE KEY``), ``pkcs1`` (``BEGIN RSA PRIVATE KEY``),
        ``sec1`` (``BEGIN EC PRIVATE KEY``)."""
        out = self._out(cert, f".{fmt}.key")
        if fmt == "pkcs8":
            self.run("pkey", "-in", cert.key_path, "-out", out)
        elif fmt == "pkcs1":
            self.run("rsa", "-in", cert.key_path, "-traditional", "-out", out)
        elif fmt == "sec1":
            self.run("ec", "-in", cert.key_path, "-out", out)
        else:
            raise ValueError(f"unknown key format {fmt!r}")
        return out

    def encrypted_key(
        self,
        cert: Cert,
        passphrase: str = "correct horse",  # noqa: S107
        *,
        legacy: bool = False,
    ) -> Path:
        """The key protected by a passphrase.

        ``legacy=False``: PKCS#8 ``BEGIN ENCRYPTED PRIVATE KEY`` (AES-256). ``legacy=True``: the old
        OpenSSL format with ``Proc-Type: 4,ENCRYPTED`` / ``DEK-Info`` headers (``openssl rsa|ec
        -aes256 -traditional``).
        """
        out = self._out(cert, ".legacy-enc.key" if legacy else ".enc.key")
        if legacy:
            tool = "rsa" if cert.key_type.lower().startswith("rsa") else "ec"
            extra = ["-traditional"] if tool == "rsa" else []
            self.run(
                tool, "-in", cert.key_path, *extra, "-aes256", "-passout", f"pass:{passphrase}", "-out", out
            )
        else:
            self.run("pkey", "-in", cert.key_path, "-aes256", "-passout", f"pass:{passphrase}", "-out", out)
        return out


def _san_entry(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"DNS:{host}"
    return f"IP:{host}"
