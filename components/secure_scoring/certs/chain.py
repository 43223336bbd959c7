"""The chain: leaf first, each certificate issued by the next, nothing missing, nothing extra.

:func:`walk` follows the issuers of a certificate through a list of certificates (an issuer is the
certificate whose subject is the child's issuer name *and* whose key verifies the child's signature,
:func:`secure_scoring.certs.facts.issued_by`), up to a self-signed one or a gap. :func:`check_chain`
turns the walk over the file's certificates into the ``chain-order`` and ``chain-incomplete`` findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cert_input import CertRecord
from .facts import is_self_signed, issued_by, names_match
from .findings import ERROR, WARNING, Findings
from .path import PathResult, ca_issuers_url

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["ChainWalk", "check_chain", "walk"]


@dataclass(frozen=True)
class ChainWalk:
    """Where :func:`walk` went: ``path`` (indexes, the start first, then each issuer), whether it ended at
    a self-signed certificate (``complete``) and, when it stopped at a gap, the index of a certificate
    that has the issuer's name but whose key did not sign the last one (``impostor``), if any."""

    path: tuple[int, ...]
    complete: bool
    impostor: int | None = None


def walk(
    certs: Sequence[x509.Certificate], start: int = 0, *, self_signed: Sequence[bool] | None = None
) -> ChainWalk:
    """Follow the issuers of ``certs[start]`` through ``certs``, each certificate used once.

    ``self_signed`` (one flag per certificate, as :func:`secure_scoring.certs.facts.is_self_signed` says)
    saves verifying the signatures again when the caller has them.
    """
    flags = list(self_signed) if self_signed is not None else [is_self_signed(c) for c in certs]
    path, used, cur = [start], {start}, start
    while not flags[cur]:
        named = [i for i, c in enumerate(certs) if i not in used and names_match(certs[cur], c)]
        issuer = next((i for i in named if issued_by(certs[cur], certs[i])), None)
        if issuer is None:
            return ChainWalk(tuple(path), False, named[0] if named else None)
        path.append(issuer)
        used.add(issuer)
        cur = issuer
    return ChainWalk(tuple(path), True)


_FIX_CHAIN_ORDER = (
    "Rebuild the file leaf first, then each issuer: cat leaf.pem intermediate.pem > fullchain.pem "
    "(the root is optional); remove certificates that do not belong to the chain"
)


_FIX_CHAIN_INCOMPLETE = (
    "Append the intermediate certificate(s) your CA supplied after the leaf: "
    "cat leaf.pem intermediate.pem > fullchain.pem. Azure ML needs the full chain, leaf first"
)


def check_chain(
    findings: Findings, certs: list[CertRecord], leaf_index: int, trusted: PathResult | None = None
) -> None:
    """``chain-order`` (order, duplicates, certificates outside the chain) and ``chain-incomplete``.

    With the result of the path check (:mod:`.path`): once a path to a trust anchor verified (or, outside
    production, up to the file's own root), ``chain-order`` is a warning (clients build their own path)
    and nothing is incomplete; when none verified, ``chain-incomplete`` needs a gap the file shows (an
    issuer between its certificates, a same-name impostor, or a leaf alone that names its issuer's URL):
    a leaf alone from a CA that is not a trust anchor is the path check's ``issuer-unknown``."""
    found_path = trusted is not None and bool(trusted.chain)
    order_severity = WARNING if found_path else ERROR
    leaf = certs[leaf_index]
    walked = walk([c.cert for c in certs], leaf_index, self_signed=[c.self_signed for c in certs])
    path = [certs[i] for i in walked.path]
    used = set(walked.path)
    cur = path[-1]
    bad_signature = certs[walked.impostor] if walked.impostor is not None else None
    # duplicates and certificates outside the chain
    leftovers = [c for c in certs if c.index not in used]
    duplicates = [
        c for c in leftovers if any(o.fingerprint == c.fingerprint for o in certs if o.index < c.index)
    ]
    for dup in duplicates:
        first = next(o for o in certs if o.fingerprint == dup.fingerprint)
        findings.add(
            "chain-order",
            f"{dup.label()} is a duplicate of certificate #{first.index + 1}",
            "Remove the duplicate certificate from the file",
            order_severity,
        )
    leftovers = [c for c in leftovers if c not in duplicates]
    gap = not walked.complete
    # order of the chain in the file; duplicates are reported above and do not count here
    in_file = [c for c in certs if c not in duplicates]
    rank = {c.index: r for r, c in enumerate(in_file)}
    ranks = [rank[c.index] for c in path]
    if ranks != list(range(len(path))):
        order = ", ".join(f"#{c.index + 1}" for c in path)
        if ranks[0] != 0:
            msg = (
                f"the leaf {leaf.label(leaf_index)} is not the first certificate of the file "
                f"(#1 is {certs[0].subject}); servers take the first certificate as the leaf"
            )
        else:
            k = next(i for i, r in enumerate(ranks) if r != i)
            child = path[k - 1]
            nxt = in_file[k] if k < len(in_file) else None
            msg = (
                f"{child.label(leaf_index)} is followed by "
                f"{nxt.label(leaf_index) if nxt else 'nothing'}, which did not issue it; its issuer is "
                f"{path[k].label(leaf_index)}"
            )
        # a leaf that is not first is served as if it were: an error whatever the path
        severity = order_severity if ranks[0] == 0 else ERROR
        findings.add("chain-order", f"{msg}. Expected order: {order}", _FIX_CHAIN_ORDER, severity)
    # completeness
    if found_path:
        pass
    elif bad_signature is not None:
        findings.add(
            "chain-incomplete",
            f"{bad_signature.label(leaf_index)} has the name of the issuer of {cur.label(leaf_index)} "
            "but its key did not sign it (a re-keyed or different CA certificate with the same name); "
            f"the real issuer '{cur.issuer}' is missing",
            "Use the intermediate certificate your CA delivered together with this certificate",
        )
    elif gap and (
        any(c.is_ca for c in leftovers)
        or (len(walked.path) == 1 and (trusted is None or ca_issuers_url(cur.cert) is not None))
    ):
        if any(c.is_ca for c in leftovers):
            what = "the chain has a gap"
        elif leftovers:
            what = "the leaf's issuer is missing"
        else:
            what = "the file holds only the leaf"
        findings.add(
            "chain-incomplete",
            f"{what}: the issuer '{cur.issuer}' of {cur.label(leaf_index)} is not in the file",
            _FIX_CHAIN_INCOMPLETE,
        )
    chain = ", ".join(f"#{x.index + 1}" for x in path)
    for c in leftovers:
        if gap and c.is_ca and not (found_path and _off_path(c, trusted)):
            continue  # may sit above the missing issuer; reported as chain-incomplete
        child = next((x for x in path[:-1] if issued_by(x.cert, c.cert)), None)
        if child is not None:  # the same CA twice: a cross-signed or re-issued certificate of it
            position = path.index(child) + 1
            why = (
                f"it is a second certificate of the issuer of #{child.index + 1} (cross-signed or "
                f"re-issued), which #{path[position].index + 1} already provides"
            )
        else:
            why = "it issued none of its certificates (another server certificate, or a CA of another chain)"
        findings.add(
            "chain-order",
            f"{c.label(leaf_index)} is not part of the leaf's chain ({chain}): {why}",
            _FIX_CHAIN_ORDER,
            order_severity,
        )


def _off_path(c: CertRecord, trusted: PathResult) -> bool:
    """``c`` is neither on the verified path nor above its anchor (it issued none of its certificates):
    a CA the path does not use, which clients ignore and the file need not hold."""
    return not any(x == c.cert or issued_by(x, c.cert) for x in trusted.chain)
