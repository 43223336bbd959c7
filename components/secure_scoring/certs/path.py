"""Path validation the way TLS clients do it: from the leaf, through the intermediates of the file, to a
trust anchor, with ``cryptography.x509.verification`` (the CA/B Forum web PKI profile of RFC 5280).

Pure (``cryptography`` and the standard library, never Pulumi); ``cryptography`` is imported when a
path is verified. :func:`verify_path` never raises: every problem is a :class:`PathFinding` with a stable
code (``PATH_CODES``: meaning and fix), a severity and a message naming the certificate.

    anchors = TrustAnchors.from_files(["rootCA.pem"])         # or TrustAnchors.system()
    result = verify_path(leaf, intermediates, anchors=anchors, hostnames=["api.example.com"],
                         at=parse_at("2026-05-01T12:00:00Z"), production=True)
    result.verified, result.chain, result.trust, result.findings

Severity: a path that does not verify is an error, except ``issuer-unknown`` (and
``trust-store-unavailable``) against the system store outside production, where the issuer may be a
development CA (mkcert, trustme, a private openssl CA): then a warning whose fix names ``--ca-bundle``.
Against declared anchors (``--ca-bundle``) an unknown issuer is an error everywhere. A leaf whose only fault is
the criticality of its subjectAltName or extendedKeyUsage (trustme's leaves) is verified again with a
relaxed leaf profile: ``extension-criticality``, a warning in dev/staging, an error in production.
Beyond the library, for the web PKI profile: ``cn-not-in-san`` (CA/B BR 7.1.4.3), ``anchor-aki-fields``
(a declared root's authorityKeyIdentifier with issuer/serial or another key's identifier, BR 7.1.2.1.3),
``weak-key`` for an RSA modulus that is not a multiple of 8 bits (BR 6.1.5), and what OpenSSL's strict mode
(Python 3.13's default) refuses: ``aki-missing`` on an intermediate, ``ski-missing`` on a CA certificate
(the anchor only when declared): errors in production, warnings elsewhere.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import names
from .facts import is_self_signed
from .facts import name_text as _name
from .trust import TrustAnchors

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509.verification import Store

__all__ = [
    "PATH_CODES",
    "TRUST_DECLARED",
    "TRUST_PUBLIC",
    "TRUST_UNKNOWN",
    "PathFinding",
    "PathResult",
    "ca_issuers_url",
    "classify",
    "verify_path",
]

ERROR = "error"
WARNING = "warning"

TRUST_PUBLIC = "public-store"  # the path ends at a root of the system (public) trust store
TRUST_DECLARED = (
    "declared-ca"  # ... at a CA the user declared (--ca-bundle, ca_bundle_pem, trustedCaCertificates)
)
TRUST_UNKNOWN = "unknown"  # no path to a trust anchor

_FIX_CA_BUNDLE = (
    "If the issuer is your development or private CA (mkcert, trustme, openssl), pass its root certificate "
    'with --ca-bundle FILE (mkcert: --ca-bundle "$(mkcert -CAROOT)/rootCA.pem"); in production use a '
    "certificate from a public CA, or declare the corporate CA"
)

_FIX_V1 = (
    "Sign the certificate again with its extensions: 'openssl x509 -req' without -extfile makes a version 1 "
    "certificate; add -extfile FILE, FILE holding e.g. 'subjectAltName=DNS:scoring.example.com', "
    "'basicConstraints=critical,CA:FALSE' and 'extendedKeyUsage=serverAuth' (or -copy_extensions copy to keep "
    "the CSR's -addext extensions); for a CA certificate ask your CA for a version 3 one"
)

_FIX_OTHER_KEY = (
    "The declared root has the same name, other key: pass the root certificate of the CA that issued this chain with --ca-bundle (mkcert: the rootCA.pem "
    "of the CAROOT that made the certificate, `mkcert -CAROOT` on that machine; a regenerated CAROOT keeps "
    "the name with a new key: issue the certificate again), or use the intermediate certificates your CA "
    "delivered with this certificate"
)

# code -> (what it means, the generic fix). Messages name the certificate and the verifier's words.
PATH_CODES: dict[str, tuple[str, str]] = {
    "issuer-unknown": (
        "the chain does not lead to a trust anchor: its top certificate's issuer is neither in the file nor "
        "in the trust anchors (the system store, or --ca-bundle)",
        _FIX_CA_BUNDLE + "; if the issuer is an intermediate CA, append its certificate to the chain file",
    ),
    "trust-store-unavailable": (
        "no system trust store could be read, so no chain can be verified against it",
        "Pass the CA's root with --ca-bundle FILE, or install the OS CA certificates (Debian: ca-certificates)",
    ),
    "path-not-found": (
        "trust anchors with the issuer's name exist, but no path from the leaf to one of them verifies",
        "Use the intermediate certificates your CA delivered with this certificate, and check that the "
        "anchor is the CA's current root (same name, other key?)",
    ),
    "name-constraints-violated": (
        "a name of the leaf is outside a CA's permitted subtrees, or inside its excluded subtrees",
        "Use a hostname the CA may certify, or have the certificate issued by a CA without that constraint",
    ),
    "name-constraints-unsupported": (
        "a CA's nameConstraints cannot be evaluated (malformed, or directoryName/URI/otherName subtrees)",
        "Use a CA whose name constraints are well-formed DNS/IP subtrees (ask your CA)",
    ),
    "ca-bit-missing": (
        "a certificate used as an issuer has no basicConstraints CA:TRUE",
        "Use the CA's real intermediate certificate (basicConstraints=critical,CA:TRUE); a leaf cannot issue",
    ),
    "ca-key-usage": (
        "an issuing certificate's keyUsage lacks keyCertSign",
        "Use an intermediate with keyUsage=critical,keyCertSign,cRLSign (ask your CA)",
    ),
    "path-length-exceeded": (
        "a CA's pathLenConstraint is exceeded by the intermediates below it",
        "Serve the chain your CA intends: fewer intermediates below the constrained CA",
    ),
    "path-too-long": (
        "no path within the maximum depth (8 intermediates), or the intermediates form a cycle",
        "Remove cross-signed or looping intermediates: serve the leaf, then each intermediate once",
    ),
    "path-search-exhausted": (
        "path building gave up (signature or name-constraint budget): a pathological chain",
        "Serve only the chain's own certificates (the leaf, then its intermediates); a leaf with thousands "
        "of names under a CA with thousands of name constraints exceeds every client's budget: split the names",
    ),
    "unknown-critical-extension": (
        "a certificate has a critical extension clients do not understand, so they refuse it",
        "Have the certificate re-issued without that extension marked critical",
    ),
    "extension-invalid": (
        "an extension is missing, duplicated, malformed, or not allowed in that certificate",
        "Have the certificate re-issued with a standard profile (CA/B Forum Baseline Requirements)",
    ),
    "extension-criticality": (
        "the leaf marks subjectAltName or extendedKeyUsage critical where the web PKI profile forbids it "
        "(trustme's leaves do); browsers accept it, strict clients (rustls, Python's cryptography) do not",
        "Have the certificate re-issued with a non-critical subjectAltName (when the subject is not empty) "
        "and a non-critical extendedKeyUsage",
    ),
    "aki-missing": (
        "a certificate of the path below the trust anchor has no authorityKeyIdentifier: the leaf (web PKI "
        "profile) or an intermediate (RFC 5280 4.2.1.1; OpenSSL's strict mode, Python 3.13's default, "
        "refuses it)",
        "Have the certificate re-issued with authorityKeyIdentifier (openssl: -addext "
        "authorityKeyIdentifier=keyid,issuer); for an intermediate: ask your CA for its current one",
    ),
    "ski-missing": (
        "a CA certificate of the path (an intermediate, or a declared root) has no subjectKeyIdentifier "
        "(RFC 5280 4.2.1.2): OpenSSL's strict mode, Python 3.13's default, refuses the chain",
        "Use a CA certificate with subjectKeyIdentifier (openssl: -addext subjectKeyIdentifier=hash); "
        "for an intermediate or a public CA's root: ask your CA for its current one",
    ),
    "anchor-aki-fields": (
        "a declared root's authorityKeyIdentifier carries authorityCertIssuer/authorityCertSerialNumber, "
        "names a key other than the root's own subjectKeyIdentifier (OpenSSL then does not take it for a "
        "self-signed root), or cannot be read",
        "Use a root whose authorityKeyIdentifier holds its own keyIdentifier only (or none)",
    ),
    "cn-not-in-san": (
        "the leaf's subject CN is not a copy of one of its subjectAltName entries (CA/B BR 7.1.4.3)",
        "Have the certificate re-issued with a CN equal to one of its subjectAltName names, or without a CN",
    ),
    "signature-invalid": (
        "a certificate's signature does not verify with its issuer's key",
        "Use the intermediate certificate your CA delivered with this certificate (same name, other key?)",
    ),
    "cert-malformed": (
        "a certificate violates the X.509 profile (v1/v2, serial number, empty issuer, time encoding)",
        "Have the certificate re-issued by a standard CA tool",
    ),
    # codes the inspector already had; the path check reports them when the library finds what the
    # inspector's own checks did not
    "hostname-mismatch": (
        "a hostname is not covered by the leaf",
        "Re-issue the certificate with the hostname",
    ),
    "no-san": ("the leaf has no subjectAltName", "Re-issue the certificate with subjectAltName"),
    "not-server-auth": (
        "extendedKeyUsage of the leaf or of a CA excludes serverAuth",
        "Have the certificate re-issued (or use an intermediate) with extendedKeyUsage serverAuth",
    ),
    "ca-as-leaf": (
        "the leaf is a CA certificate",
        "Have the server certificate issued with basicConstraints=critical,CA:FALSE",
    ),
    "weak-key": (
        "a key clients refuse (RSA below 2048 bits or not a multiple of 8, P-192, DSA...)",
        "Use RSA 2048+ or EC P-256/P-384 keys (for a CA's key: ask your CA)",
    ),
    "weak-signature": (
        "a signature algorithm clients refuse (SHA-1, MD5, unusual RSA-PSS parameters, P-521 with SHA-256)",
        "Have the certificate re-issued with SHA-256 or stronger",
    ),
    "cert-expired": (
        "a certificate of the path is not valid at the validation instant",
        "Renew the certificate",
    ),
    "cert-not-yet-valid": (
        "a certificate of the path is not valid yet at the validation instant",
        "Deploy it once it is valid, or have it re-issued with a start date in the past",
    ),
}

# verifier message (lower-case substring) -> code. The first match wins: the order matters.
_MESSAGE_CODES: tuple[tuple[str, str], ...] = (
    ("exceeded maximum", "path-search-exhausted"),
    ("no permitted name constraints matched", "name-constraints-violated"),
    ("excluded name constraint matched", "name-constraints-violated"),
    ("name constraint", "name-constraints-unsupported"),
    ("nameconstraints must have", "name-constraints-unsupported"),
    ("basicconstraints.ca must be asserted", "ca-bit-missing"),
    ("ca certificate has no basicconstraints", "ca-bit-missing"),
    ("basicconstraints.ca must not be asserted", "ca-as-leaf"),
    ("keyusage.keycertsign must be asserted", "ca-key-usage"),
    ("ee keyusage must not assert keycertsign", "ca-as-leaf"),
    ("path length constraint violated", "path-length-exceeded"),
    ("exceeds max depth", "path-too-long"),
    ("depth calculation overflowed", "path-too-long"),
    ("unaccounted-for critical extensions", "unknown-critical-extension"),
    ("2.5.29.35: certificate is missing required extension", "aki-missing"),
    ("leaf server certificate has no subjectaltname", "no-san"),
    ("leaf certificate has no matching subjectaltname", "hostname-mismatch"),
    ("ee subjectaltname must", "extension-criticality"),
    ("2.5.29.37: certificate extension has incorrect criticality", "extension-criticality"),
    ("required eku not found", "not-server-auth"),
    ("neither eku nor anyeku", "not-server-auth"),
    ("invalid extension", "extension-invalid"),
    ("rsa key is too weak", "weak-key"),
    ("forbidden public key algorithm", "weak-key"),
    ("issuer has malformed public key", "weak-key"),
    ("forbidden signature algorithm", "weak-signature"),
    ("signature does not match", "signature-invalid"),
    ("not valid at validation time", "cert-expired"),
    ("x509v3", "cert-malformed"),
    ("serial", "cert-malformed"),
    ("non-empty issuer", "cert-malformed"),
    ("utctime", "cert-malformed"),
    ("mismatch between signaturealgorithm", "cert-malformed"),
    ("asn.1", "cert-malformed"),
    ("no interior errors", "path-not-found"),
)


@functools.cache
def _encountered_re() -> re.Pattern[str]:
    return re.compile(r"\s*\(encountered processing <Certificate\(subject=<Name\((.*?)\)>, \.\.\.\)>\)\s*$")


def classify(message: str) -> tuple[str, str, str | None]:
    """A verifier message -> (code, the reason in the verifier's words, the subject of the certificate
    it names or None). Unknown messages are ``path-not-found``."""
    text = message.removeprefix("validation failed: ")
    subject = None
    match = _encountered_re().search(text)
    if match:
        subject, text = match.group(1), text[: match.start()]
    text = text.replace("all candidates exhausted: ", "").replace("candidates exhausted: ", "").strip()
    low = text.lower()
    for needle, code in _MESSAGE_CODES:
        if needle in low:
            return code, text, subject
    return "path-not-found", text, subject


# ------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class PathFinding:
    code: str
    severity: str  # "error" | "warning"
    message: str
    fix: str


@dataclass(frozen=True)
class PathResult:
    """``verified``: a path from the leaf to a trust anchor verified (``chain``: leaf ... anchor, as the
    verifier built it). ``trust``: :data:`TRUST_PUBLIC`, :data:`TRUST_DECLARED` or :data:`TRUST_UNKNOWN`.
    ``provisional``: the path verified only up to the file's own (untrusted) root, outside production."""

    verified: bool
    chain: tuple[Any, ...] = ()
    trust: str = TRUST_UNKNOWN
    findings: tuple[PathFinding, ...] = ()
    detail: str | None = None  # the verifier's raw message, when the path failed
    provisional: bool = False

    def anchor_in(self, certificates: Sequence[Any]) -> bool:
        """The anchor the path ends at is one of ``certificates`` (the root served in the file: allowed,
        clients ignore it)."""
        return len(self.chain) > 1 and any(c == self.chain[-1] for c in certificates)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[PathFinding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


class _Run:
    """One verification of one leaf and its intermediates at one instant; collects findings."""

    def __init__(self, leaf: Any, intermediates: Sequence[Any], at: datetime, production: bool) -> None:
        self.leaf = leaf
        self.intermediates = list(intermediates)
        self.at = at
        self.production = production
        self.findings: list[PathFinding] = []

    def add(self, code: str, severity: str, message: str, fix: str | None = None) -> None:
        if any(f.code == code and f.message == message for f in self.findings):
            return
        self.findings.append(PathFinding(code, severity, message, fix or PATH_CODES[code][1]))

    def soft(self) -> str:
        return ERROR if self.production else WARNING

    def verify(
        self, store: Store, subject: Any, *, relaxed: bool = False
    ) -> tuple[list[Any] | None, str | None]:
        from cryptography.x509.verification import PolicyBuilder, VerificationError

        builder = PolicyBuilder().store(store).time(self.at)
        try:
            if relaxed:
                builder = builder.extension_policies(ca_policy=_ca_policy(), ee_policy=_relaxed_ee_policy())
            verifier = builder.build_server_verifier(subject)
        except ValueError as exc:  # an invalid peer name
            return None, f"validation failed: leaf certificate has no matching subjectAltName ({exc})"
        try:
            return verifier.verify(self.leaf, self.intermediates), None
        except VerificationError as exc:
            return None, str(exc)
        except Exception as exc:  # noqa: BLE001 - never raise: an odd certificate is malformed
            return None, f"validation failed: ASN.1 or internal error: {exc}"

    def failure(self, error: str, *, severity: str = ERROR) -> str:
        """Record the finding of a verifier message; returns its code."""
        code, reason, subject = classify(error)
        if code == "cert-expired":
            code = self.validity_code(subject)
        if subject is None and code == "ca-bit-missing":
            subject = ", ".join(_name(c.subject) for c in self.intermediates if not _is_ca(c)) or None
        where = f" (certificate {subject})" if subject is not None else ""
        fix = None
        if "x509v3" in reason.lower():
            reason += ": it is a version 1 certificate, without extensions"
            fix = _FIX_V1
        self.add(code, severity, f"the path does not verify: {reason}{where}", fix)
        return code

    def validity_code(self, subject: str | None) -> str:
        for cert in (self.leaf, *self.intermediates):
            if (subject is None or _name(cert.subject) == subject) and cert.not_valid_before_utc > self.at:
                return "cert-not-yet-valid"
        return "cert-expired"


def _is_ca(cert: Any) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except Exception:  # noqa: BLE001 - absent or malformed
        return False


def _ca_policy() -> Any:
    from cryptography.x509.verification import ExtensionPolicy

    return ExtensionPolicy.webpki_defaults_ca()


def _eku_has_server_auth(policy: Any, cert: Any, eku: Any) -> None:
    from cryptography.x509.oid import ExtendedKeyUsageOID

    if eku is not None and not {
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    } & set(eku):
        raise ValueError("required EKU not found")


def _relaxed_ee_policy() -> Any:
    """The web PKI leaf profile without its criticality rules for subjectAltName and extendedKeyUsage
    (host-name matching and the serverAuth requirement stay)."""
    from cryptography import x509
    from cryptography.x509.verification import Criticality, ExtensionPolicy

    return (
        ExtensionPolicy.webpki_defaults_ee()
        .require_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _eku_has_server_auth)
    )


# ------------------------------------------------------------------------------------------- subjects
WILDCARD_PROBE_LABEL = "secure-scoring-wildcard-probe"
"""The label that stands for ``*`` when a wildcard host name (``*.example.com``) is verified."""


def _subject(host: str | names.Host) -> Any:
    """The verifier's peer name: the project's parser decides DNS name or IP; a text it refuses is
    handed over as a DNS name as it is (the verifier then decides: never a false pass)."""
    from cryptography import x509

    text = str(host).strip()
    if text.startswith("*.") and not isinstance(host, names.DnsName | names.IpAddress):
        # a wildcard to cover (a bundle for *.example.com): the verifier takes peer names only; a name that
        # only that wildcard covers stands for it (a certificate for a.example.com does not cover it)
        host = WILDCARD_PROBE_LABEL + text[1:]
    try:
        parsed = host if isinstance(host, names.DnsName | names.IpAddress) else names.parse_host(str(host))
    except names.InvalidHostname:
        return x509.DNSName(str(host).strip().rstrip(".").lower())
    if isinstance(parsed, names.IpAddress):
        return x509.IPAddress(parsed.address)
    return x509.DNSName(parsed.ascii)


def _neutral_subjects(leaf: Any) -> list[Any]:
    """Without a hostname to check, names the leaf itself claims (the name check is then neutral; the
    inspector's no-san and hostname findings speak about names)."""
    from cryptography import x509

    out: list[Any] = []
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except Exception:  # noqa: BLE001 - no SAN: the verifier says so with any name
        return [x509.DNSName("invalid.example")]
    for entry in san:
        if isinstance(entry, x509.IPAddress) and not isinstance(
            entry.value, ipaddress.IPv4Network | ipaddress.IPv6Network
        ):
            out.append(entry)
        elif isinstance(entry, x509.DNSName):
            value = entry.value
            out.append(x509.DNSName("x" + value[1:] if value.startswith("*.") else value))
    return out or [x509.DNSName("invalid.example")]


# ------------------------------------------------------------------------------------------- the check
def verify_path(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    *,
    anchors: TrustAnchors,
    hostnames: Sequence[str | names.Host] = (),
    at: datetime,
    production: bool,
) -> PathResult:
    """Verify the path from ``leaf`` through ``intermediates`` (the rest of the file, any order) to
    ``anchors``, for each of ``hostnames`` (none: the leaf's own names), at ``at`` (aware). Never raises."""
    run = _Run(leaf, intermediates, at, production)
    try:
        result = _verify(run, anchors, list(hostnames))
    except Exception as exc:  # noqa: BLE001 - the safety net: never raise
        run.add("cert-malformed", ERROR, f"the path cannot be verified: {str(exc).splitlines()[0][:200]}")
        return PathResult(False, findings=tuple(run.findings))
    extra_findings(run, result, anchors)
    return PathResult(
        result.verified,
        result.chain,
        result.trust,
        tuple(run.findings),
        result.detail,
        result.provisional,
    )


def _verify(run: _Run, anchors: TrustAnchors, hostnames: list[Any]) -> PathResult:
    leaf = run.leaf
    subjects = [_subject(h) for h in hostnames]
    store = anchors.store_for([leaf, *run.intermediates])
    if store is None:
        return _issuer_unknown(run, anchors, subjects)
    trust = TRUST_DECLARED if anchors.declared else TRUST_PUBLIC
    chain, error = _first_path(run, store, subjects)
    if chain is None:
        assert error is not None
        code = classify(error)[0]
        top = _top_of_file(leaf, run.intermediates)
        if code == "path-not-found":
            run.add(
                "path-not-found",
                ERROR,
                f"{anchors.describe()} holds a CA named {_name(top.issuer)}, but it did not issue "
                f"{_name(top.subject)} (another key with the same name?)",
            )
            return PathResult(False, detail=error)
        if code == "signature-invalid" and anchors.declared and not _issued_by_anchor(top, anchors):
            run.add(
                "signature-invalid",
                ERROR,
                f"the signature of {_name(top.subject)} does not verify with the key of {_name(top.issuer)} "
                f"in {anchors.describe()}: that root has the issuer's name but another key",
                _FIX_OTHER_KEY,
            )
            return PathResult(False, detail=error)
        if code == "extension-criticality":
            return _relaxed(run, store, subjects, trust, error)
        run.failure(error)
        return PathResult(False, detail=error)
    _other_hostnames(run, store, subjects, chain)
    return PathResult(True, tuple(chain), trust)


def _issued_by_anchor(cert: Any, anchors: TrustAnchors) -> bool:
    """One of the anchors named as ``cert``'s issuer signed it (False: the anchor of that name has another
    key, e.g. a regenerated mkcert CAROOT, so the signature to blame is the anchor's, not the file's)."""
    for anchor in anchors.with_subject(cert.issuer):
        try:
            cert.verify_directly_issued_by(anchor)
            return True
        except Exception:  # noqa: BLE001, S112 - another key, or an algorithm it cannot check
            continue
    return False


def _first_path(
    run: _Run, store: Store, subjects: list[Any], relaxed: bool = False
) -> tuple[list[Any] | None, str | None]:
    """The path for the first hostname, or (no hostnames) for the first of the leaf's own names that the
    name check accepts."""
    if subjects:
        return run.verify(store, subjects[0], relaxed=relaxed)
    chain, error = None, None
    for subject in _neutral_subjects(run.leaf):
        chain, error = run.verify(store, subject, relaxed=relaxed)
        if chain is not None or classify(error or "")[0] != "hostname-mismatch":
            break
    return chain, error


def _other_hostnames(
    run: _Run, store: Store, subjects: list[Any], chain: list[Any], relaxed: bool = False
) -> None:
    for subject in subjects[1:]:
        _, error = run.verify(store, subject, relaxed=relaxed)
        if error is not None:
            run.failure(error)


def _relaxed(run: _Run, store: Store, subjects: list[Any], trust: str, strict_error: str) -> PathResult:
    """The strict profile refused the leaf's extension criticality: verify again without that rule."""
    _, reason, subject = classify(strict_error)
    try:
        chain, error = _first_path(run, store, subjects, relaxed=True)
    except ImportError:  # cryptography < 45 has no extension policies
        chain, error = None, strict_error
    where = f" (certificate {subject})" if subject is not None else ""
    run.add(
        "extension-criticality",
        run.soft(),
        f"{reason}{where}: web PKI clients such as rustls and Python's cryptography refuse it"
        + ("" if run.production else " (acceptable outside production, refused in production)"),
    )
    if chain is None:
        run.failure(error or strict_error)
        return PathResult(False, detail=error or strict_error)
    _other_hostnames(run, store, subjects, chain, relaxed=True)
    return PathResult(True, tuple(chain), trust)


def _top_of_file(leaf: Any, intermediates: Sequence[Any]) -> Any:
    """Follow issuer names (no signatures) from the leaf through the file's certificates."""
    current, used = leaf, set()
    while current.issuer != current.subject:
        found = next(
            (i for i, c in enumerate(intermediates) if i not in used and c.subject == current.issuer), None
        )
        if found is None:
            break
        used.add(found)
        current = intermediates[found]
    return current


def ca_issuers_url(cert: Any) -> str | None:
    """The URL of the issuer's certificate the certificate names (AIA caIssuers), as public CAs do."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except Exception:  # noqa: BLE001
        return None
    for desc in aia:
        if desc.access_method == AuthorityInformationAccessOID.CA_ISSUERS and isinstance(
            desc.access_location, x509.UniformResourceIdentifier
        ):
            return desc.access_location.value
    return None


def _issuer_unknown(run: _Run, anchors: TrustAnchors, subjects: list[Any]) -> PathResult:
    """No anchor carries the issuer name of any certificate of the file."""
    from cryptography.x509.verification import Store

    leaf = run.leaf
    top = _top_of_file(leaf, run.intermediates)
    root = top if is_self_signed(top) else None
    if root is leaf:
        return PathResult(False)  # a self-signed leaf: the inspector's self-signed finding says it
    if not anchors.certificates:
        run.add(
            "trust-store-unavailable",
            run.soft(),
            f"no trust anchors to verify the chain against: {anchors.origin}",
        )
    elif root is not None:
        run.add(
            "issuer-unknown",
            ERROR if anchors.declared else run.soft(),
            f"the chain ends at the root {_name(root.subject)} in the file, which {anchors.describe()} does "
            "not hold: clients do not trust a root because the server sends it",
            "Pass that root with --ca-bundle FILE if it is your development or private CA (clients must "
            "trust it too); in production use a certificate from a public CA, or declare the corporate CA",
        )
    elif any(c is not top and c.subject == top.issuer for c in (leaf, *run.intermediates)):
        run.add(
            "path-too-long",
            ERROR,
            f"the certificates of the file issue each other in a cycle ({_name(top.subject)} is issued by "
            f"{_name(top.issuer)}, already on the path) and none leads to {anchors.describe()}",
        )
    else:
        url = ca_issuers_url(top)
        hint = f"; the certificate names its issuer's certificate at {url}" if url else ""
        run.add(
            "issuer-unknown",
            ERROR if anchors.declared else run.soft(),
            f"the issuer {_name(top.issuer)} of {_name(top.subject)} is neither in the file nor in "
            f"{anchors.describe()}{hint}",
            (
                f"If {_name(top.issuer)} is an intermediate CA, append its certificate after "
                f"{_name(top.subject)} in the chain file{' (download it from ' + url + ')' if url else ''}. "
                + _FIX_CA_BUNDLE
            ),
        )
    if root is None:
        return PathResult(False)
    # judge the rest of the path with the file's own root as a provisional anchor
    chain, error = _first_path(run, Store([root]), subjects)
    if chain is None:
        if classify(error or "")[0] == "extension-criticality":
            result = _relaxed(run, Store([root]), subjects, TRUST_UNKNOWN, error or "")
            return PathResult(
                False, result.chain, TRUST_UNKNOWN, detail=result.detail, provisional=result.verified
            )
        run.failure(error or "")
        return PathResult(False, detail=error)
    _other_hostnames(run, Store([root]), subjects, chain)
    return PathResult(False, tuple(chain), TRUST_UNKNOWN, provisional=True)


# ------------------------------------------------------------------------------------------- beyond
def extra_findings(run: _Run, result: PathResult, anchors: TrustAnchors) -> None:
    """Web PKI profile checks the library does not make (CA/B Baseline Requirements)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    _cn_not_in_san(run)
    for cert in result.chain or (run.leaf, *run.intermediates):
        try:
            key = cert.public_key()
        except Exception:  # noqa: BLE001, S112 - the inspector reports unreadable keys
            continue
        if isinstance(key, rsa.RSAPublicKey) and key.key_size % 8:
            run.add(
                "weak-key",
                run.soft(),
                f"{_name(cert.subject)} has an RSA key of {key.key_size} bits, not a multiple of 8 "
                "(CA/B BR 6.1.5; some clients refuse it)",
            )
    if result.chain and len(result.chain) > 1:
        _key_identifiers(run, result.chain, declared=anchors.declared)
        if anchors.declared:
            _anchor_aki(run, result.chain[-1])


def _extension(cert: Any, cls: type) -> Any:
    """The value of the certificate's extension of class ``cls``; None when absent or unreadable."""
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except Exception:  # noqa: BLE001 - absent or malformed: the verifier judges malformed ones
        return None


def _key_identifiers(run: _Run, chain: Sequence[Any], *, declared: bool) -> None:
    """OpenSSL's strict mode (X509_V_FLAG_X509_STRICT, on in Python 3.13's ssl.create_default_context):
    every certificate of the path below the anchor has an authorityKeyIdentifier, every CA certificate a
    subjectKeyIdentifier. The anchor needs no authorityKeyIdentifier (a declared cross-signed anchor
    without one: OpenSSL's strict mode with partial chains, Python 3.13's default, accepts it), and its
    subjectKeyIdentifier is judged only when declared (one public root of the OS store lacks it)."""
    from cryptography import x509

    anchor = chain[-1]
    for cert in chain[1:]:
        if cert is anchor and not declared:
            continue
        where = "the trust anchor" if cert is anchor else "the intermediate"
        if cert is not anchor and _extension(cert, x509.AuthorityKeyIdentifier) is None:
            run.add(
                "aki-missing",
                run.soft(),
                f"{where} {_name(cert.subject)} (issued by {_name(cert.issuer)}) has no "
                "authorityKeyIdentifier (RFC 5280 4.2.1.1): OpenSSL's strict mode, Python 3.13's default, "
                "refuses the chain",
            )
        if _is_ca(cert) and _extension(cert, x509.SubjectKeyIdentifier) is None:
            run.add(
                "ski-missing",
                run.soft(),
                f"{where} {_name(cert.subject)} has no subjectKeyIdentifier (RFC 5280 4.2.1.2): OpenSSL's "
                "strict mode, Python 3.13's default, refuses the chain",
            )


def _anchor_aki(run: _Run, anchor: Any) -> None:
    from cryptography import x509

    try:
        aki = anchor.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return
    except Exception as exc:  # noqa: BLE001 - cryptography refuses an issuer without serial number
        run.add(
            "anchor-aki-fields",
            run.soft(),
            f"the root {_name(anchor.subject)} has a malformed authorityKeyIdentifier ({exc})",
        )
        return
    if aki.authority_cert_issuer is not None or aki.authority_cert_serial_number is not None:
        run.add(
            "anchor-aki-fields",
            run.soft(),
            f"the root {_name(anchor.subject)} has authorityCertIssuer/authorityCertSerialNumber in its "
            "authorityKeyIdentifier (CA/B BR 7.1.2.1.3)",
        )
    ski = _extension(anchor, x509.SubjectKeyIdentifier)
    if (
        anchor.issuer == anchor.subject
        and aki.key_identifier is not None
        and ski is not None
        and aki.key_identifier != ski.digest
    ):
        run.add(
            "anchor-aki-fields",
            run.soft(),
            f"the root {_name(anchor.subject)} has an authorityKeyIdentifier ({aki.key_identifier.hex()}) "
            f"that is not its own subjectKeyIdentifier ({ski.digest.hex()}): OpenSSL does not take it for a "
            "self-signed root and finds no issuer for it (CA/B BR 7.1.2.1.3)",
        )


def _ip_like(text: str) -> bool:
    import socket

    try:
        socket.inet_aton(text)  # what resolvers accept: 0xC0A80101, 192.168.001.001, 3232235777
        return True
    except OSError:
        return ":" in text


def _cn_not_in_san(run: _Run) -> None:
    """CA/B BR 7.1.4.3: a subject CN is a copy of a dNSName entry, or the RFC 5952 text of an iPAddress
    entry. Judged only for CNs that look like a host name or an IP address of a kind the SAN has, and
    that are not a parent domain of a SAN name (a cosmetic CN such as 'example.com' above
    'api.example.com' misleads nobody)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cns = [a.value for a in run.leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        san = run.leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = set(san.get_values_for_type(x509.DNSName))
        ips = set(san.get_values_for_type(x509.IPAddress))
    except Exception:  # noqa: BLE001 - no SAN or no readable subject: other findings say it
        return
    for cn in cns:
        if not isinstance(cn, str) or cn in dns or " " in cn:
            continue
        ip_like = _ip_like(cn)
        if not ip_like and "." not in cn:
            continue
        if (ip_like and not ips) or (not ip_like and not dns):
            continue
        if not ip_like and any(d.lower().endswith("." + cn.lower()) for d in dns):
            continue
        try:
            address = ipaddress.ip_address(cn)
            if str(address) == cn and address in ips:
                continue
        except ValueError:
            pass
        listed = ", ".join([*sorted(dns), *map(str, ips)])
        run.add(
            "cn-not-in-san",
            run.soft(),
            f"the leaf's subject CN {cn!r} is not a character-for-character copy of a subjectAltName entry "
            f"({listed}); CA/B BR 7.1.4.3",
        )
