"""Shared fixtures. Each group lives in tests/support/fixtures_*.py."""

from support.fixtures_certs import *  # noqa: F403
from support.fixtures_dataplane import *  # noqa: F403
from support.fixtures_dns import *  # noqa: F403
from support.fixtures_gate import *  # noqa: F403
from support.fixtures_verify import *  # noqa: F403
