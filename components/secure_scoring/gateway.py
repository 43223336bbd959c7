"""Moved to :mod:`secure_scoring.dataplane.gateway`; this import path stays for existing programs and docs."""

import sys

from .dataplane import gateway as _moved

sys.modules[__name__] = _moved
