"""The text report (gate/render/text.py).

Moved from tests/test_gate.py and tests/test_gate_newuser.py (same assertions)."""

from __future__ import annotations

from secure_scoring import gate


def test_text_report(failing_report):
    _root, report = failing_report
    text = gate.render_text(report)
    assert "azure-native:containerinstance:ContainerGroup  web  (prog/__main__.py:9)" in text
    assert (
        "\n  [mandatory] tls-required (critical): public port 80 is exposed; only HTTPS on 443 is allowed.\n"
        in text
    )
    assert text.count("[mandatory] tls-required (critical): ") == len(report.findings)
    assert text.count("      fix: Use SecureAciService/SecureAksCluster with a certificate;") == 1
    assert "Fix: " not in text  # the pack's ". Fix: ..." suffix is shown once, as the fix line
    n = len(report.findings)
    assert text.rstrip().endswith(
        f"FAIL: stack dev of demo: 1 resources, {n} mandatory violation{'s' if n > 1 else ''}, 0 advisories, 0 notes"
    )
