"""A real authoritative DNS server (NSD) on 127.0.0.1 for tests.

``NsdServer`` writes ``nsd.conf`` and one zone file per zone in a directory, starts ``nsd -d`` on
127.0.0.1 and a free port (UDP and TCP), and waits until every zone answers its SOA with the
expected serial. ``set_records(zone, records)`` rewrites a zone (new serial), checks it with
``nsd-checkzone`` and reloads it with SIGHUP (a new zone restarts NSD on the same port); it returns
once NSD serves the new serial, so a query right after it sees the new records.

Records are tuples ``(name, type, ttl, value)`` (or ``Record``). ``name`` is relative to the zone
(``"@"`` or ``""`` is the apex) unless it ends with a dot or with the zone name. ``type`` is one of
A, AAAA, CNAME, TXT. A CNAME value is always a fully qualified name (a trailing dot is added).

NSD's response rate limiting is turned off (``rrl-ratelimit: 0``): with it on, a test that sends
more than 200 queries a second from 127.0.0.0/24 gets timeouts. ``username: ""`` keeps NSD from
switching users; ``-d`` keeps it in the foreground so its PID is ours and ``stop()`` ends it.

Usage::

    with NsdServer({"example.test": [("svc", "A", 60, "127.0.0.1")]}) as dns:
        dns.resolver().resolve("svc.example.test", "A")
        dns.set_records("example.test", [("svc", "CNAME", 30, "backend.example.test")])
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NsdError", "NsdServer", "Record", "free_udp_tcp_port"]

SUPPORTED_TYPES = ("A", "AAAA", "CNAME", "TXT")
LOOPBACK = "127.0.0.1"


class NsdError(RuntimeError):
    """NSD could not be configured, started or reloaded. The message carries NSD's own output."""


@dataclass(frozen=True)
class Record:
    name: str
    type: str
    ttl: int
    value: str


RecordLike = Record | Sequence[object]


def _normalise_zone(zone: str) -> str:
    zone = zone.strip().rstrip(".").lower()
    if not zone or " " in zone:
        raise ValueError(f"zone {zone!r}: not a DNS name")
    return zone


def _as_record(zone: str, item: RecordLike) -> Record:
    if isinstance(item, Record):
        name, rtype, ttl, value = item.name, item.type, item.ttl, item.value
    else:
        if len(item) != 4:
            raise ValueError(f"record {item!r}: expected (name, type, ttl, value)")
        name, rtype, ttl, value = item  # type: ignore[misc]
    rtype = str(rtype).upper()
    if rtype not in SUPPORTED_TYPES:
        raise ValueError(f"record {item!r}: type {rtype} is not one of {', '.join(SUPPORTED_TYPES)}")
    ttl = int(ttl)  # type: ignore[arg-type]
    if not 0 <= ttl <= 2**31 - 1:
        raise ValueError(f"record {item!r}: TTL {ttl} out of range")
    owner = _owner(zone, str(name))
    value = str(value).strip()
    if rtype == "A":
        value = str(ipaddress.IPv4Address(value))
    elif rtype == "AAAA":
        value = str(ipaddress.IPv6Address(value))
    elif rtype == "CNAME":
        if not value or any(c.isspace() for c in value):
            raise ValueError(f"record {item!r}: CNAME target {value!r} is not a DNS name")
        value = value if value.endswith(".") else value + "."
    elif rtype == "TXT":
        value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return Record(owner, rtype, ttl, value)


def _owner(zone: str, name: str) -> str:
    """The absolute owner name (with trailing dot) of ``name`` in ``zone``."""
    name = name.strip()
    if name in ("", "@"):
        return zone + "."
    if name.endswith("."):
        absolute = name.lower()
    elif name.lower() == zone or name.lower().endswith("." + zone):
        absolute = name.lower() + "."
    else:
        absolute = f"{name.lower()}.{zone}."
    if absolute != zone + "." and not absolute.endswith("." + zone + "."):
        raise ValueError(f"record name {name!r} is outside zone {zone!r}")
    if any(c.isspace() for c in absolute):
        raise ValueError(f"record name {name!r} is not a DNS name")
    return absolute


def free_udp_tcp_port(address: str = LOOPBACK) -> int:
    """A port that is free for both TCP and UDP on ``address`` right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((address, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((address, port))
                except OSError:
                    continue
                return port
    raise NsdError(f"no port free for both TCP and UDP on {address}")


def find_program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in ("/usr/sbin", "/usr/local/sbin", "/usr/bin"):
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    return None


class NsdServer:
    """NSD serving ``zones`` ({zone: [records]}) on 127.0.0.1:``port`` (a free port by default)."""

    address = LOOPBACK

    def __init__(
        self,
        zones: Mapping[str, Iterable[RecordLike]] | None = None,
        *,
        directory: str | os.PathLike[str] | None = None,
        port: int | None = None,
        nsd: str | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        self._nsd = nsd or find_program("nsd")
        if self._nsd is None:
            raise NsdError("the 'nsd' program is not installed (Debian package nsd; run 'make system')")
        self._checkzone = find_program("nsd-checkzone")
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="nsd-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fixed_port = port
        self.port: int = port or 0
        self.start_timeout = start_timeout
        self._zones: dict[str, list[Record]] = {}
        self._serials: dict[str, int] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._mtime_ns: dict[str, int] = {}
        for zone, records in (zones or {}).items():
            zone = _normalise_zone(zone)
            self._zones[zone] = [_as_record(zone, r) for r in records]
            self._serials[zone] = 1

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> NsdServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def nameserver(self) -> str:
        """``IP:PORT``, the form ``secure-scoring verify --dns-server`` takes."""
        return f"{self.address}:{self.port}"

    @property
    def zones(self) -> dict[str, list[Record]]:
        return {zone: list(records) for zone, records in self._zones.items()}

    def serial(self, zone: str) -> int:
        return self._serials[_normalise_zone(zone)]

    def start(self) -> None:
        if self.running:
            return
        last_error: Exception | None = None
        for _attempt in range(3 if self._fixed_port is None else 1):
            if self._fixed_port is None:
                self.port = free_udp_tcp_port(self.address)
            self._write_all()
            try:
                self._launch()
                return
            except NsdError as exc:  # typically the port was taken between picking and binding
                last_error = exc
                self._kill()
        assert last_error is not None
        raise last_error

    def stop(self) -> None:
        self._kill()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start again on the same port (used when the set of zones changes)."""
        self._kill()
        fixed, self._fixed_port = self._fixed_port, self.port
        try:
            self.start()
        finally:
            self._fixed_port = fixed

    # -- records -----------------------------------------------------------------------------------

    def set_records(self, zone: str, records: Iterable[RecordLike]) -> None:
        """Replace the records of ``zone`` (adding the zone if new) and wait until NSD serves them."""
        zone = _normalise_zone(zone)
        parsed = [_as_record(zone, r) for r in records]
        is_new = zone not in self._zones
        previous = (self._zones.get(zone), self._serials.get(zone))
        self._zones[zone] = parsed
        self._serials[zone] = (previous[1] or 0) + 1
        try:
            self._write_zone(zone)
        except NsdError:
            if is_new:
                del self._zones[zone], self._serials[zone]
            else:
                self._zones[zone], self._serials[zone] = previous  # type: ignore[assignment]
            raise
        if not self.running:
            return
        if is_new:
            self._write_conf()
            self.restart()
            return
        self._reload(zone)

    def remove_zone(self, zone: str) -> None:
        zone = _normalise_zone(zone)
        self._zones.pop(zone)
        self._serials.pop(zone)
        if self.running:
            self._write_conf()
            self.restart()

    # -- client helpers ----------------------------------------------------------------------------

    def resolver(self, timeout: float = 2.0):  # -> dns.resolver.Resolver
        """A dnspython resolver that asks only this server (the system resolver is never read)."""
        import dns.resolver

        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.address]
        resolver.port = self.port
        resolver.timeout = timeout
        resolver.lifetime = timeout
        return resolver

    def query(self, name: str, rdtype: str = "A", *, tcp: bool = False, timeout: float = 1.0):
        """One raw query (no CNAME chasing) → ``dns.message.Message``."""
        import dns.message
        import dns.query

        request = dns.message.make_query(name, rdtype)
        send = dns.query.tcp if tcp else dns.query.udp
        return send(request, self.address, port=self.port, timeout=timeout)

    def served_serial(self, zone: str, *, tcp: bool = False, timeout: float = 0.5) -> int | None:
        import dns.rdatatype

        try:
            response = self.query(zone + ".", "SOA", tcp=tcp, timeout=timeout)
        except (OSError, EOFError, Exception):  # dns.exception.Timeout and friends
            return None
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return int(rrset[0].serial)
        return None

    # -- internals ---------------------------------------------------------------------------------

    @property
    def _conf_path(self) -> Path:
        return self.directory / "nsd.conf"

    @property
    def _log_path(self) -> Path:
        return self.directory / "nsd.log"

    def _zone_path(self, zone: str) -> Path:
        return self.directory / f"{zone}.zone"

    def _write_all(self) -> None:
        for zone in self._zones:
            self._write_zone(zone)
        self._write_conf()

    def _write_conf(self) -> None:
        d = self.directory
        lines = [
            "server:",
            f"    ip-address: {self.address}",
            f"    port: {self.port}",
            "    do-ip4: yes",
            "    do-ip6: no",
            '    username: ""',
            '    chroot: ""',
            f'    zonesdir: "{d}"',
            '    database: ""',
            f'    pidfile: "{d / "nsd.pid"}"',
            f'    xfrdfile: "{d / "xfrd.state"}"',
            f'    xfrdir: "{d}"',  # nsd's transfer temp dir (default /tmp) goes away with ours
            f'    zonelistfile: "{d / "zone.list"}"',
            f'    logfile: "{self._log_path}"',
            "    server-count: 1",
            "    verbosity: 1",
            "    rrl-ratelimit: 0",
            "    zonefiles-check: yes",
            "remote-control:",
            "    control-enable: no",
        ]
        for zone in self._zones:
            lines += ["zone:", f'    name: "{zone}"', f'    zonefile: "{self._zone_path(zone).name}"']
        self._conf_path.write_text("\n".join(lines) + "\n")

    def _zone_text(self, zone: str) -> str:
        serial = self._serials[zone]
        lines = [
            f"$ORIGIN {zone}.",
            "$TTL 60",
            f"@ 60 IN SOA localhost. hostmaster.{zone}. {serial} 3600 600 86400 60",
            "@ 60 IN NS localhost.",
        ]
        lines += [f"{r.name} {r.ttl} IN {r.type} {r.value}" for r in self._zones[zone]]
        return "\n".join(lines) + "\n"

    def _write_zone(self, zone: str) -> None:
        path = self._zone_path(zone)
        tmp = path.with_suffix(".zone.tmp")
        tmp.write_text(self._zone_text(zone))
        if self._checkzone:
            check = subprocess.run(
                [self._checkzone, zone, str(tmp)], capture_output=True, text=True, timeout=10, check=False
            )
            if check.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise NsdError(f"zone {zone} rejected by nsd-checkzone: {check.stdout}{check.stderr}".strip())
        os.replace(tmp, path)
        # NSD reloads a zone on SIGHUP only when its mtime changed: make it strictly increase even when
        # two updates land within the file system's timestamp granularity.
        previous = self._mtime_ns.get(zone, 0)
        mtime = max(time.time_ns(), previous + 1_000_000_000)
        os.utime(path, ns=(mtime, mtime))
        self._mtime_ns[zone] = mtime

    def _launch(self) -> None:
        self._log_path.unlink(missing_ok=True)
        with open(self.directory / "nsd.stderr", "wb") as stderr:
            self._proc = subprocess.Popen(
                [self._nsd, "-d", "-c", str(self._conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout
        pending = dict(self._serials)
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise NsdError(f"nsd exited with code {self._proc.returncode}: {self._diagnostics()}")
            if not pending:
                if self._answers_tcp():
                    return
            else:
                for zone, serial in list(pending.items()):
                    if self.served_serial(zone, timeout=0.2) == serial:
                        pending.pop(zone)
                if not pending:
                    continue
            time.sleep(0.05)
        raise NsdError(
            f"nsd did not serve {sorted(pending) or 'TCP'} on {self.nameserver} within "
            f"{self.start_timeout:.0f} s: {self._diagnostics()}"
        )

    def _answers_tcp(self) -> bool:
        try:
            with socket.create_connection((self.address, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _reload(self, zone: str) -> None:
        """SIGHUP, then wait until the new serial is served and the old server process has left.

        On a reload NSD starts new server processes while the old ones drain the shared sockets, so
        for a moment a query may still be answered from the old zone: the serial alone is not enough.
        """
        assert self._proc is not None
        expected = self._serials[zone]
        before = _group_members(self._proc.pid)
        old_servers = _leaves(before) if before else set()
        deadline = time.monotonic() + self.start_timeout
        next_hup = 0.0
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise NsdError(f"nsd exited with code {self._proc.returncode}: {self._diagnostics()}")
            now = time.monotonic()
            if now >= next_hup:
                self._proc.send_signal(signal.SIGHUP)
                next_hup = now + 1.0  # a HUP that raced with a previous reload is repeated
            if self.served_serial(zone, timeout=0.2) == expected:
                break
            time.sleep(0.03)
        else:
            raise NsdError(
                f"nsd did not serve serial {expected} of {zone} after SIGHUP: {self._diagnostics()}"
            )
        while time.monotonic() < deadline:
            members = _group_members(self._proc.pid)
            if members is None:  # no /proc: settle for a few answers in a row with the new serial
                if all(self.served_serial(zone, timeout=0.2) == expected for _ in range(5)):
                    return
            elif not old_servers & members.keys() and self.served_serial(zone, timeout=0.2) == expected:
                return
            time.sleep(0.01)
        raise NsdError(
            f"nsd's old server process did not leave after reloading {zone}: {self._diagnostics()}"
        )

    def _diagnostics(self) -> str:
        parts = []
        for path in (self.directory / "nsd.stderr", self._log_path):
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace").strip()
                if text:
                    parts.append(text[-2000:])
        return " | ".join(parts) or "no output"

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            # nsd -d forks server and xfrd children in the same process group (own session).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        # nsd's children (server, xfrd) take over a second to leave after SIGTERM; a test server
        # has no state worth a clean shutdown, so give them a moment and then kill the group.
        for sig in (None, signal.SIGKILL):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
            deadline = time.monotonic() + (0.3 if sig is None else 3.0)
            while time.monotonic() < deadline:
                if not _group_alive(proc.pid):
                    return
                time.sleep(0.02)


def _group_members(pgid: int) -> dict[int, int] | None:
    """Live (non-zombie) processes of group ``pgid`` as {pid: ppid}; None without /proc.

    Children orphaned by nsd's exit are zombies until init reaps them, which can take a second in a
    container; a zombie holds no socket, so it does not count.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    members: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, split after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) >= 3 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            members[int(entry.name)] = int(fields[1])
    return members


def _group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process is left in process group ``pgid``."""
    members = _group_members(pgid)
    if members is None:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    return bool(members)


def _leaves(members: dict[int, int]) -> set[int]:
    parents = set(members.values())
    return {pid for pid in members if pid not in parents}
