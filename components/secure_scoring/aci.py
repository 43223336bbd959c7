"""Moved to :mod:`secure_scoring.components.aci`; this import path stays for existing programs and docs."""

import sys

from .components import aci as _moved

sys.modules[__name__] = _moved
