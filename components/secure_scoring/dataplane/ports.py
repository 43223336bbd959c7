"""Ports on this machine: a free one, whether one can be bound, who listens there (psutil), and waiting
until a process group of ours holds the listening socket."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time

import psutil

from ..errors import SecureScoringError

__all__ = [
    "LOCALHOST",
    "PortInUseError",
    "free_port",
    "group_listens",
    "group_pids",
    "join_host_port",
    "listening_addresses",
    "port_available",
    "port_taken",
    "wait_listening",
]

LOCALHOST = "127.0.0.1"


class PortInUseError(SecureScoringError):
    """The requested port is taken by another program (``address`` is ``host:port``)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(
            "port", f"{address} is already in use", "pick another port, or let a free one be picked"
        )


def join_host_port(host: str, port: int) -> str:
    """``127.0.0.1:8443`` / ``[::1]:8443``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_available(port: int, host: str = LOCALHOST) -> bool:
    """True if nginx could bind ``host:port`` now (no other socket listens there; same test as nginx's bind)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx: TIME_WAIT is no conflict
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_taken(log: str) -> bool:
    """True if a server's log says its bind failed because the port is taken (nginx, gunicorn)."""
    return "Address already in use" in log or "Connection in use" in log


def _listeners(connections: list, port: int) -> set[str]:
    """The local addresses of the sockets in ``connections`` listening on ``port``."""
    return {
        c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
    }


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port`` (psutil), e.g. ``{"127.0.0.1"}``."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return set()
    return _listeners(connections, port)


def group_pids(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (the leader first)."""
    pids = [pgid]
    for pid in psutil.pids():
        with contextlib.suppress(OSError):
            if pid != pgid and os.getpgid(pid) == pgid:
                pids.append(pid)
    return pids


def group_listens(pgid: int, port: int, address: str | None = None) -> bool:
    """True if a process of group ``pgid`` holds a socket listening on ``port`` (at ``address``).

    Proves the listener is ours, not another program's that took the port.
    """
    for pid in group_pids(pgid):
        with contextlib.suppress(psutil.Error):
            addresses = _listeners(psutil.Process(pid).net_connections(kind="tcp"), port)
            if addresses and (address is None or address in addresses):
                return True
    return False


def wait_listening(host: str, port: int, proc: subprocess.Popen, timeout: float) -> bool:
    """Wait until ``proc``'s process group listens on ``host:port`` (not merely: something answers there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if group_listens(proc.pid, port, host):
            with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
                return proc.poll() is None
        time.sleep(0.02)
    return False
