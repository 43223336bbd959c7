"""Settings of the TLS/authentication gateway and their validation (pure; no Pulumi).

:class:`GatewaySettings` validates itself on construction; :func:`validate_settings` and
:func:`validate_key` refuse every string that could inject nginx directives, naming the field, the
problem and the fix. The renderer (:mod:`.gateway_render`) takes only validated settings.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, fields
from typing import Any

from .. import names
from .. import tls_versions as tv
from ..errors import ConfigurationError, PolicyRefusal

__all__ = [
    "AUTH_MODES",
    "CONTAINER_CONFIG_DIR",
    "DEFAULT_HSTS_MAX_AGE",
    "KEY_PATTERN",
    "GatewaySettings",
    "ensure_valid",
    "nginx_host_port",
    "parse_ip",
    "validate_key",
    "validate_settings",
]

# Where the ACI gateway sidecar mounts the secret volume.
CONTAINER_CONFIG_DIR = "/etc/nginx/secure-scoring"


AUTH_MODES = ("key", "none")

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


def parse_ip(field: str, value: str, fix: str) -> names.IpAddress:
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


def nginx_host_port(field: str, value: str) -> str:
    """``host:port`` as nginx takes it (an IPv6 address in brackets); ConfigurationError otherwise."""
    try:
        host, port = names.split_host_port(value)
    except names.InvalidHostname as e:
        raise _fail(field, e.problem, e.fix) from None
    return f"{host.url_form if isinstance(host, names.IpAddress) else host}:{port}"


def _field_values(s: GatewaySettings) -> tuple[Any, ...]:
    # with the types: a field forced from True to 1 (equal, not the same) is checked again
    return tuple((type(v), v) for v in (getattr(s, f.name) for f in fields(s)))


def ensure_valid(s: GatewaySettings) -> None:
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
    nginx_host_port("upstream", s.upstream)
    if s.listen_address is not None:
        _check_string("listen_address", s.listen_address)
        parse_ip(
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
        parse_ip("resolver", s.resolver, "use e.g. 168.63.129.16")
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
