"""Staged files -> committed files: the step that makes a run's output appear.

Writers put their files under ``_staging/<run_id>/`` (readers never look there); once every
file of a window (a batch run has one) is complete, ``commit`` renames them into their final
folders. Files of retried bundles that were never reported are never committed; the run
drops its staging folder when it ends (``drop_staging``), whether it succeeded or not.
"""
from __future__ import annotations

import dataclasses
import posixpath
import uuid
from typing import Iterable, Iterator

from newsbeam.store import fs, layout


@dataclasses.dataclass(frozen=True)
class StagedFile:
    dataset: str        # dataset or state table name
    staged_path: str
    final_path: str
    rows: int


def staged_file(output: str, run_id: str, dataset: str, final_dir: str,
                tag: str = "") -> tuple[str, str]:
    """(staged path, final path) for a new file of ``dataset``; ``tag`` names its window."""
    name = f"{run_id}-{tag + '-' if tag else ''}{uuid.uuid4().hex[:12]}.parquet"
    return fs.join(layout.staging_dir(output, run_id), dataset, name), fs.join(final_dir, name)


def commit(staged_files: Iterable[StagedFile]) -> Iterator[StagedFile]:
    """Move every staged file into its final folder, yielding each."""
    staged_files = sorted(staged_files, key=lambda s: s.final_path)
    for folder in sorted({posixpath.dirname(s.final_path) for s in staged_files}):
        fs.ensure_dir(folder)
    for staged in staged_files:
        fs.rename(staged.staged_path, staged.final_path)
        yield staged


def drop_staging(output: str, run_id: str) -> None:
    """Remove a run's staging folder: after its last commit, or its uncommitted files after
    a failure."""
    fs.delete(layout.staging_dir(output, run_id))
