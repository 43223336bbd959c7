"""Issue 11 regressions: every caller in verify / gateway / serve-local / cert check reads host names
with the one parser (secure_scoring.names), so they agree on IDNA and trailing dots."""

from __future__ import annotations

import pytest

from secure_scoring.cli.cert import _check_hostnames
from secure_scoring.cli.serve_local import _hostnames
from secure_scoring.dataplane.gateway import GatewaySettings
from secure_scoring.errors import ConfigurationError, UsageError
from secure_scoring.names import InvalidHostname, parse_host
from secure_scoring.verify import parse_url


def test_an_internationalized_absolute_name_is_one_a_label_name_everywhere():
    expected = "xn--bcher-kva.example.com"
    given = "Bücher.Example.com."
    assert GatewaySettings(hostnames=(given,)).hostnames == (expected,)
    assert _hostnames([given]) == [expected]
    assert _check_hostnames([given]) == [expected]
    assert parse_url(f"https://{given}/score").host == expected


def test_two_trailing_dots_are_refused_everywhere_with_the_same_problem():
    given = "scoring.example.com.."
    with pytest.raises(InvalidHostname) as parsed:
        parse_host(given)
    problem = parsed.value.problem
    with pytest.raises(ConfigurationError) as gateway:
        GatewaySettings(hostnames=(given,))
    with pytest.raises(UsageError) as serve_local:
        _hostnames([given])
    with pytest.raises(UsageError) as cert_check:
        _check_hostnames([given])
    with pytest.raises(UsageError) as verify_url:
        parse_url(f"https://{given}/score")
    for caught in (gateway, serve_local, cert_check, verify_url):
        assert caught.value.problem == problem.rstrip(".")


def test_a_64_character_u_label_in_the_url_is_a_usage_error_not_a_unicode_error():
    # the old verify called str.encode("idna") and let its UnicodeError escape
    with pytest.raises(UsageError) as caught:
        parse_url("https://" + "ä" * 64 + ".example.test/score")
    assert caught.value.input_name == "URL" and caught.value.fix
