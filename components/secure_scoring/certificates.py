"""Moved to :mod:`secure_scoring.components.certificate_bundle`; this import path stays for existing programs and docs."""

import sys

from .components import certificate_bundle as _moved

sys.modules[__name__] = _moved
