"""Moved to :mod:`secure_scoring.policy.rules`; this import path stays for existing programs and docs."""

import sys

from .policy import rules as _moved

sys.modules[__name__] = _moved
