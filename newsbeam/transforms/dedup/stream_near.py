"""Near-duplicates in the stream: keyed state per LSH band, in the global window, with an
event-time TTL; verified pairs settled per window by the batch stage's own steps.

Window keepers (after exact dedup) are signed as batch signs them (``near._Sign``), ranked
with their window first (``core/dedup/stream_near.py``), and sent to their bands. Each band
(``_Band``) verifies a document against what it holds and against the index entries of
that band (read by the workers when the stream starts, ``state.WorkerSnapshot``: a side
input would stop Flink's checkpoints), then holds the document until an
event-time timer clears it. Verified pairs go back into the document's window and settle
as batch's do: connected components, every member folded into its component's first (a
document colliding in several bands gets one decision), joined with the rows per window.
"""
from __future__ import annotations

from typing import Iterator

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.timestamp import Timestamp

from newsbeam.transforms.dedup.near import KEPT_SIGNED, WITH_ROW, _Sign
from newsbeam.transforms.state import WorkerSnapshot
from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.index import signed_of
from newsbeam.core.dedup.minhash import Signed, band_keys, lsh_bands, near_duplicate_row
from newsbeam.core.dedup.stream_near import (
    Held, band_index, expire, in_window, next_expiry, remember, verified_pairs, window_roots)
from newsbeam.schemas.tables import DEDUP_INDEX

STREAM_NEAR = "stream_near"  # metrics namespace


class _InWindow(beam.DoFn):
    """Signed -> Signed ranked with its window first (before the state leaves windows)."""

    def process(self, signed: Signed, window=beam.DoFn.WindowParam) -> Iterator[Signed]:
        yield in_window(signed, window.end.micros)


class _Band(beam.DoFn):
    """(band key, Signed) -> verified pairs (original's Signed, copy's rank); holds the
    document for ``ttl_seconds`` of event time."""

    HELD = ReadModifyWriteStateSpec("held", PickleCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, params: NearDedupConfig, ttl_seconds: int, index: WorkerSnapshot):
        self.params, self.ttl_micros = params, ttl_seconds * 1_000_000
        self.index = index  # its entries by band key
        self.verified = Metrics.counter(STREAM_NEAR, "verified_pairs")
        self.expired = Metrics.counter(STREAM_NEAR, "entries_expired")

    def setup(self):
        self.indexed = self.index.load()  # kept: see load()

    def process(self, keyed: tuple, timestamp=beam.DoFn.TimestampParam,
                held_state=beam.DoFn.StateParam(HELD),
                expiry=beam.DoFn.TimerParam(EXPIRY)) -> Iterator:
        key, signed = keyed
        held = held_state.read() or []
        candidates = [*self.indexed.value.get(key, ()), *(h.signed for h in held)]
        for original, copy in verified_pairs(signed, candidates, self.params):
            self.verified.inc()
            yield original, copy.rank
        held = remember(held, Held(signed, timestamp.micros + self.ttl_micros),
                        self.params.max_bucket_size)
        held_state.write(held)
        expiry.set(Timestamp(micros=next_expiry(held)))

    @on_timer(EXPIRY)
    def expire(self, timestamp=beam.DoFn.TimestampParam,
               held_state=beam.DoFn.StateParam(HELD), expiry=beam.DoFn.TimerParam(EXPIRY)):
        held = held_state.read() or []
        kept = expire(held, timestamp.micros)
        self.expired.inc(len(held) - len(kept))
        if kept:
            held_state.write(kept)
            expiry.set(Timestamp(micros=next_expiry(kept)))
        else:
            held_state.clear()


class _Fold(beam.DoFn):
    """Per article id in a window: its (row, Signed) and its component's first, if any ->
    the article (and ``kept_signed``) or a ``near`` duplicates row."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.folded = Metrics.counter(STREAM_NEAR, "near_duplicates")

    def process(self, keyed: tuple) -> Iterator:
        _, grouped = keyed
        roots = sorted(grouped["root"], key=lambda s: s.rank)[:1]
        for row, own in grouped["row"]:
            if roots and own is not None and roots[0].article_id != row["article_id"]:
                self.folded.inc()
                yield beam.pvalue.TaggedOutput(
                    "duplicates", near_duplicate_row(row, own, roots[0], self.params))
            else:
                yield row
                yield beam.pvalue.TaggedOutput(KEPT_SIGNED, (row, own))


class StreamNear(beam.PTransform):
    """Window keepers -> {"articles", "duplicates", "kept_signed"}: near copies of an
    earlier window's document (held for ``ttl_seconds``), of an entry of the cross-run index
    of ``index_output`` (None: none) or of a better-ranked document of their own window
    become ``near`` duplicates rows."""

    def __init__(self, params: NearDedupConfig, ttl_seconds: int, windowing,
                 index_output: str | None, run_id: str):
        super().__init__()
        self.params, self.ttl, self.windowing = params, ttl_seconds, windowing
        self.index_output, self.run_id = index_output, run_id  # the stream's own: left out

    def expand(self, rows):
        bands, band_rows = lsh_bands(self.params)
        signed = rows | "Sign" >> beam.ParDo(_Sign(self.params)).with_outputs(
            WITH_ROW, main="signed")
        index = WorkerSnapshot(self.index_output, DEDUP_INDEX, lambda entries: band_index(
            (s for entry in entries for s in signed_of(entry)), bands, band_rows), self.run_id)
        # Back in their windows, a window's pairs settle in one group (one shuffle: each
        # stage of the local runner costs the stream latency), as batch's components do.
        roots = (
            signed.signed
            | "InWindow" >> beam.ParDo(_InWindow())
            | "Unwindowed" >> beam.WindowInto(GlobalWindows())  # state lives across windows
            | "BandKeys" >> beam.FlatMap(
                lambda s: [(key, s) for key in band_keys(s.values, bands, band_rows)])
            | "Bands" >> beam.ParDo(_Band(self.params, self.ttl, index))
            | "RewindowPairs" >> self.windowing()
            | "OneGroup" >> beam.WithKeys(lambda _: None)
            | "GatherWindow" >> beam.GroupByKey()
            | "Components" >> beam.FlatMapTuple(lambda _, pairs: window_roots(pairs)))
        folded = (
            {"row": signed[WITH_ROW] | "ById" >> beam.Map(lambda rs: (rs[0]["article_id"], rs)),
             "root": roots}
            | "JoinRows" >> beam.CoGroupByKey()
            | "Fold" >> beam.ParDo(_Fold(self.params)).with_outputs(
                "duplicates", KEPT_SIGNED, main="articles"))
        return {"articles": folded.articles, "duplicates": folded.duplicates,
                KEPT_SIGNED: folded[KEPT_SIGNED]}
