"""Rows -> Parquet files committed window by window (``store.commit``).

Each bundle writes its rows per window into staged files; the staged files are grouped by
window and each window's group is committed at once, as one commit record. A batch run has
one window (the global one), so it commits once, after every bundle of every dataset has
finished; a failed or killed run commits nothing. A streaming run commits each window as it
closes, with the ``ingest_date`` of the window's start.
"""
from __future__ import annotations

import collections
import dataclasses
from datetime import date
from typing import Iterable, Iterator

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow, IntervalWindow

from newsbeam.transforms.stage import emit_in
from newsbeam.core.progress import ProgressWriter, progress_folder
from newsbeam.schemas.tables import INGEST_DATE
from newsbeam.store import layout
from newsbeam.store.commit import StagedFile, commit, placeholders, staged_file

ROWS_PER_FILE = 500_000       # keeps files a size downstream engines split well


def window_tag(window: BoundedWindow) -> str:
    """A window's part of a file name: its start, or nothing for the global window."""
    if isinstance(window, IntervalWindow):
        return f"w{window.start.to_utc_datetime():%Y%m%dT%H%M%S}"
    return ""


def commit_tag(window: BoundedWindow, pane) -> str:
    """A window's commit: its start and pane index (``w20260101T120000-p0``); nothing for
    the global window (a batch run commits once)."""
    tag = window_tag(window)
    return f"{tag}-p{pane.index}" if tag else ""


def with_tag(staged: StagedFile, run_id: str, tag: str) -> StagedFile:
    """The staged file, its final name carrying the commit's window and pane."""
    folder, name = staged.final_path.rsplit("/", 1)
    unique = name.rsplit("-", 1)[-1]
    return dataclasses.replace(staged, final_path=f"{folder}/{run_id}-{tag}-{unique}")


def ingest_date_of(window: BoundedWindow, run_date: date) -> date:
    """The ``ingest_date`` of a window's rows: the UTC day the window starts, or for the
    global window (batch), the run's day."""
    if isinstance(window, IntervalWindow):
        return window.start.to_utc_datetime().date()
    return run_date


class _WriteStaged(beam.DoFn):
    """Buffers a bundle's rows per window and writes them to staged files; emits what it
    wrote, in the window the rows came from."""

    def __init__(self, output: str, run_id: str, run_date: date, table: str,
                 schema: pa.Schema, state_dir: str | None):
        self.output, self.run_id, self.run_date = output, run_id, run_date
        self.table, self.schema, self.state_dir = table, schema, state_dir
        self.rows_written = Metrics.counter("sinks", f"{table}_rows")

    def setup(self):
        # Dataset rows written count as progress (core/progress.py); state rows do not.
        self.progress = ProgressWriter(None if self.state_dir else progress_folder())

    def start_bundle(self):
        self.rows: dict[BoundedWindow, list[dict]] = {}

    def process(self, row: dict, window=beam.DoFn.WindowParam) -> Iterator[StagedFile]:
        rows = self.rows.setdefault(window, [])
        rows.append(row)
        if len(rows) >= ROWS_PER_FILE:
            yield self._flush(window)

    def finish_bundle(self) -> Iterator:
        for window in list(self.rows):
            if self.rows[window]:
                yield emit_in(window, self._flush(window))

    def _flush(self, window: BoundedWindow) -> StagedFile:
        staged = write_staged(self.output, self.run_id, self.table, self.schema,
                              self.rows.pop(window), window, self.run_date, self.state_dir)
        self.rows_written.inc(staged.rows)
        self.progress.add(f"{self.table}_rows", staged.rows)
        self.progress.flush()
        return staged


def write_staged(output: str, run_id: str, table: str, schema: pa.Schema, rows: Iterable[dict],
                 window: BoundedWindow, run_date: date, state_dir: str | None = None
                 ) -> StagedFile:
    """``rows`` of ``table`` as one staged file: a state table's in ``state_dir``, a
    dataset's in the partition of the window's day (its rows get that ``ingest_date``)."""
    if state_dir:
        final_dir = state_dir
    else:  # datasets carry the day they were ingested
        day = ingest_date_of(window, run_date)
        final_dir = layout.partition_dir(output, table, day.isoformat())
        rows = ({**row, INGEST_DATE.name: day} for row in rows)
    staged, final = staged_file(output, run_id, table, final_dir, window_tag(window))
    return StagedFile.write(table, staged, final, schema, rows)


@dataclasses.dataclass(frozen=True)
class Tally:
    """A count committed with a window's files (e.g. the window's inputs): it reaches the
    commit with the staged files, so ``on_commit`` sees both for the same pane."""

    name: str
    count: int


TALLIES = "_tallies"  # WriteDatasets' input of Tally elements, beside the tables
# WriteDatasets' input of files a step staged itself (StagedFile) and of state files the
# commit replaces (RemovedFile): they join the window's commit as they are.
STAGED = "_staged"
PASSED = (TALLIES, STAGED)


@dataclasses.dataclass(frozen=True)
class RemovedFile:
    """A committed state file the commit deletes (e.g. pending rows it settles)."""

    table: str
    path: str


class _Commit(beam.DoFn):
    """One window's staged files -> one commit (with placeholders for datasets that have
    no file yet)."""

    def __init__(self, output: str, run_id: str, run_date: date,
                 datasets: dict[str, pa.Schema], on_commit=None, commit_id: str | None = None,
                 kind: str = "run"):
        self.output, self.run_id, self.run_date, self.datasets = output, run_id, run_date, datasets
        self.on_commit, self.commit_id, self.kind = on_commit, commit_id, kind

    def process(self, keyed: tuple[None, Iterable[StagedFile]], window=beam.DoFn.WindowParam,
                pane=beam.DoFn.PaneInfoParam) -> Iterator[StagedFile]:
        staged, removed, tallies = [], [], collections.Counter()
        for item in keyed[1]:
            if isinstance(item, Tally):
                tallies[item.name] += item.count
            elif isinstance(item, RemovedFile):
                removed.append(item)
            else:
                staged.append(item)
        staged += placeholders(self.output, self.run_id, ingest_date_of(window, self.run_date),
                               self.datasets, {s.table for s in staged if s.rows})
        tag = commit_tag(window, pane)
        if tag:  # a late pane's files and commit never reuse the on-time pane's names
            staged = [with_tag(s, self.run_id, tag) for s in staged]
        commit_id = f"{self.run_id}-{tag}" if tag else (self.commit_id or self.run_id)
        commit(self.output, commit_id, self.run_id, staged, self.kind,
               [(r.table, r.path) for r in removed])
        if self.on_commit:  # e.g. a stream's per-window manifest
            self.on_commit(commit_id, window, pane, staged, dict(tallies))
        yield from staged


class WriteDatasets(beam.PTransform):
    """{table name: PCollection of rows} -> committed files (a PCollection of StagedFile).

    Datasets are named by ``datasets`` ({name: schema}) and go to their partitions; state
    tables (``state``: {name: schema}) go to ``_state/<name>/``, committed in the same step:
    run state such as the dedup index must appear exactly when the datasets do.
    ``on_commit(commit_id, window, pane, staged files, tallies)`` runs after each commit,
    ``tallies`` ({name: count}) summing the ``Tally`` elements of key ``TALLIES`` in the pane.
    Key ``STAGED``: files staged elsewhere and state files to remove, committed with the rest.
    ``commit_id`` and ``kind`` name a batch commit (default: the run's id, "run").
    """

    def __init__(self, output: str, run_id: str, run_date: date,
                 datasets: dict[str, pa.Schema], state: dict[str, pa.Schema] | None = None,
                 on_commit=None, commit_id: str | None = None, kind: str = "run"):
        super().__init__()
        self.output, self.run_id, self.run_date = output, run_id, run_date
        self.datasets, self.state = dict(datasets), dict(state or {})
        self.on_commit, self.commit_id, self.kind = on_commit, commit_id, kind

    def _writer(self, name: str) -> _WriteStaged:
        if name in self.state:
            return _WriteStaged(self.output, self.run_id, self.run_date, name, self.state[name],
                                layout.state_dir(self.output, name))
        return _WriteStaged(self.output, self.run_id, self.run_date, name, self.datasets[name],
                            None)

    def expand(self, rows_by_table: dict):
        staged = [rows | f"Write_{name}" >> beam.ParDo(self._writer(name))
                  for name, rows in rows_by_table.items() if name not in PASSED]
        staged += [rows_by_table[name] for name in PASSED if name in rows_by_table]
        return (
            tuple(staged)
            | "AllStaged" >> beam.Flatten()
            | "ByWindow" >> beam.WithKeys(lambda _: None)
            | "GatherWindow" >> beam.GroupByKey()
            | "Commit" >> beam.ParDo(_Commit(self.output, self.run_id, self.run_date,
                                              self.datasets, self.on_commit, self.commit_id,
                                              self.kind)))
