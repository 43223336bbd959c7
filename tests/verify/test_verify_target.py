"""What verify checks (components/secure_scoring/verify/target.py): URLs and DNS servers parsed by
the one hostname parser, paths percent-encoded, IPv6 addresses bracketed, no SNI for an IP."""

from __future__ import annotations

import pytest

from secure_scoring.errors import UsageError
from secure_scoring.verify import http as vhttp
from secure_scoring.verify import net, parse_dns_server, parse_url, target, tls, verify


def test_parse_url_and_dns_server():
    t = parse_url("https://Scoring.Example.Test./api/v1/service/s1/score?x=1")
    assert (t.host, t.port, t.path, t.host_header) == (
        "scoring.example.test",
        443,
        "/api/v1/service/s1/score?x=1",
        "scoring.example.test",
    )
    assert parse_url("https://[::1]:8443").host_header == "[::1]:8443"
    assert parse_url("https://svc.test:8443/").path == "/score"
    assert str(parse_dns_server("127.0.0.1")) == "127.0.0.1:53"
    assert str(parse_dns_server("[::1]:5353")) == "[::1]:5353"
    assert parse_dns_server("10.0.0.4:5300").port == 5300


@pytest.mark.parametrize("host", ["a%20b", "bad!.example.test", "a;b.example.test", "a,b.example.test"])
def test_url_hosts_no_dns_name_can_have_are_usage_errors_not_lookups(host):
    with pytest.raises(UsageError) as caught:
        parse_url(f"https://{host}/score")
    # the words of secure_scoring.names, the one hostname parser
    assert caught.value.input_name == "URL" and "is not a hostname" in str(caught.value)
    # names DNS does have still parse (underscore labels exist, e.g. SRV-style names)
    assert parse_url("https://_svc.scoring-1.example.test/score").host == "_svc.scoring-1.example.test"


def test_non_ascii_path_is_percent_encoded():
    assert parse_url("https://scoring.example.test/modèle/score?q=é").path == ("/mod%C3%A8le/score?q=%C3%A9")
    assert parse_url("https://scoring.example.test/a%20b/score").path == "/a%20b/score"  # kept as given


def test_ipv6_addresses_are_bracketed_and_ip_urls_send_no_sni(monkeypatch):
    """[::1]:19999, not ::1:19999; no network: the TCP connection is refused by a stand-in."""

    assert (
        target.hostport("::1", 19999) == "[::1]:19999" and target.hostport("10.0.0.1", 443) == "10.0.0.1:443"
    )
    assert parse_url("https://[::1]:19999/score").sni == "no SNI (IP address)"
    assert parse_url("https://scoring.example.test/score").sni == "SNI scoring.example.test"

    def refused(address, port, timeout):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(net, "connect", refused)
    report = verify("https://[::1]:19999/score", timeout=1)
    tcp = report.step("tcp").detail
    assert tcp.startswith("cannot connect to [::1]:19999: "), tcp
    failure = tls.handshake_failure(parse_url("https://[2001:db8::1]:8443/"), OSError("boom"))
    assert "[2001:db8::1]:8443" in failure.detail
    step = vhttp.plain_http_step("http-port", parse_url("https://[::1]:19999/"), "::1", 80, 1)
    assert "[::1]:80: " in step.detail


def test_a_handshake_that_times_out_says_so() -> None:
    """A port that accepts TCP but never completes the handshake: the fix is not 'certificate and key
    match' (found by a new-user tester against a server that never speaks)."""
    target_ = parse_url("https://scoring.example.test:8443/score")
    failure = tls.handshake_failure(target_, TimeoutError("_ssl.c:990: The handshake operation timed out"))
    assert "timed out" in failure.detail and "scoring.example.test:8443" in failure.detail
    assert "--timeout" in failure.fix and "key that match" not in failure.fix
    other = tls.handshake_failure(target_, OSError("boom"))
    assert "certificate and key that match" in other.fix
