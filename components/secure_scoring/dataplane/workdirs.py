"""Private temporary directories of the local servers (config, key copies, logs), their owner files,
and the removal of the ones whose owner no longer runs."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import psutil

__all__ = ["OWNER_FILE", "TEMP_PREFIXES", "private_temp_dir", "remove_stale_temp_dirs", "start_time"]

TEMP_PREFIXES = ("secure-scoring-gateway-", "secure-scoring-scorer-")
# "<pid> +<seconds since boot when it started>" of the process that made a temporary directory
OWNER_FILE = "owner.pid"


def start_time(pid: int) -> str | None:
    """When ``pid`` started, as ``+<seconds since boot>`` (two decimals); None if it does not exist,
    ``"?"`` if it exists but cannot be inspected.

    Seconds since boot, not since the epoch: psutil's ``create_time()`` adds the boot time the
    kernel reports now (``btime``, whole seconds, moved by every clock adjustment), so two processes
    asking at different moments could see the same process start one second apart, and a live
    launcher's directory would look stale to another launcher and be removed under it.
    """
    try:
        since_boot = psutil.Process(pid).create_time() - psutil.boot_time()
    except psutil.NoSuchProcess:
        return None
    except psutil.Error:
        return "?"
    return f"+{since_boot:.2f}"


# recorded and current start times closer than this are the same process (a whole-second btime
# change between two reads; a pid is never reused within seconds)
_START_TOLERANCE_S = 1.5


def _same_start(recorded: str, pid: int, current: str) -> bool:
    """True if ``recorded`` (an owner file's start time) is when ``pid`` (started ``current``) started."""
    try:
        if recorded.startswith("+"):  # seconds since boot
            return abs(float(recorded[1:]) - float(current[1:])) < _START_TOLERANCE_S
        # written by an older version: seconds since the epoch
        return abs(float(recorded) - psutil.Process(pid).create_time()) < _START_TOLERANCE_S
    except ValueError:
        return True  # unreadable: keep the directory (only a certainly stale one is removed)
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True


def _owner_alive(directory: Path, st: os.stat_result) -> bool:
    try:
        fields = (directory / OWNER_FILE).read_text().split()
    except FileNotFoundError:
        # made by a version without owner files (or just now): in use while a process holds a file in it
        return time.time() - st.st_mtime < 60 or _referenced(directory)
    except OSError:
        return True
    try:
        pid = int(fields[0])
    except (IndexError, ValueError):
        return time.time() - st.st_mtime < 60
    started = start_time(pid)
    if started is None:
        return False
    # a reused pid is another process
    return started == "?" or len(fields) < 2 or _same_start(fields[1], pid, started)


def _referenced(directory: Path) -> bool:
    """True if a process has a file in ``directory`` open, runs in it, or names it on its command line."""
    prefix = str(directory) + "/"
    marker = str(directory)
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if any(marker in arg for arg in proc.cmdline()):
                return True
        with contextlib.suppress(psutil.Error):
            if (proc.cwd() + "/").startswith(prefix):
                return True
        with contextlib.suppress(psutil.Error):
            if any(f.path.startswith(prefix) for f in proc.open_files()):
                return True
    return False


def remove_stale_temp_dirs(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove ``secure-scoring-gateway-*``/``secure-scoring-scorer-*`` temporary directories left behind.

    A directory is stale when it belongs to this user and the process that made it (its
    ``owner.pid``) no longer runs, e.g. a launcher killed with SIGKILL: that removes the copies of
    private keys and keys it held. Directories of running owners are left alone. Returns what was removed.
    """
    base = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIXES):
            continue
        try:
            st = entry.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or _owner_alive(entry, st):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def private_temp_dir(prefix: str) -> Path:
    """A new ``0700`` temporary directory owned by this process (after removing stale ones)."""
    remove_stale_temp_dirs()
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    (directory / OWNER_FILE).write_text(f"{os.getpid()} {start_time(os.getpid()) or '?'}\n")
    return directory
