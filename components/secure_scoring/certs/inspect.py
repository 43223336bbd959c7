"""Certificate bundle inspection: :func:`inspect_bundle` and its :class:`Report`.

Pure logic (imports ``cryptography`` only, never Pulumi), shared by ``secure-scoring cert check``
and the ``CertificateBundle`` component. :func:`inspect_bundle` never raises: every problem with the
input, however garbled, comes back as a :class:`~secure_scoring.certs.findings.Finding` with a stable
code (``FINDING_CODES``, listed in :mod:`secure_scoring.certs.findings`), a message that says which
certificate and what was found, and a fix hint.

The steps, each in its module: read the certificate input (:mod:`.cert_input`, on :mod:`.blocks`) and
the key input (:mod:`.keys`); pick the leaf; check the key against it (:mod:`.keys`), the dates (here),
the hostnames (:mod:`.hostnames`), the chain (:mod:`.chain`), key and signature strength (:mod:`.keys`)
and what the leaf is for (here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509

from .cert_input import CertRecord, read_certificates
from .chain import check_chain
from .facts import CertificateFacts, days_left, name_text, utc
from .findings import ERROR, PRODUCTION_ENVIRONMENTS, WARNING, Finding, Findings, short_error
from .hostnames import check_hostnames
from .keys import check_key_match, check_strength, choose_key, public_der, read_keys
from .trust import TrustAnchors
from .trust_check import check_trust, path_indexes, path_of

__all__ = ["CertificateInfo", "Report", "inspect_bundle", "pick_leaf"]


@dataclass(frozen=True)
class CertificateInfo:
    """A summary of one certificate of the bundle."""

    subject: str
    issuer: str
    hostnames: tuple[str, ...]  # subjectAltName DNS names and IP addresses, in certificate order
    not_before: datetime  # timezone-aware UTC
    not_after: datetime  # timezone-aware UTC
    fingerprint_sha256: str  # lowercase hex, no colons
    self_signed: bool
    is_ca: bool
    key_description: str  # "EC P-256", "RSA 2048", ...

    @classmethod
    def of(cls, facts: CertificateFacts) -> CertificateInfo:
        return cls(
            subject=facts.subject,
            issuer=facts.issuer,
            hostnames=facts.san_names,
            not_before=facts.not_before,
            not_after=facts.not_after,
            fingerprint_sha256=facts.fingerprint_sha256,
            self_signed=facts.self_signed,
            is_ca=facts.is_ca,
            key_description=facts.key_description,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "hostnames": list(self.hostnames),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "fingerprint_sha256": self.fingerprint_sha256,
            "self_signed": self.self_signed,
            "is_ca": self.is_ca,
            "key": self.key_description,
        }


@dataclass
class Report:
    """What :func:`inspect_bundle` found. ``chain`` is in file order; ``leaf`` is the server certificate."""

    findings: list[Finding] = field(default_factory=list)
    chain: list[CertificateInfo] = field(default_factory=list)
    leaf_index: int = 0
    key_checked: bool = False  # a readable private key was checked against a readable leaf
    checked_at: datetime | None = None
    key_given: bool = False  # a key input was given (its format findings are reported either way)
    trust: str | None = (
        None  # how the chain is trusted: "public-store" | "declared-ca" | "unknown" (certs.path)
    )
    trusted_chain: list[str] = field(default_factory=list)  # subjects of the verified path, leaf ... anchor

    @property
    def leaf(self) -> CertificateInfo | None:
        if not self.chain:
            return None
        return self.chain[self.leaf_index if 0 <= self.leaf_index < len(self.chain) else 0]

    @property
    def ok(self) -> bool:
        """True when there is no error finding (warnings allowed)."""
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def days_left(self) -> int | None:
        """Whole days from ``checked_at`` until the leaf expires (negative when expired)."""
        leaf = self.leaf
        if leaf is None or self.checked_at is None:
            return None
        return days_left(leaf.not_after, self.checked_at)

    def to_dict(self) -> dict[str, Any]:
        leaf = self.leaf
        certificate: dict[str, Any] | None = None
        if leaf is not None:
            certificate = leaf.to_dict()
            certificate["days_left"] = self.days_left()
            certificate["chain_length"] = len(self.chain)
        return {
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "certificate": certificate,
            "chain": [c.to_dict() for c in self.chain],
            "key_given": self.key_given,
            "key_checked": self.key_checked,
        }


def _hostname_list(hostname: str | Sequence[str] | None) -> list[str]:
    if hostname is None:
        return []
    if isinstance(hostname, str):
        items: list[Any] = [hostname]
    else:
        try:
            items = list(hostname)
        except TypeError:
            return []
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip() and item.strip() not in out:
            out.append(item.strip())
    return out


def pick_leaf(certs: list[CertRecord], key: Any | None) -> int:
    """The server certificate: the non-CA certificate of ``key``, else the first non-CA one (as
    :func:`secure_scoring.certs.facts.read_certificate_facts` picks the leaf), else the CA of ``key``, else #1."""
    key_der = public_der(key.public_key()) if key is not None else None
    non_ca = [c for c in certs if not c.is_ca]
    if key_der is not None:
        for c in non_ca:
            if c.public_der == key_der:
                return c.index
    if non_ca:
        return non_ca[0].index
    if key_der is not None:
        for c in certs:
            if c.public_der == key_der:
                return c.index
    return 0


def check_validity(
    findings: Findings,
    certs: list[CertRecord],
    leaf_index: int,
    now: datetime,
    min_days: int,
    on_path: set[int] | None = None,
) -> None:
    """``cert-expired``, ``cert-not-yet-valid`` and ``cert-expiring-soon``, for every certificate.

    Validity is inclusive to the second (RFC 5280: valid until notAfter's second ends). With ``on_path``
    (the indexes of the verified path), a certificate the path does not use is only a warning."""
    second = now.replace(microsecond=0)
    for c in certs:
        label = c.label(leaf_index)
        severity = ERROR if on_path is None or c.index in on_path else WARNING
        if c.not_after < second:
            findings.add(
                "cert-expired",
                f"{label} expired on {_fmt_date(c.not_after)} ({_expired_for(c.not_after, now)})",
                "Renew the certificate with your CA (same hostnames, new validity) and deploy the new chain"
                if c.index == leaf_index
                else "Get the current certificate of this CA from your CA and rebuild the chain file",
                severity,
            )
        elif c.not_before > second:
            findings.add(
                "cert-not-yet-valid",
                f"{label} is not valid before {_fmt_date(c.not_before)} "
                f"({_starts_in(c.not_before, now)}; checked at {_fmt_date(now)})",
                "Deploy it once it is valid, check the clock of the machine that issued it, or have it "
                "re-issued with a start date in the past",
                severity,
            )
        elif c.not_after - now < timedelta(days=min_days):
            days = days_left(c.not_after, now)
            findings.add(
                "cert-expiring-soon",
                f"{label} expires on {_fmt_date(c.not_after)}, in {days} day{'s' if days != 1 else ''} "
                f"(the minimum is {min_days} days)",
                "Renew it now and deploy the new chain; Azure ML does not renew custom certificates",
                WARNING,
            )


def check_leaf_usage(findings: Findings, leaf: CertRecord, leaf_index: int, environment: str) -> None:
    """``self-signed``, ``ca-as-leaf`` and ``not-server-auth``: what the server certificate is for."""
    label = leaf.label(leaf_index)
    if leaf.self_signed:
        production = environment in PRODUCTION_ENVIRONMENTS
        findings.add(
            "self-signed",
            f"{label} is self-signed"
            + (
                f" and the environment is '{environment}': clients cannot verify it"
                if production
                else f" (acceptable in '{environment}', refused in production)"
            ),
            "In production use a certificate from a public or corporate CA (or the Microsoft-managed "
            "certificate on AKS); self-signed certificates are for development only",
            ERROR if production else WARNING,
        )
    if leaf.is_ca:
        # `openssl req -x509` makes CA:TRUE by default: a self-signed server certificate that clients
        # trust directly (curl/OpenSSL and Python, strict mode included, accept it; Firefox and rustls
        # refuse a CA certificate as the end entity). Self-signed is refused in production anyway.
        dev_self_signed = leaf.self_signed and environment not in PRODUCTION_ENVIRONMENTS
        findings.add(
            "ca-as-leaf",
            f"{label} is a CA certificate (basicConstraints CA:TRUE) used as the server certificate; "
            + (
                "OpenSSL-based clients that trust it (curl, Python) accept it, Firefox and rustls refuse it "
                f"(acceptable in '{environment}', refused in production)"
                if dev_self_signed
                else "browsers reject it"
            ),
            "Have the server certificate issued with basicConstraints=critical,CA:FALSE (for a self-signed "
            "one: openssl req -x509 ... -addext basicConstraints=critical,CA:FALSE)",
            WARNING if dev_self_signed else ERROR,
        )
    if leaf.eku_error:
        findings.add(
            "not-server-auth",
            f"{label}: the extendedKeyUsage extension cannot be read ({leaf.eku_error})",
            "Have the certificate re-issued with extendedKeyUsage=serverAuth",
        )
    elif leaf.eku is not None:
        server_auth = x509.oid.ExtendedKeyUsageOID.SERVER_AUTH
        any_usage = x509.oid.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
        if server_auth not in leaf.eku and any_usage not in leaf.eku:
            names = ", ".join(getattr(oid, "_name", None) or oid.dotted_string for oid in leaf.eku) or "none"
            findings.add(
                "not-server-auth",
                f"{label} has extendedKeyUsage without serverAuth ({names}); TLS clients reject it for a server",
                "Have the certificate re-issued with extendedKeyUsage=serverAuth",
            )


def _fmt_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _expired_for(not_after: datetime, now: datetime) -> str:
    """'days left: -4', the figure JSON ``days_left`` and the summary show (see :func:`days_left`)."""
    return f"days left: {days_left(not_after, now)}"


def _starts_in(not_before: datetime, now: datetime) -> str:
    """'starts in 4 days 23 hours': days by :func:`days_left`, then the whole hours that remain."""
    days = days_left(not_before, now)
    hours = int((not_before - now - timedelta(days=days)).total_seconds() // 3600)
    return f"starts in {days} day{'s' if days != 1 else ''} {hours} hour{'s' if hours != 1 else ''}"


def inspect_bundle(
    cert: bytes | str | None,
    key: bytes | str | None,
    *,
    hostname: str | Sequence[str] | None = None,
    environment: str = "dev",
    min_days: int = 30,
    now: datetime | None = None,
    cert_name: str = "the certificate file",
    key_name: str = "the key file",
    anchors: TrustAnchors | None = None,
) -> Report:
    """Inspect a certificate chain (PEM, leaf first) and its private key. Never raises.

    ``key=None`` skips the key checks (``Report.key_checked`` is False); a key input without a private
    key gives ``no-key``. ``key_checked`` is also False when no certificate could be read (the key's
    own format is still checked; ``key_given`` says a key was supplied). ``hostname``: one name or several, each must be covered by the leaf's SAN.
    ``environment`` in ``PRODUCTION_ENVIRONMENTS`` makes ``self-signed`` an error. ``min_days``: the
    ``cert-expiring-soon`` horizon. ``now`` defaults to the current time (naive means UTC).
    ``cert_name``/``key_name`` name the inputs in messages and fix commands (file names in the CLI).
    ``anchors``: the trust anchors the chain must lead to (:mod:`.trust`: ``TrustAnchors.system()``,
    ``TrustAnchors.from_files(...)``); the path is then verified as of ``now`` as clients verify it
    (:mod:`.path`: ``issuer-unknown`` etc.). None: no path check (the file's own chain only).
    """
    try:
        when = utc(now) if isinstance(now, datetime) else datetime.now(UTC)
    except Exception:  # noqa: BLE001
        when = datetime.now(UTC)
    try:
        days = int(min_days)
    except (TypeError, ValueError, OverflowError):
        days = 30
    env = ((environment if isinstance(environment, str) else "dev") or "dev").strip().lower()
    hostnames = _hostname_list(hostname)
    cert_name, key_name = str(cert_name), str(key_name)
    findings = Findings()
    report = Report(checked_at=when, key_given=key is not None)
    try:
        certs = read_certificates(findings, cert_name, cert)
        keys = read_keys(findings, key_name, key) if key is not None else []
        report.chain = [CertificateInfo.of(c.facts) for c in certs]
        # without a readable certificate there is no leaf to check the key against, and without a readable
        # private key (encrypted, a public key, not PEM) nothing to check: claim nothing
        report.key_checked = bool(keys) and bool(certs)
        if certs:
            private_key = choose_key(keys, certs)
            leaf_index = pick_leaf(certs, private_key)
            report.leaf_index = leaf_index
            leaf = certs[leaf_index]
            if private_key is not None:
                check_key_match(findings, certs, leaf, private_key)
            trusted = None
            if anchors is not None:
                trusted = path_of(
                    certs, leaf_index, anchors=anchors, hostnames=hostnames, at=when, environment=env
                )
                report.trust = trusted.trust
                report.trusted_chain = [name_text(c.subject) for c in trusted.chain]
            check_validity(findings, certs, leaf_index, when, days, path_indexes(certs, trusted))
            check_hostnames(findings, hostnames, leaf, leaf_index)
            check_chain(findings, certs, leaf_index, trusted)
            check_strength(findings, certs, leaf_index)
            check_leaf_usage(findings, leaf, leaf_index, env)
            if trusted is not None:
                check_trust(findings, trusted)
    except Exception as exc:  # noqa: BLE001 - safety net: the inspector never raises
        findings.add(
            "cert-not-pem",
            f"{cert_name} could not be inspected: {short_error(exc)}",
            "Check that the certificate is a PEM chain (leaf first) as your CA delivered it",
        )
    report.findings = findings.items
    return report
