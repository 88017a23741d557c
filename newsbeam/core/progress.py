"""A run's progress as it works, through a side channel any local worker can write.

Beam's metrics of a running pipeline cannot be read on the FnApiRunner (only once it has
finished), and with ``multi_processing`` the stages run in other processes. So each stage
instance keeps its own counts and now and then replaces one small JSON file in a local
folder named for the run; the command line sums the files. Workers that cannot see the
folder (a remote runner) record nothing: progress is for local runs.

The folder is a concern of the command line only, so it is named in an environment variable
(``recording_progress``) rather than handed through the run and the graph: local workers
inherit it, as they do ``store.faults``' variables.
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import time
import uuid
from typing import Iterator

FLUSH_SECONDS = 1.0  # how stale a count may be; each flush is one small file write
FOLDER_VARIABLE = "NEWSBEAM_PROGRESS_DIR"


def progress_folder() -> str | None:
    """The folder this process's stages record progress in, if any."""
    return os.environ.get(FOLDER_VARIABLE) or None


@contextlib.contextmanager
def recording_progress(folder: str) -> Iterator[None]:
    """Stages started meanwhile (in this process or its children) record into ``folder``."""
    before = os.environ.get(FOLDER_VARIABLE)
    os.environ[FOLDER_VARIABLE] = folder
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(FOLDER_VARIABLE, None)
        else:
            os.environ[FOLDER_VARIABLE] = before


class ProgressWriter:
    """The counts of one stage instance (one thread at a time), flushed to its own file."""

    def __init__(self, folder: str | None):
        self.folder = folder if folder and os.path.isdir(folder) else None
        self.counts: collections.Counter = collections.Counter()
        self._path = self.folder and os.path.join(
            self.folder, f"{os.getpid()}-{uuid.uuid4().hex[:12]}.json")
        self._flushed_at = 0.0

    def add(self, key: str, count: int = 1) -> None:
        if self.folder is None:
            return
        self.counts[key] += count
        if time.monotonic() - self._flushed_at >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.folder is None or not self.counts:
            return
        self._flushed_at = time.monotonic()
        temp = f"{self._path}.tmp"
        try:
            with open(temp, "w") as handle:
                json.dump(self.counts, handle)
            os.replace(temp, self._path)  # readers see the old counts or the new, whole
        except OSError:  # the folder went away (the run ended): progress is best effort
            self.folder = None


def read_progress(folder: str) -> collections.Counter:
    """The counts of every stage instance of a run, summed."""
    total: collections.Counter = collections.Counter()
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".json")]
    except OSError:
        return total
    for name in names:
        try:
            with open(os.path.join(folder, name)) as handle:
                total.update(json.load(handle))
        except (OSError, ValueError):
            continue  # replaced or removed meanwhile
    return total
