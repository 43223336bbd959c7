"""DNS fixtures: a real authoritative DNS server (NSD) on 127.0.0.1 and a free port.

``dns_server`` (session scope): one NSD shared by the whole run, serving the zones in ``DEFAULT_ZONES``
(``example.test`` and two ``<region>.azurecontainer.io`` zones) and any zone a test adds. A test sets the records it needs with
``dns_server.set_records(zone, [(name, type, ttl, value), ...])`` (this replaces the zone and
returns once NSD serves it), so tests do not depend on each other's records. Adding a zone that
is not served yet restarts NSD on the same port (about 0.5 s); ``DEFAULT_ZONES`` are there from
the start. ``.address`` is ``"127.0.0.1"``, ``.port`` the port, ``.nameserver`` ``"IP:PORT"``
(the form ``secure-scoring verify --dns-server`` takes), ``.resolver()`` a dnspython resolver that
asks only this server.

``make_dns_server(zones)`` (session scope factory): a separate NSD for a test that must not share
(for example one that stops it); every server it started is stopped at the end of the session.

Both need the ``nsd`` program: missing, the test is skipped locally and fails in CI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from support.dns_server import NsdServer

__all__ = ["DEFAULT_ZONES", "dns_server", "make_dns_server"]

# Zones served from the start (empty: SOA and NS only). Names under them resolve to NXDOMAIN until
# a test sets records. The ``azurecontainer.io`` region zones stand for ACI's own zones (the mocks'
# default location is westeurope) so a CNAME chain from a custom name to an ACI FQDN resolves
# without leaving the loopback server.
DEFAULT_ZONES = ("example.test", "eastus.azurecontainer.io", "westeurope.azurecontainer.io")


@pytest.fixture(scope="session")
def dns_server() -> Iterator[NsdServer]:
    from support.requirements import require_binary

    nsd = require_binary("nsd")
    server = NsdServer({zone: [] for zone in DEFAULT_ZONES}, nsd=nsd)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def make_dns_server() -> Iterator[Callable[..., NsdServer]]:
    from support.requirements import require_binary

    nsd = require_binary("nsd")
    started: list[NsdServer] = []

    def make(zones: dict | None = None) -> NsdServer:
        server = NsdServer(zones or {}, nsd=nsd)
        started.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()
