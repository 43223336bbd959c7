"""Moved to :mod:`secure_scoring.dataplane.local`; this import path stays for existing programs and docs."""

import sys

from .dataplane import local as _moved

sys.modules[__name__] = _moved
