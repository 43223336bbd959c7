"""Trust anchors and the validation instant: what a chain is verified *against*, and *when*.

Pure (standard library and ``cryptography``, never Pulumi). ``cryptography`` is imported when anchors
are loaded, not when this module is, so ``secure-scoring --help`` does not pay for it.

API::

    TrustAnchors.from_files(["roots.pem"])      # cert check --ca-bundle FILE (repeatable)
    TrustAnchors.from_pem(pem_text, "ca_bundle_pem")   # CertificateBundleArgs(ca_bundle_pem=...)
    TrustAnchors.system()                        # no --ca-bundle: the OS store (as verify uses)
    anchors.store_for(certificates) -> Store | None    # the anchors that can issue one of them
    system_store_path() -> str | None
    parse_at("2026-05-01T12:00:00Z") -> datetime (aware, UTC)

Bad input is an :class:`InvalidTrustInput` (a ``ValueError``) with ``problem``, ``fix`` and ``code``,
like :class:`secure_scoring.names.InvalidHostname`; a caller chooses only the error type it raises::

    try:
        anchors = TrustAnchors.from_files(paths)
    except InvalidTrustInput as e:
        raise UsageError("--ca-bundle", e.problem, e.fix) from None

The system store is the one OpenSSL, and so Python's ``ssl`` and ``secure-scoring verify``, use:
``SSL_CERT_FILE``, then OpenSSL's default CA file (``/etc/ssl/certs/ca-certificates.crt`` on Debian);
``certifi`` only when neither exists. Reading all of it costs about 2 ms (150 roots), so there is no
cache.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509.verification import Store

__all__ = [
    "SOURCE_CA_BUNDLE",
    "SOURCE_SYSTEM",
    "InvalidTrustInput",
    "TrustAnchors",
    "parse_at",
    "system_store_path",
]

SOURCE_CA_BUNDLE = (
    "ca-bundle"  # anchors the user declared (--ca-bundle, ca_bundle_pem, trustedCaCertificates)
)
SOURCE_SYSTEM = "system"  # the OS (public) trust store

MAX_BUNDLE_BYTES = 10 * 1024 * 1024  # the Debian store is 220 KiB; refuse to slurp a wrong 4 GB file
_AT_EXAMPLE = "e.g. 2026-05-01T12:00:00Z or 2026-05-01T14:00:00+02:00"
_CA_FIX = (
    "pass the root certificate (PEM) of the CA that issued the chain, e.g. mkcert's "
    "\"$(mkcert -CAROOT)/rootCA.pem\", trustme's CA file or your private CA's ca.crt"
)


class InvalidTrustInput(ValueError):
    """A trust-anchor input or a validation instant the project cannot use.

    ``problem`` says what is wrong (it names the input), ``fix`` what to do instead: short sentences
    without a final period. ``code``: ``bundle-unreadable``, ``bundle-empty``, ``bundle-not-pem``,
    ``bundle-no-certificate``, ``anchor-not-ca``, ``time-invalid``.
    """

    def __init__(self, problem: str, fix: str, code: str) -> None:
        self.problem = problem
        self.fix = fix
        self.code = code
        super().__init__(f"{problem}. Fix: {fix}")


# ------------------------------------------------------------------------------------------- time
_AT_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # date
    r"(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?"  # time, seconds and fraction optional
    r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"  # zone: Z or an offset; none means UTC
)


def parse_at(text: str) -> datetime:
    """The validation instant of ``--at``: ISO 8601 (``2026-05-01T12:00:00Z``, ``...+02:00``,
    fractional seconds, a date alone = its midnight). No zone means UTC. Returns an aware UTC datetime.
    Raises :class:`InvalidTrustInput` (code ``time-invalid``)."""
    raw = text.strip() if isinstance(text, str) else ""
    when = None
    if _AT_RE.fullmatch(raw):
        s = raw.replace(",", ".")
        s = s[:-1] + "+00:00" if s[-1] in "Zz" else s
        if re.search(r"[+-]\d{2}$", s):  # "+02": hours only
            s += ":00"
        try:
            when = datetime.fromisoformat(s)
        except ValueError:
            when = None  # 2026-02-30, 25:00 ...
    if when is None:
        raise InvalidTrustInput(
            f"{text!r} is not an ISO 8601 date-time", f"use {_AT_EXAMPLE}", "time-invalid"
        )
    try:
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is after year 9999 in UTC
        raise InvalidTrustInput(
            f"{text!r} is outside the years 0001-9999 once converted to UTC",
            f"use {_AT_EXAMPLE}",
            "time-invalid",
        ) from None


# ------------------------------------------------------------------------------------------- stores
def system_store_path() -> str | None:
    """The OS trust store file: ``SSL_CERT_FILE``, then OpenSSL's default CA file, then certifi's
    bundle if certifi is importable; None when there is none."""
    import ssl  # here: cert check's start-up does not pay for it when --ca-bundle is given

    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get(paths.openssl_cafile_env), paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate):
            return candidate
    try:
        import certifi  # optional: only when the OS has no store
    except ImportError:
        return None
    path = certifi.where()
    return path if os.path.isfile(path) else None


def _load_pem(data: bytes, name: str) -> list[x509.Certificate]:
    from cryptography import x509

    if not data.strip():
        raise InvalidTrustInput(f"{name} is empty", _CA_FIX, "bundle-empty")
    if b"-----BEGIN" not in data:
        binary = b"\x00" in data[:512] or data[:1] == b"\x30"
        raise InvalidTrustInput(
            f"{name} is not PEM ({'binary data, DER?' if binary else 'text without PEM markers'})",
            f"convert a DER certificate with: openssl x509 -inform DER -in {name} -out ca.pem; or {_CA_FIX}",
            "bundle-not-pem",
        )
    if b"-----BEGIN CERTIFICATE-----" not in data and b"-----BEGIN X509 CERTIFICATE-----" not in data:
        raise InvalidTrustInput(
            f"{name} holds no certificate (its PEM blocks are of another kind, e.g. a key)",
            _CA_FIX,
            "bundle-no-certificate",
        )
    try:
        with warnings.catch_warnings():  # e.g. a store root with a non-positive serial number
            warnings.simplefilter("ignore")
            return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        reason = str(exc).split(". See https://")[0]
        raise InvalidTrustInput(
            f"{name} holds a certificate that cannot be read ({reason})",
            f"check that every block of {name} is a complete PEM certificate as the CA delivered it",
            "bundle-not-pem",
        ) from None


def _refuse_leaf_anchors(certs: Sequence[x509.Certificate], name: str) -> None:
    """A certificate with basicConstraints CA:FALSE cannot anchor anything: it was given by mistake
    (usually the server certificate or the chain file instead of the CA's root)."""
    from cryptography import x509

    for number, cert in enumerate(certs, 1):
        if _is_ca(cert, x509) is False:
            subject = cert.subject.rfc4514_string() or "(empty name)"
            raise InvalidTrustInput(
                f"certificate #{number} of {name} ({subject}) is not a CA certificate (basicConstraints "
                "CA:FALSE, or a keyUsage without keyCertSign), so it cannot be a trust anchor",
                f"{_CA_FIX}; not the server certificate or its chain file",
                "anchor-not-ca",
            )


def _is_ca(cert: x509.Certificate, x509: Any) -> bool | None:
    """False for a certificate that says it is not a CA: basicConstraints CA:FALSE, or no
    basicConstraints and a keyUsage without keyCertSign (mkcert's leaves); None when it does not say
    (a v1 root, malformed extensions: the verifier judges it when it issues)."""
    try:
        extensions = cert.extensions
        constraints = extensions.get_extension_for_class(x509.BasicConstraints).value
        return bool(constraints.ca)
    except x509.ExtensionNotFound:
        pass
    except Exception:  # noqa: BLE001 - malformed: the verifier judges it
        return None
    try:
        return False if not extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign else None
    except Exception:  # noqa: BLE001 - no keyUsage either (or a malformed one)
        return None


def _read_file(path: str) -> bytes:
    try:
        if os.path.isdir(path):
            raise InvalidTrustInput(f"'{path}' is a directory", _CA_FIX, "bundle-unreadable")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BUNDLE_BYTES + 1)
    except InvalidTrustInput:
        raise
    except FileNotFoundError:
        raise InvalidTrustInput(f"file '{path}' does not exist", _CA_FIX, "bundle-unreadable") from None
    except PermissionError:
        raise InvalidTrustInput(
            f"file '{path}' cannot be read (permission denied)", "check its permissions", "bundle-unreadable"
        ) from None
    except OSError as exc:
        raise InvalidTrustInput(
            f"file '{path}' cannot be read ({exc.__class__.__name__}: {exc})", _CA_FIX, "bundle-unreadable"
        ) from None
    if len(data) > MAX_BUNDLE_BYTES:
        raise InvalidTrustInput(
            f"'{path}' is larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB, far too large for CA certificates",
            _CA_FIX,
            "bundle-unreadable",
        )
    return data


@dataclass
class TrustAnchors:
    """The certificates a chain may end at, looked up by subject.

    ``source`` is :data:`SOURCE_CA_BUNDLE` (declared by the user) or :data:`SOURCE_SYSTEM`;
    ``origin`` names them in messages (file names, or the system store's path).
    """

    certificates: list[x509.Certificate]
    source: str
    origin: str
    _by_subject: dict[Any, list[x509.Certificate]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for cert in self.certificates:
            self._by_subject.setdefault(cert.subject, []).append(cert)

    @classmethod
    def from_pem(cls, data: bytes | str, name: str = "the CA bundle") -> TrustAnchors:
        """Declared anchors from PEM text (roots or intermediates). Raises :class:`InvalidTrustInput`."""
        raw = data.encode() if isinstance(data, str) else bytes(data)
        certs = _load_pem(raw, name)
        _refuse_leaf_anchors(certs, name)
        return cls(certs, SOURCE_CA_BUNDLE, name)

    @classmethod
    def from_files(cls, paths: Sequence[str]) -> TrustAnchors:
        """Declared anchors from PEM files (each must hold at least one CA certificate)."""
        certs: list[x509.Certificate] = []
        for path in paths:
            loaded = _load_pem(_read_file(path), f"'{path}'")
            _refuse_leaf_anchors(loaded, f"'{path}'")
            certs.extend(loaded)
        return cls(certs, SOURCE_CA_BUNDLE, ", ".join(paths))

    @classmethod
    def system(cls) -> TrustAnchors:
        """The OS trust store (see :func:`system_store_path`); empty when there is none or it cannot
        be read (the path check then reports ``trust-store-unavailable``)."""
        path = system_store_path()
        if path is None:
            return cls([], SOURCE_SYSTEM, "no system trust store")
        try:
            certs = _load_pem(_read_file(path), path)
        except InvalidTrustInput:
            certs = []
        return cls(certs, SOURCE_SYSTEM, path)

    @property
    def declared(self) -> bool:
        return self.source == SOURCE_CA_BUNDLE

    def describe(self) -> str:
        """'--ca-bundle roots.pem' / 'the system trust store (/etc/ssl/...)', for messages."""
        if self.declared:
            return f"the CA bundle ({self.origin})"
        return f"the system trust store ({self.origin})"

    def with_subject(self, name: x509.Name) -> list[x509.Certificate]:
        return self._by_subject.get(name, [])

    def contains(self, cert: x509.Certificate) -> bool:
        return any(anchor == cert for anchor in self.with_subject(cert.subject))

    def store_for(self, certificates: Iterable[x509.Certificate]) -> Store | None:
        """A ``Store`` of the anchors whose subject is the issuer (or subject) of one of ``certificates``,
        or None when there is none. The verifier looks anchors up by exactly those names, so the verdict
        is the one the whole store gives, at a fraction of the cost."""
        from cryptography.x509.verification import Store

        picked: list[x509.Certificate] = []
        for cert in certificates:
            for name in (cert.issuer, cert.subject):
                picked.extend(a for a in self.with_subject(name) if not any(a is p for p in picked))
        return Store(picked) if picked else None
