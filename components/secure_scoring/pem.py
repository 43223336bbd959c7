"""Moved to :mod:`secure_scoring.certs.pem`; this import path stays for existing programs and docs."""

import sys

from .certs import pem as _moved

sys.modules[__name__] = _moved
