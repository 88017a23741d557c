"""Pages a stream found in feeds and sitemaps it has listed before: skipped, as batch runs
skip URLs ingested before (``state.SkipKnown``), but from keyed state.

A polling stream lists the same feeds again and again; without this every poll would fetch
every entry again. State keyed by canonical URL in the global window remembers a URL for
the dedup TTL (an event-time timer clears it); URLs the ``seen`` state table held when the
stream started (batch runs' and earlier streams' commits) are skipped too: the workers read
them (``state.WorkerSnapshot``; a side input would stop Flink's checkpoints). A URL is
remembered when it is found, so one that failed to fetch is retried only after the TTL.
"""
from __future__ import annotations

from typing import Callable, Iterator

import apache_beam as beam
from apache_beam.coders import BooleanCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.timestamp import Duration

from newsbeam.transforms.state import WorkerSnapshot
from newsbeam.core.normalize.urls import canonicalize_url
from newsbeam.schemas.tables import SEEN


class _FirstFound(beam.DoFn):
    FOUND = ReadModifyWriteStateSpec("found", BooleanCoder())
    FORGET = TimerSpec("forget", TimeDomain.WATERMARK)

    def __init__(self, ttl_seconds: int, counter: tuple[str, str], known: WorkerSnapshot):
        self.ttl, self.counter = Duration(seconds=ttl_seconds), counter
        self.known = known

    def setup(self):
        self.urls = self.known.load()  # kept: see load()

    def process(self, keyed: tuple, timestamp=beam.DoFn.TimestampParam,
                found=beam.DoFn.StateParam(FOUND),
                forget=beam.DoFn.TimerParam(FORGET)) -> Iterator:
        key, page = keyed
        if found.read() or key in self.urls.value:
            Metrics.counter(*self.counter).inc()
            return
        found.write(True)
        forget.set(timestamp + self.ttl)
        yield page

    @on_timer(FORGET)
    def on_forget(self, found=beam.DoFn.StateParam(FOUND)):
        found.clear()


class SkipFoundBefore(beam.PTransform):
    """Windowed pages -> the pages whose URL the stream has not found (nor ingested) before."""

    def __init__(self, output: str, ttl_seconds: int, windowing: Callable[[], beam.WindowInto],
                 counter: tuple[str, str], run_id: str):
        super().__init__()
        self.output, self.ttl, self.windowing, self.counter = output, ttl_seconds, windowing, counter
        self.run_id = run_id  # the stream's own (its commits are in the keyed state)

    def expand(self, pages):
        known = WorkerSnapshot(self.output, SEEN, lambda rows: frozenset(r["url"] for r in rows),
                               self.run_id)
        return (pages
                | "Unwindowed" >> beam.WindowInto(GlobalWindows())
                | "ByUrl" >> beam.Map(lambda page: (canonicalize_url(page.uri) or page.uri, page))
                | "FirstFound" >> beam.ParDo(_FirstFound(self.ttl, self.counter, known))
                | "Rewindow" >> self.windowing())
