"""State tables inside the pipeline: what earlier runs recorded, read when the pipeline runs
(never while the graph is built, so a pipeline that runs again or polls sees fresh state),
and joined rather than loaded whole by every worker. A pipeline reads each table once, and
all the tables it needs in one ``ReadStates``, whichever of its stages use them."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

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


class _ReadTableFile(beam.DoFn):
    def process(self, table_path: tuple[str, str]) -> Iterator:
        table, path = table_path
        try:
            rows = list(iter_rows(path))
        except Exception as err:  # a damaged file: name it (Beam's wrapping hides the cause)
            raise IOError(f"state file {path} cannot be read ({type(err).__name__}: {err}); "
                          "run 'newsbeam verify --output <output>'") from err
        for row in rows:
            yield beam.pvalue.TaggedOutput(table, row)


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
