"""``CertificateBundle``: the TLS certificate and key a scoring endpoint serves.

Four sources (``CertificateBundleArgs.source``):

``pem``
    A certificate chain and private key the user already has (strings, ``pulumi.Input[str]``, or
    files via ``CertificateBundle.from_files``). No child resources. Known PEM is inspected at
    construction with the same inspector as ``secure-scoring cert check`` (``secure_scoring.certs.pem``);
    PEM that arrives as an Output is inspected inside ``apply`` and fails the preview the same way.
``self_signed``
    pulumi-tls ``PrivateKey`` + ``SelfSignedCert``: development only.
``dev_ca``
    pulumi-tls: a private development CA and a server certificate it signs: development only;
    clients trust ``ca_cert_pem``.
``microsoft_managed``
    AKS's Microsoft certificate for ``<leaf_domain_label>######.<location>.cloudapp.azure.com``:
    no PEM and no child resources; Azure manages DNS and renewal.

``self_signed`` and ``dev_ca`` are refused when ``environment`` is a production environment.

How the chain is trusted (``chain_trust`` output, ``chainTrust`` prop): ``public-store`` (it verifies to a
root of the system trust store, or a Microsoft-managed certificate), ``declared-ca`` (to a CA the endpoint's
clients trust, declared with ``ca_bundle_pem`` / ``from_files(..., ca_bundle_file=...)``) or ``unknown``
(self-signed, a development CA, or a private CA nobody declared). A ``pem`` bundle is verified with the
same path check as ``secure-scoring cert check`` (:func:`secure_scoring.certs.path.verify_path`); in
production a chain that is not ``public-store`` or ``declared-ca`` is refused (a
:class:`~secure_scoring.errors.PolicyRefusal` of ``no-self-signed-in-production``).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_tls as tls

from .. import names
from ..certs import pem
from ..certs.path import TRUST_DECLARED, TRUST_PUBLIC, TRUST_UNKNOWN
from ..errors import ConfigurationError, PolicyRefusal
from ..facts import CERTIFICATE_SOURCES, is_production_name, type_token
from .inputs import config_number_fix, config_string_hint

__all__ = [
    "CertificateBundle",
    "CertificateBundleArgs",
    "CertificateBundleError",
    "ECDSA_CURVES",
    "KEY_ALGORITHMS",
    "SERVER_ALLOWED_USES",
    "CA_ALLOWED_USES",
]

KEY_ALGORITHMS = ("ECDSA", "RSA")
ECDSA_CURVES = ("P256", "P384")  # what the inspector (and Azure ML) accept
SERVER_ALLOWED_USES = ("digital_signature", "key_encipherment", "server_auth")
CA_ALLOWED_USES = ("cert_signing", "crl_signing", "digital_signature")
PRIVATE_KEY_SECRET_OUTPUTS = ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]

MAX_PEM_FILE_BYTES = 5 * 1024 * 1024  # as `secure-scoring cert check`: a chain or a key is a few KiB
# Azure appends six random characters to the label: the first DNS label must stay <= 63 characters.
LEAF_DOMAIN_LABEL_MAX = 57
_LEAF_LABEL_RE = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")
_LOCATION_RE = re.compile(r"^[a-z][a-z0-9]*$")
MICROSOFT_SUFFIX_LEN = 6


@dataclass
class CertificateBundleArgs:
    """Arguments of :class:`CertificateBundle`.

    Plain values (they decide which resources exist or are validated at construction) except
    ``cert_pem``/``key_pem``, which may be ``pulumi.Input[str]``.
    """

    source: str = "pem"
    """``"pem"`` (default), ``"self_signed"``, ``"dev_ca"`` or ``"microsoft_managed"``."""

    hostnames: Sequence[str] = ()
    """DNS names (``*.example.com`` wildcards allowed, one left-most label) and IP addresses the
    certificate must cover. Required for ``self_signed``/``dev_ca`` (they become the SAN). For
    ``pem`` every name is checked against the certificate (``hostname-mismatch``); empty means
    "do not check", and then only the certificate's own SAN names count as covered. Not allowed
    for ``microsoft_managed`` (Azure picks the name). Default: ``()``."""

    environment: str = "dev"
    """The environment the certificate is for. ``"production"``/``"prod"`` (any case) refuses
    ``self_signed`` and ``dev_ca`` and turns a self-signed PEM certificate into an error.
    Default: ``"dev"``."""

    cert_pem: pulumi.Input[str] | None = None
    """``pem`` only: the certificate chain, PEM, leaf first, intermediates after it."""

    key_pem: pulumi.Input[str] | None = None
    """``pem`` only: the unencrypted private key of the leaf, PEM (PKCS#1, SEC1 or PKCS#8)."""

    min_days: int = 30
    """``pem`` only: a certificate that expires in fewer days gets the ``cert-expiring-soon``
    warning. Default: ``30``."""

    cert_name: str | None = None
    """``pem`` only: how messages name the certificate (``from_files`` sets the file path).
    Default: ``None`` (``"cert_pem"``)."""

    key_name: str | None = None
    """``pem`` only: how messages name the key (``from_files`` sets the file path).
    Default: ``None`` (``"key_pem"``)."""

    ca_bundle_pem: str | None = None
    """``pem`` only: PEM text of the CA certificate(s) the endpoint's clients trust (e.g. the enterprise
    root), a plain string. The chain must verify to one of them (``chain_trust`` ``declared-ca``), as
    ``secure-scoring cert check --ca-bundle`` checks it. Without it the chain is verified against the
    system (public) trust store; in production a chain that verifies to neither is refused. A
    development CA or a self-signed certificate stays refused in production even when declared.
    Default: ``None``."""

    ca_bundle_name: str | None = None
    """``pem`` only: how messages name ``ca_bundle_pem`` (``from_files`` sets the file path).
    Default: ``None`` (``"ca_bundle_pem"``)."""

    key_algorithm: str = "ECDSA"
    """``self_signed``/``dev_ca``: ``"ECDSA"`` (default) or ``"RSA"``."""

    ecdsa_curve: str = "P256"
    """``self_signed``/``dev_ca`` with ECDSA: ``"P256"`` (default) or ``"P384"``."""

    rsa_bits: int = 2048
    """``self_signed``/``dev_ca`` with RSA: key size, at least 2048. Default: ``2048``."""

    validity_days: int = 365
    """``self_signed``/``dev_ca``: lifetime of the server certificate in days. Default: ``365``."""

    early_renewal_days: int = 30
    """``self_signed``/``dev_ca``: a ``pulumi up`` this many days (or fewer) before expiry issues
    a new certificate. Keep it at least the policy pack's ``cert-expiry`` days. Default: ``30``."""

    common_name: str | None = None
    """``self_signed``/``dev_ca``: subject CN of the server certificate. Default: the first
    hostname (clients match the SAN, never the CN)."""

    organization: str | None = None
    """``self_signed``/``dev_ca``: subject O of the generated certificates. Default: none."""

    ca_common_name: str | None = None
    """``dev_ca``: subject CN of the development CA. Default: ``"<name> development CA"``."""

    ca_validity_days: int = 1825
    """``dev_ca``: lifetime of the CA in days, more than ``validity_days``. The CA is renewed
    once less than ``validity_days`` remain, so it always outlives the server certificates it
    signs. Default: ``1825`` (5 years)."""

    leaf_domain_label: str | None = None
    """``microsoft_managed``: the label Azure turns into ``<label>######.<location>.cloudapp.azure.com``
    (lower-case letters, digits and hyphens, starting with a letter, 1-57 characters)."""

    overwrite_existing_domain: bool = False
    """``microsoft_managed``: let Azure take over the label when it already exists. Default: ``False``."""

    location: str | None = None
    """``microsoft_managed``: the Azure region of the AKS cluster (``"westeurope"``; ``"West
    Europe"`` is normalised). Required for ``microsoft_managed``."""


class CertificateBundleError(ConfigurationError):
    """The inspector found errors in a PEM bundle. ``findings`` holds all of them (errors and warnings)."""

    def __init__(self, input_name: str, findings: Sequence[Any], *, check_command: str | None = None) -> None:
        self.findings = tuple(findings)
        errors = [f for f in self.findings if f.severity == "error"]
        self.codes = tuple(f.code for f in errors)
        lines = []
        for f in errors:
            line = f"  - [{f.code}] {f.message.rstrip('.')}"
            if f.fix:
                line += f" (fix: {f.fix.rstrip('.')})"
            lines.append(line)
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        problem = f"the certificate bundle has {count} ({', '.join(self.codes)}):\n" + "\n".join(lines)
        command = check_command or "secure-scoring cert check --cert CERT --key KEY --hostname HOST"
        fix = f"correct every error listed above, then re-check the bundle with `{command}`"
        super().__init__(input_name, problem, fix)


def is_production(environment: str) -> bool:
    return is_production_name(environment)


def _dev_certificate_error(environment: str, what: str, extra: str) -> ConfigurationError:
    return PolicyRefusal(
        "certificate",
        f"environment {environment!r} is production but the certificate is {what}, which no client trusts",
        "use a certificate from a trusted CA (CertificateBundle.from_files(name, 'fullchain.pem', "
        f"'privkey.pem', hostnames=[...])){extra}, or declare a non-production environment",
        rule="no-self-signed-in-production",
    )


def refuse_dev_certificate_in_production(environment: Any, cert: Any, extra: str) -> None:
    """The component declares production but its certificate is self-signed or from a dev CA.

    CertificateBundle refuses the same pair when the bundle itself says production; here the
    component's own ``environment`` says it (e.g. ``"Production"`` or ``"PROD"``). A certificate
    that is not known yet (``is_self_signed`` None) is judged when it is: see
    :func:`service_self_signed`."""
    if environment is None:
        return
    if not isinstance(environment, str):
        raise ConfigurationError(
            "environment",
            f"expected a plain string such as 'dev' or 'production', got {type(environment).__name__}",
            "pass environment='dev', 'staging' or 'production', or leave it out (the certificate's)",
        )
    if is_production(environment) and getattr(cert, "is_self_signed", False):
        raise _dev_certificate_error(environment, repr(getattr(cert, "source", "self-signed")), extra)
    if (
        is_production(environment)
        and getattr(cert, "source", None) == "pem"
        and getattr(cert, "known_chain_trust", None) == TRUST_UNKNOWN
    ):
        # the bundle's own environment is not production, so it only warned (issuer-unknown)
        raise PolicyRefusal(
            "certificate",
            f"environment {environment!r} is production but the chain of CertificateBundle "
            f"'{getattr(cert, '_name', '?')}' does not verify to a public root or a declared CA "
            f"(chain_trust 'unknown'; the bundle itself is {getattr(cert, 'environment', None)!r}, so it only warned)",
            "declare the CA the endpoint's clients trust (e.g. the enterprise root) on the bundle: "
            "CertificateBundleArgs(ca_bundle_pem=<its PEM>) or CertificateBundle.from_files(..., "
            "ca_bundle_file='root-ca.pem'), or use a certificate from a public CA; give the bundle "
            "environment='production' too, so that it is checked as production",
            rule="no-self-signed-in-production",
        )


def service_self_signed(environment: Any, cert: Any, extra: str) -> Any:
    """The ``self_signed`` fact a service declares for ``cert``: the bundle's plain value, or, while
    its certificate is an Output (``is_self_signed`` None), the bundle's ``self_signed`` output,
    never a guessed False. In a production service that output fails the preview / update with the
    error :func:`refuse_dev_certificate_in_production` raises for a known certificate, when the
    value shows a self-signed certificate (the bundle's own environment may not be production, so
    the bundle only warned)."""
    known = getattr(cert, "is_self_signed", False)
    if known is not None:
        return bool(known)
    output = pulumi.Output.from_input(cert.self_signed)
    if not (isinstance(environment, str) and is_production(environment)):
        return output

    def refuse(value: Any) -> Any:
        if value is True:
            raise _dev_certificate_error(environment, "self-signed", extra)
        return value

    return output.apply(refuse)


# ---------------------------------------------------------------------------------------------
# validation helpers (plain values, run before anything is registered)


def _as_int(value: Any, where: str, *, minimum: int) -> int:
    # ints may arrive as floats from other languages: accept 90.0, refuse 90.5, "90", True
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            where,
            f"must be a whole number, got {value!r}" + config_string_hint(value),
            f"pass an integer >= {minimum}" + config_number_fix(value, "int"),
        )
    if isinstance(value, float) and not value.is_integer():
        raise ConfigurationError(
            where, f"must be a whole number, got {value!r}", f"pass an integer >= {minimum}"
        )
    number = int(value)
    if number < minimum:
        raise ConfigurationError(
            where, f"must be at least {minimum}, got {number}", f"pass an integer >= {minimum}"
        )
    return number


def _plain_str(value: Any, where: str, fix: str) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(
            where, f"must be a plain string known at construction, got {type(value).__name__}", fix
        )
    return value


def _normalize_hostnames(values: Any, where: str) -> tuple[list[str], list[str]]:
    """Split and validate ``hostnames`` into (DNS names, IP addresses), lower-case, de-duplicated."""
    if isinstance(values, str):
        values = [values]
    if isinstance(values, pulumi.Output) or not isinstance(values, Sequence):
        raise ConfigurationError(
            where,
            f"must be a list of plain strings known at construction, got {type(values).__name__}",
            "pass hostnames as a Python list such as ['scoring.example.com']",
        )
    dns: list[str] = []
    ips: list[str] = []
    for i, raw in enumerate(values):
        item = f"{where}[{i}]"
        text = _plain_str(raw, item, "pass each hostname as a plain string such as 'scoring.example.com'")
        try:
            parsed = names.parse_host(text, allow_wildcard=True)
        except names.InvalidHostname as e:
            raise ConfigurationError(item, e.problem, e.fix) from None
        host = str(parsed)
        if isinstance(parsed, names.IpAddress):
            if host not in ips:
                ips.append(host)
            continue
        if host not in dns:
            dns.append(host)
    return dns, ips


def _normalize_location(value: Any, where: str) -> str:
    if value is None:
        raise ConfigurationError(
            where,
            "is required for source 'microsoft_managed' (the generated name is <label>######.<location>.cloudapp.azure.com)",
            "pass the AKS cluster's region, e.g. location='westeurope'",
        )
    loc = _plain_str(value, where, "pass the region as a plain string such as 'westeurope'")
    loc = loc.replace(" ", "").lower()
    if not _LOCATION_RE.match(loc):
        raise ConfigurationError(
            where, f"{value!r} is not an Azure region name", "use a region name such as 'westeurope'"
        )
    return loc


def validate_leaf_domain_label(value: Any, where: str = "leaf_domain_label") -> str:
    """Check an AKS Microsoft-certificate leaf domain label and return it."""
    if value is None or value == "":
        raise ConfigurationError(
            where,
            "is required for source 'microsoft_managed'",
            "pass the label Azure should use, e.g. leaf_domain_label='scoring'",
        )
    label = _plain_str(value, where, "pass the label as a plain string such as 'scoring'")
    fix = (
        "use 1-57 lower-case letters, digits and hyphens, starting with a letter and not ending "
        f"with a hyphen, e.g. {re.sub(r'[^a-z0-9-]', '', label.lower()).strip('-') or 'scoring'!r}"
    )
    if len(label) > LEAF_DOMAIN_LABEL_MAX:
        raise ConfigurationError(
            where,
            f"{label!r} has {len(label)} characters; Azure appends 6 more and a DNS label holds at most 63",
            fix,
        )
    if not _LEAF_LABEL_RE.match(label):
        raise ConfigurationError(
            where,
            f"{label!r} is not a valid DNS label (lower-case letters, digits and hyphens; "
            "starts with a letter; does not end with a hyphen)",
            fix,
        )
    return label


def _cert_facts(cert_pem: str | None) -> dict[str, Any]:
    """``not_after`` (ISO 8601, UTC) and ``fingerprint_sha256`` of the leaf in ``cert_pem``, read by the
    one reader of certificate facts (:func:`secure_scoring.certs.facts.read_certificate_facts`)."""
    from ..certs.facts import read_certificate_facts

    facts = read_certificate_facts(cert_pem) if cert_pem else None
    if facts is None:
        return {"not_after": None, "fingerprint_sha256": None}
    return {"not_after": facts.not_after_iso, "fingerprint_sha256": facts.fingerprint_sha256}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        return value.astimezone(_dt.UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _read_file(path: str | os.PathLike[str], where: str) -> bytes:
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise ConfigurationError(
            where,
            f"must be the path of a PEM file (a string or pathlib.Path), got {path!r}",
            "pass e.g. 'fullchain.pem' (or pulumi.Config().require('cert_file'))",
        )
    p = Path(path)
    fix = f"pass the path of a readable PEM file (relative paths start at {Path.cwd()})"
    try:
        with p.open("rb") as handle:
            data = handle.read(MAX_PEM_FILE_BYTES + 1)  # never slurp a wrong multi-GB file (a model)
        if len(data) <= MAX_PEM_FILE_BYTES:
            return data
        problem = (
            f"file '{p}' is larger than {MAX_PEM_FILE_BYTES // (1024 * 1024)} MiB, far too large for a PEM "
            "certificate chain or key (a few KiB)"
        )
        fix = "pass the right file: the certificate chain (PEM, leaf first) or the unencrypted PEM key"
    except FileNotFoundError:
        problem = f"file '{p}' does not exist"
    except IsADirectoryError:
        problem = f"'{p}' is a directory, not a file"
    except PermissionError:
        problem = f"file '{p}' cannot be read (permission denied)"
    except OSError as exc:
        problem = f"file '{p}' cannot be read ({exc.strerror or exc})"
    raise ConfigurationError(where, problem, fix)


# ---------------------------------------------------------------------------------------------


class CertificateBundle(pulumi.ComponentResource):
    """A certificate chain and private key for a scoring endpoint, from one of four sources.

    Outputs (attributes and registered outputs): ``cert_pem`` (full chain, leaf first), ``key_pem``
    (secret), ``ca_cert_pem`` (what clients must trust for ``dev_ca``/``self_signed``),
    ``hostnames``, ``not_after`` (ISO 8601), ``fingerprint_sha256`` (leaf, hex), ``self_signed``,
    ``chain_trust`` (``public-store``, ``declared-ca`` or ``unknown``), ``source``. Plain attributes for
    other components at construction time: ``source``,
    ``is_self_signed`` (None while a PEM certificate given as an Output is not known yet),
    ``known_chain_trust`` (None while it is not known yet),
    ``hostname_list``, ``environment``, ``is_production``,
    ``dns_managed_by_azure``, ``leaf_domain_label``, ``overwrite_existing_domain``, ``location``,
    ``fqdn_pattern``, ``known_not_after``, ``known_fingerprint_sha256`` and :meth:`covers`.
    """

    # No class-level annotations for these attributes: the Pulumi SDK evaluates a resource class's
    # annotations (typing.get_type_hints) at every registration, ~0.1 ms per component.

    def __init__(
        self,
        name: str,
        args: CertificateBundleArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not isinstance(args, CertificateBundleArgs):
            raise ConfigurationError(
                f"CertificateBundle({name!r}).args",
                f"must be a CertificateBundleArgs, got {type(args).__name__}",
                "pass CertificateBundleArgs(source=..., ...)",
            )
        self._name = name
        where = f"CertificateBundle({name!r})"
        source = args.source
        if source not in CERTIFICATE_SOURCES:
            raise ConfigurationError(
                f"{where}.source",
                f"unknown certificate source {source!r}",
                f"use one of {', '.join(CERTIFICATE_SOURCES)}",
            )
        environment = _plain_str(
            args.environment, f"{where}.environment", "pass the environment name, e.g. 'dev' or 'production'"
        ).strip()
        if not environment:
            raise ConfigurationError(
                f"{where}.environment", "is empty", "pass 'dev', 'staging' or 'production'"
            )

        self.source: str = source
        self.environment: str = environment
        self.is_production: bool = is_production(environment)
        self.dns_managed_by_azure: bool = source == "microsoft_managed"
        self.leaf_domain_label: str | None = None
        self.overwrite_existing_domain: bool | None = None
        self.location: str | None = None
        self.fqdn_pattern: str | None = None
        self.known_not_after: str | None = None
        self.known_fingerprint_sha256: str | None = None
        self.is_self_signed: bool | None = source in ("self_signed", "dev_ca")
        self.known_chain_trust: str | None = TRUST_PUBLIC if source == "microsoft_managed" else TRUST_UNKNOWN
        self._fqdn_re: re.Pattern[str] | None = None
        self._warned: set[tuple[str, str]] = set()
        self._pending_warnings: list[Any] = []

        self._check_unused_args(args, where)
        dns, ips = (
            ([], [])
            if source == "microsoft_managed"
            else _normalize_hostnames(args.hostnames, f"{where}.hostnames")
        )
        self._declared: list[str] = dns + ips

        # ---- decide everything that can fail before registering anything -------------------
        props: dict[str, Any] = {
            "certificateSource": source,
            "environment": environment,
            "dnsManagedByAzure": self.dns_managed_by_azure,
        }
        pem_plan: dict[str, Any] = {}
        if source in ("self_signed", "dev_ca"):
            tls_plan = self._plan_tls(args, where, dns, ips)
            self.hostname_list: list[str] = list(self._declared)
            props.update(selfSigned=True, hostnames=list(self.hostname_list), chainTrust=TRUST_UNKNOWN)
        elif source == "microsoft_managed":
            self.leaf_domain_label = validate_leaf_domain_label(
                args.leaf_domain_label, f"{where}.leaf_domain_label"
            )
            if not isinstance(args.overwrite_existing_domain, bool):
                raise ConfigurationError(
                    f"{where}.overwrite_existing_domain",
                    f"must be True or False, got {args.overwrite_existing_domain!r}",
                    "pass a bool",
                )
            self.overwrite_existing_domain = args.overwrite_existing_domain
            self.location = _normalize_location(args.location, f"{where}.location")
            self.fqdn_pattern = (
                f"{self.leaf_domain_label}{'#' * MICROSOFT_SUFFIX_LEN}.{self.location}.cloudapp.azure.com"
            )
            self._fqdn_re = re.compile(
                rf"^{re.escape(self.leaf_domain_label)}[a-z0-9]{{{MICROSOFT_SUFFIX_LEN}}}"
                rf"\.{re.escape(self.location)}\.cloudapp\.azure\.com$"
            )
            self.hostname_list = [self.fqdn_pattern]
            props.update(
                selfSigned=False,
                hostnames=list(self.hostname_list),
                leafDomainLabel=self.leaf_domain_label,
                overwriteExistingDomain=self.overwrite_existing_domain,
                location=self.location,
                fqdnPattern=self.fqdn_pattern,
                chainTrust=TRUST_PUBLIC,  # issued by a public CA for Azure's own domain
            )
        else:  # pem
            pem_plan = self._plan_pem(args, where, environment)
            props.update(pem_plan["props"])

        super().__init__(type_token("CertificateBundle"), name, props, opts)
        # the base class set Output attributes named after the props; the plain values win
        self.source = source
        self.environment = environment
        self.location = props.get("location")

        ca_cert_pem: pulumi.Input[str | None] = None
        if source == "pem":
            cert_pem, key_pem = pem_plan["cert_pem"], pem_plan["key_pem"]
            hostnames, not_after, fingerprint, self_signed, chain_trust = (
                pem_plan["hostnames"],
                pem_plan["not_after"],
                pem_plan["fingerprint_sha256"],
                pem_plan["self_signed"],
                pem_plan["chain_trust"],
            )
            self._flush_warnings()
        elif source in ("self_signed", "dev_ca"):
            cert_pem, key_pem, ca_cert_pem = self._build_tls(name, tls_plan)
            facts = pulumi.Output.from_input(cert_pem).apply(_cert_facts)
            not_after = facts.apply(lambda f: f["not_after"])
            fingerprint = facts.apply(lambda f: f["fingerprint_sha256"])
            hostnames = list(self.hostname_list)
            self_signed, chain_trust = True, TRUST_UNKNOWN
        else:  # microsoft_managed
            cert_pem = key_pem = None
            hostnames, not_after, fingerprint, self_signed = list(self.hostname_list), None, None, False
            chain_trust = TRUST_PUBLIC

        self.cert_pem = pulumi.Output.from_input(cert_pem)
        self.key_pem = (
            pulumi.Output.secret(key_pem) if key_pem is not None else pulumi.Output.from_input(None)
        )
        self.ca_cert_pem = pulumi.Output.from_input(ca_cert_pem)
        self.hostnames = pulumi.Output.from_input(hostnames)
        self.not_after = pulumi.Output.from_input(not_after)
        self.fingerprint_sha256 = pulumi.Output.from_input(fingerprint)
        self.self_signed = pulumi.Output.from_input(self_signed)
        self.chain_trust = pulumi.Output.from_input(chain_trust)

        outputs: dict[str, Any] = {
            "cert_pem": self.cert_pem,
            "key_pem": self.key_pem,
            "ca_cert_pem": self.ca_cert_pem,
            "hostnames": self.hostnames,
            "not_after": self.not_after,
            "fingerprint_sha256": self.fingerprint_sha256,
            "self_signed": self.self_signed,
            "chain_trust": self.chain_trust,
            "source": self.source,
            "environment": self.environment,
            "dns_managed_by_azure": self.dns_managed_by_azure,
        }
        if source == "microsoft_managed":
            outputs.update(
                leaf_domain_label=self.leaf_domain_label,
                overwrite_existing_domain=self.overwrite_existing_domain,
                location=self.location,
                fqdn_pattern=self.fqdn_pattern,
            )
        self.register_outputs(outputs)

    # ------------------------------------------------------------------------------------------
    @classmethod
    def from_files(
        cls,
        name: str,
        cert_file: str | os.PathLike[str],
        key_file: str | os.PathLike[str],
        *,
        hostnames: Sequence[str] = (),
        environment: str = "dev",
        min_days: int = 30,
        ca_bundle_file: str | os.PathLike[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> CertificateBundle:
        """A ``pem`` bundle read from ``cert_file`` (chain, leaf first) and ``key_file`` (unencrypted key).

        ``ca_bundle_file``: the PEM file of the CA certificate(s) the endpoint's clients trust (e.g. the
        enterprise root): ``CertificateBundleArgs.ca_bundle_pem`` read from a file.

        Missing or unreadable files raise ``ConfigurationError`` naming the file; the content is
        inspected like any known PEM (one ``CertificateBundleError`` listing every error).
        """
        where = f"CertificateBundle({name!r})"
        cert_bytes = _read_file(cert_file, f"{where}.cert_file")
        key_bytes = _read_file(key_file, f"{where}.key_file")
        ca_bytes = None if ca_bundle_file is None else _read_file(ca_bundle_file, f"{where}.ca_bundle_file")
        args = CertificateBundleArgs(
            source="pem",
            cert_pem=_decode_or_keep(cert_bytes),  # type: ignore[arg-type]
            key_pem=_decode_or_keep(key_bytes),  # type: ignore[arg-type]
            hostnames=hostnames,
            environment=environment,
            min_days=min_days,
            cert_name=os.fspath(cert_file),
            key_name=os.fspath(key_file),
            ca_bundle_pem=None if ca_bytes is None else _decode_or_keep(ca_bytes),  # type: ignore[arg-type]
            ca_bundle_name=None if ca_bundle_file is None else os.fspath(ca_bundle_file),
        )
        return cls(name, args, opts)

    def covers(self, hostname: str) -> bool:
        """True when the certificate is valid for ``hostname`` (RFC 6125: SAN only, wildcard = one
        left-most label). ``microsoft_managed`` covers only names of its own pattern
        ``<label>`` + 6 letters/digits + ``.<location>.cloudapp.azure.com``; never a custom domain.
        For PEM that is an Output, only the declared ``hostnames`` count (they are verified when the
        value arrives)."""
        try:
            host = names.normalize(hostname)
        except names.InvalidHostname:
            return False
        if self._fqdn_re is not None:
            return bool(self._fqdn_re.match(host))
        return names.covers(self.hostname_list, host)

    # ------------------------------------------------------------------------------------------
    def _check_unused_args(self, args: CertificateBundleArgs, where: str) -> None:
        """Refuse arguments that belong to another source, so a typo cannot silently change the source."""
        source = args.source
        misplaced: list[str] = []
        if source != "pem":
            misplaced += [f for f in ("cert_pem", "key_pem", "ca_bundle_pem") if getattr(args, f) is not None]
        if source != "microsoft_managed":
            misplaced += [f for f in ("leaf_domain_label", "location") if getattr(args, f) is not None]
            if args.overwrite_existing_domain:
                misplaced.append("overwrite_existing_domain")
        elif args.hostnames:
            raise ConfigurationError(
                f"{where}.hostnames",
                "cannot be chosen with source 'microsoft_managed': Azure generates "
                "<leaf_domain_label>######.<location>.cloudapp.azure.com and sets its DNS",
                "remove hostnames, or use source 'pem' with a certificate for your own domain",
            )
        if misplaced:
            raise ConfigurationError(
                f"{where}.{misplaced[0]}",
                f"{', '.join(misplaced)} {'is' if len(misplaced) == 1 else 'are'} not used with source {source!r}",
                "remove it, or pick the source it belongs to (cert_pem/key_pem/ca_bundle_pem: 'pem'; "
                "leaf_domain_label/location/overwrite_existing_domain: 'microsoft_managed')",
            )

    def _plan_tls(
        self, args: CertificateBundleArgs, where: str, dns: list[str], ips: list[str]
    ) -> dict[str, Any]:
        source = args.source
        if self.is_production:
            raise PolicyRefusal(
                f"{where}.source",
                f"source {source!r} makes a certificate no client trusts, and environment "
                f"{self.environment!r} is production (self-signed and development-CA certificates are "
                "for development only)",
                "use source 'pem' with a certificate from a trusted CA "
                "(CertificateBundle.from_files(name, 'fullchain.pem', 'privkey.pem', hostnames=[...])), "
                "or 'microsoft_managed' on AKS",
                rule="no-self-signed-in-production",
            )
        if not dns and not ips:
            raise ConfigurationError(
                f"{where}.hostnames",
                f"is empty; source {source!r} needs the names to put in the certificate",
                "pass hostnames=['scoring.example.com'] (the names clients connect to)",
            )
        algorithm = args.key_algorithm.upper() if isinstance(args.key_algorithm, str) else args.key_algorithm
        if algorithm not in KEY_ALGORITHMS:
            raise ConfigurationError(
                f"{where}.key_algorithm",
                f"unsupported key algorithm {args.key_algorithm!r}",
                f"use one of {', '.join(KEY_ALGORITHMS)}",
            )
        plan: dict[str, Any] = {"source": source, "algorithm": algorithm, "dns": dns, "ips": ips}
        if algorithm == "ECDSA":
            curve = (
                args.ecdsa_curve.upper().replace("-", "")
                if isinstance(args.ecdsa_curve, str)
                else args.ecdsa_curve
            )
            if curve not in ECDSA_CURVES:
                raise ConfigurationError(
                    f"{where}.ecdsa_curve",
                    f"unsupported curve {args.ecdsa_curve!r} (Azure ML and the inspector accept P-256 and P-384)",
                    f"use one of {', '.join(ECDSA_CURVES)}",
                )
            plan["curve"] = curve
        else:
            plan["rsa_bits"] = _as_int(args.rsa_bits, f"{where}.rsa_bits", minimum=2048)
        validity = _as_int(args.validity_days, f"{where}.validity_days", minimum=1)
        early = _as_int(args.early_renewal_days, f"{where}.early_renewal_days", minimum=0)
        if early >= validity:
            raise ConfigurationError(
                f"{where}.early_renewal_days",
                f"{early} is not less than validity_days ({validity}): every deployment would re-issue the certificate",
                "use an early_renewal_days smaller than validity_days",
            )
        plan.update(validity_hours=validity * 24, early_renewal_hours=early * 24)
        cn = args.common_name
        if cn is None:
            cn = (dns or ips)[0]
        cn = _plain_str(cn, f"{where}.common_name", "pass a plain string")
        if not cn or len(cn) > 64:
            raise ConfigurationError(
                f"{where}.common_name", "must have 1-64 characters", "pass a shorter common name"
            )
        plan["cn"] = cn
        if args.organization is not None:
            plan["organization"] = _plain_str(
                args.organization, f"{where}.organization", "pass a plain string"
            )
        if source == "dev_ca":
            ca_validity = _as_int(args.ca_validity_days, f"{where}.ca_validity_days", minimum=2)
            if ca_validity <= validity:
                raise ConfigurationError(
                    f"{where}.ca_validity_days",
                    f"{ca_validity} is not more than validity_days ({validity}): the CA would expire before "
                    "the certificates it signs",
                    "use a ca_validity_days larger than validity_days",
                )
            ca_cn = args.ca_common_name if args.ca_common_name is not None else f"{self._name} development CA"
            ca_cn = _plain_str(ca_cn, f"{where}.ca_common_name", "pass a plain string")[:64]
            plan.update(ca_validity_hours=ca_validity * 24, ca_early_renewal_hours=validity * 24, ca_cn=ca_cn)
        return plan

    def _private_key(self, name: str, plan: dict[str, Any]) -> tls.PrivateKey:
        kwargs: dict[str, Any] = {"algorithm": plan["algorithm"]}
        if plan["algorithm"] == "ECDSA":
            kwargs["ecdsa_curve"] = plan["curve"]
        else:
            kwargs["rsa_bits"] = plan["rsa_bits"]
        return tls.PrivateKey(
            name,
            **kwargs,
            opts=pulumi.ResourceOptions(
                parent=self, additional_secret_outputs=list(PRIVATE_KEY_SECRET_OUTPUTS)
            ),
        )

    def _build_tls(self, name: str, plan: dict[str, Any]) -> tuple[Any, Any, Any]:
        subject = _subject(plan["cn"], plan.get("organization"))
        dns_names = plan["dns"] or None
        ip_addresses = plan["ips"] or None
        key = self._private_key(f"{name}-key", plan)
        if plan["source"] == "self_signed":
            cert = tls.SelfSignedCert(
                f"{name}-cert",
                private_key_pem=key.private_key_pem,
                subject=tls.SelfSignedCertSubjectArgs(**subject),
                dns_names=dns_names,
                ip_addresses=ip_addresses,
                allowed_uses=list(SERVER_ALLOWED_USES),
                is_ca_certificate=False,
                set_subject_key_id=True,
                validity_period_hours=plan["validity_hours"],
                early_renewal_hours=plan["early_renewal_hours"],
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["privateKeyPem"]),
            )
            # the certificate is its own trust anchor
            return cert.cert_pem, key.private_key_pem, cert.cert_pem

        ca_subject = _subject(plan["ca_cn"], plan.get("organization"))
        ca_key = self._private_key(f"{name}-ca-key", plan)
        ca_cert = tls.SelfSignedCert(
            f"{name}-ca-cert",
            private_key_pem=ca_key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(**ca_subject),
            allowed_uses=list(CA_ALLOWED_USES),
            is_ca_certificate=True,
            set_subject_key_id=True,
            validity_period_hours=plan["ca_validity_hours"],
            early_renewal_hours=plan["ca_early_renewal_hours"],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["privateKeyPem"]),
        )
        csr = tls.CertRequest(
            f"{name}-csr",
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(**subject),
            dns_names=dns_names,
            ip_addresses=ip_addresses,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["privateKeyPem"]),
        )
        cert = tls.LocallySignedCert(
            f"{name}-cert",
            cert_request_pem=csr.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca_cert.cert_pem,
            allowed_uses=list(SERVER_ALLOWED_USES),
            is_ca_certificate=False,
            set_subject_key_id=True,
            validity_period_hours=plan["validity_hours"],
            early_renewal_hours=plan["early_renewal_hours"],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["caPrivateKeyPem"]),
        )
        chain = pulumi.Output.all(cert.cert_pem, ca_cert.cert_pem).apply(lambda v: _join_pem(v[0], v[1]))
        return chain, key.private_key_pem, ca_cert.cert_pem

    # ---- pem ---------------------------------------------------------------------------------
    def _plan_pem(self, args: CertificateBundleArgs, where: str, environment: str) -> dict[str, Any]:
        missing = [f for f in ("cert_pem", "key_pem") if getattr(args, f) is None]
        if missing:
            raise ConfigurationError(
                f"{where}.{missing[0]}",
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required for source 'pem'",
                "pass the certificate chain and the unencrypted key (or use CertificateBundle.from_files, "
                "or source 'self_signed'/'dev_ca' for development)",
            )
        for f in ("cert_pem", "key_pem"):
            value = getattr(args, f)
            if not isinstance(value, str | bytes | pulumi.Output) and not hasattr(value, "__await__"):
                raise ConfigurationError(
                    f"{where}.{f}",
                    f"must be a PEM string or an Output of one, got {type(value).__name__}",
                    "pass PEM text",
                )
        self._min_days = _as_int(args.min_days, f"{where}.min_days", minimum=0)
        self._cert_name = str(args.cert_name or "cert_pem")
        self._key_name = str(args.key_name or "key_pem")
        self._origin = (
            f"cert_file={self._cert_name}, key_file={self._key_name}"
            if args.cert_name or args.key_name
            else "cert_pem/key_pem"
        )
        self._where = where
        self._anchors = _declared_anchors(args, where)
        self._ca_declared = self._anchors is not None
        self._ca_bundle_name = str(args.ca_bundle_name) if args.ca_bundle_name else None
        cert_in, key_in = args.cert_pem, args.key_pem
        props: dict[str, Any] = {}

        if isinstance(cert_in, str | bytes):
            # The certificate is known now: judge it before anything is registered, so that
            # self-signed, expiry, hostnames and chain are known at construction to the components
            # and the policy pack. A key that arrives later (typically a secret, which
            # `secure-scoring check` cannot read) is checked against it when it is known (fails the
            # preview / update the same way).
            key_known = isinstance(key_in, str | bytes)
            report = self._inspect(cert_in, key_in if key_known else None)
            facts = self._facts(report)
            self.known_not_after = facts["not_after"]
            self.known_fingerprint_sha256 = facts["fingerprint_sha256"]
            self.is_self_signed = facts["self_signed"]
            self.known_chain_trust = facts["chain_trust"]
            self.hostname_list = facts["hostnames"]
            props.update(
                selfSigned=facts["self_signed"],
                hostnames=list(facts["hostnames"]),
                notAfter=facts["not_after"],
                fingerprintSha256=facts["fingerprint_sha256"],
                chainTrust=facts["chain_trust"],
            )
            if key_known:
                cert_out: Any = _certificates_only(cert_in)
                key_out: Any = _as_text(key_in)
            else:

                def check_key(key: Any) -> str | None:
                    self._inspect(cert_in, key)
                    self._flush_warnings()
                    return _as_text(key)

                key_out = pulumi.Output.from_input(key_in).apply(check_key)
                # the certificate output waits for the key check: nothing can use an unchecked pair
                # (unsecret: the chain is public, only the key it waited for is secret)
                cert_out = pulumi.Output.unsecret(
                    pulumi.Output.all(_certificates_only(cert_in), key_out).apply(lambda v: v[0])
                )
            return {"props": props, "cert_pem": cert_out, "key_pem": key_out, **facts}

        # PEM arrives later: inspect when the values are known (fails the preview / update the same way).
        # Until then whether the certificate is self-signed is unknown (None), not "no".
        self.is_self_signed = None
        self.known_chain_trust = None
        self.hostname_list = list(self._declared)

        def check(values: list[Any]) -> dict[str, Any]:
            report = self._inspect(values[0], values[1])
            self._flush_warnings()
            return self._facts(report)

        # facts about the certificate are public even when the key (or the cert) came in as a secret
        facts_out = pulumi.Output.unsecret(pulumi.Output.all(cert_in, key_in).apply(check))
        # the outputs depend on the check, so nothing can use an unchecked certificate
        cert_out = pulumi.Output.all(cert_in, facts_out).apply(lambda v: _certificates_only(v[0]))
        key_out = pulumi.Output.all(key_in, facts_out).apply(lambda v: _as_text(v[0]))
        props.update(
            selfSigned=facts_out.apply(lambda f: f["self_signed"]),
            hostnames=facts_out.apply(lambda f: f["hostnames"]),
            notAfter=facts_out.apply(lambda f: f["not_after"]),
            fingerprintSha256=facts_out.apply(lambda f: f["fingerprint_sha256"]),
            chainTrust=facts_out.apply(lambda f: f["chain_trust"]),
        )
        return {
            "props": props,
            "cert_pem": cert_out,
            "key_pem": key_out,
            "hostnames": facts_out.apply(lambda f: f["hostnames"]),
            "not_after": facts_out.apply(lambda f: f["not_after"]),
            "fingerprint_sha256": facts_out.apply(lambda f: f["fingerprint_sha256"]),
            "self_signed": facts_out.apply(lambda f: f["self_signed"]),
            "chain_trust": facts_out.apply(lambda f: f["chain_trust"]),
        }

    def _inspect(self, cert: str | bytes, key: str | bytes) -> Any:
        report = pem.inspect_bundle(
            cert,
            key,
            hostname=list(self._declared) or None,
            environment=self.environment,
            min_days=self._min_days,
            cert_name=self._cert_name,
            key_name=self._key_name,
            anchors=self._trust_anchors(),
        )
        errors = [f for f in report.findings if f.severity == "error"]
        if self.is_production and _untrusted_only(report, errors):
            raise self._untrusted_error(report, errors)
        if errors:
            raise CertificateBundleError(
                f"{self._where} [{self._origin}]", report.findings, check_command=self._check_command()
            )
        self._pending_warnings.extend(f for f in report.findings if f.severity != "error")
        if _PRIVATE_KEY_RE.search(_as_text(cert) or ""):
            self._pending_warnings.append(
                pem.Finding(
                    code="",
                    severity="warning",
                    message=f"{self._cert_name} also holds a private key; the cert_pem output keeps only "
                    "the certificates (it is not a secret), the key comes from the key input",
                    fix="Keep the private key out of the certificate file: pass the chain (leaf first) as "
                    "the certificate and the key as a separate file or secret",
                )
            )
        return report

    def _trust_anchors(self) -> Any:
        """The declared CA bundle, or the system (public) trust store (read once per bundle)."""
        if self._anchors is None:
            self._anchors = default_anchors()
        return self._anchors

    def _untrusted_error(self, report: Any, errors: list[Any]) -> ConfigurationError:
        """Production, and the chain verifies to neither a public root nor a declared CA."""
        why = (
            "; ".join(f"[{f.code}] {f.message.rstrip('.')}" for f in errors) or f"chain trust {report.trust}"
        )
        return PolicyRefusal(
            f"{self._where} [{self._origin}]",
            f"environment {self.environment!r} is production but the certificate chain does not verify to a "
            f"public root or a declared CA ({why})",
            "declare the CA the endpoint's clients trust (e.g. the enterprise root): "
            "CertificateBundleArgs(ca_bundle_pem=<its PEM>) or CertificateBundle.from_files(..., "
            "ca_bundle_file='root-ca.pem') (raw resources: stack config secure-scoring:trustedCaCertificates), "
            "or use a certificate from a public CA; a development CA or a self-signed certificate stays "
            f"refused in production even when declared (check: `{self._check_command()}`)",
            rule="no-self-signed-in-production",
        )

    def _check_command(self) -> str:
        """The ``cert check`` command line that reproduces this inspection."""
        from_files = self._origin.startswith("cert_file=")
        parts = [
            "secure-scoring cert check",
            f"--cert {shlex.quote(self._cert_name) if from_files else 'CERT'}",
            f"--key {shlex.quote(self._key_name) if from_files else 'KEY'}",
        ]
        parts += [f"--hostname {shlex.quote(h)}" for h in self._declared]
        if self._ca_declared:
            name = self._ca_bundle_name if from_files and self._ca_bundle_name else "CA_BUNDLE"
            parts.append(f"--ca-bundle {shlex.quote(name)}")
        env = self.environment.lower()
        if self.is_production or env in ("dev", "staging"):
            parts.append(f"--environment {'production' if self.is_production else env}")
        if self._min_days != 30:
            parts.append(f"--min-days {self._min_days}")
        return " ".join(parts)

    def _flush_warnings(self) -> None:
        pending, self._pending_warnings = self._pending_warnings, []
        for f in pending:
            key = (f.code, f.message)
            if key in self._warned:
                continue
            self._warned.add(key)
            code = f"[{f.code}] " if f.code else ""
            text = f"certificate bundle '{self._name}' ({self._origin}): {code}{f.message.rstrip('.')}."
            if f.fix:
                text += f" Fix: {f.fix}"
            if f.code in _TRUST_CODES:
                # the fix names cert check's --ca-bundle; here the CA is declared on the bundle
                text += (
                    " (on this bundle: CertificateBundleArgs(ca_bundle_pem=<the root's PEM>) or "
                    "CertificateBundle.from_files(..., ca_bundle_file=PATH))"
                )
            pulumi.log.warn(text, resource=self)

    def _facts(self, report: Any) -> dict[str, Any]:
        leaf = report.leaf
        if leaf is None:  # cannot happen without an error finding; keep the facts honest anyway
            return {
                "not_after": None,
                "fingerprint_sha256": None,
                "self_signed": False,
                "hostnames": list(self._declared),
                "chain_trust": TRUST_UNKNOWN,
            }
        names = [str(h).lower() for h in leaf.hostnames]
        return {
            "not_after": _iso(leaf.not_after),
            "fingerprint_sha256": leaf.fingerprint_sha256,
            "self_signed": bool(leaf.self_signed),
            "hostnames": names or list(self._declared),
            "chain_trust": report.trust or TRUST_UNKNOWN,
        }


def default_anchors() -> Any:
    """The anchors of a bundle that declares no CA: the system (public) trust store."""
    from ..certs.trust import TrustAnchors

    return TrustAnchors.system()


# the path findings that say only "no trust anchor for this chain" (the production refusal's reasons)
_TRUST_CODES = frozenset({"issuer-unknown", "trust-store-unavailable"})


def _untrusted_only(report: Any, errors: list[Any]) -> bool:
    """The chain does not verify to an anchor, and that is all that is wrong with it (a self-signed leaf
    or any other error is the inspector's CertificateBundleError)."""
    if report.leaf is None or report.trust in (TRUST_PUBLIC, TRUST_DECLARED):
        return False
    return all(f.code in _TRUST_CODES for f in errors)


def _declared_anchors(args: CertificateBundleArgs, where: str) -> Any:
    """``ca_bundle_pem`` as trust anchors (None when not given); ConfigurationError for bad input."""
    text = args.ca_bundle_pem
    if text is None:
        return None
    field = f"{where}.ca_bundle_file" if args.ca_bundle_name else f"{where}.ca_bundle_pem"
    if not isinstance(text, str | bytes):
        raise ConfigurationError(
            field,
            f"must be PEM text known at construction (a plain string), got {type(text).__name__}",
            "pass the CA certificate(s) as a string, or use CertificateBundle.from_files(..., ca_bundle_file=...)",
        )
    from ..certs.trust import InvalidTrustInput, TrustAnchors

    try:
        return TrustAnchors.from_pem(
            text, f"'{args.ca_bundle_name}'" if args.ca_bundle_name else "ca_bundle_pem"
        )
    except InvalidTrustInput as e:
        raise ConfigurationError(field, e.problem, e.fix) from None


def _decode_or_keep(data: bytes) -> str | bytes:
    """PEM is text; anything that is not UTF-8 (DER, PKCS#12) stays bytes so the inspector can name it."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


_PRIVATE_KEY_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def _certificates_only(value: Any) -> Any:
    """The certificate input as the ``cert_pem`` output: unchanged, except that a combined file (chain
    and private key in one) keeps only its certificates, so no key lands in a non-secret output."""
    text = _as_text(value)
    if isinstance(text, str) and _PRIVATE_KEY_RE.search(text):
        return pem.canonical_pem(text)
    return text


def _as_text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _subject(common_name: str, organization: str | None) -> dict[str, Any]:
    """A pulumi-tls subject: the common name, and the organization when one is given."""
    subject: dict[str, Any] = {"common_name": common_name}
    if organization:
        subject["organization"] = organization
    return subject


def _join_pem(first: str | None, second: str | None) -> str | None:
    if not first:
        return first
    first = first if first.endswith("\n") else first + "\n"
    return first + (second or "")
