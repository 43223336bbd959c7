"""Bench scorer for ``bench/gateway.py --model-ms N``: a model that spends N ms of CPU per request.

The echo scorer (``tests/data/scoring_app/score.py``) costs about 0.7 ms per request, almost all of it
the inference server itself, which makes the gateway's fixed cost look as large as it can. A real
model spends milliseconds of CPU per request; this one burns ``BENCH_MODEL_MS`` ms of CPU (process
time, so a busy machine does not shorten it) and echoes its input.
"""

import json
import os
import time

MODEL_MS = 0.0


def init():
    global MODEL_MS
    MODEL_MS = float(os.environ.get("BENCH_MODEL_MS", "0"))


def run(raw_data):
    deadline = time.process_time() + MODEL_MS / 1000.0
    x = 0
    while time.process_time() < deadline:
        for i in range(200):
            x += i * i
    try:
        data = json.loads(raw_data) if isinstance(raw_data, (str, bytes)) else raw_data
    except ValueError:
        data = raw_data
    return {"echo": data}
