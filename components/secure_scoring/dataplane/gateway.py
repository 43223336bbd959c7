"""Pure renderer of the TLS/authentication gateway (nginx) that fronts an Azure ML scorer.

``SecureAciService`` puts the rendered files into the container group's ``secret`` volume and runs
nginx as a sidecar; ``secure-scoring serve-local`` and the data-plane tests run the very same
rendering with real nginx on 127.0.0.1 (only the listen address/port and the file paths differ).

What the rendered configuration does:

- one HTTPS listener (443 by default), no plain-HTTP listener at all;
- TLS 1.2 minimum (``TLSv1.2 TLSv1.3``, or ``TLSv1.3`` only), the Mozilla "intermediate" ECDHE
  AEAD cipher suites, ``ssl_prefer_server_ciphers off``, curves X25519/P-256/P-384, a shared session
  cache with session tickets off, OCSP stapling (off for private CAs), HSTS;
- ``GET /`` (Azure ML's liveness route) without authentication, and only that: the scorer gets the
  path ``/`` whatever the client wrote (``/score/..``, ``//score/..`` and ``/score;/..`` all normalize
  to ``/``, and only ``/`` is forwarded), no request body (``413``), no query string; everything else behind
  ``Authorization: Bearer <primary|secondary>`` compared exactly (case-sensitive scheme and key),
  otherwise ``401`` with ``WWW-Authenticate: Bearer realm="secure-scoring"``. The scorer never sees
  the ``Authorization`` header. The two keys live in an included file (``keys.conf``), so a key is
  rotated by rewriting that file and reloading nginx (``nginx -s reload``) without dropping requests;
- no query string ever reaches the scorer (``400 query_string_refused``): a key pasted into the URL
  (``?api_key=...``) would land in the scorer's access log;
- a request nginx refuses (401, 403, 413, 400) has its body read and dropped for at most
  ``client_body_timeout_s`` in total (``lingering_time``), so a client dripping a body without a key
  cannot hold a connection open; at most ``max_connections_per_client`` requests in progress per
  client address (``429``);
- upstream keep-alive to the scorer on localhost, request size and timeout limits.

Every string that reaches the configuration is validated first (:func:`validate_settings`,
:func:`validate_key`), so hostile hostnames, paths or keys cannot inject nginx directives.

Imports nothing from Pulumi.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, fields
from typing import Any

from .. import names
from .. import tls_versions as tv
from ..errors import ConfigurationError, PolicyRefusal

__all__ = [
    "AUTH_MODES",
    "CONTAINER_CONFIG_DIR",
    "HEALTH_PATH",
    "MOZILLA_INTERMEDIATE_CIPHERS",
    "MOZILLA_INTERMEDIATE_CURVES",
    "REALM",
    "SECRET_FILES",
    "GatewaySettings",
    "container_command",
    "render_keys_disabled",
    "render_keys_map",
    "render_nginx_config",
    "render_secret_files",
    "validate_key",
    "validate_settings",
]

# The files of the gateway's secret volume (ACI) / config directory (local).
SECRET_FILES = ("nginx.conf", "tls.crt", "tls.key", "keys.conf")
# Where the ACI gateway sidecar mounts the secret volume.
CONTAINER_CONFIG_DIR = "/etc/nginx/secure-scoring"

AUTH_MODES = ("key", "none")
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
# Mozilla recommends two years.
DEFAULT_HSTS_MAX_AGE = 63072000

# Keys: printable, header-safe, no quote/backslash/space/semicolon/brace/dollar (cannot break out of
# the nginx string or regex they are placed in).
KEY_PATTERN = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}")
_PATH = re.compile(r"/[A-Za-z0-9._/-]*")
_SIZE = re.compile(r"[1-9][0-9]{0,9}[km]?", re.IGNORECASE)
_CIPHER_LIST = re.compile(r"[A-Za-z0-9_:+!@=.-]+")
# characters that must never reach the nginx configuration from a string setting
_HOSTILE = re.compile(r"[\s;{}$\"'\\#`]")


@dataclass(frozen=True)
class GatewaySettings:
    """Settings of the TLS/auth gateway.

    Attributes:
        hostnames: the ``server_name`` values: DNS names (``*.`` wildcard allowed as the left-most
            label) or IP addresses. At least one. Normalized like serve-local and ``cert check``:
            lower case, one trailing dot dropped, internationalized names as IDNA A-labels.
        auth_mode: ``"key"`` (Bearer key authentication, the default) or ``"none"``.
        upstream: ``host:port`` of the scorer, on localhost inside the container group.
        listen_address: ``None`` listens on every address (container); ``"127.0.0.1"`` locally.
        listen_port: the HTTPS port (443).
        config_dir: directory holding ``tls.crt``, ``tls.key`` and ``keys.conf``.
        runtime_dir: existing writable directory for the pid file and nginx temp directories
            (default ``/tmp``; nginx does not create missing parents).
        min_tls_version: ``"1.2"`` (TLS 1.2 and 1.3) or ``"1.3"`` (TLS 1.3 only). Lower is refused.
        max_body_size: largest request body (nginx size: ``10m``, ``512k``); larger gets ``413``.
        proxy_read_timeout_s: seconds the scorer may take to answer (then ``504``).
        client_body_timeout_s: seconds between two reads of a client's headers/body (then ``408``).
        hsts_max_age: ``Strict-Transport-Security`` max-age in seconds (Mozilla: two years).
        hsts_include_subdomains: add ``includeSubDomains`` (only if every subdomain serves HTTPS).
        private_ca: the certificate comes from a private/dev CA: OCSP stapling is turned off.
        resolver: DNS resolver nginx uses to reach the CA's OCSP responder (stapling on), e.g.
            ``"168.63.129.16"`` (Azure DNS). ``None``: no resolver directive.
        worker_processes: nginx worker processes (int ≥ 1 or ``"auto"``).
        worker_connections: connections per worker.
        upstream_keepalive: idle keep-alive connections kept open to the scorer.
        keepalive_time_s: the longest a client's kept-alive connection lives; after it, the next
            response says ``Connection: close`` and the client reconnects (and resolves the name
            again). Bounds how long clients stay on an old container group after its DNS record moved
            (blue/green, docs/runbooks/zero-downtime.md).
        max_connections_per_client: requests in progress at once from one client address (nginx
            ``limit_conn``: a connection counts once its request headers are read, idle keep-alive
            connections do not); more get ``429``. ``0``: no limit (clients behind one NAT share it).
        error_log: nginx ``error_log`` target (``stderr`` in the container).
        access_log: nginx ``access_log`` path (``/dev/stdout`` in the container) or ``"off"``.
    """

    hostnames: tuple[str, ...]
    auth_mode: str = "key"
    upstream: str = "127.0.0.1:5001"
    listen_address: str | None = None
    listen_port: int = 443
    config_dir: str = CONTAINER_CONFIG_DIR
    runtime_dir: str = "/tmp"
    min_tls_version: str = tv.DEFAULT_FLOOR
    max_body_size: str = "10m"
    proxy_read_timeout_s: int = 60
    client_body_timeout_s: int = 30
    hsts_max_age: int = DEFAULT_HSTS_MAX_AGE
    hsts_include_subdomains: bool = False
    private_ca: bool = False
    resolver: str | None = None
    worker_processes: int | str = 1
    worker_connections: int = 1024
    upstream_keepalive: int = 16
    keepalive_time_s: int = 60
    max_connections_per_client: int = 100
    error_log: str = "stderr"
    access_log: str = "/dev/stdout"

    def __post_init__(self) -> None:
        # Normalise what other languages / YAML hand over (a list, integral floats), then validate:
        # an invalid GatewaySettings never exists.
        hostnames = (self.hostnames,) if isinstance(self.hostnames, str) else self.hostnames
        if isinstance(hostnames, (list, tuple)):
            hostnames = tuple(_normalize_hostname(h) if isinstance(h, str) else h for h in hostnames)
            object.__setattr__(self, "hostnames", hostnames)
        with contextlib.suppress(tv.InvalidTlsVersion):  # a TlsVersion member becomes its text
            object.__setattr__(self, "min_tls_version", tv.require_floor(self.min_tls_version))
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and value.is_integer():
                object.__setattr__(self, f.name, int(value))
        validate_settings(self)
        object.__setattr__(self, "_validated", _field_values(self))


def _fail(field: str, problem: str, fix: str) -> ConfigurationError:
    return ConfigurationError(f"gateway.{field}", problem, fix)


def _check_string(field: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise _fail(field, f"must be a non-empty string, got {value!r}", "pass a plain string value")
    bad = _HOSTILE.search(value)
    if bad or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        char = bad.group(0) if bad else "a control character"
        raise _fail(
            field,
            f"contains {char!r}, which could inject nginx configuration ({value!r})",
            "remove quotes, semicolons, braces, '$', '#', backslashes, whitespace and control characters",
        )


def _check_int(field: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, f"must be an integer, got {value!r}", f"pass a whole number from {low} to {high}")
    if not low <= value <= high:
        raise _fail(field, f"must be from {low} to {high}, got {value}", f"pass a value from {low} to {high}")


def _normalize_hostname(name: str) -> str:
    """The canonical form (:func:`secure_scoring.names.normalize`: lower case, one trailing dot
    dropped, internationalized names as IDNA A-labels), or ``name`` as given when it is no valid
    name: :func:`validate_settings` then refuses it with the parser's reason."""
    try:
        return names.normalize(name, allow_wildcard=True)
    except names.InvalidHostname:
        return name


def _parse_ip(field: str, value: str, fix: str) -> names.IpAddress:
    try:
        host = names.parse_host(value)
    except names.InvalidHostname:
        host = None
    if not isinstance(host, names.IpAddress):
        raise _fail(field, f"must be an IP address, got {value!r}", fix)
    return host


def _check_path(field: str, value: Any) -> None:
    _check_string(field, value)
    if not _PATH.fullmatch(value) or "/../" in value + "/" or value.endswith("/.."):
        raise _fail(
            field,
            f"must be an absolute path of letters, digits, '.', '_', '-' and '/', got {value!r}",
            "use a plain absolute path such as /etc/nginx/secure-scoring",
        )


def _upstream(field: str, value: str) -> str:
    """``host:port`` as nginx takes it (an IPv6 address in brackets); ConfigurationError otherwise."""
    try:
        host, port = names.split_host_port(value)
    except names.InvalidHostname as e:
        raise _fail(field, e.problem, e.fix) from None
    return f"{host.url_form if isinstance(host, names.IpAddress) else host}:{port}"


def _field_values(s: GatewaySettings) -> tuple[Any, ...]:
    # with the types: a field forced from True to 1 (equal, not the same) is checked again
    return tuple((type(v), v) for v in (getattr(s, f.name) for f in fields(s)))


def _ensure_valid(s: GatewaySettings) -> None:
    """Validate ``s`` unless it is unchanged since construction validated it.

    ``GatewaySettings`` is frozen and validates itself in ``__post_init__``; the renderers still refuse
    an instance whose fields were forced afterwards (``object.__setattr__``) or that was never
    validated, without paying for the same checks once per file rendered.
    """
    if getattr(s, "_validated", None) != _field_values(s):
        validate_settings(s)
        object.__setattr__(s, "_validated", _field_values(s))


def validate_settings(s: GatewaySettings) -> None:
    """Raise :class:`ConfigurationError` naming the first invalid field of ``s``."""
    if not isinstance(s.hostnames, tuple) or not s.hostnames:
        raise _fail("hostnames", "at least one hostname is required", "pass the DNS name(s) clients use")
    for name in s.hostnames:
        _check_string("hostnames", name)
        try:
            names.parse_host(name, allow_wildcard=True)
        except names.InvalidHostname as e:
            raise _fail("hostnames", e.problem, e.fix) from None
    if s.auth_mode not in AUTH_MODES:
        raise _fail(
            "auth_mode",
            f"must be one of {', '.join(AUTH_MODES)}, got {s.auth_mode!r}"
            + (" (token authentication exists only on AKS)" if s.auth_mode == "token" else ""),
            "use 'key' (recommended) or 'none'",
        )
    _check_string("upstream", s.upstream)
    _upstream("upstream", s.upstream)
    if s.listen_address is not None:
        _check_string("listen_address", s.listen_address)
        _parse_ip(
            "listen_address",
            s.listen_address,
            "use 127.0.0.1 locally, or leave it unset to listen on every address",
        )
    _check_int("listen_port", s.listen_port, 1, 65535)
    _check_path("config_dir", s.config_dir)
    _check_path("runtime_dir", s.runtime_dir)
    try:
        tv.require_floor(s.min_tls_version)
    except tv.InvalidTlsVersion as e:
        if tv.parse(s.min_tls_version) in tv.BROKEN:  # TLS 1.0/1.1: what min-tls-1-2 forbids
            raise PolicyRefusal("gateway.min_tls_version", e.problem, e.fix, rule="min-tls-1-2") from None
        raise _fail("min_tls_version", e.problem, e.fix) from None
    _check_string("max_body_size", s.max_body_size)
    if not _SIZE.fullmatch(s.max_body_size):
        raise _fail(
            "max_body_size",
            f"must be a positive nginx size such as 10m, 512k or 1048576, got {s.max_body_size!r}",
            "use a number optionally followed by k or m",
        )
    _check_int("proxy_read_timeout_s", s.proxy_read_timeout_s, 1, 3600)
    _check_int("client_body_timeout_s", s.client_body_timeout_s, 1, 3600)
    _check_int("hsts_max_age", s.hsts_max_age, 0, 2 * DEFAULT_HSTS_MAX_AGE)
    for flag in ("hsts_include_subdomains", "private_ca"):
        if not isinstance(getattr(s, flag), bool):
            raise _fail(flag, f"must be true or false, got {getattr(s, flag)!r}", "pass a boolean")
    if s.resolver is not None:
        _check_string("resolver", s.resolver)
        _parse_ip("resolver", s.resolver, "use e.g. 168.63.129.16")
    if s.worker_processes != "auto":
        _check_int("worker_processes", s.worker_processes, 1, 64)
    _check_int("worker_connections", s.worker_connections, 16, 65535)
    _check_int("upstream_keepalive", s.upstream_keepalive, 0, 1024)
    _check_int("keepalive_time_s", s.keepalive_time_s, 1, 86400)
    _check_int("max_connections_per_client", s.max_connections_per_client, 0, 65535)
    _check_string("error_log", s.error_log)
    if s.error_log != "stderr":
        _check_path("error_log", s.error_log)
    _check_string("access_log", s.access_log)
    if s.access_log != "off":
        _check_path("access_log", s.access_log)


def validate_key(value: Any, input_name: str) -> None:
    """Refuse an authentication key that is not 16-256 characters of ``[A-Za-z0-9._~+/=-]``.

    The message never repeats the key itself.
    """
    if not isinstance(value, str):
        raise ConfigurationError(
            input_name, f"must be a string, got {type(value).__name__}", "pass the key as text"
        )
    if not KEY_PATTERN.fullmatch(value):
        if not 16 <= len(value) <= 256:
            problem = f"is {len(value)} characters long; keys must be 16 to 256 characters"
        else:
            problem = "contains a character other than letters, digits and . _ ~ + / = -"
        raise ConfigurationError(
            input_name,
            problem,
            "generate a random key, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )


def _listen(s: GatewaySettings) -> str:
    if s.listen_address is None:
        return str(s.listen_port)
    return f"{_parse_ip('listen_address', s.listen_address, '').url_form}:{s.listen_port}"


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
    _ensure_valid(s)
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
        server {_upstream("upstream", s.upstream)};
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
    _ensure_valid(s)
    return ["nginx", "-e", "stderr", "-c", f"{s.config_dir.rstrip('/')}/nginx.conf"]
