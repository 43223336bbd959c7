"""Moved to :mod:`secure_scoring.components.aks`; this import path stays for existing programs and docs."""

import sys

from .components import aks as _moved

sys.modules[__name__] = _moved
