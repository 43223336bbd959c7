"""The gateway renderer: settings validation (injection refused, naming the field), the rendered
nginx.conf / keys.conf content, and ``nginx -t`` on the rendered files with real certificates."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secure_scoring.dataplane.gateway import (
    CONTAINER_CONFIG_DIR,
    MOZILLA_INTERMEDIATE_CIPHERS,
    SECRET_FILES,
    GatewaySettings,
    container_command,
    render_keys_map,
    render_nginx_config,
    render_secret_files,
    validate_key,
    validate_settings,
)
from secure_scoring.errors import ConfigurationError, SecureScoringError

HOST = "scoring.example.test"
KEY_A = "Key.A-0123456789_abcdefXYZ~+/="
KEY_B = "Key.B-9876543210_uvwxyzABC"


def base(**overrides) -> GatewaySettings:
    return GatewaySettings(hostnames=(HOST,), **overrides)


def directives(conf: str, name: str) -> list[str]:
    """Arguments of every ``name ...;`` directive (comments stripped)."""
    lines = [line.split("#", 1)[0].strip() for line in conf.splitlines()]
    return [line[len(name) :].strip().rstrip(";") for line in lines if re.match(rf"{name}\s", line)]


# ---------------------------------------------------------------- validation


INJECTIONS = [
    "evil.test; include /etc/passwd",
    "evil.test}",
    "evil.test{",
    "evil.test\nlisten 80",
    "evil.test\rx",
    "$host",
    'evil"test',
    "evil'test",
    "evil.test #",
    "evil\\.test",
    "evil test",
    "evil\x00test",
    "evil`test",
]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize(
    "field",
    ["hostnames", "upstream", "listen_address", "config_dir", "runtime_dir", "max_body_size", "resolver"]
    + ["error_log", "access_log", "auth_mode", "min_tls_version"],
)
def test_every_string_setting_refuses_injection_and_names_the_field(field: str, value: str) -> None:
    kwargs: dict = {"hostnames": (HOST,)}
    if field == "hostnames":
        kwargs["hostnames"] = (HOST, value)
    elif field in ("config_dir", "runtime_dir", "error_log", "access_log"):
        kwargs[field] = "/etc/nginx/" + value
    elif field == "upstream":
        kwargs[field] = "127.0.0.1:5001" + value
    else:
        kwargs[field] = value
    with pytest.raises(ConfigurationError) as caught:
        GatewaySettings(**kwargs)
    assert caught.value.input_name == f"gateway.{field}"
    assert caught.value.fix


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("hostnames", (), "at least one"),
        # the words of secure_scoring.names (the one hostname parser)
        ("hostnames", ("-bad.example",), "not a hostname"),
        ("hostnames", ("a..b",), "not a hostname"),
        ("hostnames", ("*.com",), "wildcard over a single label"),
        ("hostnames", ("a.*.example.test",), "wildcard below the left-most label"),
        ("hostnames", ("x" * 64 + ".test",), "not a hostname"),
        ("auth_mode", "token", "only on AKS"),
        ("auth_mode", "Key", "must be one of"),
        ("min_tls_version", "1.1", "refused"),
        ("min_tls_version", "1.0", "refused"),
        ("min_tls_version", "TLSv1.2", "must be"),
        ("upstream", "127.0.0.1", "host:port"),
        ("upstream", "127.0.0.1:0", "from 1 to 65535"),
        ("upstream", "127.0.0.1:70000", "from 1 to 65535"),
        ("listen_address", "localhost", "IP address"),
        ("listen_port", 0, "from 1 to 65535"),
        ("listen_port", "443", "integer"),
        ("listen_port", True, "integer"),
        ("config_dir", "relative/dir", "absolute path"),
        ("runtime_dir", "/tmp/../etc", "absolute path"),
        ("max_body_size", "0", "positive"),
        ("max_body_size", "10g", "positive"),
        ("proxy_read_timeout_s", 0, "from 1"),
        ("client_body_timeout_s", 10**6, "from 1"),
        ("hsts_max_age", -1, "from 0"),
        ("private_ca", "yes", "true or false"),
        ("resolver", "dns.example", "IP address"),
        ("worker_processes", 0, "from 1"),
        ("worker_processes", "many", "integer"),
    ],
)
def test_invalid_settings_are_refused_with_field_problem_and_fix(field, value, words) -> None:
    kwargs = {"hostnames": (HOST,), field: value}
    with pytest.raises(ConfigurationError) as caught:
        GatewaySettings(**kwargs)
    assert caught.value.input_name == f"gateway.{field}"
    assert words in str(caught.value)
    assert "Fix:" in str(caught.value)


def test_settings_are_normalised_at_the_boundary() -> None:
    # other languages hand over lists, integral floats and upper-case names
    s = GatewaySettings(hostnames=["Scoring.Example.TEST", "*.example.test", "10.0.0.5"], listen_port=443.0)
    assert s.hostnames == ("scoring.example.test", "*.example.test", "10.0.0.5")
    assert s.listen_port == 443 and isinstance(s.listen_port, int)
    assert GatewaySettings(hostnames=HOST).hostnames == (HOST,)
    with pytest.raises(ConfigurationError, match="integer"):
        GatewaySettings(hostnames=(HOST,), listen_port=443.5)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("a.example.org.", "a.example.org"),
        ("Scoring.Example.TEST.", "scoring.example.test"),
        ("*.example.test.", "*.example.test"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        ("*.münchen.test", "*.xn--mnchen-3ya.test"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_hostnames_are_normalized_like_serve_local_and_cert_check(given: str, expected: str) -> None:
    # serve-local / cert check / verify accept a trailing dot and IDN names; the gateway must too,
    # and render the form nginx compares with the SNI/Host a client sends (A-labels, no dot)
    from secure_scoring.cli.serve_local import _hostnames
    from secure_scoring.names import normalize

    s = GatewaySettings(hostnames=(given,))
    assert s.hostnames == (expected,)
    assert directives(render_nginx_config(s), "server_name") == [expected]
    assert normalize(given, allow_wildcard=True) == expected
    if "*" not in given:
        assert _hostnames([given]) == [expected]


@pytest.mark.parametrize("given", ["a.example.org..", ".", "exämple..test", "ä" * 64 + ".test"])
def test_hostnames_that_stay_invalid_after_normalization_are_refused(given: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        GatewaySettings(hostnames=(given,))
    assert caught.value.input_name == "gateway.hostnames"
    assert "Fix:" in str(caught.value)


def test_validate_settings_rechecks_a_mutated_instance() -> None:
    s = base()
    object.__setattr__(s, "upstream", "127.0.0.1:5001;")
    with pytest.raises(ConfigurationError, match="gateway.upstream"):
        validate_settings(s)
    with pytest.raises(ConfigurationError, match="gateway.upstream"):
        render_nginx_config(s)
    with pytest.raises(ConfigurationError, match="gateway.upstream"):
        container_command(s)


def test_renderers_recheck_an_instance_mutated_after_a_render() -> None:
    # construction validates once and the renderers skip the repeat, but not for a changed instance
    s = base()
    render_nginx_config(s)
    object.__setattr__(s, "hostnames", ("a.example.test", "b.example.test;"))
    with pytest.raises(ConfigurationError, match="gateway.hostnames"):
        render_nginx_config(s)


def test_renderers_recheck_a_field_forced_to_an_equal_value_of_another_type() -> None:
    s = base()
    render_nginx_config(s)
    object.__setattr__(s, "listen_port", float(s.listen_port))  # == the int, but not an int
    with pytest.raises(ConfigurationError, match="gateway.listen_port"):
        render_nginx_config(s)


@pytest.mark.parametrize(
    "key",
    [
        "short",
        "x" * 257,
        'sixteen-chars-ok"',
        "sixteen-chars-ok;",
        "sixteen chars ok",
        "sixteen-chars-ok\n",
        "sixteen-chars-ok$",
        "sixteen-chars-{}",
        "sixteen-chars-\\k",
        "sixteen-chars-é!",
        "sixteen-chars-ok,",
    ],
)
def test_invalid_keys_are_refused_without_echoing_them(key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate_key(key, "primary_key")
    assert caught.value.input_name == "primary_key"
    assert key not in str(caught.value)
    with pytest.raises(ConfigurationError):
        render_keys_map(key, KEY_B)
    with pytest.raises(ConfigurationError) as caught:
        render_keys_map(KEY_A, key)
    assert caught.value.input_name == "secondary_key"


def test_validate_key_accepts_the_documented_alphabet() -> None:
    validate_key("A" * 16, "k")
    validate_key("a" * 256, "k")
    validate_key("Az09._~+/=-" + "x" * 5, "k")
    with pytest.raises(ConfigurationError, match="string"):
        validate_key(1234567890123456, "k")


def test_identical_keys_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="same as the primary"):
        render_keys_map(KEY_A, KEY_A)


_ALL_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(["hostnames", "upstream", "config_dir", "max_body_size", "listen_address"]),
    value=_ALL_TEXT,
)
def test_fuzz_settings_either_refused_cleanly_or_safe_to_render(field: str, value: str) -> None:
    kwargs: dict = {"hostnames": (HOST,), field: (value,) if field == "hostnames" else value}
    try:
        s = GatewaySettings(**kwargs)
    except ConfigurationError as exc:
        assert exc.input_name == f"gateway.{field}"
        return
    conf = render_nginx_config(s)
    rendered = getattr(s, field)
    for item in rendered if isinstance(rendered, tuple) else (rendered,):
        assert not set(item) & set(";{}$\"'\\#` \t\r\n")
    # the structure is intact: one server, one listener
    assert conf.count("server {") == 1
    assert len(directives(conf, "listen")) == 1


@settings(max_examples=300, deadline=None)
@given(key=_ALL_TEXT)
def test_fuzz_keys_either_refused_cleanly_or_rendered_as_one_regex_line(key: str) -> None:
    try:
        keys = render_keys_map(key, KEY_B)
    except ConfigurationError as exc:
        assert exc.input_name in ("primary_key", "secondary_key")
        return
    entries = [line for line in keys.splitlines() if not line.startswith("#")]
    assert len(entries) == 2
    assert re.fullmatch(r'"~\^Bearer [^"\s]+\\z" 1;', entries[0])


# ---------------------------------------------------------------- rendered configuration


def test_rendered_config_has_the_mozilla_intermediate_tls_settings() -> None:
    conf = render_nginx_config(base())
    assert directives(conf, "ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    assert directives(conf, "ssl_ciphers") == [":".join(MOZILLA_INTERMEDIATE_CIPHERS)]
    ciphers = MOZILLA_INTERMEDIATE_CIPHERS
    assert all(c.startswith("ECDHE-") and ("GCM" in c or "CHACHA20" in c) for c in ciphers)
    assert directives(conf, "ssl_prefer_server_ciphers") == ["off"]
    assert directives(conf, "ssl_ecdh_curve") == ["X25519:prime256v1:secp384r1"]
    assert directives(conf, "ssl_session_tickets") == ["off"]
    assert directives(conf, "ssl_session_cache") == ["shared:SecureScoringTLS:10m"]
    assert directives(conf, "ssl_stapling") == ["on"]
    assert directives(conf, "ssl_stapling_verify") == ["on"]
    assert 'Strict-Transport-Security "max-age=63072000"' in conf
    assert directives(conf, "server_tokens") == ["off"]
    assert directives(conf, "daemon") == ["off"]
    assert directives(conf, "ssl_certificate") == [f"{CONTAINER_CONFIG_DIR}/tls.crt"]
    assert directives(conf, "ssl_certificate_key") == [f"{CONTAINER_CONFIG_DIR}/tls.key"]


def test_only_one_https_listener_and_no_plain_http() -> None:
    conf = render_nginx_config(base())
    assert directives(conf, "listen") == ["443 ssl default_server"]
    assert not re.search(r"listen\s+(\S+:)?80\b", conf)
    local = render_nginx_config(base(listen_address="127.0.0.1", listen_port=8443))
    assert directives(local, "listen") == ["127.0.0.1:8443 ssl default_server"]
    v6 = render_nginx_config(base(listen_address="::1", listen_port=8443))
    assert directives(v6, "listen") == ["[::1]:8443 ssl default_server"]


def test_tls13_only_and_private_ca_and_hsts_options() -> None:
    conf = render_nginx_config(
        base(min_tls_version="1.3", private_ca=True, hsts_max_age=31536000, hsts_include_subdomains=True)
    )
    assert directives(conf, "ssl_protocols") == ["TLSv1.3"]
    assert directives(conf, "ssl_stapling") == ["off"]
    assert "ssl_stapling_verify" not in conf
    assert 'Strict-Transport-Security "max-age=31536000; includeSubDomains" always' in conf
    with_resolver = render_nginx_config(base(resolver="168.63.129.16"))
    assert directives(with_resolver, "resolver") == ["168.63.129.16 valid=300s ipv6=off"]


def test_key_auth_map_health_route_and_authorization_stripped() -> None:
    conf = render_nginx_config(base(upstream="127.0.0.1:5001"))
    assert "map $http_authorization $secure_scoring_authorized {" in conf
    assert f"include {CONTAINER_CONFIG_DIR}/keys.conf;" in conf
    assert 'if ($secure_scoring_authorized != "1")' in conf
    assert "return 401" in conf
    assert "401 'Bearer realm=\"secure-scoring\"';" in conf
    assert "add_header WWW-Authenticate $secure_scoring_www_authenticate always;" in conf
    # both locations proxy to the scorer and both drop the credential; the health route forwards
    # only "/" (a URI in proxy_pass replaces the client's path), the other route the client's path
    assert directives(conf, "proxy_pass") == ["http://secure_scoring_scorer/", "http://secure_scoring_scorer"]
    assert directives(conf, "proxy_set_header Authorization") == ['""'] * 2
    assert directives(conf, "server") == ["127.0.0.1:5001", "{"]  # the upstream member, the server block
    assert directives(conf, "keepalive") == ["16"]
    # the health route is GET-only and has no key check
    health = conf.split("location = / {", 1)[1].split("location / {", 1)[0]
    assert "limit_except GET" in health and "secure_scoring_authorized" not in health
    # ... and takes no body and no query string; no query string passes the other route either
    assert "if ($secure_scoring_has_body) {\n                return 413 " in health
    assert conf.count("if ($is_args) {\n                return 400 ") == 2
    assert directives(conf, "limit_conn") == ["secure_scoring_per_client 100"]
    assert directives(conf, "lingering_time") == ["30s"]
    assert directives(conf, "client_max_body_size") == ["10m"]
    assert directives(conf, "proxy_read_timeout") == ["60s"]
    assert directives(conf, "client_body_timeout") == ["30s"]


def test_auth_mode_none_has_no_key_check() -> None:
    conf = render_nginx_config(base(auth_mode="none"))
    assert "keys.conf" not in conf
    assert "secure_scoring_authorized" not in conf
    assert "return 401" not in conf
    assert directives(conf, "proxy_set_header Authorization") == ['""'] * 2


def test_keys_map_is_a_case_sensitive_anchored_regex_per_key() -> None:
    keys = render_keys_map(KEY_A, KEY_B)
    entries = [line for line in keys.splitlines() if not line.startswith("#")]
    assert entries == [
        r'"~^Bearer Key\.A\-0123456789\_abcdefXYZ\~\+\/\=\z" 1;',
        r'"~^Bearer Key\.B\-9876543210\_uvwxyzABC\z" 1;',
    ]
    # `~` (not `~*`): case-sensitive. What the regex accepts, checked with Python's re (same syntax
    # for these constructs; \z is PCRE's end of subject, Python's \Z).
    pattern = re.compile(entries[0].split('"')[1][1:].replace("\\z", "\\Z"))
    assert pattern.match(f"Bearer {KEY_A}")
    for rejected in (
        f"bearer {KEY_A}",
        f"BEARER {KEY_A}",
        f"Bearer {KEY_A.swapcase()}",
        f"Bearer {KEY_A}x",
        f"Bearer {KEY_A}\n",
        f"xBearer {KEY_A}",
        f"Bearer  {KEY_A}",
        f"Bearer {KEY_A[:-1]}",
        KEY_A,
        f"Bearer {KEY_A.replace('.', 'X')}",
    ):
        assert not pattern.match(rejected), rejected


def test_secret_files_and_container_command() -> None:
    files = render_secret_files(base(), cert_pem="-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----", key_pem="-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----\n", primary_key=KEY_A, secondary_key=KEY_B)  # fmt: skip
    assert tuple(files) == SECRET_FILES
    assert files["tls.crt"].endswith("-----END CERTIFICATE-----\n")
    assert "Bearer Key\\.A" in files["keys.conf"]
    none = render_secret_files(base(auth_mode="none"), cert_pem="-----BEGIN C", key_pem="-----BEGIN K")
    assert "no keys" in none["keys.conf"]
    with pytest.raises(ConfigurationError, match="primary_key"):
        render_secret_files(base(), cert_pem="-----BEGIN C", key_pem="-----BEGIN K")
    with pytest.raises(ConfigurationError, match="cert_pem"):
        render_secret_files(base(auth_mode="none"), cert_pem="/path/tls.crt", key_pem="-----BEGIN K")
    assert container_command(base()) == ["nginx", "-e", "stderr", "-c", f"{CONTAINER_CONFIG_DIR}/nginx.conf"]


# ---------------------------------------------------------------- nginx -t on the rendered files


def _write(tmp: Path, s: GatewaySettings, leaf, keys: bool = True) -> GatewaySettings:
    conf_dir = tmp / "conf"
    run_dir = tmp / "run"
    conf_dir.mkdir()
    run_dir.mkdir()
    s = dataclasses.replace(
        s,
        config_dir=str(conf_dir),
        runtime_dir=str(run_dir),
        error_log=str(tmp / "error.log"),
        access_log=str(tmp / "access.log"),
    )
    files = render_secret_files(
        s,
        cert_pem=leaf.chain_pem(),
        key_pem=leaf.key_pem,
        primary_key=KEY_A if keys else None,
        secondary_key=KEY_B if keys else None,
    )
    for name, content in files.items():
        (conf_dir / name).write_text(content)
    return s


def _nginx_t(tmp: Path, nginx: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [nginx, "-t", "-e", str(tmp / "error.log"), "-p", str(tmp), "-c", str(tmp / "conf/nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"auth_mode": "none"},
        {"min_tls_version": "1.3", "private_ca": True},
        {"resolver": "127.0.0.1", "worker_processes": "auto", "hsts_include_subdomains": True},
    ],
    ids=["key", "none", "tls13-private-ca", "stapling-resolver"],
)
def test_nginx_accepts_the_rendered_config_with_real_files(tmp_path, pki, overrides) -> None:
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    s = _write(tmp_path, base(**overrides), pki.leaf, keys=overrides.get("auth_mode") != "none")
    result = _nginx_t(tmp_path, nginx)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[emerg]" not in result.stderr
    assert s.config_dir in (tmp_path / "conf/nginx.conf").read_text()


def test_nginx_rejects_a_key_that_does_not_match_the_certificate(tmp_path, pki, cert_factory) -> None:
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    _write(tmp_path, base(private_ca=True), pki.leaf)
    other = cert_factory.leaf(pki.inter, ["other.example.test"])
    (tmp_path / "conf/tls.key").write_text(other.key_pem)
    result = _nginx_t(tmp_path, nginx)
    assert result.returncode != 0
    assert "key values mismatch" in result.stderr or "SSL_CTX_use_PrivateKey" in result.stderr


def test_local_gateway_reports_nginx_t_failure_clearly(pki, cert_factory) -> None:
    from secure_scoring.dataplane.local import NginxGateway
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    other = cert_factory.leaf(pki.inter, ["other.example.test"])
    gateway = NginxGateway(
        base(private_ca=True, upstream="127.0.0.1:9"),
        cert_pem=pki.leaf.chain_pem(),
        key_pem=other.key_pem,
        primary_key=KEY_A,
        secondary_key=KEY_B,
        nginx=nginx,
    )
    with pytest.raises(SecureScoringError) as caught:
        gateway.start()
    assert caught.value.input_name == "gateway configuration"
    assert "nginx -t rejected it" in str(caught.value)
    assert "cert check" in str(caught.value)
    assert gateway.pid is None
    assert gateway.workdir is not None and not gateway.workdir.exists()


def test_errors_nginx_answers_itself_are_json_and_401_is_left_to_the_key_check() -> None:
    conf = render_nginx_config(base())
    pages = {code: target for code, _status, target in re.findall(r"error_page (\d+) =(\d*) ?(\S+);", conf)}
    assert set(pages) == {
        "400",
        "403",
        "404",
        "405",
        "413",
        "414",
        "429",
        "494",
        "497",
        "501",
        "502",
        "503",
        "504",
        "505",
    }
    assert "401" not in pages  # the key check's own JSON 401 (with WWW-Authenticate) stays as it is
    assert "408" not in pages  # nginx never answers a stalled client (it logs 408 and closes)
    for code, target in pages.items():
        body = re.search(
            rf"location (?:= )?{re.escape(target)} {{\s+(?:internal;\s+)?return (\d+) '(.*)\\n';", conf
        )
        assert body, target
        status, text = body.groups()
        assert status == ("400" if code in ("494", "497") else code)
        assert set(json.loads(text)) == {"error", "message"}
    # errors raised before the request line is read have no URI, and nginx cannot send such a
    # request to a named location (it answers 500): they go to internal URI locations
    for code in ("400", "414", "494", "505"):
        assert pages[code].startswith("/") and f"location = {pages[code]} {{\n            internal;" in conf
    assert "proxy_intercept_errors" not in conf  # the scorer's own error answers pass through
    assert "types { }" in conf  # no MIME table: an answer for /x.html is JSON too, not text/html


def _raw_https(port: int, request: bytes, *, tls: bool = True) -> bytes:
    import socket
    import ssl

    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=HOST)
    answer = b""
    with sock:
        sock.sendall(request)
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


REQ_KEY = f"Authorization: Bearer {KEY_A}\r\n".encode()


@pytest.mark.parametrize(
    ("request_bytes", "tls", "status", "error"),
    [
        (b"GARBAGE\r\n\r\n", True, 400, "bad_request"),
        (b"GARBAGE\r\n\r\n", False, 400, "bad_request"),
        (b"GET /score HTTP/1.1\r\nHost: x\r\n" + REQ_KEY + REQ_KEY + b"\r\n", True, 400, "bad_request"),
        (b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", True, 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n", True, 400, "header_too_large"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", True, 505, "http_version_not_supported"),
        (b"GET /score HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", False, 400, "https_required"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            True,
            403,
            "forbidden",
        ),
        (
            b"GET /.secure-scoring/error/400 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            True,
            404,
            "not_found",
        ),
        (b"TRACE /score HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", True, 405, "method_not_allowed"),
        (
            b"POST /x.html HTTP/1.1\r\nHost: x\r\n" + REQ_KEY + b"Content-Length: 99999\r\n\r\n",
            True,
            413,
            "request_too_large",
        ),
        (
            b"POST /score HTTP/1.1\r\nHost: x\r\n" + REQ_KEY + b"Transfer-Encoding: gzip\r\n\r\n",
            True,
            501,
            "not_implemented",
        ),
        (
            b"GET /x.html HTTP/1.1\r\nHost: x\r\n" + REQ_KEY + b"Connection: close\r\n\r\n",
            True,
            502,
            "scorer_unavailable",
        ),
        (b"GET /x.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", True, 401, "unauthorized"),
    ],
    ids=[
        "garbage",
        "garbage-plain-http",
        "authorization-twice",
        "uri-too-long",
        "header-too-large",
        "http-2.0-line",
        "plain-http",
        "post-health",
        "internal-error-uri",
        "trace",
        "too-large-html",
        "transfer-encoding",
        "scorer-down-html",
        "no-key-html",
    ],
)
def test_real_nginx_answers_its_own_errors_as_json_with_the_security_headers(
    pki, request_bytes, tls, status, error
) -> None:
    """Real nginx on 127.0.0.1 (the scorer is down): every error nginx answers itself is JSON with the
    right status, application/json whatever the URI's extension, and HSTS; a request line nginx cannot
    read is a 400, not the 500 nginx gives when it cannot redirect such a request to a named location."""
    from secure_scoring.dataplane.local import NginxGateway
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    gateway = NginxGateway(
        base(private_ca=True, upstream="127.0.0.1:9", max_body_size="1k"),
        cert_pem=pki.leaf.chain_pem(),
        key_pem=pki.leaf.key_pem,
        primary_key=KEY_A,
        secondary_key=KEY_B,
        nginx=nginx,
    )
    with gateway:
        answer = _raw_https(gateway.port, request_bytes, tls=tls)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    headers = head.decode("latin-1").lower()
    assert "content-type: application/json" in headers, head
    assert "strict-transport-security: max-age=" in headers, head
    assert "x-content-type-options: nosniff" in headers, head
    assert json.loads(body)["error"] == error
