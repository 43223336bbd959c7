"""The component provider started as the Pulumi CLI starts it, and an engine and a resource monitor
of our own for it to talk to.

The CLI's Python language host runs ``python <plugin dir> <engine address>`` (the Python of the
virtualenv ``PulumiPlugin.yaml`` names, here ``.venv``: the one running the tests), with the
program's directory as working directory, and reads the provider's port from the first line of its
stdout. ``Construct`` then registers the component and its children with the resource monitor whose
address the request carries: here a gRPC server around ``support.registrations.RecordingMonitor``
with the golden mocks, the monitor the Python program runs against in ``tests/test_golden.py``.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2_grpc, provider_pb2_grpc, resource_pb2_grpc

from support.registrations import GoldenMocks, RecordingMonitor

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "crosslang"
STACK = "dev"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"


class Engine(engine_pb2_grpc.EngineServicer):
    """The engine's logging endpoint: keeps every message."""

    def __init__(self) -> None:
        self.logs: list[tuple[int, str, str]] = []

    def Log(self, request, context):
        self.logs.append((request.severity, request.urn, request.message))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.GetRootResourceResponse(urn=STACK_URN)

    def SetRootResource(self, request, context):
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.SetRootResourceResponse()


class FixedRecordingMonitor(RecordingMonitor):
    """RecordingMonitor whose URNs name the test's project and stack (not the test process's settings)."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent and parent.split("::")[2] != "pulumi:pulumi:Stack":
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join([STACK, PROJECT, type_, name])


class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The resource monitor over gRPC, answering and recording as the golden mocks do."""

    def __init__(self) -> None:
        self.recording = FixedRecordingMonitor(GoldenMocks())

    def SupportsFeature(self, request, context):
        from pulumi.runtime.proto import resource_pb2

        # outputValues off, as for the mock monitor: inputs arrive as plain values
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id != "outputValues")

    def GetDeploymentInfo(self, request, context):
        return self.recording.GetDeploymentInfo(request)

    def RegisterResource(self, request, context):
        return self.recording.RegisterResource(request)

    def RegisterResourceOutputs(self, request, context):
        return self.recording.RegisterResourceOutputs(request)

    def Invoke(self, request, context):
        return self.recording.Invoke(request)

    def RegisterPackage(self, request, context):
        return self.recording.RegisterPackage(request)

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()


class Servers:
    def __init__(self) -> None:
        self.engine = Engine()
        self.monitor = Monitor()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self.server)
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(self.monitor, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.monitor.recording = FixedRecordingMonitor(GoldenMocks())
        self.engine.logs.clear()


def start_provider(engine_address: str, cwd: Path) -> tuple[subprocess.Popen, int]:
    """``python <repo> <engine address>`` as the language host's RunPlugin runs a plugin whose
    directory has a ``__main__.py``; the port is the first line of stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT), engine_address],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    line = b""
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        if not sel.select(timeout=1):
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            break
        line += chunk
    if not line.strip().isdigit():
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"provider did not print its port: {line!r}\n{err.decode(errors='replace')}")
    return proc, int(line)


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    s = Servers()
    yield s
    s.server.stop(grace=None)


@pytest.fixture(scope="module")
def provider(servers: Servers, tmp_path_factory) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    proc, port = start_provider(servers.address, tmp_path_factory.mktemp("program"))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        channel.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
