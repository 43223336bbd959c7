"""The policy pack as the Pulumi CLI runs it: shipped in the package, or written into a user's repository.

How the CLI starts a Python pack (pulumi/pulumi ``sdk/go/common/resource/plugin/analyzer_plugin.go`` and
the Python language host's ``RunPlugin``): it reads ``PulumiPolicy.yaml`` in the pack directory and runs
``python -u -m pulumi.policy <engine address> <pack dir>`` with the pack directory as working directory
and the stack (``PULUMI_STACK``, ``PULUMI_PROJECT``, ``PULUMI_CONFIG``, ...) in the environment, then
reads the port of the pack's analyzer server from its first stdout line. The Python is
``<virtualenv>/bin/python`` when ``runtime.options.virtualenv`` is set (relative to the pack directory),
else ``$PULUMI_PYTHON_CMD`` or ``python3``/``python`` from PATH. ``pulumi install`` in the pack
directory installs ``requirements.txt`` into that virtualenv; ``pulumi policy publish`` uploads the
directory (minus what ``.gitignore`` lists) and Pulumi Cloud installs ``requirements.txt`` into a
``venv`` next to it on every machine that enforces the pack.

So there are two pack directories:

- :func:`directory`: this package directory, installed with secure-scoring (``secure-scoring
  policy-pack path``). No virtualenv option: the Python that has secure-scoring is the one on PATH. For
  ``pulumi preview --policy-pack`` on a machine; read-only and not publishable.
- :func:`pack_files` / :func:`write_pack` (``secure-scoring policy-pack init DIR``): ``PulumiPolicy.yaml``,
  ``__main__.py``, ``requirements.txt`` pinning the installed secure-scoring, ``.gitignore``. A
  directory of the user's repository, for ``pulumi install`` and ``pulumi policy publish``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..errors import UsageError
from ..facts import PACKAGE, version

PROJECT_FILE = "PulumiPolicy.yaml"
MAIN_FILE = "__main__.py"
REQUIREMENTS_FILE = "requirements.txt"
IGNORE_FILE = ".gitignore"
DEFAULT_VIRTUALENV = "venv"
"""The virtualenv ``pulumi install`` creates for an ``init``-written pack (Pulumi Cloud's default too)."""
POLICY_SDK = "pulumi-policy"


def directory() -> Path:
    """The installed pack directory (``PulumiPolicy.yaml`` + ``__main__.py``), for ``--policy-pack``."""
    return Path(__file__).resolve().parent


def serve() -> None:
    """Serve the pack's analyzer (what ``__main__.py`` does); returns only when the CLI stops it."""
    from pulumi_policy import EnforcementLevel, PolicyPack

    from ..policy.pack import PACK_DESCRIPTION, PACK_NAME, build_policies

    PolicyPack(
        name=PACK_NAME,
        description=PACK_DESCRIPTION,
        # each policy carries its own level (production-only rules are advisory outside production)
        enforcement_level=EnforcementLevel.MANDATORY,
        policies=build_policies(),
    )


def installed_requirement() -> str:
    """The requirement line that installs the secure-scoring running now: the git ref it came from (a
    ``pip install "secure-scoring @ git+https://...@v0.1.0"``), else ``secure-scoring==<version>``."""
    from importlib import metadata

    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise UsageError(
            "policy-pack init",
            f"{PACKAGE} is not installed (running from a source tree), so there is no version to pin",
            f'install it (pip install "{PACKAGE} @ git+https://github.com/<owner>/{PACKAGE}@v<version>") '
            "or give the requirement line with --requirement",
        ) from None
    direct = _direct_url(dist)
    vcs = direct.get("vcs_info") if isinstance(direct.get("vcs_info"), dict) else None
    if vcs and vcs.get("vcs") == "git" and direct.get("url"):
        requested = vcs.get("requested_revision")
        ref = requested if requested in (dist.version, f"v{dist.version}") else vcs.get("commit_id")
        if ref:
            return f"{PACKAGE} @ git+{direct['url']}@{ref}"
    return f"{PACKAGE}=={dist.version}"


def _direct_url(dist) -> dict:
    """PEP 610 ``direct_url.json`` of an installed distribution ({} when installed from an index)."""
    try:
        text = dist.read_text("direct_url.json")
        data = json.loads(text) if text else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def policy_sdk_requirement() -> str:
    """``pulumi-policy`` as secure-scoring requires it (the pack drives that SDK's analyzer)."""
    from importlib import metadata

    try:
        requires = metadata.requires(PACKAGE) or []
    except metadata.PackageNotFoundError:
        requires = []
    for line in requires:
        name = line.split(";")[0].strip()
        if name.lower().startswith(POLICY_SDK) and not name[len(POLICY_SDK) :][:1].isalnum():
            return name.replace(" ", "")
    return POLICY_SDK


def pack_files(requirement: str, virtualenv: str | None = DEFAULT_VIRTUALENV) -> dict[str, str]:
    """The files of a pack directory of one's own: name -> text. ``virtualenv`` None: no option (the CLI
    then uses ``python3`` from PATH)."""
    import yaml

    here = directory()
    project = yaml.safe_load((here / PROJECT_FILE).read_text(encoding="utf-8"))
    options = project["runtime"].setdefault("options", {})
    if virtualenv:
        options["virtualenv"] = virtualenv
    else:
        options.pop("virtualenv", None)
    project["version"] = version()
    where = f"the virtualenv `{virtualenv}`" if virtualenv else "the Python on PATH"
    header = (
        f"# The {PACKAGE} policy pack, written by `{PACKAGE} policy-pack init` ({PACKAGE} {version()}).\n"
        f"# `pulumi install` (here) installs requirements.txt into {where}; then\n"
        "# `pulumi preview --policy-pack <this directory>`, or `pulumi policy publish <org>`.\n"
    )
    return {
        PROJECT_FILE: header + yaml.safe_dump(project, sort_keys=False, width=100),
        MAIN_FILE: (here / MAIN_FILE).read_text(encoding="utf-8"),
        REQUIREMENTS_FILE: (
            "# Installed by `pulumi install` into the virtualenv named in PulumiPolicy.yaml, and by Pulumi\n"
            "# Cloud when the pack is published. Change the pin to upgrade the rules.\n"
            f"{requirement}\n{policy_sdk_requirement()}\n"
        ),
        IGNORE_FILE: "# kept out of `pulumi policy publish` (it honours .gitignore) and of git\n"
        + (f"{virtualenv.rstrip('/')}/\n" if virtualenv and _inside(virtualenv) else "")
        + "__pycache__/\n",
    }


def _inside(virtualenv: str) -> bool:
    """Whether a virtualenv option points inside the pack directory (then it must not be published)."""
    path = Path(virtualenv)
    return not path.is_absolute() and ".." not in path.parts


def write_pack(target: Path, files: Mapping[str, str], *, force: bool = False) -> list[Path]:
    """Write ``files`` into ``target`` (created); refuses to overwrite unless ``force``."""
    if target.exists() and not target.is_dir():
        raise UsageError("DIR", f"{target} exists and is not a directory", "give a new or existing directory")
    existing = [name for name in files if (target / name).exists()]
    if existing and not force:
        raise UsageError(
            "DIR",
            f"{target} already has {', '.join(existing)}",
            "choose another directory, or pass --force to overwrite these files",
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
