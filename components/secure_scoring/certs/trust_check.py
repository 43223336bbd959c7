"""The inspector's side of path validation: run :func:`secure_scoring.certs.path.verify_path` on the
file's certificates and report its findings next to the inspector's own.

The path check's verdict wins where the two disagree; the inspector's messages stay where they say
more. So a path finding whose code the inspector already reported is not repeated, and the other
checks read the :class:`~secure_scoring.certs.path.PathResult`: ``chain-order`` is a warning once a
path verified, ``chain-incomplete`` is reported only when no path verified and the file has a gap,
validity is an error only on the verified path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from .findings import PRODUCTION_ENVIRONMENTS, Findings
from .path import PathResult, verify_path
from .trust import TrustAnchors

if TYPE_CHECKING:
    from .cert_input import CertRecord

__all__ = ["check_trust", "path_of", "path_indexes"]


def path_of(
    certs: Sequence[CertRecord],
    leaf_index: int,
    *,
    anchors: TrustAnchors,
    hostnames: Sequence[str],
    at: datetime,
    environment: str,
) -> PathResult:
    """Verify the path from the leaf through the other certificates of the file (any order) to
    ``anchors``."""
    leaf = certs[leaf_index].cert
    others = [c.cert for c in certs if c.index != leaf_index]
    return verify_path(
        leaf,
        others,
        anchors=anchors,
        hostnames=list(hostnames),
        at=at,
        production=environment in PRODUCTION_ENVIRONMENTS,
    )


def path_indexes(certs: Sequence[CertRecord], path: PathResult | None) -> set[int] | None:
    """The indexes of the file's certificates on the verified (or provisional) path; None without one."""
    if path is None or not path.chain:
        return None
    return {c.index for c in certs if any(c.cert == p for p in path.chain)}


def check_trust(findings: Findings, path: PathResult) -> None:
    """Report the path check's findings whose code the inspector has not reported already."""
    reported = {f.code for f in findings}
    for finding in path.findings:
        if finding.code in reported and finding.code in _INSPECTOR_CODES:
            continue
        if finding.code in _GAP_CODES and "chain-incomplete" in reported:
            continue  # the inspector names the missing intermediate
        findings.add(finding.code, finding.message, finding.fix, finding.severity)


# what the path check says when the inspector has found the gap in the file
_GAP_CODES = frozenset({"issuer-unknown", "path-not-found", "signature-invalid"})

# the codes both report: the inspector's message names the certificate by its place in the file
_INSPECTOR_CODES = frozenset(
    {"hostname-mismatch", "no-san", "not-server-auth", "ca-as-leaf", "weak-key", "weak-signature"}
    | {"cert-expired", "cert-not-yet-valid"}
)
