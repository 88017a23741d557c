"""State tables inside the pipeline: what earlier runs recorded, read when the pipeline runs
(never while the graph is built, so a pipeline that runs again or polls sees fresh state),
and joined rather than loaded whole by every worker."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsbeam.store.parquet import iter_rows
from newsbeam.store.state import state_files


class ReadState(beam.PTransform):
    """The committed rows of one state table of ``output``, its files listed when the
    pipeline runs and spread over workers before they are read."""

    def __init__(self, output: str, table: str):
        super().__init__()
        self.output, self.table = output, table

    def expand(self, pipeline):
        return (pipeline
                | "Output" >> beam.Create([self.output])
                | "ListFiles" >> beam.FlatMap(state_files, self.table)
                | "Spread" >> beam.Reshuffle()
                | "Read" >> beam.FlatMap(iter_rows))


def _unknown(keyed: tuple, counter: tuple[str, str]) -> Iterator[Any]:
    _, grouped = keyed
    if grouped["known"]:
        Metrics.counter(*counter).inc(len(grouped["items"]))
        return
    yield from grouped["items"]


class SkipKnown(beam.PTransform):
    """Items whose key an earlier run recorded in a state table are dropped and counted
    (``counter``: metrics namespace and name); the others pass."""

    def __init__(self, output: str, table: str, item_key: Callable[[Any], str | None],
                 row_key: Callable[[dict], str | None], counter: tuple[str, str]):
        super().__init__()
        self.output, self.table = output, table
        self.item_key, self.row_key, self.counter = item_key, row_key, counter

    def expand(self, items):
        row_key, item_key = self.row_key, self.item_key
        known = (items.pipeline
                 | "ReadState" >> ReadState(self.output, self.table)
                 | "KnownKeys" >> beam.FlatMap(lambda row: [(k, True)] if (k := row_key(row)) else []))
        keyed = items | "KeyItems" >> beam.Map(lambda item: (item_key(item) or "", item))
        return ({"items": keyed, "known": known}
                | "Join" >> beam.CoGroupByKey()
                | "Unknown" >> beam.FlatMap(_unknown, self.counter))
