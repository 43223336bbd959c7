"""Moved to :mod:`secure_scoring.components.dns_binding`; this import path stays for existing programs and docs."""

import sys

from .components import dns_binding as _moved

sys.modules[__name__] = _moved
