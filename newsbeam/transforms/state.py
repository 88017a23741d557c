"""State tables inside the pipeline: what earlier runs recorded, read when the pipeline runs
(never while the graph is built, so a pipeline that runs again or polls sees fresh state),
and joined rather than loaded whole by every worker. A pipeline reads each table once, and
all the tables it needs in one ``ReadStates``, whichever of its stages use them. A stream,
which keeps what it meets in keyed state, looks its tables up instead, each loaded by its
workers (``WorkerSnapshot``: no side input, for Flink's checkpoints)."""
from __future__ import annotations

import uuid
from typing import Any, Callable, Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils.shared import Shared

from newsbeam.store.parquet import iter_rows
from newsbeam.store.state import state_files


class ReadStates(beam.PTransform):
    """The committed rows of state tables of ``output``: {table: rows}. Their files are
    listed when the pipeline runs and spread over workers before they are read, all tables
    in one listing, one spread and one read (each of those costs graph construction and a
    runner stage, per table if every table had its own)."""

    def __init__(self, output: str, tables: tuple[str, ...]):
        super().__init__()
        self.output, self.tables = output, tuple(tables)

    def expand(self, pipeline):
        output, tables = self.output, self.tables
        read = (pipeline
                | "Start" >> beam.Impulse()
                | "ListFiles" >> beam.FlatMap(
                    lambda _: [(table, path) for table in tables
                               for path in state_files(output, table)])
                | "Spread" >> beam.Reshuffle()
                | "Read" >> beam.ParDo(_ReadTableFile()).with_outputs(*tables))
        return {table: read[table] for table in tables}


def _file_rows(path: str) -> list[dict]:
    try:
        return list(iter_rows(path))
    except Exception as err:  # a damaged file: name it (Beam's wrapping hides the cause)
        raise IOError(f"state file {path} cannot be read ({type(err).__name__}: {err}); "
                      "run 'newsbeam verify --output <output>'") from err


class _ReadTableFile(beam.DoFn):
    def process(self, table_path: tuple[str, str]) -> Iterator:
        table, path = table_path
        for row in _file_rows(path):
            yield beam.pvalue.TaggedOutput(table, row)


class Held:
    """A snapshot's lookup, ``value`` (``Shared`` keeps a weak reference to this holder: a
    dict cannot have one)."""

    def __init__(self, value: Any):
        self.value = value


class WorkerSnapshot:
    """A state table's committed rows made into a lookup by ``build``, read by the stream's
    workers themselves when the job runs (once per worker process and pipeline built),
    instead of coming as a Beam side input.

    Why: Beam 2.62's Flink runner cannot checkpoint a streaming stage whose Python side
    input holds rows. Its broadcast state is encoded with a coder that does not fit what it
    holds (``ClassCastException: [B cannot be cast to WindowedValue``), so each checkpoint
    is declined and the job restarts. A stream restarted over an output with state then
    kept restarting on Flink, with checkpointing on, and rarely got a window through (a
    first stream was spared: its tables were empty). ``output`` None: an empty table.

    A worker may read after the stream's first commits (its first bundle of the stage, a
    worker started later): the rows of run ``run_id`` (the stream's own) are left out, so
    every worker sees the output as it was when the stream started, as a side input did.
    """

    def __init__(self, output: str | None, table: str, build: Callable[[Iterable[dict]], Any],
                 run_id: str):
        self.output, self.table, self.build, self.run_id = output, table, build, run_id
        self.tag = uuid.uuid4().hex  # a pipeline built anew reads anew (in-process runners)
        self._shared = Shared()

    def load(self) -> Held:
        """The lookup's holder: call it in ``DoFn.setup`` and keep it (``Shared`` holds it
        weakly: while a DoFn keeps it, the process's other DoFns get the same one)."""
        return self._shared.acquire(self._read, tag=self.tag)

    def _read(self) -> Held:
        paths = state_files(self.output, self.table) if self.output is not None else []
        return Held(self.build(row for path in paths for row in _file_rows(path)
                               if row["run_id"] != self.run_id))


class ReadState(ReadStates):
    """The committed rows of one state table of ``output``."""

    def __init__(self, output: str, table: str):
        super().__init__(output, (table,))
        self.table = table

    def expand(self, pipeline):
        return super().expand(pipeline)[self.table]


def _unknown(keyed: tuple, counter: tuple[str, str]) -> Iterator[Any]:
    _, grouped = keyed
    if grouped["known"]:
        Metrics.counter(*counter).inc(len(grouped["items"]))
        return
    yield from grouped["items"]


class SkipKnown(beam.PTransform):
    """(items, state rows) -> the items whose key no state row has; those dropped are
    counted (``counter``: metrics namespace and name)."""

    def __init__(self, item_key: Callable[[Any], str | None],
                 row_key: Callable[[dict], str | None], counter: tuple[str, str]):
        super().__init__()
        self.item_key, self.row_key, self.counter = item_key, row_key, counter

    def expand(self, pcolls):
        items, rows = pcolls
        row_key, item_key = self.row_key, self.item_key
        known = rows | "KnownKeys" >> beam.FlatMap(
            lambda row: [(k, True)] if (k := row_key(row)) else [])
        keyed = items | "KeyItems" >> beam.Map(lambda item: (item_key(item) or "", item))
        return ({"items": keyed, "known": known}
                | "Join" >> beam.CoGroupByKey()
                | "Unknown" >> beam.FlatMap(_unknown, self.counter))
