"""Fixtures of the provider tests: see ``provider_host``."""

from provider_host import provider, servers  # noqa: F401 - pytest fixtures
