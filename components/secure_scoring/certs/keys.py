"""Keys: the private key input (format, passphrase), whether it is the leaf's key, and key strength.

:func:`read_keys` reads the key input and reports ``key-not-pem``, ``no-key`` and ``key-encrypted``;
:func:`check_key_match` proves that the key is the leaf's (``key-mismatch``); :func:`check_strength`
judges every certificate's key and signature (``weak-key``, ``weak-signature``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from .advice import fix_pkcs12, misplaced_marker, read_input
from .blocks import (
    CERT_LABELS,
    PLAIN_KEY_LABELS,
    UNFINISHED,
    Block,
    binary_kind,
    canonical_block,
    describe_bytes,
    read_breaking,
    split_pem,
)
from .facts import CURVE_NAMES, describe_key
from .findings import Findings, short_error

if TYPE_CHECKING:
    from .cert_input import CertRecord

__all__ = [
    "ACCEPTED_CURVES",
    "MIN_RSA_BITS",
    "WEAK_HASHES",
    "check_key_match",
    "check_strength",
    "choose_key",
    "key_weakness",
    "proves_possession",
    "public_der",
    "read_keys",
]


MIN_RSA_BITS = 2048


ACCEPTED_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}


WEAK_HASHES = ("sha1", "md5", "md2", "md4")


_FIX_ENCRYPTED = (
    "Remove the passphrase: openssl pkey -in key.pem -out key-plain.pem (asks for the passphrase once). "
    "Azure ML refuses passphrase-protected keys; keep the plain key in a secret store or a Pulumi "
    "secret, not in the repository"
)


FIX_WEAK_KEY = (
    "Create a new key and have the certificate re-issued for it: "
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem (or -algorithm RSA "
    "-pkeyopt rsa_keygen_bits:2048), then a new CSR"
)


UNSUPPORTED_KEY = "unsupported by Azure ML's TLS front end (not RSA ≥ 2048 or EC P-256/P-384)"


def read_keys(findings: Findings, src: str, data: Any) -> list[Any]:
    """The usable private keys of the key input ``data`` (named ``src`` in messages); [] with findings
    when there is none."""
    raw = read_input(
        findings,
        src,
        data,
        missing=(
            "no-key",
            f"the key input ({src}) is empty",
            "Supply the unencrypted private key in PEM ('-----BEGIN PRIVATE KEY-----')",
        ),
        not_pem="key-not-pem",
        what="private key",
    )
    if raw is None:
        return []
    parsed = split_pem(raw)
    if not parsed.blocks and not parsed.unterminated:
        kind = binary_kind(raw)
        if kind == "key":
            msg, fix = (
                f"{src} is a DER (binary) private key, not PEM",
                f"Convert it: openssl pkey -inform der -in {src} -out key.pem",
            )
        elif kind == "encrypted-key":
            msg, fix = (
                f"{src} is an encrypted DER private key, not PEM",
                f"Convert and decrypt it: openssl pkey -inform der -in {src} -out key.pem",
            )
        elif kind == "pkcs12":
            msg, fix = f"{src} is a PKCS#12 (.pfx/.p12) bundle, not a PEM key", fix_pkcs12(src)
        elif kind == "certificate":
            msg, fix = (
                f"{src} is a DER certificate, not a private key (were the certificate and key swapped?)",
                "Pass the unencrypted private key in PEM as the key",
            )
        else:
            msg, fix = (
                f"{src} is not PEM: no '-----BEGIN PRIVATE KEY-----' block found ({describe_bytes(raw)})",
                "Supply the unencrypted private key in PEM. From DER: openssl pkey -inform der -in "
                "key.der -out key.pem",
            )
        findings.add("key-not-pem", msg, fix)
        return []
    for label in parsed.unterminated:
        findings.add(
            "key-not-pem",
            f"{src}: a '-----BEGIN {label}-----' line has no matching END line (the file is cut short)",
            "Copy the complete key block again, from the BEGIN line to the END line inclusive",
        )
    key_blocks = [b for b in parsed.blocks if "PRIVATE KEY" in b.label]
    if not key_blocks:
        if parsed.blocks:
            found = ", ".join(sorted({b.label for b in parsed.blocks}))
            hint = ""
            if any(b.label in CERT_LABELS for b in parsed.blocks):
                hint = " (a certificate: were the certificate and key files swapped?)"
            elif any(b.label == "PUBLIC KEY" for b in parsed.blocks):
                hint = " (a public key: the server needs the private key)"
            findings.add(
                "no-key",
                f"{src} has no private key block; it holds: {found}{hint}",
                "Supply the unencrypted private key in PEM ('-----BEGIN PRIVATE KEY-----', "
                "'RSA PRIVATE KEY' or 'EC PRIVATE KEY')",
            )
        return []
    # OpenSSL's key reader skips the blocks before the key (EC PARAMETERS, certificates) it cannot
    # read, but the block right before the key swallows it when OpenSSL does not see its END line
    for block in parsed.blocks[max(0, key_blocks[0].index - 2) : key_blocks[0].index - 1]:
        for kind in read_breaking(block, UNFINISHED):
            findings.add("key-not-pem", *misplaced_marker(src, f"'{block.label}'", [], kind))
    keys: list[Any] = []
    for block in key_blocks:
        key = _load_key_block(findings, block, src)
        if key is not None:
            keys.append(key)
    return keys


def _load_key_block(findings: Findings, block: Block, src: str) -> Any | None:
    label = block.label
    if label == "ENCRYPTED PRIVATE KEY" or "ENCRYPTED" in block.headers.get("Proc-Type", "").upper():
        kind = "PKCS#8 encrypted" if label == "ENCRYPTED PRIVATE KEY" else "legacy 'Proc-Type: 4,ENCRYPTED'"
        findings.add(
            "key-encrypted",
            f"{src}: the private key is protected by a passphrase ({kind})",
            _FIX_ENCRYPTED,
        )
        return None
    if label == "OPENSSH PRIVATE KEY":
        findings.add(
            "key-not-pem",
            f"{src} holds an OpenSSH private key, which TLS servers cannot use",
            "Use the key that belongs to the certificate (PKCS#8/PKCS#1/SEC1 PEM); an SSH key is not a TLS key",
        )
        return None
    if block.error:
        findings.add(
            "key-not-pem",
            f"{src}: the '{label}' block cannot be read: {block.error}",
            "Copy the key again from where it was generated; do not edit the base64 lines",
        )
        return None
    if label not in PLAIN_KEY_LABELS:
        findings.add(
            "key-not-pem",
            f"{src}: '-----BEGIN {label}-----' is not a private key format TLS servers read",
            "Convert it to PKCS#8 PEM: openssl pkey -in key-file -out key.pem",
        )
        return None
    try:
        # RSA's full key validation (primality tests) costs ~70 ms on a slow core; check_key_match proves
        # instead that the key signs what the certificate's public key verifies, which a damaged key fails
        key = serialization.load_pem_private_key(
            canonical_block(label, block.der or b""), password=None, unsafe_skip_rsa_key_validation=True
        )
    except TypeError:
        findings.add("key-encrypted", f"{src}: the private key is protected by a passphrase", _FIX_ENCRYPTED)
        return None
    except Exception as exc:  # noqa: BLE001 - any failure is a finding
        findings.add(
            "key-not-pem",
            f"{src}: the '{label}' block is not a valid private key ({short_error(exc)})",
            "Copy the key again from where it was generated; do not edit the base64 lines",
        )
        return None
    for kind in block.line_problems:
        findings.add("key-not-pem", *misplaced_marker(src, f"'{label}'", [], kind))
    return key


def choose_key(keys: list[Any], certs: list[CertRecord]) -> Any | None:
    """The key that belongs to a non-CA certificate of the chain, else the first key."""
    for key in keys:
        key_der = public_der(key.public_key())
        if key_der is not None and any(c.public_der == key_der and not c.is_ca for c in certs):
            return key
    return keys[0] if keys else None


def public_der(key: Any) -> bytes | None:
    try:
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except Exception:  # noqa: BLE001
        return None


_PROBE = b"secure-scoring key possession check"


def proves_possession(key: Any, public_key: Any) -> bool:
    """Sign a probe with the private key and verify it with the certificate's public key."""
    from cryptography.hazmat.primitives import hashes

    try:
        if isinstance(key, rsa.RSAPrivateKey):
            sig = key.sign(_PROBE, padding.PKCS1v15(), hashes.SHA256())
            public_key.verify(sig, _PROBE, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            sig = key.sign(_PROBE, ec.ECDSA(hashes.SHA256()))
            public_key.verify(sig, _PROBE, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
            public_key.verify(key.sign(_PROBE), _PROBE)
        elif isinstance(key, dsa.DSAPrivateKey):
            public_key.verify(key.sign(_PROBE, hashes.SHA256()), _PROBE, hashes.SHA256())
        return True
    except Exception:  # noqa: BLE001 - a failed or impossible signature is "does not prove possession"
        return False


def check_key_match(findings: Findings, certs: list[CertRecord], leaf: CertRecord, key: Any) -> None:
    try:
        key_der = public_der(key.public_key())
    except Exception:  # noqa: BLE001
        key_der = None
    if key_der is not None and key_der == leaf.public_der:
        if not proves_possession(key, leaf.public_key):
            findings.add(
                "key-mismatch",
                f"the private key has the public key of the leaf {leaf.label()}, but a signature made with it "
                "does not verify: the private key is damaged",
                "Use an intact copy of the key that was generated with this certificate's CSR, or create a "
                "new key and have the certificate re-issued",
            )
        return
    other = next((c for c in certs if c is not leaf and c.public_der == key_der), None)
    where = f"; it is the key of {other.label()}" if other else ""
    findings.add(
        "key-mismatch",
        f"the private key ({describe_key(key)}) does not belong to the leaf {leaf.label()}, whose key "
        f"is {leaf.key_description}{where}",
        "Use the key that was generated with this certificate's CSR, or have the certificate re-issued "
        "for this key. Compare: openssl x509 -in cert.pem -noout -pubkey | openssl sha256 and "
        "openssl pkey -in key.pem -pubout | openssl sha256",
    )


def key_weakness(key: Any) -> str | None:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            return f"an RSA key of {key.key_size} bits (at least {MIN_RSA_BITS} are required)"
        return None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name in ACCEPTED_CURVES:
            return None
        return f"an EC key on curve {CURVE_NAMES.get(key.curve.name, key.curve.name)}, {UNSUPPORTED_KEY}"
    if isinstance(key, dsa.DSAPublicKey):
        return f"a DSA key ({key.key_size} bits), {UNSUPPORTED_KEY}"
    return f"{_with_article(describe_key(key))} key, {UNSUPPORTED_KEY}"


def _with_article(noun: str) -> str:
    """'an Ed25519', 'an RSA 1024', 'a DSA 2048': the article by the sound of the first letter."""
    return ("an " if noun[:1].upper() in "AEFHILMNORSX" else "a ") + noun


def check_strength(findings: Findings, certs: list[CertRecord], leaf_index: int) -> None:
    for c in certs:
        label = c.label(leaf_index)
        if c.public_key is None:
            findings.add(
                "weak-key",
                f"{label} has a public key of an algorithm this tool cannot read",
                FIX_WEAK_KEY,
            )
        else:
            weakness = key_weakness(c.public_key)
            if c.explicit_curve and weakness is None:
                findings.add(
                    "weak-key",
                    f"{label} has an {c.key_description} key with explicit curve parameters instead of the "
                    "named curve: RFC 5480 requires the name, and Go clients, among others, reject the "
                    "certificate",
                    "Re-encode the key with the curve's name and have the certificate re-issued: openssl ec "
                    "-in key.pem -param_enc named_curve -out key-named.pem, then a new CSR from key-named.pem"
                    if c.index == leaf_index
                    else "Use the CA's certificate with a named curve (ask your CA)",
                )
            if c.rsa_pss and weakness is None:
                weakness = (
                    f"an RSA-PSS key (id-RSASSA-PSS, {c.public_key.key_size} bits), which Chrome, Go and "
                    f"many other TLS clients do not accept; {UNSUPPORTED_KEY}"
                )
            if weakness:
                if c.index == leaf_index:
                    fix = FIX_WEAK_KEY
                else:
                    fix = "Use a CA whose certificates use RSA 2048+ or EC P-256/P-384 keys"
                findings.add("weak-key", f"{label} has {weakness}", fix)
        if c.self_signed and c.index != leaf_index:
            continue  # a root's self-signature is not checked by clients
        hash_name = c.facts.signature_hash
        if hash_name in WEAK_HASHES:
            findings.add(
                "weak-signature",
                f"{label} is signed with {hash_name.upper()}, which clients reject",
                "Have the certificate re-issued with a SHA-256 (or stronger) signature"
                if c.index == leaf_index
                else "Use the CA's current SHA-256 intermediate certificate",
            )
