"""Rendering of the gateway's files from validated :class:`~.gateway_settings.GatewaySettings`:
``nginx.conf``, the keys map (``keys.conf``), the secret volume and the container command (pure; no
Pulumi). What the rendered configuration does is described in :mod:`secure_scoring.dataplane.gateway`.
"""

from __future__ import annotations

import json

from .. import tls_versions as tv
from ..errors import ConfigurationError
from .gateway_settings import (
    GatewaySettings,
    ensure_valid,
    nginx_host_port,
    parse_ip,
    validate_key,
)

__all__ = [
    "HEALTH_PATH",
    "MOZILLA_INTERMEDIATE_CIPHERS",
    "MOZILLA_INTERMEDIATE_CURVES",
    "REALM",
    "SECRET_FILES",
    "container_command",
    "render_keys_disabled",
    "render_keys_map",
    "render_nginx_config",
    "render_secret_files",
]

# The files of the gateway's secret volume (ACI) / config directory (local).
SECRET_FILES = ("nginx.conf", "tls.crt", "tls.key", "keys.conf")

REALM = "secure-scoring"
HEALTH_PATH = "/"

# Mozilla server-side TLS guidelines v5.7, "intermediate" profile, OpenSSL names (TLS 1.2 suites).
# The three DHE-RSA suites of the profile are left out: they need a DH parameter file, and modern
# clients all speak ECDHE. A subset of the profile is still compliant with it (sslyze checks that
# every accepted suite is in the profile). TLS 1.3 suites are OpenSSL's defaults, which are exactly
# the profile's three (AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305).
MOZILLA_INTERMEDIATE_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
)
MOZILLA_INTERMEDIATE_CURVES = ("X25519", "prime256v1", "secp384r1")


def _listen(s: GatewaySettings) -> str:
    if s.listen_address is None:
        return str(s.listen_port)
    return f"{parse_ip('listen_address', s.listen_address, '').url_form}:{s.listen_port}"


def _key_regex(key: str) -> str:
    # Case-sensitive PCRE, anchored at both ends (\z: no trailing newline allowed either). Every
    # non-alphanumeric key character is escaped so '.' and '+' are literal.
    escaped = "".join(c if c.isalnum() else "\\" + c for c in key)
    return f"~^Bearer {escaped}\\z"


def render_keys_map(primary: str, secondary: str) -> str:
    """``keys.conf``: the entries of the nginx ``map`` that accepts the two keys.

    nginx compares plain ``map`` strings case-insensitively, so each key is a case-sensitive regex
    anchored at both ends: only ``Authorization: Bearer <key>`` with the exact scheme and key matches.
    """
    validate_key(primary, "primary_key")
    validate_key(secondary, "secondary_key")
    if primary == secondary:
        raise ConfigurationError(
            "secondary_key",
            "is the same as the primary key",
            "use two independent random keys so one can be rotated while the other keeps working",
        )
    return (
        "# secure-scoring gateway keys: rewrite this file and run `nginx -s reload` to rotate.\n"
        f'"{_key_regex(primary)}" 1;\n'
        f'"{_key_regex(secondary)}" 1;\n'
    )


def render_keys_disabled() -> str:
    """``keys.conf`` for ``auth_mode="none"`` (the file exists but nginx.conf does not include it)."""
    return "# secure-scoring gateway: authentication is off (auth_mode none); no keys.\n"


# The errors nginx answers itself, as JSON like the 401 and the scorer's own answers (nginx's default
# is an HTML page). The scorer's responses are passed through untouched (proxy_intercept_errors off).
# A client that stalls (client_header_timeout / client_body_timeout) is disconnected without an
# answer: nginx logs 408 but never sends one, so there is no 408 page.
#
# (nginx code, status sent, error, message, before the URI): the errors nginx can raise while the
# request line is unreadable (garbage, a URI too long, an unknown HTTP version) have no URI yet, and
# nginx cannot redirect such a request to a named location ("empty URI in redirect to named
# location": it answers 500 instead). Those go to an internal URI; the rest to named locations,
# which keep the request's own URI in the access log.
_ERROR_PAGES = (
    (
        400,
        400,
        "bad_request",
        "the request is malformed (not valid HTTP, or a header such as Authorization sent twice)",
        True,
    ),
    (414, 414, "uri_too_long", "the request URI is too long", True),
    (494, 400, "header_too_large", "a request header is too large (or all of them together are)", True),
    (505, 505, "http_version_not_supported", "the HTTP version is not supported: use HTTP/1.1", True),
    (497, 400, "https_required", "the plain HTTP request was sent to the HTTPS port: use https://", False),
    (403, 403, "forbidden", "the health route takes GET only", False),
    (404, 404, "not_found", "there is no such route", False),
    (405, 405, "method_not_allowed", "the method is not allowed", False),
    (413, 413, "request_too_large", "the request body is larger than {max_body_size}", False),
    (
        429,
        429,
        "too_many_connections",
        "too many requests in progress from your address (at most {max_connections_per_client})",
        False,
    ),
    (
        501,
        501,
        "not_implemented",
        "the Transfer-Encoding is not supported: send Content-Length or chunked",
        False,
    ),
    (502, 502, "scorer_unavailable", "the scorer is not answering (starting, or stopped)", False),
    (503, 503, "scorer_unavailable", "the scorer is not available", False),
    (504, 504, "scorer_timeout", "the scorer did not answer within {proxy_read_timeout_s} s", False),
)
# where the errors raised before the URI is known are answered (internal: a client asking for it
# gets the JSON 404)
_ERROR_URI_PREFIX = "/.secure-scoring/error/"


def _error_pages(s: GatewaySettings) -> str:
    lines = ["        # errors nginx answers itself are JSON too (the scorer's own answers pass through)"]
    blocks = []
    for code, status, error, message, early in _ERROR_PAGES:
        text = message.format(
            max_body_size=s.max_body_size,
            proxy_read_timeout_s=s.proxy_read_timeout_s,
            max_connections_per_client=s.max_connections_per_client,
        )
        body = json.dumps({"error": error, "message": text})
        if early:
            target = f"{_ERROR_URI_PREFIX}{code}"
            lines.append(f"        error_page {code} ={status} {target};")
            head = f"location = {target} {{\n            internal;"
        else:
            target = f"@secure_scoring_{code}"
            lines.append(f"        error_page {code} = {target};")
            head = f"location {target} {{"
        blocks.append(f"        {head}\n            return {status} '{body}\\n';\n        }}")
    return "\n".join(lines + blocks)


# Answers nginx makes itself on the routes (JSON like the error pages).
_QUERY_REFUSED = json.dumps(
    {
        "error": "query_string_refused",
        "message": "the gateway forwards no query string: send the key in the Authorization header, "
        "never in the URL",
    }
)
_HEALTH_BODY_REFUSED = json.dumps(
    {"error": "request_too_large", "message": "the health route takes no request body"}
)


def _refuse(condition: str, status: int, body: str) -> str:
    return f"        if ({condition}) {{\n            return {status} '{body}\\n';\n        }}\n"


def render_nginx_config(s: GatewaySettings) -> str:
    """The complete ``nginx.conf`` (main context, events, http) for ``s``; nginx runs in the foreground."""
    ensure_valid(s)
    conf = s.config_dir.rstrip("/") or "/"
    run = s.runtime_dir.rstrip("/") or "/"
    protocols = tv.nginx_protocols(s.min_tls_version)
    hsts = f"max-age={s.hsts_max_age}" + ("; includeSubDomains" if s.hsts_include_subdomains else "")
    access_log = "off" if s.access_log == "off" else f"{s.access_log} secure_scoring"
    timeout = s.client_body_timeout_s

    if s.private_ca:
        stapling = "        # private CA: no public OCSP responder, stapling off\n        ssl_stapling off;\n"
    else:
        stapling = "        ssl_stapling on;\n        ssl_stapling_verify on;\n"
        if s.resolver:
            stapling += f"        resolver {s.resolver} valid=300s ipv6=off;\n        resolver_timeout 5s;\n"

    if s.auth_mode == "key":
        auth_map = (
            "    # 1 only for `Authorization: Bearer <primary|secondary>`, compared case-sensitively\n"
            "    map $http_authorization $secure_scoring_authorized {\n"
            "        default 0;\n"
            f"        include {conf}/keys.conf;\n"
            "    }\n"
        )
        auth_check = _refuse(
            '$secure_scoring_authorized != "1"',
            401,
            '{"error": "unauthorized", "message": "send Authorization: Bearer <key>"}',
        )
    else:
        auth_map = "    # auth_mode none: no authentication (refused in production by the policy pack)\n"
        auth_check = "        # auth_mode none: no key check\n"

    query_check = _refuse("$is_args", 400, _QUERY_REFUSED)
    health_body_check = _refuse("$secure_scoring_has_body", 413, _HEALTH_BODY_REFUSED)
    limits = (
        f"        limit_conn secure_scoring_per_client {s.max_connections_per_client};\n"
        if s.max_connections_per_client
        else "        # max_connections_per_client 0: no per-client limit\n"
    )
    headers = (
        "        proxy_http_version 1.1;\n"
        '        proxy_set_header Connection "";\n'
        "        proxy_set_header Host $host;\n"
        "        proxy_set_header X-Forwarded-For $remote_addr;\n"
        "        proxy_set_header X-Forwarded-Proto https;\n"
        "        # the scorer never sees the credential\n"
        '        proxy_set_header Authorization "";\n'
    )

    # The header names the public alias path, as it did before the package layout changed: this file
    # travels in the container group's secret volume, so any byte changed here redeploys every group.
    return f"""# secure-scoring TLS/auth gateway: rendered by secure_scoring.gateway, do not edit by hand.
# Hostnames: {" ".join(s.hostnames)}; auth: {s.auth_mode}; minimum TLS {s.min_tls_version}.
daemon off;
worker_processes {s.worker_processes};
pid {run}/secure-scoring-nginx.pid;
error_log {s.error_log} warn;

events {{
    worker_connections {s.worker_connections};
}}

http {{
    server_tokens off;
    # every answer nginx makes itself is JSON, whatever the URI's extension (no MIME type table)
    types {{ }}
    default_type application/json;
    sendfile on;
    tcp_nodelay on;

    client_body_temp_path {run}/secure-scoring-client-body;
    proxy_temp_path {run}/secure-scoring-proxy;
    fastcgi_temp_path {run}/secure-scoring-fastcgi;
    uwsgi_temp_path {run}/secure-scoring-uwsgi;
    scgi_temp_path {run}/secure-scoring-scgi;

    log_format secure_scoring '$remote_addr [$time_iso8601] "$request_method $uri $server_protocol" '
                              '$status $body_bytes_sent $request_time $ssl_protocol $ssl_cipher';
    access_log {access_log};

    client_max_body_size {s.max_body_size};
    client_body_timeout {timeout}s;
    client_header_timeout {timeout}s;
    send_timeout {timeout}s;
    keepalive_timeout 65s;
    # a kept-alive connection ends (Connection: close on a response) after this: clients reconnect
    # and resolve the name again, so none stays on an old container group after a DNS switch
    keepalive_time {s.keepalive_time_s}s;
    # the body of a request nginx refuses (no key, health route, too large) is read and dropped for
    # at most this long in all: a client dripping one byte at a time cannot hold the connection
    lingering_time {timeout}s;
    lingering_timeout {min(timeout, 5)}s;
    # requests in progress per client address (idle keep-alive connections do not count)
    limit_conn_zone $binary_remote_addr zone=secure_scoring_per_client:1m;
    limit_conn_status 429;
    limit_conn_log_level warn;
    # a request body announced (Content-Length other than 0, or any Transfer-Encoding)
    map "$http_content_length:$http_transfer_encoding" $secure_scoring_has_body {{
        ":" 0;
        "0:" 0;
        default 1;
    }}

{auth_map}
    map $status $secure_scoring_www_authenticate {{
        401 'Bearer realm="{REALM}"';
        default "";
    }}

    upstream secure_scoring_scorer {{
        server {nginx_host_port("upstream", s.upstream)};
        keepalive {s.upstream_keepalive};
    }}

    server {{
        listen {_listen(s)} ssl default_server;
        server_name {" ".join(s.hostnames)};

        ssl_certificate {conf}/tls.crt;
        ssl_certificate_key {conf}/tls.key;
        ssl_protocols {protocols};
        ssl_ciphers {":".join(MOZILLA_INTERMEDIATE_CIPHERS)};
        ssl_prefer_server_ciphers off;
        ssl_ecdh_curve {":".join(MOZILLA_INTERMEDIATE_CURVES)};
        ssl_session_cache shared:SecureScoringTLS:10m;
        ssl_session_timeout 1d;
        ssl_session_tickets off;
{stapling}
        add_header Strict-Transport-Security "{hsts}" always;
        add_header X-Content-Type-Options nosniff always;
        add_header WWW-Authenticate $secure_scoring_www_authenticate always;

        proxy_connect_timeout 5s;
        proxy_send_timeout {s.proxy_read_timeout_s}s;
        proxy_read_timeout {s.proxy_read_timeout_s}s;

{_error_pages(s)}

{limits}
        # liveness (Azure ML serves it on GET /): no key needed, so nothing else passes here: GET
        # only, no body, no query string, and the scorer gets the path "/" whatever the client wrote
        # (/score/.., //score/.. and /score;/.. normalize to "/" and match this location)
        location = {HEALTH_PATH} {{
            limit_except GET {{
                deny all;
            }}
{query_check.replace("        ", "            ")}{health_body_check.replace("        ", "            ")}            proxy_pass http://secure_scoring_scorer{HEALTH_PATH};
{headers.replace("        ", "            ")}        }}

        location / {{
{query_check.replace("        ", "            ")}{auth_check.replace("        ", "            ")}            proxy_pass http://secure_scoring_scorer;
{headers.replace("        ", "            ")}        }}
    }}
}}
"""


def render_secret_files(
    s: GatewaySettings,
    *,
    cert_pem: str,
    key_pem: str,
    primary_key: str | None = None,
    secondary_key: str | None = None,
) -> dict[str, str]:
    """Every file of the gateway's secret volume, keyed by the names in :data:`SECRET_FILES`.

    ``cert_pem`` is the full chain (leaf first), ``key_pem`` the unencrypted private key.
    """
    if s.auth_mode == "key":
        if primary_key is None or secondary_key is None:
            raise ConfigurationError(
                "primary_key" if primary_key is None else "secondary_key",
                "is required when auth_mode is 'key'",
                "pass both keys (or use auth_mode 'none' outside production)",
            )
        keys = render_keys_map(primary_key, secondary_key)
    else:
        keys = render_keys_disabled()
    for name, pem in (("cert_pem", cert_pem), ("key_pem", key_pem)):
        if not isinstance(pem, str) or "-----BEGIN" not in pem:
            raise ConfigurationError(name, "is not PEM text", "pass the PEM (not DER, not a file name)")
    files = {
        "nginx.conf": render_nginx_config(s),
        "tls.crt": cert_pem if cert_pem.endswith("\n") else cert_pem + "\n",
        "tls.key": key_pem if key_pem.endswith("\n") else key_pem + "\n",
        "keys.conf": keys,
    }
    assert tuple(files) == SECRET_FILES
    return files


def container_command(s: GatewaySettings) -> list[str]:
    """The gateway container's command: nginx in the foreground on the rendered config.

    Do not add ``-g "daemon off;"`` (as stock nginx images do): the rendered config already says
    ``daemon off;`` and nginx refuses a duplicate directive.
    """
    ensure_valid(s)
    return ["nginx", "-e", "stderr", "-c", f"{s.config_dir.rstrip('/')}/nginx.conf"]
