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

Imports nothing from Pulumi. Two modules: :mod:`.gateway_settings` (the settings and their validation) and
:mod:`.gateway_render` (the files); this module gathers their public names, the import path the docs
show (``secure_scoring.gateway`` is an alias of it).
"""

from __future__ import annotations

from .gateway_render import (
    HEALTH_PATH,
    MOZILLA_INTERMEDIATE_CIPHERS,
    MOZILLA_INTERMEDIATE_CURVES,
    REALM,
    SECRET_FILES,
    container_command,
    render_keys_disabled,
    render_keys_map,
    render_nginx_config,
    render_secret_files,
)
from .gateway_settings import (
    AUTH_MODES,
    CONTAINER_CONFIG_DIR,
    DEFAULT_HSTS_MAX_AGE,
    KEY_PATTERN,
    GatewaySettings,
    validate_key,
    validate_settings,
)

__all__ = [
    "AUTH_MODES",
    "CONTAINER_CONFIG_DIR",
    "DEFAULT_HSTS_MAX_AGE",
    "HEALTH_PATH",
    "KEY_PATTERN",
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
