"""The streaming dedup engine: each window settled as a batch run would, then first seen
wins across windows, remembered in keyed state for a time-to-live.

Within a window the batch transforms run unchanged (``ExactRounds``: GroupByKey rounds by
canonical URL and content hash, ``rank.row_rank`` picks the keeper). Across windows a
window's keepers go through ``FirstSeen``: state keyed by canonical URL, then by content
hash, in the global window, holding the first keeper of each key for ``ttl_seconds`` of
event time (an event-time timer clears it, so state stays bounded). A keeper of a later
window whose key is held becomes a ``duplicates`` row naming the first one. Keys the state
does not hold are looked up in the cross-run index (read by the workers when the stream
starts, ``state.WorkerSnapshot``: a side input would stop Flink's checkpoints): what batch
runs (or earlier streams) committed always wins, as in batch runs.
Then near copies (``stream_near.StreamNear``): keyed state per LSH band, same TTL.
Semantics that differ from batch: docs/streaming.md.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    ReadModifyWriteStateSpec, TimerSpec, on_timer)
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.timestamp import Duration

from newsbeam.transforms.dedup.exact import ExactRounds
from newsbeam.transforms.dedup.near import KEPT_SIGNED
from newsbeam.transforms.dedup.settle import settle
from newsbeam.transforms.dedup.stream_near import StreamNear
from newsbeam.transforms.state import WorkerSnapshot
from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.exact import content_key, duplicate_row
from newsbeam.core.dedup.rank import row_rank
from newsbeam.schemas.tables import DEDUP_INDEX

STREAM_DEDUP = "stream_dedup"  # metrics namespace


def _held(row: dict) -> dict:
    """What the state keeps of a keeper: enough to name it and rank it."""
    return {"article_id": row["article_id"], "published_at": row["published_at"]}


class _FirstSeen(beam.DoFn):
    """(key, window keeper) -> the keeper, or a duplicate of the key's first keeper."""

    KEEPER = ReadModifyWriteStateSpec("keeper", PickleCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, method: str, ttl_seconds: int, index: WorkerSnapshot):
        self.method, self.ttl, self.index = method, Duration(seconds=ttl_seconds), index
        self.held = Metrics.counter(STREAM_DEDUP, f"{method}_keys_held")
        self.expired = Metrics.counter(STREAM_DEDUP, f"{method}_keys_expired")
        self.folded = Metrics.counter(STREAM_DEDUP, f"duplicates_{method}_earlier_window")
        self.from_index = Metrics.counter(STREAM_DEDUP, f"duplicates_{method}_index")

    def setup(self):
        self.earlier = self.index.load()  # kept: see load()

    def process(self, keyed: tuple, timestamp=beam.DoFn.TimestampParam,
                keeper=beam.DoFn.StateParam(KEEPER),
                expiry=beam.DoFn.TimerParam(EXPIRY)) -> Iterator:
        key, row = keyed
        held = keeper.read()
        indexed = self.earlier.value.get(key, []) if held is None else []
        if indexed:  # committed by an earlier run: it wins
            self.from_index.inc()
            first = min(indexed, key=lambda e: row_rank(e, earlier_run=True))
            yield beam.pvalue.TaggedOutput("duplicates", duplicate_row(row, first, self.method))
            return
        if held is not None:  # (the same URL again has the same article id: still a copy)
            self.folded.inc()
            yield beam.pvalue.TaggedOutput("duplicates", duplicate_row(row, held, self.method))
            return
        if held is None:
            self.held.inc()
            keeper.write(_held(row))
            expiry.set(timestamp + self.ttl)
        yield row

    @on_timer(EXPIRY)
    def expire(self, keeper=beam.DoFn.StateParam(KEEPER)):
        keeper.clear()
        self.expired.inc()


def entries_by_key(entries: Iterable[dict], key: Callable[[dict], str | None]) -> dict:
    """Index entries -> {key: [entries]} (entries without a key left out)."""
    by_key: dict[str, list[dict]] = {}
    for entry in entries:
        if entry_key := key(entry):
            by_key.setdefault(entry_key, []).append(entry)
    return by_key


class FirstSeen(beam.PTransform):
    """Window keepers -> (rows first seen, duplicates of earlier windows or of the cross-run
    index of ``index_output``, None: none) for one key; rows without a key pass."""

    def __init__(self, method: str, key: Callable[[dict], str | None], ttl_seconds: int,
                 windowing, index_output: str | None, run_id: str):
        super().__init__()
        self.method, self.key, self.ttl, self.windowing = method, key, ttl_seconds, windowing
        self.index_output, self.run_id = index_output, run_id

    def expand(self, rows):
        key = self.key
        index = WorkerSnapshot(self.index_output, DEDUP_INDEX,
                               lambda entries: entries_by_key(entries, key), self.run_id)
        result = (
            rows
            | "Unwindowed" >> beam.WindowInto(GlobalWindows())  # state lives across windows
            | "Key" >> beam.FlatMap(lambda r: [(key(r), r)] if key(r) else [])
            | "FirstSeen" >> beam.ParDo(_FirstSeen(self.method, self.ttl, index)).with_outputs(
                "duplicates", main="kept"))
        unkeyed = rows | "Unkeyed" >> beam.Filter(lambda r: not key(r))
        kept = ((result.kept | "RewindowKept" >> self.windowing(), unkeyed)
                | "Kept" >> beam.Flatten())
        return kept, result.duplicates | "RewindowDups" >> self.windowing()


class StreamDedup(beam.PTransform):
    """Windowed article rows -> {"articles", "duplicates"} (+ "dedup_index" rows when
    ``index_output`` is set: the stream's keepers, with their signatures, join the
    cross-run index batch runs use).

    ``windowing``: makes the stream's ``WindowInto`` (rows are re-windowed with it after the
    state steps, which run in the global window). Exact copies first, then near copies
    (``StreamNear``, when ``near.enabled``), as in batch runs.
    """

    def __init__(self, windowing, ttl_seconds: int, index_output: str | None = None,
                 near: NearDedupConfig | None = None, *, run_id: str):
        super().__init__()
        self.windowing, self.ttl, self.index_output = windowing, ttl_seconds, index_output
        self.near, self.run_id = near, run_id  # the stream's own (its keepers are in state)

    def expand(self, rows):
        articles, window_dups = rows | "Window" >> ExactRounds()
        by_url, url_dups = articles | "ByUrl" >> FirstSeen(
            "url", lambda r: r["canonical_url"], self.ttl, self.windowing, self.index_output,
            self.run_id)
        kept, content_dups = by_url | "ByContent" >> FirstSeen(
            "content", content_key, self.ttl, self.windowing, self.index_output, self.run_id)
        later, kept_signed = [url_dups, content_dups], None
        if self.near is not None and self.near.enabled:
            near = kept | "Near" >> StreamNear(self.near, self.ttl, self.windowing,
                                               self.index_output, self.run_id)
            kept, kept_signed = near["articles"], near[KEPT_SIGNED]
            later.append(near["duplicates"])
        # A window's duplicates follow their keeper when it lost to an earlier window.
        return settle(kept, window_dups, later, kept_signed,
                      index=self.index_output is not None)
