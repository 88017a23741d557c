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
from newsbeam.store.parquet import write_parquet


@dataclasses.dataclass(frozen=True)
class StagedFile:
    table: str          # dataset or state table name
    staged_path: str
    final_path: str
    rows: int


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
        write_parquet(staged, schema, [])
        empty.append(StagedFile(name, staged, final, 0))
    return empty


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


def commit(output: str, commit_id: str, run_id: str,
           staged_files: Iterable[StagedFile]) -> log.CommitRecord:
    """Commit ``staged_files`` as one change: write the record, then move them into place."""
    with _gate:
        if _closed.is_set():
            raise CommitsClosed(f"commit {commit_id} refused: the run was stopped")
        return _commit(output, commit_id, run_id, staged_files)


def _commit(output: str, commit_id: str, run_id: str,
            staged_files: Iterable[StagedFile]) -> log.CommitRecord:
    faults.reached("staged")
    record = log.CommitRecord(
        commit_id=commit_id, kind="run", run_id=run_id, created_at=log.now_iso(),
        adds=tuple(log.FileEntry(s.table, layout.relative(output, s.final_path),
                                 layout.relative(output, s.staged_path), s.rows)
                   for s in sorted(staged_files, key=lambda s: s.final_path)))
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
