"""The process around a command that runs a pipeline: a scratch folder for the run's
progress counts (``core/progress.py``) and its worker processes' log, and the way out when
a signal stopped the run.

Beam's ``multi_processing`` workers are subprocesses that log 20-odd INFO lines each to the
stderr they inherit, and a Ctrl-C from the terminal reaches every child process (each then
prints its own traceback). So, unless the command is verbose, file descriptor 2 points at a
log file in the scratch folder while the run works: every child process writes there, and
newsbeam's own messages go to the terminal through a copy of the original descriptor. The
log is kept when the run fails, to read its workers' side of the story.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import tempfile
from typing import Iterator


@dataclasses.dataclass
class Scratch:
    folder: str
    worker_log: str
    keep_log: bool = False  # set by the caller: keep the workers' log (a failed run)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def run_scratch(capture_workers: bool) -> Iterator[Scratch]:
    """A scratch folder, removed on the way out except for a non-empty workers' log the
    caller asked to keep (``keep_log`` stays set only then). ``capture_workers``: child
    processes' stderr goes to ``worker_log`` meanwhile."""
    folder = tempfile.mkdtemp(prefix="newsbeam-run-")
    scratch = Scratch(folder, os.path.join(folder, "workers.log"))
    finished = False
    try:
        with capture_children(scratch.worker_log) if capture_workers \
                else contextlib.nullcontext():
            yield scratch
        finished = True
    finally:
        log = scratch.worker_log
        scratch.keep_log = finished and scratch.keep_log and os.path.isfile(log) \
            and os.path.getsize(log) > 0
        for name in os.listdir(folder) if scratch.keep_log else ():
            path = os.path.join(folder, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif path != log:  # progress counts are files (rmtree would leave them)
                os.remove(path)
        if not scratch.keep_log:
            scratch.remove()


@contextlib.contextmanager
def capture_children(log_path: str) -> Iterator[None]:
    """While inside, file descriptor 2 (inherited by every child process) writes to
    ``log_path``; ``sys.stderr`` keeps writing where it wrote before."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(2)
    original = sys.stderr
    if _writes_to_fd2(original):  # e.g. not under pytest's capsys, which is no descriptor
        sys.stderr = open(saved, "w", buffering=1, closefd=False,
                          encoding=getattr(original, "encoding", None) or "utf-8",
                          errors="backslashreplace")
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 2)
    os.close(log)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        sys.stderr = original


def _writes_to_fd2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False


def exit_now(code: int) -> None:
    """End the process at once: after a stop signal, the abandoned pipeline thread and its
    pools would keep an orderly exit waiting (the run is already recorded as failed)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
