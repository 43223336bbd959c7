"""The TLS steps: ``tls-handshake``, ``certificate-chain``, ``certificate-hostname``, ``certificate-expiry``.

The certificate the server sent is read by :mod:`secure_scoring.certs.facts` (the one reader and the
one definition of self-signed); host coverage is :func:`secure_scoring.names.covers`. The chain the
server sent is also judged by :func:`secure_scoring.certs.path.verify_path`, the verifier of
``secure-scoring cert check``, against ``--ca-bundle`` (or the system store): the ``certificate-chain``
step fails when either OpenSSL's handshake or that path check refuses the chain.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import names
from .. import tls_versions as tv
from ..certs.facts import CertificateFacts, is_self_signed, issued_by
from . import net
from .report import FAIL, PASS, SKIP, WARN, Step
from .target import Target, hostport

__all__ = [
    "CLIENT_FLOOR",
    "TlsOutcome",
    "expiry_step",
    "handshake_failure",
    "path_refusal",
    "tls_steps",
    "unverified_context",
]

#: The lowest version the verifier's own client offers: the lowest floor the project accepts (TLS 1.2).
CLIENT_FLOOR = tv.parse(tv.SUPPORTED_FLOORS[0])

# OpenSSL X509_V_ERR_* codes the chain step explains
_X509_NOT_YET_VALID = 9
_X509_EXPIRED = 10
_X509_SELF_SIGNED_LEAF = 18
_X509_SELF_SIGNED_IN_CHAIN = 19
_X509_NO_LOCAL_ISSUER = 20
_X509_UNABLE_TO_VERIFY_LEAF = 21
_X509_HOSTNAME_MISMATCH = 62


def _verified_context(ca_bundle: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_bundle)  # cafile=None: the system's trust store
    ctx.minimum_version = CLIENT_FLOOR.ssl
    # an intermediate in --ca-bundle is a trust anchor, as for cert check, curl (since 7.68) and
    # Python 3.13's default context; Python 3.11/3.12 leave OpenSSL's partial-chain flag off
    ctx.verify_flags |= getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
    # Python 3.13's default context also turns on OpenSSL's strict mode, 3.11/3.12 do not: the
    # handshake is the same on every version, and the chain step judges what strict mode refuses
    # (aki-missing, ski-missing, ...) with cert check's verifier, its code and fix (path_refusal)
    ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    return ctx


def _chain_only_context(ca_bundle: str | None) -> ssl.SSLContext:
    ctx = _verified_context(ca_bundle)
    ctx.check_hostname = False
    return ctx


def unverified_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = CLIENT_FLOOR.ssl
    return ctx


def _read_cert(source: Any) -> CertificateFacts:
    """The facts of a certificate the server sent, DER or ``x509.Certificate`` (the one reader,
    :mod:`secure_scoring.certs.facts`)."""
    from ..certs.facts import read_certificate_facts

    facts = read_certificate_facts(source) if source else None
    if facts is None:
        raise _Unreadable
    return facts


class _Unreadable(Exception):
    """The server's certificate cannot be read (the handshake gave no DER, or no X.509 in it)."""


def _unreadable(target: Target) -> TlsOutcome:
    steps = [
        Step("tls-handshake", PASS, f"TLS with {target.sni}"),
        Step(
            "certificate-chain",
            FAIL,
            f"the certificate {hostport(target.host, target.port)} sent cannot be read as X.509",
            "serve a PEM certificate chain (leaf first); check it with 'secure-scoring cert check'",
        ),
        Step("certificate-hostname", SKIP, "no readable certificate"),
        Step("certificate-expiry", SKIP, "no readable certificate"),
    ]
    return TlsOutcome(steps, None, False)


def _fmt_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class TlsOutcome:
    steps: list[Step]
    http_context: ssl.SSLContext | None  # context for the probes without credential (None: no TLS)
    verified: bool  # chain, hostname and dates verified: the credential may be sent


def tls_steps(
    target: Target, address: str, ca_bundle: str | None, timeout: float, min_days: int, now: datetime
) -> TlsOutcome:
    host = target.host
    trust = f"the CA bundle {ca_bundle}" if ca_bundle else "the system's trust store"
    full = _verified_context(ca_bundle)
    cert_der: bytes | None = None
    sent: list[bytes] = []
    try:
        with net.tls_connect(address, target.port, host, full, timeout) as tls:
            version, cipher = tls.version(), (tls.cipher() or ("?",))[0]
            cert_der = tls.getpeercert(binary_form=True)
            sent = _sent_chain(tls)
        verify_error: ssl.SSLCertVerificationError | None = None
    except ssl.SSLCertVerificationError as exc:
        verify_error = exc
    except (ssl.SSLError, OSError) as exc:
        return TlsOutcome(
            [handshake_failure(target, exc), *_skipped_cert_steps("no TLS handshake")], None, False
        )

    if verify_error is None:
        try:
            info = _read_cert(cert_der)
        except _Unreadable:
            return _unreadable(target)
        refused = path_refusal(sent, ca_bundle, now)
        steps = [
            Step("tls-handshake", PASS, f"{version}, {cipher}, {target.sni}"),
            refused or Step("certificate-chain", PASS, f"issued by {info.issuer}, verified with {trust}"),
            Step(
                "certificate-hostname",
                PASS,
                f"{host} is covered by the certificate (subjectAltName: {', '.join(info.san_names)})",
            ),
            expiry_step(info.not_before, info.not_after, min_days, None, now),
        ]
        if refused is not None:  # OpenSSL trusts it, cert check's verifier does not: no credential
            return TlsOutcome(steps, unverified_context(), False)
        return TlsOutcome(steps, full, True)

    # The verifying handshake failed: find out which part (trust, hostname, dates) is wrong. A second
    # handshake verifies the chain without the hostname (OpenSSL reports trust problems before
    # dates); a third one without any verification fetches the certificate to explain the rest.
    chain_error: ssl.SSLCertVerificationError | None = None
    try:
        with net.tls_connect(address, target.port, host, _chain_only_context(ca_bundle), timeout) as tls:
            version, cipher = tls.version(), (tls.cipher() or ("?",))[0]
            cert_der = tls.getpeercert(binary_form=True)
            sent = _sent_chain(tls)
    except ssl.SSLCertVerificationError as exc:
        chain_error = exc
    except (ssl.SSLError, OSError) as exc:
        return TlsOutcome(
            [handshake_failure(target, exc), *_skipped_cert_steps("no TLS handshake")], None, False
        )
    if cert_der is None:
        try:
            with net.tls_connect(address, target.port, host, unverified_context(), timeout) as tls:
                version, cipher = tls.version(), (tls.cipher() or ("?",))[0]
                cert_der = tls.getpeercert(binary_form=True)
                sent = _sent_chain(tls)
        except (ssl.SSLError, OSError) as exc:
            return TlsOutcome(
                [handshake_failure(target, exc), *_skipped_cert_steps("no TLS handshake")], None, False
            )
    try:
        info = _read_cert(cert_der)
    except _Unreadable:
        return _unreadable(target)
    steps = [Step("tls-handshake", PASS, f"{version}, {cipher}, {target.sni}")]

    dates_error = chain_error is not None and chain_error.verify_code in (_X509_EXPIRED, _X509_NOT_YET_VALID)
    refused = path_refusal(sent, ca_bundle, now) if chain_error is None or dates_error else None
    if refused is not None:
        steps.append(refused)
    elif chain_error is None or dates_error:
        steps.append(Step("certificate-chain", PASS, f"issued by {info.issuer}, trusted by {trust}"))
    else:
        steps.append(
            _key_mismatch_refusal(chain_error, sent, ca_bundle, now)
            or _chain_failure(chain_error, info, trust, ca_bundle, sent)
        )

    san = info.san_names
    if not info.has_san:
        steps.append(
            Step(
                "certificate-hostname",
                FAIL,
                f"the certificate ({info.subject}) has no subjectAltName; clients ignore the CN and "
                f"refuse it for {host}",
                f"issue a certificate with subjectAltName {names.san_entry(host)} (check it with secure-scoring cert check)",
            )
        )
    elif not info.covers(host) or (
        chain_error is None and verify_error.verify_code == _X509_HOSTNAME_MISMATCH
    ):
        steps.append(
            Step(
                "certificate-hostname",
                FAIL,
                f"the certificate is for {', '.join(san) or '(no names)'}, not {host}",
                _hostname_fix(host),
            )
        )
    else:
        steps.append(
            Step("certificate-hostname", PASS, f"{host} is covered (subjectAltName: {', '.join(san)})")
        )
    steps.append(
        expiry_step(info.not_before, info.not_after, min_days, chain_error if dates_error else None, now)
    )
    if all(s.status != FAIL for s in steps):
        # each part passed on its own, yet the verifying handshake did not: report OpenSSL's reason
        steps[1] = Step(
            "certificate-chain",
            FAIL,
            f"the certificate did not verify for {host}: {net.ssl_reason(verify_error)}",
            "check the chain and names with 'secure-scoring cert check'",
        )
    return TlsOutcome(steps, unverified_context(), False)


# path findings other steps report (certificate-hostname, certificate-expiry)
_OTHER_STEP_CODES = frozenset({"hostname-mismatch", "no-san", "cert-expired", "cert-not-yet-valid"})


def path_refusal(sent: list[bytes], ca_bundle: str | None, now: datetime) -> Step | None:
    """The ``certificate-chain`` failure of cert check's verifier (:func:`certs.path.verify_path`) on
    the chain the server sent, judged against ``ca_bundle`` (or the system store) at ``now``; None when
    it verifies, or when it cannot be judged (no chain read, or an anchor file the path check refuses,
    e.g. a self-signed leaf given as its own CA: OpenSSL's verdict stands then)."""
    first = _path_failure(sent, ca_bundle, now)
    if first is None:
        return None
    status = WARN if first.severity == "warning" else FAIL
    return Step("certificate-chain", status, f"[{first.code}] {first.message}", first.fix)


# path codes that say more than OpenSSL's "unable to get local issuer certificate": an anchor with the
# issuer's name exists, but another key (a regenerated mkcert CAROOT, another machine's root)
_KEY_MISMATCH_CODES = frozenset({"signature-invalid", "path-not-found"})


def _key_mismatch_refusal(
    exc: ssl.SSLCertVerificationError, sent: list[bytes], ca_bundle: str | None, now: datetime
) -> Step | None:
    if exc.verify_code not in (_X509_NO_LOCAL_ISSUER, _X509_UNABLE_TO_VERIFY_LEAF):
        return None
    first = _path_failure(sent, ca_bundle, now)
    if first is None or first.code not in _KEY_MISMATCH_CODES:
        return None
    return Step("certificate-chain", FAIL, f"[{first.code}] {first.message}", first.fix)


def _path_failure(sent: list[bytes], ca_bundle: str | None, now: datetime) -> Any:
    """The first finding of cert check's verifier that fails the chain step (a ``PathFinding``), or None."""
    if not sent:
        return None
    from cryptography import x509

    from ..certs.path import PathFinding, verify_path
    from ..certs.trust import InvalidTrustInput, TrustAnchors

    try:
        anchors = TrustAnchors.from_files([ca_bundle]) if ca_bundle else TrustAnchors.system()
        certs = [x509.load_der_x509_certificate(der) for der in sent]
    except (InvalidTrustInput, ValueError):
        return None
    path = verify_path(certs[0], certs[1:], anchors=anchors, at=now, production=False)
    if _trusted_self_signed_ca_leaf(path, certs[0], anchors):
        return PathFinding(
            "ca-as-leaf",
            "warning",
            f"the server's certificate {certs[0].subject.rfc4514_string()} is a self-signed CA certificate "
            "(basicConstraints CA:TRUE, what plain 'openssl req -x509' makes) that --ca-bundle trusts directly: "
            "curl/OpenSSL and Python accept it, Firefox and rustls refuse a CA certificate as the server's",
            "for a development endpoint: re-create it with openssl req -x509 ... -addext "
            "basicConstraints=critical,CA:FALSE; in production serve a certificate from a public or corporate CA",
        )
    own = [f for f in path.findings if f.code not in _OTHER_STEP_CODES]
    failing = [f for f in own if f.severity == "error"]
    if not failing and not path.verified and not any(f.code in _OTHER_STEP_CODES for f in path.errors):
        failing = own  # an unknown issuer is a warning for cert check in dev; a client refuses it
    return failing[0] if failing else None


def _trusted_self_signed_ca_leaf(path: Any, leaf: Any, anchors: Any) -> bool:
    """The only fault is that the leaf is a CA certificate, and it is self-signed and itself one of the
    declared anchors: OpenSSL-based clients that trust it accept it (cert check: a warning outside
    production)."""
    errors = {f.code for f in path.errors}
    return (
        not path.verified
        and errors == {"ca-as-leaf"}
        and anchors.declared
        and is_self_signed(leaf)
        and any(anchor == leaf for anchor in anchors.certificates)
    )


def _hostname_fix(host: str) -> str:
    """How to get a certificate that covers ``host``: an IP entry for an address (a wildcard never
    covers one), a one-label wildcard only where it would be valid (not ``*.com``, not for ``localhost``)."""
    check = f"check it with 'secure-scoring cert check --hostname {host}'"
    if names.is_ip(host):
        return (
            f"serve a certificate whose subjectAltName holds {names.san_entry(host)} (wildcards never cover an "
            f"IP address), or check the name the certificate was issued for, with --connect-to {host}; {check}"
        )
    parent = host.partition(".")[2]
    wildcard = f" (or a *.{parent} wildcard)" if "." in parent else ""
    return (
        f"serve a certificate whose subjectAltName covers {host}{wildcard}, or use the name the "
        f"certificate was issued for; {check}"
    )


def handshake_failure(target: Target, exc: BaseException) -> Step:
    reason = net.ssl_reason(exc)
    lowered = reason.lower().replace("_", " ")
    if "wrong version number" in lowered or "record layer failure" in lowered or "http request" in lowered:
        detail = f"no TLS on {hostport(target.host, target.port)}: the server answered something else ({reason}), likely plain HTTP"
        fix = "serve HTTPS on this port (the gateway listens with TLS only); never expose the scorer's plain HTTP port"
    elif isinstance(exc, TimeoutError) or "timed out" in lowered:
        detail = f"TLS handshake with {hostport(target.host, target.port)} timed out: {reason}"
        fix = (
            "the port accepts connections but the handshake did not complete in time: check that it serves "
            "TLS (and is not overloaded or hung); raise --timeout only for a slow network"
        )
    elif "unsupported protocol" in lowered or "protocol version" in lowered:
        detail = f"no TLS 1.2 or newer handshake: {reason} (the server offers only older versions)"
        fix = "enable TLS 1.2 and 1.3 (gateway min_tls_version '1.2'); TLS 1.0/1.1 are refused by clients"
    else:
        detail = f"TLS handshake with {hostport(target.host, target.port)} failed: {reason}"
        fix = "check that the port serves HTTPS with a certificate and key that match (secure-scoring cert check)"
    return Step("tls-handshake", FAIL, detail, fix)


def _skipped_cert_steps(why: str) -> list[Step]:
    return [Step(n, SKIP, why) for n in ("certificate-chain", "certificate-hostname", "certificate-expiry")]


def _sent_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """The certificates the server sent, leaf first, as DER; ``[]`` where Python cannot tell.

    Public as ``SSLSocket.get_unverified_chain()`` from Python 3.13; 3.10-3.12 have it on the
    internal ``_sslobj``. Used only to explain a chain failure, so anything unexpected gives ``[]``.
    """
    getter = getattr(tls, "get_unverified_chain", None) or getattr(
        getattr(tls, "_sslobj", None), "get_unverified_chain", None
    )
    try:
        chain = getter() if getter is not None else None
        return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain or ()]
    except Exception:  # noqa: BLE001 - an explanation aid only
        return []


def _chain_top(sent: list[bytes]) -> tuple[str, str, bool] | None:
    """Follow the certificates the server sent from the leaf, each to the one that signed it.

    Returns (subject, issuer, self_signed) of the last certificate reached, or ``None`` when the
    server sent nothing that issued the leaf (or Python could not tell what it sent). Issuing and
    self-signed are :mod:`secure_scoring.certs.facts`' definitions (names and signature).
    """
    from cryptography import x509

    try:
        certs = [x509.load_der_x509_certificate(der) for der in sent]
    except ValueError:
        return None
    if len(certs) < 2:
        return None
    current, used = certs[0], {0}
    while not is_self_signed(current):
        following = next((i for i, c in enumerate(certs) if i not in used and issued_by(current, c)), None)
        if following is None:
            break
        used.add(following)
        current = certs[following]
    if current is certs[0]:
        return None
    top = _read_cert(current)
    return top.subject, top.issuer, top.self_signed


def _chain_failure(
    exc: ssl.SSLCertVerificationError,
    info: CertificateFacts,
    trust: str,
    ca_bundle: str | None,
    sent: list[bytes] | None = None,
) -> Step:
    code = exc.verify_code
    reason = net.ssl_reason(exc)
    top = _chain_top(sent or [])
    if code == _X509_SELF_SIGNED_LEAF:
        detail = f"the certificate is self-signed ({info.subject}) and not trusted by {trust}"
        fix = (
            "serve a certificate from a CA clients trust (self-signed is for development only); to check a "
            "development endpoint pass its certificate with --ca-bundle"
        )
    elif code == _X509_SELF_SIGNED_IN_CHAIN:
        root = f" {top[0]}" if top and top[2] else ""
        detail = f"the chain ends in a root{root} that {trust} does not trust ({reason})"
        if ca_bundle:
            fix = (
                f"--ca-bundle {ca_bundle} does not hold this root: pass the file with the root CA "
                f"certificate{root} (or use a certificate from a CA clients trust)"
            )
        else:
            fix = "use a certificate from a CA clients trust, or pass your private root with --ca-bundle"
    elif code in (_X509_NO_LOCAL_ISSUER, _X509_UNABLE_TO_VERIFY_LEAF) and top is not None:
        # the server sent the leaf's issuer: the chain is there, the CA above its top is not trusted
        subject, issuer, _ = top
        detail = (
            f"the chain the server sent ends at {subject}, whose issuer {issuer} cannot be found in "
            f"{trust} ({reason})"
        )
        if ca_bundle:
            fix = (
                f"--ca-bundle {ca_bundle} does not hold {issuer}: pass the file with that root CA "
                f"certificate (if {issuer} is an intermediate, serve it in the chain after {subject})"
            )
        else:
            fix = (
                f"use a certificate from a CA clients trust, or pass your private root ({issuer}) with "
                f"--ca-bundle (if {issuer} is an intermediate, serve it in the chain after {subject})"
            )
    elif code in (_X509_NO_LOCAL_ISSUER, _X509_UNABLE_TO_VERIFY_LEAF):
        detail = (
            f"the issuer of {info.subject} ({info.issuer}) cannot be found in {trust} or in what the "
            f"server sent ({reason})"
        )
        fix = (
            "serve the full chain (leaf first, then every intermediate) in the certificate PEM you deploy"
            + (
                f"; if {info.issuer} is itself your root CA, --ca-bundle {ca_bundle} does not hold it"
                if ca_bundle
                else ", or pass the private root with --ca-bundle"
            )
            + "; check the chain file with 'secure-scoring cert check --cert FILE"
            + (f" --ca-bundle {ca_bundle}'" if ca_bundle else "'")
        )
    else:
        detail = f"the chain does not verify against {trust}: {reason}"
        fix = "serve a full chain from a trusted CA; check it with 'secure-scoring cert check'"
    return Step("certificate-chain", FAIL, detail, fix)


def expiry_step(
    before: datetime,
    after: datetime,
    min_days: int,
    chain_dates_error: ssl.SSLCertVerificationError | None,
    now: datetime,
) -> Step:
    """``certificate-expiry`` for a certificate valid from ``before`` to ``after``; the days left are
    :func:`secure_scoring.certs.facts.days_left`, the same figure as ``cert check``'s."""
    from ..certs.facts import days_left as _days_left

    days_left = _days_left(after, now)
    renew = "renew it and deploy the new certificate: see docs/runbooks/certificate-renewal.md"
    if after <= now:
        return Step(
            "certificate-expiry",
            FAIL,
            f"the certificate expired on {_fmt_date(after)} (days left: {days_left})",
            renew,
        )
    if before > now:
        return Step(
            "certificate-expiry",
            FAIL,
            f"the certificate is not valid before {_fmt_date(before)}",
            "serve a certificate that is valid now (check the issuing CA's clock)",
        )
    if chain_dates_error is not None:
        return Step(
            "certificate-expiry",
            FAIL,
            f"a CA certificate of the chain is outside its validity period ({net.ssl_reason(chain_dates_error)}); "
            f"the server's own certificate is valid until {_fmt_date(after)}",
            "serve the CA's current intermediate certificate in the chain",
        )
    if days_left < min_days:
        return Step(
            "certificate-expiry",
            WARN,
            f"valid until {_fmt_date(after)}: {days_left} days left, under the {min_days}-day threshold",
            renew,
        )
    return Step("certificate-expiry", PASS, f"valid until {_fmt_date(after)} ({days_left} days left)")
