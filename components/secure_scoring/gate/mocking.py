"""Run Pulumi programs under mocks with realistic fake cloud outputs, recording every resource.

Used by the component unit tests and by the offline gate (``secure-scoring check``). What it records
is what the engine would send to a policy pack: the wire-form inputs (camelCase keys, secret
envelopes, unknown sentinels during preview), the parent, the dependencies, the source position and,
for components, the outputs passed to ``register_outputs``.

Fake outputs are realistic where a policy or a component reads them: ARM ids, container group
FQDNs and IPs, public IPs, DNS FQDNs, scoring URIs, and *real* keys and certificates for pulumi-tls
resources (generated with ``cryptography``) so that certificate inspection sees genuine PEM.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import hashlib
import ipaddress
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import empty_pb2, json_format
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import rpc

from ..facts import SECRET_SIG as SECRET_VALUE_SIG
from ..facts import SECRET_SIG_KEY
from ..facts import UNKNOWN as UNKNOWN  # re-exported: tests compare recorded inputs with it
from .pulumi_hooks import event_loop

SECRET_SIG = SECRET_SIG_KEY
"""The key of a secret envelope on the wire (``facts.SECRET_SIG_KEY``; tests import this name)."""
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def unwrap_secrets(value: Any) -> Any:
    """Return ``value`` with every Pulumi secret envelope replaced by its plain value."""
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG) == SECRET_VALUE_SIG:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def is_secret_envelope(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SECRET_SIG) == SECRET_VALUE_SIG


@dataclass
class RecordedResource:
    """One registration seen by the mock monitor."""

    type: str
    name: str
    urn: str
    custom: bool
    parent: str | None
    wire_inputs: dict[str, Any]
    """Inputs as the engine would see them: camelCase, secret envelopes, unknown sentinels."""
    inputs: dict[str, Any]
    """Inputs deserialized by the SDK (secrets unwrapped, ``pulumi.Output`` values resolved)."""
    state: dict[str, Any]
    """What the mock returned as outputs (inputs merged with the fake cloud outputs)."""
    id: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    source: tuple[str, int] | None = None
    """``(path, line)`` of the user code that created the resource, when known."""
    stack_frames: list[tuple[str, int]] = field(default_factory=list)
    outputs: dict[str, Any] | None = None
    """For components: what ``register_outputs`` received (wire form)."""
    additional_secret_outputs: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    """Property paths whose change replaces the resource (``ResourceOptions.replace_on_changes``)."""
    delete_before_replace: bool = False

    def is_secret(self, key: str) -> bool:
        """True when the wire input ``key`` was sent as a Pulumi secret."""
        return is_secret_envelope(self.wire_inputs.get(key))


@dataclass
class Recording:
    """Everything a program registered, in registration order."""

    resources: list[RecordedResource] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def by_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> RecordedResource:
        found = self.by_type(type_)
        if len(found) != 1:
            raise AssertionError(f"expected exactly one {type_}, found {len(found)}")
        return found[0]

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}

    def children_of(self, parent_urn: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == parent_urn]

    def types(self) -> list[str]:
        return [r.type for r in self.resources]


def _fake_uuid(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _fake_ip(seed: str, prefix: str = "20.50") -> str:
    h = hashlib.sha256(seed.encode()).digest()
    return f"{prefix}.{h[0]}.{max(1, h[1] % 254)}"


def _arm_id(inputs: Mapping[str, Any], provider: str, kind: str, name: str) -> str:
    rg = inputs.get("resourceGroupName") or inputs.get("resource_group_name") or "rg"
    if not isinstance(rg, str):
        rg = "rg"
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}/providers/{provider}/{kind}/{name}"


def _pem_key(algorithm: str, inputs: Mapping[str, Any]):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if algorithm == "RSA":
        bits = int(inputs.get("rsaBits") or 2048)
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if algorithm == "ECDSA":
        curve = {"P256": ec.SECP256R1(), "P384": ec.SECP384R1(), "P521": ec.SECP521R1()}.get(
            str(inputs.get("ecdsaCurve") or "P224"), ec.SECP224R1()
        )
        return ec.generate_private_key(curve)
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.generate()


def _load_key(pem: Any):
    from cryptography.hazmat.primitives import serialization

    if not isinstance(pem, str) or "PRIVATE KEY" not in pem:
        return None
    try:
        return serialization.load_pem_private_key(pem.encode(), password=None)
    except ValueError:
        return None


_USE_TO_EKU = {
    "server_auth": "SERVER_AUTH",
    "client_auth": "CLIENT_AUTH",
    "code_signing": "CODE_SIGNING",
    "email_protection": "EMAIL_PROTECTION",
    "timestamping": "TIME_STAMPING",
    "ocsp_signing": "OCSP_SIGNING",
}


def _sign_certificate(
    subject_cn: str | None,
    dns_names: list[str],
    public_key,
    issuer_name,
    issuer_key,
    *,
    hours: int,
    is_ca: bool,
    allowed_uses: list[str],
    ip_addresses: list[str] | None = None,
    subject_key_id: bool = False,
    authority_key_id: bytes | None = None,
) -> str:
    """A certificate as the pulumi-tls provider makes it (Go's ``x509.CreateCertificate``): a CA
    certificate, or one with ``setSubjectKeyId``, gets a subjectKeyIdentifier (SHA-1 of the public key);
    ``authority_key_id`` is the issuer's (Go copies a CA's subjectKeyIdentifier into what it signs)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)] if subject_cn else [])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name if issuer_name is not None else name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in (ip_addresses or [])]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    ekus = [getattr(ExtendedKeyUsageOID, _USE_TO_EKU[u]) for u in allowed_uses if u in _USE_TO_EKU]
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    ku = {
        u: u in allowed_uses for u in ("digital_signature", "key_encipherment", "cert_signing", "crl_signing")
    }
    if any(ku.values()):
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=ku["digital_signature"],
                content_commitment=False,
                key_encipherment=ku["key_encipherment"],
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ku["cert_signing"],
                crl_sign=ku["crl_signing"],
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if is_ca or subject_key_id:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if authority_key_id:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(authority_key_id, None, None), critical=False
        )
    algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(issuer_key, algorithm)
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class RealisticMocks(_mocks.Mocks):
    """Mocks whose outputs look like Azure's and whose certificates are real."""

    def __init__(self, location: str = "westeurope") -> None:
        self.location = location
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    # -- invokes ---------------------------------------------------------------------------------
    def call(self, args: _mocks.MockCallArgs):
        self.invokes.append((args.token, dict(args.args)))
        tok = args.token
        if tok.endswith(":listOnlineEndpointKeys"):
            seed = str(args.args.get("endpointName", ""))
            return {
                "primaryKey": hashlib.sha256(f"{seed}/1".encode()).hexdigest(),
                "secondaryKey": hashlib.sha256(f"{seed}/2".encode()).hexdigest(),
            }, []
        if tok.endswith(":getOnlineEndpointToken"):
            now = _dt.datetime.now(_dt.UTC).timestamp()
            return {
                "accessToken": "eyJhbGciOiJSUzI1NiJ9.mock." + secrets.token_urlsafe(16),
                "expiryTimeUtc": now + 3600,
                "refreshAfterTimeUtc": now + 1800,
                "tokenType": "Bearer",
            }, []
        if tok.endswith(":getClientConfig"):
            return {
                "subscriptionId": SUBSCRIPTION,
                "tenantId": SUBSCRIPTION,
                "clientId": "mock",
                "objectId": "mock",
            }, []
        return {}, []

    # -- resources -------------------------------------------------------------------------------
    def new_resource(self, args: _mocks.MockResourceArgs):
        inputs = unwrap_secrets(dict(args.inputs))
        typ, name = args.typ, args.name
        if not args.custom:
            return f"{name}_id", inputs
        handler = getattr(self, "_" + typ.replace(":", "_").replace("/", "_").replace("-", "_"), None)
        outputs: dict[str, Any] = {}
        rid = f"{name}_id"
        if handler is not None:
            rid, outputs = handler(name, inputs)
        state = {**inputs, **outputs}
        state.setdefault("name", inputs.get("name") or name)
        return rid, state

    # azure-native --------------------------------------------------------------------------------
    def _azure_native_containerinstance_ContainerGroup(self, name, inputs):
        loc = inputs.get("location") or self.location
        ip = dict(inputs.get("ipAddress") or {})
        if ip:
            ip.setdefault("ip", _fake_ip(name))
            label = ip.get("dnsNameLabel")
            if label:
                ip["fqdn"] = f"{label}.{loc}.azurecontainer.io"
        gname = inputs.get("containerGroupName") or name
        out = {"ipAddress": ip, "provisioningState": "Succeeded", "location": loc}
        identity = _identity_answer(inputs.get("identity"), gname)
        if identity is not None:
            out["identity"] = identity
        return _arm_id(inputs, "Microsoft.ContainerInstance", "containerGroups", gname), out

    def _azure_native_network_PublicIPAddress(self, name, inputs):
        loc = inputs.get("location") or self.location
        out = {"ipAddress": _fake_ip(name, "52.160"), "provisioningState": "Succeeded", "location": loc}
        dns = dict(inputs.get("dnsSettings") or {})
        if dns.get("domainNameLabel"):
            dns["fqdn"] = f"{dns['domainNameLabel']}.{loc}.cloudapp.azure.com"
            out["dnsSettings"] = dns
        pname = inputs.get("publicIpAddressName") or name
        return _arm_id(inputs, "Microsoft.Network", "publicIPAddresses", pname), out

    def _record_set(self, name, inputs, zone_key, provider, kind):
        zone = inputs.get(zone_key) or "example.com"
        rel = inputs.get("relativeRecordSetName") or name
        fqdn = zone if rel == "@" else f"{rel}.{zone}"
        rtype = inputs.get("recordType") or "A"
        rid = _arm_id(inputs, provider, f"{kind}/{zone}/{rtype}", rel)
        return rid, {"fqdn": fqdn + ".", "provisioningState": "Succeeded", "etag": "mock-etag"}

    def _azure_native_dns_RecordSet(self, name, inputs):
        return self._record_set(name, inputs, "zoneName", "Microsoft.Network", "dnszones")

    def _azure_native_privatedns_PrivateRecordSet(self, name, inputs):
        return self._record_set(name, inputs, "privateZoneName", "Microsoft.Network", "privateDnsZones")

    def _azure_native_machinelearningservices_OnlineEndpoint(self, name, inputs):
        loc = inputs.get("location") or self.location
        ename = inputs.get("endpointName") or name
        props = dict(inputs.get("properties") or {})
        props.setdefault("scoringUri", f"https://{ename}.{loc}.inference.ml.azure.com/score")
        props.setdefault("swaggerUri", f"https://{ename}.{loc}.inference.ml.azure.com/swagger.json")
        props.setdefault("provisioningState", "Succeeded")
        ws = inputs.get("workspaceName") or "ws"
        rid = _arm_id(inputs, "Microsoft.MachineLearningServices", f"workspaces/{ws}/onlineEndpoints", ename)
        out = {"properties": props, "location": loc}
        identity = _identity_answer(inputs.get("identity"), rid)
        if identity is not None:
            out["identity"] = identity
        return rid, out

    def _azure_native_machinelearningservices_OnlineDeployment(self, name, inputs):
        ws = inputs.get("workspaceName") or "ws"
        ep = inputs.get("endpointName") or "endpoint"
        dname = inputs.get("deploymentName") or name
        kind = f"workspaces/{ws}/onlineEndpoints/{ep}/deployments"
        return _arm_id(inputs, "Microsoft.MachineLearningServices", kind, dname), {}

    def _azure_native_machinelearningservices_Compute(self, name, inputs):
        ws = inputs.get("workspaceName") or "ws"
        cname = inputs.get("computeName") or name
        props = dict(inputs.get("properties") or {})
        props.setdefault("provisioningState", "Succeeded")
        inner = dict(props.get("properties") or {})
        ssl = inner.get("sslConfiguration") or {}
        if props.get("computeType") == "AKS":
            if ssl.get("leafDomainLabel"):
                inner.setdefault("systemServices", [])
            inner.setdefault("clusterFqdn", f"{cname}-dns.hcp.{self.location}.azmk8s.io")
            props["properties"] = inner
        kind = f"workspaces/{ws}/computes"
        return _arm_id(inputs, "Microsoft.MachineLearningServices", kind, cname), {"properties": props}

    def _azure_native_kubernetesconfiguration_Extension(self, name, inputs):
        cluster = inputs.get("clusterName") or "cluster"
        ename = inputs.get("extensionName") or name
        kind = f"managedClusters/{cluster}/extensions"
        rid = _arm_id(inputs, "Microsoft.ContainerService", kind, ename)
        return rid, {"provisioningState": "Succeeded", "currentVersion": "1.1.0"}

    # pulumi-tls / pulumi-random ---------------------------------------------------------------------
    def _tls_index_privateKey_PrivateKey(self, name, inputs):
        from cryptography.hazmat.primitives import serialization

        algorithm = str(inputs.get("algorithm") or "RSA")
        key = _pem_key(algorithm, inputs)
        pkcs8 = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        try:
            trad = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ).decode()
        except ValueError:
            trad = pkcs8
        pub = (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        fp = hashlib.sha256(pub.encode()).hexdigest()
        return f"{name}_id", {
            "privateKeyPem": trad,
            "privateKeyPemPkcs8": pkcs8,
            "publicKeyPem": pub,
            "publicKeyFingerprintSha256": fp,
        }

    def _tls_index_selfSignedCert_SelfSignedCert(self, name, inputs):
        key = _load_key(inputs.get("privateKeyPem"))
        if key is None:
            return f"{name}_id", {"certPem": ""}
        from cryptography import x509

        subject = inputs.get("subject") or {}
        is_ca = bool(inputs.get("isCaCertificate"))
        own_key_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest
        pem = _sign_certificate(
            subject.get("commonName"),
            list(inputs.get("dnsNames") or []),
            key.public_key(),
            None,
            key,
            hours=int(inputs.get("validityPeriodHours") or 24),
            is_ca=is_ca,
            allowed_uses=list(inputs.get("allowedUses") or []),
            ip_addresses=list(inputs.get("ipAddresses") or []),
            subject_key_id=bool(inputs.get("setSubjectKeyId")),
            authority_key_id=own_key_id if inputs.get("setAuthorityKeyId") else None,
        )
        return f"{name}_id", {"certPem": pem, "readyForRenewal": False}

    def _tls_index_certRequest_CertRequest(self, name, inputs):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        key = _load_key(inputs.get("privateKeyPem"))
        if key is None:
            return f"{name}_id", {"certRequestPem": ""}
        subject = inputs.get("subject") or {}
        cn = subject.get("commonName")
        builder = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
        )
        dns_names = list(inputs.get("dnsNames") or [])
        ip_sans = [x509.IPAddress(ipaddress.ip_address(i)) for i in inputs.get("ipAddresses") or []]
        if dns_names or ip_sans:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(d) for d in dns_names] + ip_sans), critical=False
            )
        csr = builder.sign(key, hashes.SHA256())
        return f"{name}_id", {"certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode()}

    def _tls_index_locallySignedCert_LocallySignedCert(self, name, inputs):
        from cryptography import x509

        ca_key = _load_key(inputs.get("caPrivateKeyPem"))
        ca_pem = inputs.get("caCertPem")
        csr_pem = inputs.get("certRequestPem")
        if ca_key is None or not isinstance(ca_pem, str) or not isinstance(csr_pem, str) or not csr_pem:
            return f"{name}_id", {"certPem": ""}
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns_names = san.get_values_for_type(x509.DNSName)
            ip_addresses = [str(i) for i in san.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            dns_names, ip_addresses = [], []
        cns = csr.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
        try:  # Go's x509.CreateCertificate: the issuer's subjectKeyIdentifier becomes the authority key id
            ca_key_id = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            ca_key_id = None
        pem = _sign_certificate(
            str(cns[0].value) if cns else None,
            dns_names,
            csr.public_key(),
            ca.subject,
            ca_key,
            hours=int(inputs.get("validityPeriodHours") or 24),
            is_ca=bool(inputs.get("isCaCertificate")),
            allowed_uses=list(inputs.get("allowedUses") or []),
            ip_addresses=ip_addresses,
            subject_key_id=bool(inputs.get("setSubjectKeyId")),
            authority_key_id=ca_key_id,
        )
        return f"{name}_id", {"certPem": pem, "readyForRenewal": False}

    def _random_index_randomPassword_RandomPassword(self, name, inputs):
        length = int(inputs.get("length") or 32)
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        if inputs.get("special", True) is not False:
            alphabet += str(inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?")
        return f"{name}_id", {"result": "".join(secrets.choice(alphabet) for _ in range(length))}

    def _random_index_randomString_RandomString(self, name, inputs):
        return self._random_index_randomPassword_RandomPassword(name, inputs)

    def _random_index_randomId_RandomId(self, name, inputs):
        n = int(inputs.get("byteLength") or 8)
        raw = secrets.token_bytes(n)
        return f"{name}_id", {"hex": raw.hex(), "b64Url": base64.urlsafe_b64encode(raw).decode().rstrip("=")}


class RecordingMonitor(_mocks.MockMonitor):
    """A MockMonitor that keeps what the engine would see for each registration."""

    def __init__(self, mocks: _mocks.Mocks, recording: Recording) -> None:
        super().__init__(mocks)
        self.recording = recording
        self._by_urn: dict[str, RecordedResource] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        wire = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
        reg = self.resources.get(response.urn)
        frames: list[tuple[str, int]] = []
        for fr in request.stackTrace.frames:
            if fr.pc and fr.pc.uri:
                frames.append((uri_to_path(fr.pc.uri), int(fr.pc.line)))
        source = None
        if request.sourcePosition and request.sourcePosition.uri:
            source = (uri_to_path(request.sourcePosition.uri), int(request.sourcePosition.line))
        inputs = rpc.deserialize_properties(request.object)
        rec = RecordedResource(
            type=request.type,
            name=request.name,
            urn=response.urn,
            custom=bool(request.custom),
            parent=request.parent or None,
            wire_inputs=wire,
            inputs=unwrap_secrets(dict(inputs)),
            state=dict(reg.state) if reg else {},
            id=reg.id if reg else None,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            source=source,
            stack_frames=frames,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            replace_on_changes=list(request.replaceOnChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
        )
        self._by_urn[response.urn] = rec
        self.recording.resources.append(rec)
        return response

    def RegisterResourceOutputs(self, request):
        rec = self._by_urn.get(request.urn)
        if rec is not None and request.outputs is not None:
            rec.outputs = json_format.MessageToDict(request.outputs, preserving_proto_field_name=True)
        return empty_pb2.Empty()


class _LogHandler:
    def __init__(self, recording: Recording) -> None:
        self.recording = recording

    # logging.Logger-like interface used by MockEngine
    def debug(self, msg):
        self.recording.logs.append(("debug", str(msg)))

    def info(self, msg):
        self.recording.logs.append(("info", str(msg)))

    def warning(self, msg):
        self.recording.logs.append(("warning", str(msg)))

    def error(self, msg):
        self.recording.logs.append(("error", str(msg)))


def _identity_answer(identity: Any, owner: str) -> dict[str, Any] | None:
    """Azure's answer for a managed identity input: the input lists user-assigned identity ids, the
    answer maps each id to its principalId/clientId; a system-assigned identity gets a principal."""
    if not isinstance(identity, Mapping):
        return None
    ident = {k: v for k, v in identity.items() if k != "userAssignedIdentities"}
    ids = identity.get("userAssignedIdentities") or []
    if ids:
        ident["userAssignedIdentities"] = {
            str(i): {"principalId": _fake_uuid(f"{i}/p"), "clientId": _fake_uuid(f"{i}/c")} for i in ids
        }
    if "SystemAssigned" in str(identity.get("type") or ""):
        ident.update(principalId=_fake_uuid(f"{owner}/p"), tenantId=SUBSCRIPTION)
    return ident


def uri_to_path(uri: str) -> str:
    """The file path of a ``file:`` URI (a stack frame's position); any other text as is."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def run_with_mocks(
    program: Callable[[], Any],
    *,
    project: str = "project",
    stack: str = "dev",
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    preview: bool = False,
    mocks: _mocks.Mocks | None = None,
) -> Recording:
    """Run ``program`` (a callable that declares resources) under mocks and return what it registered.

    ``config`` uses Pulumi's full keys (``"project:key"``, ``"secure-scoring:environment"``).
    Exceptions raised by the program, or inside an ``apply`` of one of its outputs, propagate.
    """
    from pulumi.runtime import config as _config
    from pulumi.runtime import settings as _settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    recording = Recording()
    mocks = mocks or RealisticMocks()
    monitor = RecordingMonitor(mocks, recording)
    event_loop()  # before the SDK makes futures (Python 3.12+ warns when it has to make one)
    _settings.ROOT.set(None)
    _config.set_all_config(dict(config or {}), list(secret_keys or []))
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=preview, monitor=monitor, logger=_LogHandler(recording)
    )
    _settings.SETTINGS.rpc_manager.clear()
    _settings.SETTINGS.outputs.clear()
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        if isinstance(mocks, RealisticMocks):
            recording.invokes = list(mocks.invokes)
        # leave no pending tasks behind for the next run in the same process
        loop = asyncio.get_event_loop()
        for task in asyncio.all_tasks(loop) if not loop.is_running() else []:
            task.cancel()
    return recording


def output_value(output: pulumi.Output) -> Any:
    """Resolve an Output created in a finished mock run (value, or None when unknown)."""
    from pulumi.runtime.sync_await import _sync_await

    return _sync_await(output.future())


def output_is_secret(output: pulumi.Output) -> bool:
    from pulumi.runtime.sync_await import _sync_await

    return bool(_sync_await(output.is_secret()))
