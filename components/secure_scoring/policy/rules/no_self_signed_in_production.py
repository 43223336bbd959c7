"""``no-self-signed-in-production``: production uses no self-signed or development-CA certificate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import nginx_conf
from ..certificates import (
    COMPUTE_CERT,
    certificate_facts,
    chain_trust,
    declared_anchors,
    extension_certificate,
    extension_pem,
)
from ..model import Rule, RuleContext, RuleViolation, note
from ..props import get, is_unknown, truthy
from ..scoring import is_azureml_extension
from ..types import (
    ACI_SERVICE,
    AKS_CLUSTER,
    CERTIFICATE_BUNDLE,
    CONTAINER_GROUP,
    K8S_EXTENSION,
    ML_COMPUTE,
    SCORING_COMPONENTS,
    TLS_LOCALLY_SIGNED,
    TLS_SELF_SIGNED,
)

NO_SELF_SIGNED = "no-self-signed-in-production"
_TRUSTED = ("public-store", "declared-ca")
_DEV_SOURCES = ("self_signed", "dev_ca", "self-signed", "dev-ca", "selfsigned", "devca")


def validate_tls_self_signed(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """A pulumi-tls SelfSignedCert is always self-signed."""
    return [
        RuleViolation(NO_SELF_SIGNED, f"pulumi-tls SelfSignedCert is self-signed ({ctx.production_label()})")
    ]


def validate_tls_locally_signed(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """A pulumi-tls LocallySignedCert is issued by a CA whose key is in the program: a development CA."""
    return [
        RuleViolation(
            NO_SELF_SIGNED,
            "pulumi-tls LocallySignedCert is issued by a CA whose key lives in this program "
            f"(caPrivateKeyPem): a development CA ({ctx.production_label()})",
        )
    ]


def _judge_facts(props: Mapping[str, Any], ctx: RuleContext, source: Any) -> list[RuleViolation]:
    rule = NO_SELF_SIGNED
    env = get(props, "environment")
    self_signed = get(props, "selfSigned")
    if is_unknown(self_signed) or is_unknown(source):
        return [note(rule, "selfSigned / certificateSource is not known yet")]
    if isinstance(source, str) and source.strip().lower() in _DEV_SOURCES:
        kind = "a development CA" if "ca" in source.lower() else "self-signed"
        return [
            RuleViolation(
                rule, f"certificateSource is {source}: {kind} certificate ({ctx.production_label(env)})"
            )
        ]
    if truthy(self_signed) is True:
        return [RuleViolation(rule, f"the certificate is self-signed ({ctx.production_label(env)})")]
    trust = get(props, "chainTrust")
    if is_unknown(trust):
        return [note(rule, "chainTrust is not known yet")]
    if isinstance(trust, str) and trust not in _TRUSTED:
        return [
            RuleViolation(
                rule,
                f"the certificate chain does not verify to a public root or a declared CA (chainTrust {trust}; "
                f"{ctx.production_label(env)})",
            )
        ]
    return []


def validate_component(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """A scoring component's ``certificateSource`` and ``selfSigned`` facts."""
    return _judge_facts(props, ctx, get(props, "certificateSource"))


def validate_certificate_bundle(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """A CertificateBundle's facts (its source is ``certificateSource``, or ``source`` in older props)."""
    source = get(props, "certificateSource")
    if source is None:
        source = get(props, "source")
    return _judge_facts(props, ctx, source)


def _inline_certificate(where: str, cert: Any, ctx: RuleContext) -> list[RuleViolation]:
    if is_unknown(cert):
        return [note(NO_SELF_SIGNED, f"{where} is not known yet")]
    return _served(f"in {where}", cert, ctx)


def _served(where: str, cert: Any, ctx: RuleContext) -> list[RuleViolation]:
    """A certificate a resource holds or serves: refused when self-signed, and, unless a scoring
    component made the resource, when its chain verifies to no trust anchor."""
    facts = certificate_facts(cert)
    if facts is None:
        return []
    if facts.self_signed:
        return [
            RuleViolation(NO_SELF_SIGNED, f"the certificate {where} is self-signed ({ctx.stack_label()})")
        ]
    if ctx.parent_type() in SCORING_COMPONENTS:
        # a SecureAciService / SecureAksCluster serves its CertificateBundle's chain: the bundle's own
        # chainTrust fact (judged with the CA the bundle declares, ca_bundle_pem) decides, once
        return []
    return _untrusted(where, cert, ctx)


def _untrusted(where: str, cert: str, ctx: RuleContext) -> list[RuleViolation]:
    """A raw resource's certificate whose chain verifies to neither a public root nor a declared CA."""
    trust, reason = chain_trust(cert, ctx.stack_config)
    if trust in _TRUSTED:
        return []
    _, problems = declared_anchors(ctx.stack_config)
    unusable = f"; unusable declarations: {'; '.join(problems)}" if problems else ""
    return [
        RuleViolation(
            NO_SELF_SIGNED,
            f"the certificate {where} does not verify to a public root or a declared CA ({reason}{unusable}; "
            f"{ctx.stack_label()})",
        )
    ]


def validate_compute(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """The certificate inline in an AKS v1 compute's sslConfiguration."""
    return _inline_certificate("sslConfiguration.cert", get(props, COMPUTE_CERT), ctx)


def validate_container_group(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """The certificate a raw gateway serves, read from its secret volume (nginx: the file
    ``ssl_certificate`` names; other TLS proxies: the certificate files of the volume they mount)."""
    out: list[RuleViolation] = []
    found, _unknown = nginx_conf.gateways(props)
    for gateway in found:
        for label, cert, _key in nginx_conf.served_certificates(gateway, props):
            if is_unknown(cert):
                out.append(note(NO_SELF_SIGNED, f"the certificate {label} is not known yet"))
                continue
            out.extend(_served(label, cert, ctx))
    # a TLS proxy whose configuration is not readable (caddy, envoy, ..., nginx configured in its
    # image) serves the certificate of the secret volume it mounts
    for label, cert in nginx_conf.other_gateway_certificates(props):
        if is_unknown(cert):
            out.append(note(NO_SELF_SIGNED, f"the certificate {label} is not known yet"))
            continue
        out.extend(_served(label, cert, ctx))
    return out


def validate_extension(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """The certificate inline in an Azure ML extension's protected settings."""
    if is_azureml_extension(props) is False:
        return []
    cert, _ = extension_certificate(props)
    if isinstance(cert, str):
        cert = extension_pem(cert)
    return _inline_certificate("configurationProtectedSettings scoringFe.sslCert", cert, ctx)


RULE = Rule(
    name=NO_SELF_SIGNED,
    description="Production must not use self-signed or development-CA certificates.",
    remediation=(
        "Use a certificate from a public CA, or from an enterprise CA the endpoint's clients trust, declared "
        "on the CertificateBundle (ca_bundle_pem=<PEM> or from_files(..., ca_bundle_file=PATH)) or, for raw "
        "resources, in the stack config secure-scoring:trustedCaCertificates (PEM strings or file paths "
        "relative to the project); or a Microsoft-managed certificate (AKS leaf_domain_label). Development "
        "CAs and self-signed certificates stay refused in production even if declared: keep self_signed/"
        "dev_ca and pulumi-tls SelfSignedCert/LocallySignedCert for dev stacks."
    ),
    severity="high",
    validators={
        TLS_SELF_SIGNED: validate_tls_self_signed,
        TLS_LOCALLY_SIGNED: validate_tls_locally_signed,
        CERTIFICATE_BUNDLE: validate_certificate_bundle,
        ML_COMPUTE: validate_compute,
        K8S_EXTENSION: validate_extension,
        CONTAINER_GROUP: validate_container_group,
        ACI_SERVICE: validate_component,
        AKS_CLUSTER: validate_component,
    },
    production_only=True,
    url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
)
