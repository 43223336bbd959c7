"""Moved to :mod:`secure_scoring.gate.mocking`; this import path stays for existing programs and docs."""

import sys

from .gate import mocking as _moved

sys.modules[__name__] = _moved
