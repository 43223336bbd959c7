"""Run the real parts on this machine: the Azure ML inference server and the nginx gateway, on 127.0.0.1.

Used by ``secure-scoring serve-local``, the data-plane tests and the verifier's tests. This module
gathers the public names of the parts (``secure_scoring.dataplane.local`` and
``secure_scoring.local`` stay the import paths the docs show):

- :mod:`.inference`: :class:`InferenceServer`, :func:`find_inference_python`;
- :mod:`.nginx`: :class:`NginxGateway`, :func:`find_nginx`;
- :mod:`.processes`: the common process wrapper (one process group each, graceful signal then
  SIGKILL to the group), :class:`LocalServerError`, :func:`exit_reason`;
- :mod:`.ports`: :func:`free_port`, :func:`port_available`, :func:`listening_addresses`,
  :class:`PortInUseError`, waiting until our own process group listens;
- :mod:`.workdirs`: private temporary directories, owner files, :func:`remove_stale_temp_dirs`.

Both servers are context managers. Each process runs in its own process group, and ``stop()`` ends
the whole group (graceful signal first, then SIGKILL), so no worker outlives its owner.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator

from .gateway import GatewaySettings
from .inference import InferenceServer, find_inference_python
from .nginx import NginxGateway, find_nginx
from .ports import LOCALHOST, PortInUseError, free_port, listening_addresses, port_available
from .processes import LOG_LINES, LocalServerError, exit_reason
from .workdirs import OWNER_FILE, TEMP_PREFIXES, remove_stale_temp_dirs

__all__ = [
    "LOCALHOST",
    "LOG_LINES",
    "OWNER_FILE",
    "TEMP_PREFIXES",
    "InferenceServer",
    "LocalServerError",
    "NginxGateway",
    "PortInUseError",
    "exit_reason",
    "find_inference_python",
    "find_nginx",
    "free_port",
    "listening_addresses",
    "port_available",
    "remove_stale_temp_dirs",
    "scorer_behind_gateway",
]


@contextlib.contextmanager
def scorer_behind_gateway(
    entry_script: str | os.PathLike[str],
    settings: GatewaySettings,
    *,
    model_dir: str | os.PathLike[str] | None = None,
    worker_count: int = 1,
    **gateway_kwargs: object,
) -> Iterator[tuple[InferenceServer, NginxGateway]]:
    """Start the inference server, then the gateway in front of it; stop both (gateway first)."""
    with InferenceServer(entry_script, model_dir=model_dir, worker_count=worker_count) as scorer:
        gw_settings = dataclasses.replace(settings, upstream=scorer.address)
        with NginxGateway(gw_settings, **gateway_kwargs) as gateway:  # type: ignore[arg-type]
            yield scorer, gateway
