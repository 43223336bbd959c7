"""``tls-required``: scoring endpoints serve HTTPS only (TLS on, no plain HTTP port)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import nginx_conf
from ..certificates import extension_certificate
from ..model import Rule, RuleContext, RuleViolation, note
from ..props import as_list, fmt_port, get, is_unknown, num, truthy
from ..scoring import is_azureml_extension
from ..types import ACI_SERVICE, AKS_CLUSTER, CONTAINER_GROUP, K8S_EXTENSION, ML_COMPUTE

TLS_REQUIRED = "tls-required"


# --------------------------------------------------------------------------------------------- container group
def _gateway_containers(props: Mapping[str, Any], port: float = 443.0) -> tuple[list[str], list[str]]:
    """Names of TLS gateway containers for ``port`` (it serves ``port``/TCP, runs a TLS proxy image
    or command, mounts a secret volume holding a certificate and a key), and the unknown parts that
    prevented judging."""
    if is_unknown(get(props, "volumes", [])):
        return [], ["volumes"]
    cert_volumes, undecided = nginx_conf.certificate_volumes(props)
    unknown: list[str] = list(undecided.values())
    gateways: list[str] = []
    containers = get(props, "containers", [])
    if is_unknown(containers):
        return [], ["containers"]
    for i, c in enumerate(as_list(containers)):
        if not isinstance(c, Mapping):
            continue
        cports = get(c, "ports", [])
        if is_unknown(cports):
            unknown.append(f"containers[{i}].ports")
            continue
        serves = False
        for p in as_list(cports):
            cport = num(get(p, "port")) if isinstance(p, Mapping) else None
            proto = get(p, "protocol") if isinstance(p, Mapping) else None
            if cport == port and (proto is None or str(proto).upper() == "TCP"):
                serves = True
        if not serves:
            continue
        proxy = nginx_conf.runs_image(c, nginx_conf.TLS_PROXY_IMAGE_RE)
        if proxy is None:
            unknown.append(f"containers[{i}].image")
            continue
        if not proxy:
            continue
        mounts = get(c, "volumeMounts", [])
        if is_unknown(mounts):
            unknown.append(f"containers[{i}].volumeMounts")
            continue
        if any(isinstance(m, Mapping) and str(get(m, "name")) in cert_volumes for m in as_list(mounts)):
            gateways.append(str(get(c, "name") or f"containers[{i}]"))
    return gateways, unknown


def _plain_listeners(props: Mapping[str, Any], gateways: Sequence[str], port: float) -> list[RuleViolation]:
    """Plain-HTTP ``listen`` directives on ``port`` in the nginx configuration that the gateway
    containers mount from secret volumes (judged only when that configuration is readable: a
    configuration baked into the image cannot be seen, and a secret not known yet is left alone)."""
    out: list[RuleViolation] = []
    found, _unknown = nginx_conf.gateways(props)
    for g in found:
        if g.container not in gateways:
            continue
        for conf, directives in g.confs:
            plain_servers = [
                s for s in nginx_conf.servers(directives) for p, ssl in s.listens if p == port and not ssl
            ]
            if plain_servers:
                out.append(
                    RuleViolation(
                        TLS_REQUIRED,
                        f"{conf.label} of gateway '{g.container}' listens on port {fmt_port(port)} "
                        "without ssl: the HTTPS port serves plain HTTP (write `listen "
                        f"{fmt_port(port)} ssl;`)",
                    )
                )
    return out


def validate_container_group(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """Only the allowed ports (443 by default), over TCP, each served by a TLS gateway container."""
    rule = TLS_REQUIRED
    out: list[RuleViolation] = []
    ip = get(props, "ipAddress")
    if ip is None:
        return out  # no IP address: nothing is reachable from outside the group
    if is_unknown(ip):
        return [note(rule, "ipAddress is not known yet")]
    allowed = {
        float(p) for p in (num(x) for x in as_list(ctx.config.get("allowedPorts") or [443])) if p is not None
    }
    ports = get(ip, "ports", [])
    if is_unknown(ports):
        return [note(rule, "ipAddress.ports is not known yet")]
    ip_type = get(ip, "type")
    where = "public" if not isinstance(ip_type, str) or ip_type.lower() != "private" else "private"
    tls_ports: list[float] = []
    for i, p in enumerate(as_list(ports)):
        if not isinstance(p, Mapping):
            continue
        port = get(p, "port")
        proto = get(p, "protocol")
        if is_unknown(port) or is_unknown(proto):
            out.append(note(rule, f"ipAddress.ports[{i}] is not known yet"))
            continue
        value = num(port)
        if value is None:
            continue
        if isinstance(proto, str) and proto.upper() == "UDP":
            out.append(
                RuleViolation(rule, f"{where} port {fmt_port(value)}/UDP cannot carry TLS (HTTPS is TCP)")
            )
        elif value not in allowed:
            allowed_text = ", ".join(fmt_port(a) for a in sorted(allowed))
            out.append(
                RuleViolation(
                    rule,
                    f"{where} port {fmt_port(value)} is exposed; only HTTPS on {allowed_text} is allowed",
                )
            )
        else:
            tls_ports.append(value)
    for value in sorted(set(tls_ports)):
        gateways, unknown = _gateway_containers(props, value)
        if gateways:
            out.extend(_plain_listeners(props, gateways, value))
            out.extend(_missing_keys(props, gateways))
            continue
        if unknown:
            out.append(
                note(
                    rule,
                    f"whether a TLS gateway serves port {fmt_port(value)} ({', '.join(unknown)} not known yet)",
                )
            )
        else:
            out.append(
                RuleViolation(
                    rule,
                    f"no TLS gateway on port {fmt_port(value)}: no container serves it over TCP with a TLS "
                    "proxy (nginx, envoy, ...) and a secret volume holding a certificate and a key",
                )
            )
    return out


def _missing_keys(props: Mapping[str, Any], gateways: Sequence[str]) -> list[RuleViolation]:
    """A served certificate whose private key (``ssl_certificate_key``, in the same directory of
    the mounted volume) is not in the volume: nginx cannot start TLS (read from the volume)."""
    out: list[RuleViolation] = []
    found, _unknown = nginx_conf.gateways(props)
    for g in found:
        if g.container not in gateways:
            continue
        for label, cert, key in nginx_conf.served_certificates(g, props):
            if cert is not None and key is None and not is_unknown(cert):
                out.append(
                    RuleViolation(
                        TLS_REQUIRED,
                        f"the certificate {label} has no private key in its volume "
                        "(ssl_certificate_key names a file that is not there): the gateway cannot serve TLS",
                    )
                )
    return out


# --------------------------------------------------------------------------------------------- AKS v1 compute
def validate_compute(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """An AKS compute's sslConfiguration is Enabled (with cert and key) or Auto (with a leaf label)."""
    rule = TLS_REQUIRED
    ctype = get(props, "properties.computeType")
    if is_unknown(ctype):
        return [note(rule, "properties.computeType is not known yet")]
    if not isinstance(ctype, str) or ctype.lower() != "aks":
        return []  # Kubernetes compute has no TLS field: TLS is judged on its azureml extension
    ssl = get(props, "properties.properties.sslConfiguration")
    if is_unknown(ssl):
        return [note(rule, "properties.properties.sslConfiguration is not known yet")]
    if not isinstance(ssl, Mapping):
        return [
            RuleViolation(
                rule, "AKS compute has no properties.properties.sslConfiguration: scoring is plain HTTP"
            )
        ]
    status = get(ssl, "status")
    if is_unknown(status):
        return [note(rule, "sslConfiguration.status is not known yet")]
    st = str(status or "").lower()
    if st in ("", "disabled"):
        return [
            RuleViolation(
                rule, f"AKS compute sslConfiguration.status is {status or 'missing'}: scoring is plain HTTP"
            )
        ]
    if st not in ("enabled", "auto"):
        # Azure knows Enabled, Auto and Disabled; anything else cannot be confirmed to enable TLS
        # (the value is not quoted: messages never carry property values)
        return [
            RuleViolation(
                rule, "AKS compute sslConfiguration.status is not Enabled or Auto: TLS cannot be confirmed"
            )
        ]
    cert, key, leaf = get(ssl, "cert"), get(ssl, "key"), get(ssl, "leafDomainLabel")
    if any(is_unknown(v) for v in (cert, key, leaf)):
        return [note(rule, "sslConfiguration certificate settings are not known yet")]
    if leaf:
        return []
    if st == "auto":
        return [RuleViolation(rule, "sslConfiguration.status is Auto but leafDomainLabel is not set")]
    missing = [n for n, v in (("cert", cert), ("key", key)) if not v]
    if missing:
        return [
            RuleViolation(
                rule,
                f"sslConfiguration.status is Enabled without {' and '.join(missing)} and without leafDomainLabel",
            )
        ]
    return []


# --------------------------------------------------------------------------------------------- azureml extension
def validate_extension(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """An inference-enabled Azure ML extension refuses insecure connections and has a certificate."""
    rule = TLS_REQUIRED
    is_ml = is_azureml_extension(props)
    if is_ml is None:
        return [note(rule, "extensionType is not known yet")]
    if not is_ml:
        return []
    settings = get(props, "configurationSettings")
    if is_unknown(settings):
        return [note(rule, "configurationSettings is not known yet")]
    settings = settings if isinstance(settings, Mapping) else {}
    inference = settings.get("enableInference")
    if is_unknown(inference):
        return [note(rule, "configurationSettings.enableInference is not known yet")]
    if truthy(inference) is not True:
        return []  # training-only extension: no scoring endpoint
    insecure = settings.get("allowInsecureConnections")
    if is_unknown(insecure):
        return [note(rule, "configurationSettings.allowInsecureConnections is not known yet")]
    if truthy(insecure) is True:
        return [
            RuleViolation(
                rule,
                "configurationSettings.allowInsecureConnections is True: the inference router serves plain HTTP",
            )
        ]
    out: list[RuleViolation] = []
    if insecure is not None and truthy(insecure) is None:
        out.append(
            RuleViolation(rule, "configurationSettings.allowInsecureConnections is not 'True' or 'False'")
        )
    cert, by_path = extension_certificate(props)
    protected = get(props, "configurationProtectedSettings")
    key = protected.get("scoringFe.sslKey") if isinstance(protected, Mapping) else None
    key_by_path = bool(settings.get("sslKeyPemFile"))
    # `sslSecret`: a Kubernetes secret (azureml namespace) holding cert.pem and key.pem, the
    # extension's documented alternative to the inline certificate and key
    in_secret = settings.get("sslSecret")
    if is_unknown(cert) or is_unknown(key) or is_unknown(in_secret):
        return out + [note(rule, "configurationProtectedSettings is not known yet")]
    in_secret = isinstance(in_secret, str) and bool(in_secret.strip())
    missing = []
    if not cert and not by_path and not in_secret:
        missing.append("scoringFe.sslCert")
    if not key and not key_by_path and not in_secret:
        missing.append("scoringFe.sslKey")
    if missing:
        out.append(
            RuleViolation(
                rule,
                "inference is enabled without a TLS certificate: configurationProtectedSettings lacks "
                + " and ".join(missing)
                + " (and configurationSettings names no sslSecret)",
            )
        )
    return out


# --------------------------------------------------------------------------------------------- our components
def validate_component(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    """The component declares ``tlsEnabled`` true."""
    rule = TLS_REQUIRED
    tls = get(props, "tlsEnabled")
    if is_unknown(tls):
        return [note(rule, "tlsEnabled is not known yet")]
    if tls is None:
        return [RuleViolation(rule, "the component does not declare tlsEnabled: TLS cannot be confirmed")]
    if truthy(tls) is not True:
        return [RuleViolation(rule, "the component is created with TLS off (tlsEnabled false)")]
    return []


RULE = Rule(
    name=TLS_REQUIRED,
    description="Scoring endpoints must serve HTTPS only (TLS on, no plain HTTP port).",
    remediation=(
        "Use SecureAciService/SecureAksCluster with a certificate; on raw resources expose only 443/TCP "
        "through a TLS gateway sidecar (ACI), set sslConfiguration.status Enabled with cert/key/cname or "
        "leafDomainLabel (AKS v1), or allowInsecureConnections 'False' with scoringFe.sslCert/sslKey (extension)."
    ),
    severity="critical",
    validators={
        CONTAINER_GROUP: validate_container_group,
        ML_COMPUTE: validate_compute,
        K8S_EXTENSION: validate_extension,
        ACI_SERVICE: validate_component,
        AKS_CLUSTER: validate_component,
    },
    config_schema={
        "allowedPorts": {
            "type": "array",
            "items": {"type": "number"},
            "default": [443],
            "description": "Ports a container group may expose (each must be served by the TLS gateway).",
        }
    },
    url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
)
