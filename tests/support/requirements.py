"""Real parts the data-plane tests need. Locally a missing part skips; in CI (CI=true) it fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str, fix: str) -> None:
    if condition:
        return
    message = f"{what} is missing ({fix})"
    if IN_CI:
        pytest.fail(message + ": CI must run the data-plane tests, run 'make test' which installs it")
    pytest.skip(message)


def require_binary(name: str, fix: str = "run 'make system'") -> str:
    path = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    require(path is not None, f"the '{name}' program", fix)
    return str(path)


def inference_python() -> str:
    path = Path(os.environ.get("SECURE_SCORING_INFERENCE_PYTHON", ROOT / ".venv-inference/bin/python"))
    require(path.exists(), f"the inference server venv ({path})", "run 'make inference-venv'")
    return str(path)


def sslyze_python() -> str:
    path = Path(os.environ.get("SECURE_SCORING_SSLYZE_PYTHON", ROOT / ".venv-sslyze/bin/python"))
    require(path.exists(), f"the sslyze venv ({path})", "run 'make sslyze-venv'")
    return str(path)
