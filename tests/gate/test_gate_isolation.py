"""The program runs in a child process (gate/isolation.py): the gate survives os._exit, writes to
file descriptor 1, BaseExceptions, and programs that never finish (--timeout); a report is always
written, with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secure_scoring import gate
from support.gate_programs import CG_PROGRAM, write_program

CLI = [str(Path(sys.executable).with_name("secure-scoring"))]


def _cli(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, "check", str(root), "--stack", "dev", *args], capture_output=True, text=True, timeout=timeout
    )


def test_os_exit_zero_inside_the_program_does_not_pass_and_output_is_rewritten(tmp_path):
    root = write_program(tmp_path / "p", "import os\nimport pulumi\nos._exit(0)\n")
    out = tmp_path / "report.sarif"
    out.write_text("a previous run's report")
    r = _cli(root, "--format", "sarif", "--output", str(out))
    assert r.returncode == 2, r.stderr
    doc = json.loads(out.read_text())
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "os._exit" in invocation["toolExecutionNotifications"][0]["message"]["text"]


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_writes_to_fd_1_never_reach_the_report_on_stdout(tmp_path, fmt):
    noise = (
        "import os, subprocess, threading, time\n"
        'os.write(1, b"GARBAGE-FD1\\n")\n'
        'print("GARBAGE-PRINT")\n'
        'subprocess.run(["echo", "GARBAGE-SUB"])\n'
        'threading.Thread(target=lambda: (time.sleep(0.3), os.write(1, b"GARBAGE-THREAD\\n")), daemon=True).start()\n'
    )
    root = write_program(tmp_path / "p", noise + CG_PROGRAM)
    r = _cli(root, "--format", fmt)
    json.loads(r.stdout)  # nothing but the report
    assert "GARBAGE" not in r.stdout
    assert "GARBAGE-FD1" in r.stderr and "GARBAGE-SUB" in r.stderr
    assert r.returncode == 1


@pytest.mark.parametrize(
    "body, kind",
    [
        ("import asyncio\nraise asyncio.CancelledError()\n", "CancelledError"),
        ("raise KeyboardInterrupt()\n", "KeyboardInterrupt"),
        ("raise GeneratorExit()\n", "GeneratorExit"),
    ],
)
def test_base_exceptions_of_the_program_are_program_errors(tmp_path, body, kind):
    root = write_program(tmp_path / "p", body)
    r = _cli(root, "--format", "json")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    error = json.loads(r.stdout)["error"]
    assert error["kind"] == kind and error["file"] == "__main__.py"


@pytest.mark.parametrize(
    "body",
    [
        "import time\nwhile True:\n    time.sleep(0.1)\n",
        "import asyncio, pulumi\nfut = asyncio.get_event_loop().create_future()\n"
        "pulumi.export('x', pulumi.Output.from_input(1).apply(lambda v: fut))\n",
        "import subprocess\nsubprocess.run(['sleep', '600'])\n",
    ],
    ids=["loop", "apply-never-resolves", "subprocess"],
)
def test_a_program_that_never_finishes_stops_at_the_timeout(tmp_path, body):
    root = write_program(tmp_path / "p", body)
    t0 = time.monotonic()
    r = _cli(root, "--format", "json", "--timeout", "3", timeout=60)
    assert time.monotonic() - t0 < 30
    assert r.returncode == 2
    error = json.loads(r.stdout)["error"]
    assert error["kind"] == "Timeout" and "3 seconds" in error["message"] and "--timeout" in error["message"]


def test_timeout_must_be_a_number_of_seconds(tmp_path):
    root = write_program(tmp_path / "p", CG_PROGRAM)
    r = _cli(root, "--timeout", "soon")
    assert r.returncode == 2 and "--timeout" in r.stderr


def test_the_check_leaves_the_callers_process_alone(tmp_path):
    """In the library too: the program's modules, cwd and event loop stay in the child."""
    root = write_program(tmp_path / "p", "import helper_mod_xyz\n" + CG_PROGRAM)
    (root / "helper_mod_xyz.py").write_text("import os\nVALUE = 1\n")
    report = gate.check(root, "dev")
    assert not report.ok
    assert "helper_mod_xyz" not in sys.modules


def test_os_exit_through_the_library_raises_program_error(tmp_path):
    root = write_program(tmp_path / "p", "import os\nos._exit(3)\n")
    with pytest.raises(gate.ProgramError) as err:
        gate.check(root, "dev")
    assert err.value.kind == "ProcessExit" and "exit status 3" in err.value.message


def test_no_event_loop_warning_on_stderr(tmp_path):
    root = write_program(tmp_path / "p", "raise ValueError('boom')\n")
    for _ in range(3):
        r = _cli(root)
        assert r.returncode == 2
        assert "BaseEventLoop.__del__" not in r.stderr and "Exception ignored" not in r.stderr
