"""A run's scratch folder (``modes/scratch.py``): child processes' stderr goes to its
workers' log, which outlives the folder only when the caller keeps it and it is not empty."""
from __future__ import annotations

import os
import subprocess
import sys

from newsbeam.modes.scratch import run_scratch


def child_says(text: str) -> None:
    subprocess.run([sys.executable, "-c", f"import sys; sys.stderr.write({text!r})"],
                   check=True, timeout=60)


def test_a_kept_log_holds_what_child_processes_wrote_and_nothing_else_stays():
    with run_scratch(capture_workers=True) as scratch:
        child_says("worker: boom\n")
        open(os.path.join(scratch.folder, "progress.json"), "w").close()
        scratch.keep_log = True
    assert scratch.keep_log and os.listdir(scratch.folder) == ["workers.log"]
    with open(scratch.worker_log) as log:
        assert log.read() == "worker: boom\n"
    scratch.remove()


def test_the_folder_goes_when_the_log_is_not_kept_or_empty(capfd):
    with run_scratch(capture_workers=True) as dropped:
        child_says("worker: fine\n")
    with run_scratch(capture_workers=False) as uncaptured:  # e.g. -v: workers print
        child_says("worker: shown\n")
        uncaptured.keep_log = True
    assert not os.path.exists(dropped.folder) and not os.path.exists(uncaptured.folder)
    assert not uncaptured.keep_log
    assert capfd.readouterr().err == "worker: shown\n"
