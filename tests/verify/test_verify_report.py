"""The verifier's report (components/secure_scoring/verify/report.py): its text form."""

from __future__ import annotations

from secure_scoring.verify import FAIL, PASS, SKIP, VerifyReport


def test_text_report_shape():
    from secure_scoring.verify import Step, format_text

    report = VerifyReport(
        "https://scoring.example.test/score",
        [
            Step("dns", PASS, "ok"),
            Step("tcp", FAIL, "refused", "start it"),
            Step("tls-handshake", SKIP, "no TCP"),
        ],
    )
    text = format_text(report).splitlines()
    assert text[0] == "secure-scoring verify https://scoring.example.test/score"
    assert text[1].split() == ["PASS", "dns", "ok"]
    assert text[2].split()[:2] == ["FAIL", "tcp"] and text[3].strip() == "fix: start it"
    assert text[-1] == "FAILED: 1 failed, 1 passed, 1 skipped"
    assert report.to_dict()["ok"] is False and report.exit_code == 1
