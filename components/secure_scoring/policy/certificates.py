"""How the rules read a certificate from resource properties.

The facts of a certificate (its names, expiry, whether it is self-signed) come from the one reader,
:func:`secure_scoring.certs.facts.read_certificate_facts` (imported when a certificate is judged:
``cryptography`` is not loaded by rules that never see one). Whether a certificate's names cover a
host name is :func:`secure_scoring.names.covers` (RFC 6125, never raises). This module only knows
where a resource keeps its certificate and how it is encoded there.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .. import names
from ..facts import CONFIG_NAMESPACE
from .props import UNKNOWN, get, is_unknown, string_list

if TYPE_CHECKING:
    from ..certs.facts import CertificateFacts

COMPUTE_CERT = "properties.properties.sslConfiguration.cert"
"""Where an AKS v1 compute (``machinelearningservices:Compute``) keeps its PEM certificate."""


def certificate_facts(pem_text: Any) -> CertificateFacts | None:
    """The facts of the leaf of a PEM chain; None when ``pem_text`` holds no readable certificate."""
    if not isinstance(pem_text, str) or "-----BEGIN" not in pem_text:
        return None
    from ..certs.facts import read_certificate_facts  # lazy: cryptography only when judged

    return read_certificate_facts(pem_text)


TRUSTED_CA_KEY = f"{CONFIG_NAMESPACE}:trustedCaCertificates"
"""Stack config: the CA certificates the endpoints' clients trust (PEM strings, or PEM file paths relative
to the project directory), for the certificates of raw resources the pack judges."""


def default_anchors() -> Any:
    """The anchors a certificate may verify to without a declaration: the system (public) trust store."""
    from ..certs.trust import TrustAnchors

    return TrustAnchors.system()


def declared_anchors(stack_config: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """(the anchors of ``secure-scoring:trustedCaCertificates`` or None, the problems of entries that
    cannot be used). A relative path is read from the project directory
    (:func:`secure_scoring.policy.project_dir.project_directory`)."""
    raw = stack_config.get(TRUSTED_CA_KEY)
    if raw is None or is_unknown(raw):
        return None, []
    entries = _config_list(raw)  # config objects arrive as JSON text
    if entries is None:
        return None, [
            f"{TRUSTED_CA_KEY} must be a list of PEM strings or file paths, got {type(raw).__name__}"
        ]
    if not entries:
        return None, [
            f"{TRUSTED_CA_KEY} is an empty list, so no CA is declared (fix: list the PEM text or the file "
            "path of the CA certificate(s) the endpoint's clients trust, or remove the key)"
        ]
    located: list[tuple[int, str, str | None, tuple[int, int] | None]] = []
    wrong_type: list[str] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, str):
            wrong_type.append(
                f"{TRUSTED_CA_KEY}[{i}] is {_json_kind(entry)}, not a PEM string or a file path (fix: write "
                "the entry as the CA certificate's PEM text or its file path, e.g. - root-ca.pem)"
            )
        elif entry.strip() and "-----BEGIN" not in entry:
            from . import project_dir

            path, how = project_dir.resolve(entry.strip())
            located.append((i, path, how, _file_version(path)))
        else:
            located.append((i, entry, None, None))
    anchors, problems = _declared(tuple(located))
    return anchors, wrong_type + list(problems)


def _config_list(raw: Any) -> list[Any] | None:
    """The entries of a list from stack config, as written (a JSON list keeps its non-string entries, so
    a mapping or a number is reported as such, not read as a file name); other text: :func:`string_list`."""
    if isinstance(raw, str) and raw.strip().startswith("["):
        try:
            loaded = json.loads(raw)
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            return loaded
    if isinstance(raw, (list, tuple)):
        return list(raw)
    return string_list(raw)


def _json_kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else f"a {type(value).__name__}"


def _file_version(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=8)
def _declared(
    entries: tuple[tuple[int, str, str | None, tuple[int, int] | None], ...],
) -> tuple[Any, tuple[str, ...]]:
    """The anchors of resolved entries (their position in the list, PEM text or an absolute path, how it
    was resolved and the file's version), read once per declaration: every certificate of a stack is judged against it."""
    from ..certs.trust import SOURCE_CA_BUNDLE, InvalidTrustInput, TrustAnchors

    certs: list[Any] = []
    problems: list[str] = []
    for i, entry, resolved_how, _version in entries:
        where = f"{TRUSTED_CA_KEY}[{i}]"
        if not entry.strip():
            problems.append(f"{where} is not a PEM string or a file path")
            continue
        try:
            if "-----BEGIN" in entry:
                anchors = TrustAnchors.from_pem(entry, where)
            else:
                anchors = TrustAnchors.from_files([entry])
        except InvalidTrustInput as e:
            how = f" ({resolved_how})" if resolved_how else ""
            problems.append(f"{where}: {e.problem}{how} (fix: {e.fix})")
            continue
        certs.extend(anchors.certificates)
    if not certs:
        return None, tuple(problems)
    return TrustAnchors(certs, SOURCE_CA_BUNDLE, TRUSTED_CA_KEY), tuple(problems)


_VALIDITY_CODES = frozenset({"cert-expired", "cert-not-yet-valid"})


def chain_trust(pem_text: str, stack_config: Mapping[str, Any]) -> tuple[str, str | None]:
    """How a PEM chain (leaf first) is trusted: (``public-store`` | ``declared-ca`` | ``unknown``, why
    not trusted or None), by cert check's verifier (:func:`secure_scoring.certs.path.verify_path`),
    against the declared CAs of the stack config, then the system store. Judged in the middle of the
    leaf's validity: expiry is ``cert-expiry``'s judgement, not trust."""
    import warnings

    from cryptography import x509

    from ..certs.path import TRUST_DECLARED, TRUST_PUBLIC, TRUST_UNKNOWN, verify_path

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            certs = x509.load_pem_x509_certificates(pem_text.encode())
    except ValueError:
        return TRUST_UNKNOWN, "the certificate cannot be read"
    declared, _ = declared_anchors(stack_config)
    leaf = certs[0]
    at = leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2
    reason = None
    for anchors in (declared, default_anchors()):
        if anchors is None:
            continue
        path = verify_path(leaf, certs[1:], anchors=anchors, at=at, production=False)
        if path.verified:
            return path.trust, None
        if path.errors and {f.code for f in path.errors} <= _VALIDITY_CODES:  # dates: cert-expiry's matter
            return (TRUST_DECLARED if anchors.declared else TRUST_PUBLIC), None
        if reason is None:
            reason = next((f"[{f.code}] {f.message}" for f in path.findings), "no path to a trust anchor")
    return TRUST_UNKNOWN, reason


def covers(hostnames: Iterable[str], hostname: str) -> bool:
    """A certificate with ``hostnames`` (SAN entries) covers ``hostname`` (never raises).

    RFC 6125 by :func:`secure_scoring.names.covers`; a name no host-name rule accepts is covered by
    the identical entry only (case and one trailing dot aside): Azure's placeholder for a
    Microsoft-managed certificate, ``<label>######.<region>.cloudapp.azure.com``, is what a
    component declares both as its hostname and as its certificate's name.
    """
    pool = [n for n in hostnames if isinstance(n, str)]
    if names.covers(pool, hostname):
        return True
    same = _as_written(hostname)
    return any(_as_written(n) == same for n in pool)


def _as_written(name: str) -> str:
    text = name.strip().lower()
    return text[:-1] if text.endswith(".") else text


def decode_pem_setting(value: Any) -> str | None:
    """A certificate from a setting that holds PEM text or base64 of PEM (Azure's scoringFe.sslCert)."""
    if not isinstance(value, str) or not value.strip():
        return None
    if "-----BEGIN" in value:
        return value
    try:
        decoded = base64.b64decode(value.strip(), validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
    return decoded if "-----BEGIN" in decoded else None


def extension_certificate(props: Mapping[str, Any]) -> tuple[Any, bool]:
    """(the Azure ML extension's ``scoringFe.sslCert`` setting as given, whether the certificate is
    given as a file path in the settings instead)."""
    cert = get(props, "configurationProtectedSettings")
    value = None
    if isinstance(cert, Mapping):
        value = cert.get("scoringFe.sslCert")
    elif is_unknown(cert):
        value = UNKNOWN
    settings = get(props, "configurationSettings")
    by_path = isinstance(settings, Mapping) and bool(settings.get("sslCertPemFile"))
    return value, by_path


def extension_pem(cert: Any) -> str | None:
    """The PEM text of an extension's ``scoringFe.sslCert`` value (PEM or base64 of PEM)."""
    return decode_pem_setting(cert) if isinstance(cert, str) else None
