"""secure-scoring:trustedCaCertificates as a new user writes it wrong: an empty list, an entry that is
a mapping or a number. Each is named with a fix, and never read as a file name."""

from __future__ import annotations

import json

import pytest

from secure_scoring.policy.certificates import TRUSTED_CA_KEY, declared_anchors
from support.chains import make_ca, pem_of


@pytest.mark.parametrize("raw", [[], "[]"])
def test_empty_list_declares_nothing_and_says_so(raw) -> None:
    anchors, problems = declared_anchors({TRUSTED_CA_KEY: raw})
    assert anchors is None
    [problem] = problems
    assert "empty list" in problem and "fix:" in problem


@pytest.mark.parametrize(
    ("entry", "kind"), [({"path": "root.pem"}, "a mapping"), (42, "a number"), (["a.pem"], "a list")]
)
def test_an_entry_of_the_wrong_type_is_named_not_read_as_a_path(entry, kind) -> None:
    # Pulumi hands structured config to the pack as JSON text
    anchors, problems = declared_anchors({TRUSTED_CA_KEY: json.dumps([entry])})
    assert anchors is None
    [problem] = problems
    assert f"{TRUSTED_CA_KEY}[0] is {kind}" in problem and "fix:" in problem
    assert "does not exist" not in problem


def test_a_wrong_entry_keeps_the_position_of_the_next_ones() -> None:
    root = make_ca("Acme Root")
    anchors, problems = declared_anchors({TRUSTED_CA_KEY: [7, pem_of(root).decode(), ""]})
    assert anchors is not None and anchors.certificates == [root.cert]
    assert problems[0].startswith(f"{TRUSTED_CA_KEY}[0] is a number")
    assert problems[1].startswith(f"{TRUSTED_CA_KEY}[2] is not a PEM string")
