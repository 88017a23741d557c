"""One writer at a time: a lock under the output directory, through Beam's FileSystems.

A writer adds ``_lock/<time_ns>-<token>.json`` (who it is: host, pid, process start, command,
when) and then lists the folder: the earliest entry holds the lock; a later one removes its
own entry and gives up at once (``Locked``). Entries written at the same moment all see each
other and agree on the earliest, so no two writers both hold it (this rests on the
listing being consistent after a write, true of local disks, S3 and GCS, and on writers'
clocks not running backwards). An entry of a process that is gone (same host, pid not
running or started at another time) or older than ``stale_after`` is stale: it is removed
and the lock taken over.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
import uuid
from datetime import datetime, timezone

from newsbeam.store import fs, layout

LOCKED_EXIT_CODE = 75          # EX_TEMPFAIL: another run holds the output; try later
DEFAULT_STALE_AFTER = 6 * 3600  # seconds: no run holds an output this long


class Locked(RuntimeError):
    """Another writer holds the output; the message says who, for one line."""


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (tells a reused pid apart), where /proc has it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclasses.dataclass
class Lock:
    output: str
    path: str
    owner: dict

    def release(self) -> None:
        fs.delete(self.path)

    def __enter__(self) -> "Lock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def is_stale(owner: dict, stale_after: float, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    if now - owner.get("acquired_at_epoch", 0) > stale_after:
        return True
    if owner.get("host") == socket.gethostname():
        pid = owner.get("pid", -1)
        return not _alive(pid) or _process_start(pid) != owner.get("process_start")
    return False


def describe(owner: dict) -> str:
    return (f"{owner.get('command', 'a run')} (pid {owner.get('pid')} on {owner.get('host')}, "
            f"since {owner.get('acquired_at')})")


def _entries(output: str) -> list[str]:
    return fs.match_paths(fs.join(layout.lock_dir(output), "*.json"))


def _owner(path: str) -> dict | None:
    try:
        return json.loads(fs.read_bytes(path))
    except Exception:  # vanished (released) or half-written (its writer is mid-acquire)
        return None


def acquire(output: str, command: str, stale_after: float = DEFAULT_STALE_AFTER) -> Lock:
    """Hold the output's lock, or raise ``Locked`` at once."""
    fs.ensure_dir(layout.lock_dir(output))
    for path in _entries(output):
        owner = _owner(path)
        if owner is not None and is_stale(owner, stale_after):
            fs.delete(path)  # a killed run's lock: taken over below
    pid = os.getpid()
    now = datetime.now(timezone.utc)
    owner = {"host": socket.gethostname(), "pid": pid, "process_start": _process_start(pid),
             "command": command, "acquired_at": now.isoformat(),
             "acquired_at_epoch": now.timestamp()}
    mine = fs.join(layout.lock_dir(output), f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json")
    fs.write_atomically(mine, json.dumps(owner).encode())
    first = _entries(output)[0]
    if first != mine:
        fs.delete(mine)
        holder = _owner(first)
        raise Locked(f"{output} is being written by "
                     f"{describe(holder) if holder else 'another run'}")
    return Lock(output, mine, owner)
