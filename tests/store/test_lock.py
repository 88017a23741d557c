"""One writer at a time: a second writer is refused at once; a dead writer's lock is taken over."""
from __future__ import annotations

import json
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


def write_entry(output: str, owner: dict, name: str = "00000000000000000001-dead.json") -> None:
    fs.ensure_dir(layout.lock_dir(output))
    fs.write_atomically(fs.join(layout.lock_dir(output), name), json.dumps(owner).encode())


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    owner = {"host": __import__("socket").gethostname(), "pid": gone.pid,
             "process_start": "1", "command": "newsbeam run", "acquired_at_epoch": time.time()}
    write_entry(str(tmp_path), owner)
    with lock.acquire(str(tmp_path), "newsbeam run") as taken:
        assert taken.owner["pid"] != gone.pid


def test_a_reused_pid_does_not_keep_a_lock(tmp_path):
    import os
    owner = {"host": __import__("socket").gethostname(), "pid": os.getpid(),
             "process_start": "not-this-process", "acquired_at_epoch": time.time()}
    assert lock.is_stale(owner, lock.DEFAULT_STALE_AFTER)
    owner["process_start"] = lock._process_start(os.getpid())
    assert not lock.is_stale(owner, lock.DEFAULT_STALE_AFTER)


def test_a_live_lock_of_another_host_holds_until_it_is_too_old(tmp_path):
    owner = {"host": "elsewhere", "pid": 1, "acquired_at_epoch": time.time() - 10}
    assert not lock.is_stale(owner, 3600)
    assert lock.is_stale(owner, 5)
    write_entry(str(tmp_path), owner)
    with pytest.raises(lock.Locked):
        lock.acquire(str(tmp_path), "newsbeam run", stale_after=3600)
    with lock.acquire(str(tmp_path), "newsbeam run", stale_after=5):
        pass


def test_simultaneous_writers_agree_on_one_holder(tmp_path):
    """Entries written before either lists: both see both, and only the earliest holds."""
    output = str(tmp_path)
    write_entry(output, {"host": "h", "pid": 1, "acquired_at_epoch": time.time()},
                name=f"{time.time_ns():020d}-aaaa.json")
    with pytest.raises(lock.Locked):
        lock.acquire(output, "newsbeam run")
