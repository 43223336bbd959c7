"""Entry script for the data-plane tests: echoes its input and the request header names it receives.

``run(raw_data, request_headers)``: the inference server passes the request headers when ``run`` has a
``request_headers`` parameter, so the tests can prove what reaches the scorer (never ``Authorization``).
A JSON body ``{"sleep": seconds}`` makes the call slow (capped at 30 s) for timeout tests.
"""

import json
import os
import time

MODEL_DIR = None
MODEL_NAME = None


def init():
    global MODEL_DIR, MODEL_NAME
    MODEL_DIR = os.environ.get("AZUREML_MODEL_DIR")
    marker = os.path.join(MODEL_DIR, "model.txt") if MODEL_DIR else None
    if marker and os.path.exists(marker):
        with open(marker) as handle:
            MODEL_NAME = handle.read().strip()


def run(raw_data, request_headers):
    try:
        data = json.loads(raw_data) if isinstance(raw_data, (str, bytes)) else raw_data
    except ValueError:
        data = raw_data
    if isinstance(data, dict) and "sleep" in data:
        time.sleep(min(float(data["sleep"]), 30.0))
    names = sorted({name.lower() for name in request_headers})
    return {
        "echo": data,
        "model": MODEL_NAME,
        "header_names": names,
        "authorization_seen": "authorization" in names,
    }
