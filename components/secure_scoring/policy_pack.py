"""Moved to :mod:`secure_scoring.policy.pack`; this import path stays for existing programs and docs."""

import sys

from .policy import pack as _moved

sys.modules[__name__] = _moved
