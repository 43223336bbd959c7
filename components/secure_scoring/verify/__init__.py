"""Post-deploy verifier: is a live scoring endpoint really safe?

:func:`verify` walks one URL through the checks a client's trip goes through and reports every step
as ``pass``, ``fail``, ``warn`` or ``skip`` with a detail and a fix. It uses the standard library
(``socket``, ``ssl``, ``http.client``), dnspython and ``cryptography``; never Pulumi.

Steps (names are stable; automation keys on them):

``dns``                   the URL's host → CNAME chain (TTLs) → A/AAAA addresses, against ``dns_server``
                          (dnspython, the system resolver is never read) or the system resolver;
                          compared with ``expect_ip`` / ``expect_target``.
``tcp``                   a TCP connection to the resolved address on the URL's port (443).
``tls-handshake``         a TLS handshake (TLS 1.2 or newer) with SNI = the URL's host (no SNI for an IP).
``certificate-chain``     the chain verifies against ``ca_bundle`` (or the system's trust store).
``certificate-hostname``  the certificate's subjectAltName covers the URL's host (RFC 6125).
``certificate-expiry``    valid now; days left (``warn`` under ``min_days``).
``tls-versions``          TLS 1.0 and 1.1 refused, TLS 1.2 accepted (TLS 1.3 reported).
``plain-http``            plain HTTP on the same port gets no normal HTTP answer.
``http-port``             optional (``http_port``, e.g. 80): that port serves no plain HTTP either.
``auth-no-credential``    ``POST <path>`` without credential is refused with 401.
``auth-credential``       the same request with ``Authorization: Bearer <key or token>`` is not refused
                          (skipped, the credential unsent, when the request without one was served).
``hsts``                  HTTPS responses carry ``Strict-Transport-Security`` with a max-age.

Safety rules: every connection goes to the one address DNS gave (or the URL's IP literal); when DNS
does not match ``expect_ip``/``expect_target`` nothing is sent anywhere; the key or token is sent
only over a connection whose certificate verified (chain, hostname and dates), and it never appears
in the report.

Layout: :mod:`.target` (URL and DNS server), :mod:`.dns`, :mod:`.tls`, :mod:`.versions`, :mod:`.http`,
:mod:`.auth` (one module per group of steps, each testable alone), :mod:`.report` (steps, report, text
and JSON) and :mod:`.run` (the driver, :func:`verify`).
"""

from __future__ import annotations

from .auth import credential_problem
from .report import FAIL, PASS, SKIP, STEP_NAMES, WARN, Step, VerifyReport, format_json, format_text
from .run import verify
from .target import DEFAULT_SCORING_PATH, DnsServer, Target, parse_dns_server, parse_url

__all__ = [
    "DEFAULT_SCORING_PATH",
    "FAIL",
    "PASS",
    "SKIP",
    "STEP_NAMES",
    "WARN",
    "DnsServer",
    "Step",
    "Target",
    "VerifyReport",
    "credential_problem",
    "format_json",
    "format_text",
    "parse_dns_server",
    "parse_url",
    "verify",
]
