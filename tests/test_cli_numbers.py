"""The CLI's whole-number options share one parser (cli.whole_number); each keeps its own messages."""

from __future__ import annotations

import pytest

from secure_scoring.cli import main

SERVE = ["serve-local", "--entry-script", "score.py", "--cert", "c.pem", "--key", "k.pem"]
VERIFY = ["verify", "https://scoring.example.test/score"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*SERVE, "--port", "x"], "argument --port: expected a port number, got 'x'"),
        ([*SERVE, "--port", "70000"], "argument --port: expected 0..65535, got 70000"),
        ([*SERVE, "--workers", "many"], "argument --workers: expected a whole number, got 'many'"),
        ([*SERVE, "--workers", "65"], "argument --workers: expected 1..64, got 65"),
        ([*SERVE, "--timeout", "0"], "argument --timeout: expected 1..3600, got 0"),
        ([*VERIFY, "--min-days", "soon"], "argument --min-days: expected a whole number of days, got 'soon'"),
        ([*VERIFY, "--min-days", "-1"], "argument --min-days: expected 0..36500 days, got -1"),
    ],
)
def test_whole_number_options_refuse_with_their_messages(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert f"error: {message}\n" in capsys.readouterr().err


def test_whole_number_options_accept_their_range():
    from secure_scoring.cli import whole_number

    days = whole_number(0, 36500, what="a whole number of days", unit=" days")
    assert days("0") == 0 and days("36500") == 36500 and days(" 30 ") == 30
