"""The ``tls-versions`` step: TLS 1.0 and 1.1 refused, TLS 1.2 accepted, TLS 1.3 reported.

Versions, their names and which are broken come from :mod:`secure_scoring.tls_versions`.
"""

from __future__ import annotations

import ssl
import warnings

from .. import tls_versions as tv
from . import net
from .report import FAIL, PASS, SKIP, WARN, Step
from .target import Target

__all__ = ["probe_version", "versions_step"]


def _version_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that offers exactly ``version``. For TLS 1.0/1.1 the security level is lowered to 0:
    OpenSSL 3 at its default level refuses to offer them at all (SHA-1 signatures), and then the
    probe would prove nothing."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = version
        ctx.maximum_version = version
    if tv.from_ssl(version) in tv.BROKEN:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


def probe_version(
    address: str, port: int, host: str, version: ssl.TLSVersion, timeout: float
) -> tuple[str, str]:
    """→ (outcome, detail): outcome accepted | refused | untestable | unreachable."""
    try:
        ctx = _version_context(version)
    except (ssl.SSLError, ValueError) as exc:
        return "untestable", f"this machine's OpenSSL cannot offer it ({exc})"
    try:
        sock = net.connect(address, port, timeout)
    except net.DeadlineReached:
        raise  # not tried: the step is skipped (it is no evidence that the version is refused)
    except OSError as exc:
        return "unreachable", f"could not connect ({exc})"
    try:
        with ctx.wrap_socket(sock, server_hostname=host) as tls:
            return "accepted", f"accepted ({tls.version()}, {(tls.cipher() or ('?',))[0]})"
    except ssl.SSLError as exc:
        reason = net.ssl_reason(exc)
        if exc.reason in (
            "NO_PROTOCOLS_AVAILABLE",
            "NO_CIPHERS_AVAILABLE",
            "NO_SUITABLE_SIGNATURE_ALGORITHM",
        ):
            return "untestable", f"this machine's OpenSSL cannot offer it ({reason})"
        return "refused", f"refused ({reason})"
    except (ConnectionError, TimeoutError, OSError) as exc:
        left = net.remaining_run_time()
        if isinstance(exc, TimeoutError) and left is not None and left <= 0:
            # cut short by the run's deadline, not refused by the server
            raise net.DeadlineReached("the run's deadline was reached") from None
        return "refused", f"refused ({net.ssl_reason(exc)})"
    finally:
        sock.close()


def versions_step(target: Target, address: str, timeout: float, *, handshake_failed: bool = False) -> Step:
    """TLS 1.0/1.1 refused, TLS 1.2 accepted. After a failed handshake the probes still run (a server
    that speaks only TLS 1.0 is caught here); when no version at all is accepted the step is skipped,
    as ``tls-handshake`` already failed for it."""
    probes = {v: probe_version(address, target.port, target.host, v.ssl, timeout) for v in tv.TlsVersion}
    results = {v: outcome for v, (outcome, _) in probes.items()}
    detail = "; ".join(f"{v.label} {text}" for v, (_, text) in probes.items())
    if handshake_failed and all(outcome != "accepted" for outcome in results.values()):
        return Step("tls-versions", SKIP, f"no TLS version is accepted: {detail}")
    old_accepted = [v.label for v in tv.BROKEN if results[v] == "accepted"]
    if old_accepted:
        return Step(
            "tls-versions",
            FAIL,
            f"the server accepts {' and '.join(old_accepted)}, "
            f"{'which are' if len(old_accepted) > 1 else 'which is'} broken and must be refused: {detail}",
            "allow only TLS 1.2 and 1.3 (gateway min_tls_version '1.2', nginx 'ssl_protocols "
            f"{tv.nginx_protocols('1.2')}'); on AKS the inference router enforces 1.2",
        )
    tls12, tls13 = results[tv.TlsVersion.TLS1_2], results[tv.TlsVersion.TLS1_3]
    untested = [v.label for v in tv.BROKEN if results[v] != "refused"]
    if tls12 != "accepted":
        if tls13 == "accepted":
            return Step(
                "tls-versions",
                WARN,
                f"TLS 1.3 only: clients limited to TLS 1.2 cannot connect ({detail})",
                "allow TLS 1.2 too (gateway min_tls_version '1.2') unless every client speaks TLS 1.3",
            )
        return Step(
            "tls-versions",
            FAIL,
            f"TLS 1.2 is not accepted: {detail}",
            "enable TLS 1.2 (gateway min_tls_version '1.2')",
        )
    if untested:
        return Step(
            "tls-versions",
            WARN,
            f"could not test {' and '.join(untested)} from this machine: {detail}",
            "run the check from a machine whose OpenSSL can still offer TLS 1.0/1.1, or use sslyze",
        )
    return Step("tls-versions", PASS, detail)
