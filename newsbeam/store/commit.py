"""Staged files -> one commit: the step that makes a run's (or a window's) output appear.

Writers put their files under ``_staging/<run_id>/`` (readers never look there). Once every
file of a window (a batch run has one) is complete, ``commit`` writes the commit record that
names them all (the commit point, ``store.log``) and rolls it forward. Files of retried
bundles that no record names are never committed; the run drops its staging folder when it
ends, and a crashed run's is dropped by the next writer.
"""
from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import date
from typing import Iterable

import pyarrow as pa

from newsbeam.store import faults, fs, layout, log
from newsbeam.store.parquet import write_parquet_checked


@dataclasses.dataclass(frozen=True)
class StagedFile:
    table: str          # dataset or state table name
    staged_path: str
    final_path: str
    rows: int
    written: fs.Written | None = None  # size and checksum, recorded in the commit record

    @classmethod
    def write(cls, table: str, staged_path: str, final_path: str, schema: pa.Schema,
              rows) -> "StagedFile":
        """Write ``rows`` to ``staged_path`` (flushed to disk) and describe the file."""
        count, written = write_parquet_checked(staged_path, schema, rows)
        return cls(table, staged_path, final_path, count, written)


def staged_file(output: str, run_id: str, table: str, final_dir: str,
                tag: str = "") -> tuple[str, str]:
    """(staged path, final path) for a new file of ``table``; ``tag`` names its window."""
    name = f"{run_id}-{tag + '-' if tag else ''}{uuid.uuid4().hex[:12]}.parquet"
    return fs.join(layout.staging_dir(output, run_id), table, name), fs.join(final_dir, name)


def placeholders(output: str, run_id: str, ingest_date: date,
                 datasets: dict[str, pa.Schema], present: set[str]) -> list[StagedFile]:
    """A zero-row file for each dataset that has no file yet and gets none now: every
    dataset folder exists, with its schema, from the first commit on (readers never trip
    on a missing folder)."""
    empty = []
    for name, schema in datasets.items():
        if name in present or fs.match(layout.dataset_files_pattern(output, name)):
            continue
        staged, final = staged_file(output, run_id, name,
                                    layout.partition_dir(output, name, ingest_date.isoformat()))
        empty.append(StagedFile.write(name, staged, final, schema, []))
    return empty


class CommittedButFailed(RuntimeError):
    """A run committed its data, then a later step (its manifest, its clean-up) failed:
    the data stays; the next writer's recovery finishes what is missing."""

    def __init__(self, run_id: str, cause: BaseException):
        self.run_id, self.cause = run_id, cause
        super().__init__(f"run {run_id} committed its data, but a later step failed: "
                         f"{type(cause).__name__}: {' '.join(str(cause).split())[:200]}; "
                         "the next newsbeam command's recovery finishes it")


class CommitsClosed(RuntimeError):
    """The run in this process was stopped (a signal): it may commit nothing more."""


# Stopping a run closes this gate: a commit under way finishes first, none starts after.
# Per process, because in-process runners commit inside the process that got the signal
# (other workers are killed); a commit cut short by a kill is what recovery is for.
_gate = threading.Lock()
_closed = threading.Event()


def close_commits() -> None:
    """No commit may start in this process from now on; waits for one under way."""
    with _gate:
        _closed.set()


def commit(output: str, commit_id: str, run_id: str, staged_files: Iterable[StagedFile],
           kind: str = "run", removes: Iterable[tuple[str, str]] = ()) -> log.CommitRecord:
    """Commit ``staged_files`` as one change: write the record, then move them into place.
    ``removes``: (state table, path) of committed state files the change deletes.
    ``kind``: "run" (a run's or window's commit) or "chunk" (a chunk of a run)."""
    with _gate:
        if _closed.is_set():
            raise CommitsClosed(f"commit {commit_id} refused: the run was stopped")
        return _commit(output, commit_id, run_id, staged_files, kind, removes)


def _commit(output: str, commit_id: str, run_id: str, staged_files: Iterable[StagedFile],
            kind: str, removes: Iterable[tuple[str, str]]) -> log.CommitRecord:
    faults.reached("staged")
    staged_files = sorted(staged_files, key=lambda s: s.final_path)
    record = log.CommitRecord(
        commit_id=commit_id, kind=kind, run_id=run_id, created_at=log.now_iso(),
        adds=tuple(log.FileEntry(s.table, layout.relative(output, s.final_path),
                                 layout.relative(output, s.staged_path), s.rows,
                                 s.written.size if s.written else None,
                                 s.written.sha256 if s.written else None)
                   for s in staged_files),
        removes=tuple(log.FileEntry(table, layout.relative(output, path))
                      for table, path in sorted(set(removes))))
    existing = log.read_record(output, commit_id)
    if existing is not None:  # a retried commit step: the first attempt's record stands
        if existing.adds != record.adds:
            raise RuntimeError(f"commit {commit_id} exists with other files: commit ids must "
                               "be unique")
        record = existing
    else:
        log.write_record(output, record)
    log.apply(output, record)
    return record


def drop_staging(output: str, run_id: str) -> None:
    """Remove a run's staging folder: after its last commit, or its uncommitted files after
    a failure."""
    fs.delete_tree(layout.staging_dir(output, run_id))
