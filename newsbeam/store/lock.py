"""One writer at a time: one lock object, ``_lock/lock.json``, created exclusively.

A writer writes who it is (host, pid, process start, command, a random token) to a file of
its own and links it to ``_lock/lock.json``: ``os.link`` fails when the name exists, so the
lock appears whole and only one writer creates it. On S3 the same is one PUT with
``If-None-Match: *`` (refused when the key exists). No clock orders writers: one whose clock
is behind or ahead is refused like any other. Other files in ``_lock/`` are ignored, so
garbage there blocks no one.

A lock is stale, and taken over, when its content does not parse (a lock is only ever
created whole: garbage, not a writer mid-acquire), when its process is gone (same host: pid
not running, or started at another time), or, for a lock of another host, when it is older
than ``stale_after`` by the store's own clock (its modification time against a probe file
written now; the writers' clocks play no part). Taking over moves the stale object aside
under a name of the taker's own (an atomic rename) and puts it back if what moved is not
what was judged stale (another writer took over in between). On S3 the stale object is
deleted, then created as above: two writers racing to take over the same stale lock may
both believe they hold it for a moment; the re-check below stops the one that lost.

Before anything destructive (writing or applying a commit record, recovery deleting staged
files) the holder re-checks that ``_lock/lock.json`` is still its own (``check_held``); the
token travels to worker processes of the same machine in an environment variable.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import uuid
from datetime import datetime, timezone

from apache_beam.io.filesystems import FileSystems

from newsbeam.store import fs, layout

LOCKED_EXIT_CODE = 75          # EX_TEMPFAIL: another run holds the output; try later
DEFAULT_STALE_AFTER = 6 * 3600  # seconds, by the store's clock: for locks of other hosts
LOCK_NAME = "lock.json"
_HELD_ENV = "NEWSBEAM_HELD_LOCKS"  # JSON {output: token} of the locks this process tree holds


class Locked(RuntimeError):
    """Another writer holds the output; the message says who, for one line."""


class LockLost(RuntimeError):
    """This writer's lock was taken over: it must not change the output any more."""


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
    except (PermissionError, OverflowError, ValueError):
        return pid > 0
    return True


def lock_path(output: str) -> str:
    return fs.join(layout.lock_dir(output), LOCK_NAME)


def _key(output: str) -> str:
    return output.rstrip("/")


def _held() -> dict:
    try:
        return json.loads(os.environ.get(_HELD_ENV) or "{}")
    except ValueError:
        return {}


def _remember(output: str, token: str | None) -> None:
    held = _held()
    if token:
        held[_key(output)] = token
    else:
        held.pop(_key(output), None)
    os.environ[_HELD_ENV] = json.dumps(held)


@dataclasses.dataclass
class Lock:
    output: str
    path: str
    owner: dict

    def release(self) -> None:
        _remember(self.output, None)
        found = _read(self.path)
        if found is not None and (_parse(found) or {}).get("token") == self.owner["token"]:
            fs.delete(self.path)

    def __enter__(self) -> "Lock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _parse(data: bytes) -> dict | None:
    try:
        owner = json.loads(data)
    except ValueError:
        return None
    return owner if isinstance(owner, dict) and owner.get("token") else None


def _read(path: str) -> bytes | None:
    try:
        return fs.read_bytes(path)
    except Exception:  # vanished: released or taken over meanwhile  # noqa: BLE001
        return None


def is_stale(owner: dict | None, stale_after: float, age: float | None = None) -> bool:
    """``owner``: the lock's parsed content (None: garbage). ``age``: seconds since the lock
    was written, by the store's clock (None: unknown)."""
    if owner is None:
        return True
    if owner.get("host") == socket.gethostname():
        pid = owner.get("pid", -1)
        return not isinstance(pid, int) or not _alive(pid) \
            or _process_start(pid) != owner.get("process_start")
    return age is not None and age > stale_after


def _store_age(output: str, path: str) -> float | None:
    """Seconds since ``path`` was written, both times from the store (a probe file)."""
    probe = fs.join(layout.lock_dir(output), f"probe-{uuid.uuid4().hex}.tmp")
    try:
        with fs.create(probe) as handle:
            handle.write(b"1")
        return FileSystems.last_updated(probe) - FileSystems.last_updated(path)
    except Exception:  # noqa: BLE001 - no age known: the lock stands
        return None
    finally:
        fs.delete(probe)


def describe(owner: dict) -> str:
    return (f"{owner.get('command', 'a run')} (pid {owner.get('pid')} on {owner.get('host')}, "
            f"since {owner.get('acquired_at')})")


# --- the exclusive create and the take-over, per kind of store --------------------------------

def _s3(path: str):
    """(boto3 client, bucket, key) of an s3:// path, from Beam's S3 settings (Beam 2.77
    keeps the pipeline options on the filesystem object)."""
    from apache_beam.io.aws.clients.s3 import boto3_client
    options = FileSystems.get_filesystem(path)._options
    bucket, _, key = path[len("s3://"):].partition("/")
    return boto3_client.Client(options=options).client, bucket, key


def _create(path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data`` unless it exists; True when this call created it."""
    if path.startswith("s3://"):
        client, bucket, key = _s3(path)
        try:
            client.put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*")
        except client.exceptions.ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("PreconditionFailed",
                                                             "ConditionalRequestConflict"):
                return False
            raise
        return True
    if "://" in path:  # no conditional write through Beam (gs://, ...): check, then write
        if fs.exists(path):
            return False
        fs.write_atomically(path, data)
        return True
    mine = f"{path}.{uuid.uuid4().hex}.tmp"
    fs.write_atomically(mine, data)
    try:
        os.link(mine, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(mine)
    fs.sync(os.path.dirname(path))
    return True


def _take_away(path: str, judged: bytes) -> None:
    """Remove the stale lock ``judged`` (its bytes), and nothing else if possible."""
    if "://" in path:
        fs.delete(path)
        return
    aside = f"{path}.{uuid.uuid4().hex}.stale"
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return  # another writer took it away first
    with open(aside, "rb") as handle:
        moved = handle.read()
    if moved != judged:  # a fresh lock of a writer that took over meanwhile: put it back
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
    os.unlink(aside)


def acquire(output: str, command: str, stale_after: float = DEFAULT_STALE_AFTER) -> Lock:
    """Hold the output's lock, or raise ``Locked`` at once."""
    fs.ensure_dir(layout.lock_dir(output))
    pid = os.getpid()
    owner = {"host": socket.gethostname(), "pid": pid, "process_start": _process_start(pid),
             "command": command, "token": uuid.uuid4().hex,
             "acquired_at": datetime.now(timezone.utc).isoformat()}  # for people only
    path = lock_path(output)
    data = json.dumps(owner).encode()
    holder = None
    for _ in range(3):
        if _create(path, data):
            _remember(output, owner["token"])
            return Lock(output, path, owner)
        found = _read(path)
        if found is None:
            continue  # released meanwhile: try again
        holder = _parse(found)
        age = None if holder is None or holder.get("host") == owner["host"] \
            else _store_age(output, path)
        if not is_stale(holder, stale_after, age):
            break
        _take_away(path, found)
    raise Locked(f"{output} is being written by "
                 f"{describe(holder) if holder else 'another run'}")


def check_held(output: str) -> None:
    """Raise ``LockLost`` when this process (tree) took ``output``'s lock and the lock is
    no longer its own. Nothing to check where no lock of ``output`` was taken here."""
    token = _held().get(_key(output))
    if token is None:
        return
    found = _read(lock_path(output))
    holder = _parse(found) if found is not None else None
    if (holder or {}).get("token") != token:
        raise LockLost(f"{output}: this writer's lock was taken over by "
                       f"{describe(holder) if holder else 'no one'}; it stops without "
                       "changing the output")
