"""One writer at a time: one lock object created exclusively. A second writer is refused
at once whatever its clock says; a dead writer's lock, or garbage, is taken over; a writer
whose lock was taken over stops before changing anything."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from newsbeam.store import fs, layout, lock


def test_a_second_writer_is_refused_until_the_first_releases(tmp_path):
    output = str(tmp_path)
    held = lock.acquire(output, "newsbeam run")
    with pytest.raises(lock.Locked) as refused:
        lock.acquire(output, "newsbeam compact")
    message = str(refused.value)
    assert "newsbeam run" in message and f"pid {held.owner['pid']}" in message
    assert "\n" not in message
    held.release()
    with lock.acquire(output, "newsbeam compact"):
        pass
    assert not fs.match_paths(fs.join(layout.lock_dir(output), "*"))


def write_lock(output: str, data: bytes) -> None:
    fs.ensure_dir(layout.lock_dir(output))
    fs.write_atomically(lock.lock_path(output), data)


def owner_of(pid: int, host: str | None = None, **extra) -> bytes:
    return json.dumps({"host": host or socket.gethostname(), "pid": pid, "token": "t" * 32,
                       "process_start": lock._process_start(pid), "command": "newsbeam run",
                       **extra}).encode()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    write_lock(str(tmp_path), owner_of(gone.pid))
    with lock.acquire(str(tmp_path), "newsbeam run") as taken:
        assert taken.owner["pid"] != gone.pid


def test_a_reused_pid_does_not_keep_a_lock():
    owner = json.loads(owner_of(os.getpid()))
    assert not lock.is_stale(owner, lock.DEFAULT_STALE_AFTER)
    owner["process_start"] = "not-this-process"
    assert lock.is_stale(owner, lock.DEFAULT_STALE_AFTER)


@pytest.mark.parametrize("garbage", [b"", b"\x00\xff not json", b"[1, 2]", b'{"pid": 1}'])
def test_garbage_in_the_lock_never_blocks_a_writer(tmp_path, garbage):
    output = str(tmp_path)
    write_lock(output, garbage)
    # and any other file in _lock/ (an old version's entry, an editor's backup) is ignored
    (tmp_path / "_lock" / "00000000000000000000-0000.json").write_bytes(b"{not json")
    with lock.acquire(output, "newsbeam run") as taken:
        assert json.loads(fs.read_bytes(lock.lock_path(output)))["token"] == taken.owner["token"]


def test_a_live_lock_of_another_host_holds_until_it_is_too_old_by_the_stores_clock(tmp_path):
    output = str(tmp_path)
    write_lock(output, owner_of(1, host="elsewhere"))
    with pytest.raises(lock.Locked):
        lock.acquire(output, "newsbeam run", stale_after=3600)
    old = time.time() - 7200  # the lock file written two hours ago, as the disk tells
    os.utime(lock.lock_path(output), (old, old))
    with lock.acquire(output, "newsbeam run", stale_after=3600):
        pass


def test_a_writer_whose_clock_is_an_hour_behind_is_refused(tmp_path, monkeypatch):
    """The first writer holds the lock; the second's clock (``time.time``, what lock entries
    were once ordered by) is an hour behind. The exclusive create refuses it."""
    output = str(tmp_path)
    with lock.acquire(output, "newsbeam run"):
        child = subprocess.run([sys.executable, "-c", BEHIND, output], capture_output=True,
                               text=True, timeout=120, env={**os.environ, _ENV_CLEARED: ""})
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "refused"


_ENV_CLEARED = "NEWSBEAM_HELD_LOCKS"  # the child holds no lock of its own
BEHIND = """
import sys, time
real = time.time
time.time = lambda: real() - 3600
time.time_ns = lambda: int((real() - 3600) * 1e9)
from newsbeam.store import lock
try:
    lock.acquire(sys.argv[1], "newsbeam run")
except lock.Locked:
    print("refused")
else:
    print("taken")
"""


def test_a_writer_whose_lock_was_taken_over_stops_before_committing(tmp_path):
    from tests.helpers.store import stage_rejects
    from newsbeam.store import commit

    output = str(tmp_path)
    mine = lock.acquire(output, "newsbeam run")
    try:
        staged = stage_rejects(output, "20260102T000000Z-aaaaaaaa")
        os.remove(lock.lock_path(output))  # e.g. removed by hand, then taken by another
        write_lock(output, owner_of(os.getppid(), command="newsbeam compact"))
        with pytest.raises(lock.LockLost):
            commit.commit(output, "20260102T000000Z-aaaaaaaa", "20260102T000000Z-aaaaaaaa",
                          staged)
        assert not (tmp_path / "_log").exists() or not any((tmp_path / "_log").iterdir())
    finally:
        mine.release()
    assert fs.exists(lock.lock_path(output))  # release leaves the other writer's lock


def test_recovery_of_a_writer_whose_lock_was_taken_over_deletes_nothing(tmp_path):
    """The fault of issue 18: a second writer's recovery deleted the first's staging."""
    from tests.helpers.store import stage_rejects
    from newsbeam.store.recover import recover

    output = str(tmp_path)
    staged = stage_rejects(output, "20260102T000000Z-bbbbbbbb")  # another writer's, mid-run
    mine = lock.acquire(output, "newsbeam run")
    try:
        os.remove(lock.lock_path(output))
        write_lock(output, owner_of(os.getppid(), command="newsbeam run"))
        with pytest.raises(lock.LockLost):
            recover(output)
    finally:
        mine.release()
    assert all(os.path.exists(s.staged_path) for s in staged)
