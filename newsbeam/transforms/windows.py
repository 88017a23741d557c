"""The stream's windows and its late-data policy.

Rows are cut into fixed windows; each window's rows are one commit. A window fires when
the watermark passes its end (the on-time pane), and again for each late element (late
panes, each its own commit, never replacing the on-time files). Work whose window closed
more than ``allowed_lateness`` before the watermark is *too late*: ``LateGate`` turns it
into a ``window``/``too_late`` reject row before any work is done on it, committed in a late
pane of its own window. The sinks keep windows open for the dedup TTL (far beyond the
gate), so nothing the gate passed is dropped by Beam. docs/streaming.md has the details.
"""
from __future__ import annotations

from typing import Iterator

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms import trigger
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer)
from apache_beam.transforms.window import FixedWindows
from apache_beam.utils.timestamp import Duration, Timestamp

from newsbeam.transforms.stage import reject_row
from newsbeam.records.run import RunContext


def stream_windowing(window_seconds: int, keep_open_seconds: int) -> beam.WindowInto:
    """Fixed windows; the on-time pane at the watermark, then one pane per late element;
    panes discard what they fired (each pane is committed once)."""
    return beam.WindowInto(
        FixedWindows(window_seconds),
        trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
        accumulation_mode=trigger.AccumulationMode.DISCARDING,
        allowed_lateness=Duration(seconds=keep_open_seconds))


def window_close(timestamp: Timestamp, window_seconds: int, lateness_seconds: int) -> Timestamp:
    """When the watermark may pass before an item at ``timestamp`` is too late."""
    start = timestamp.micros - timestamp.micros % (window_seconds * 1_000_000)
    return Timestamp(micros=start) + Duration(seconds=window_seconds + lateness_seconds)


class _Gate(beam.DoFn):
    """One key: remembers the latest window close the watermark passed (an event-time
    timer at each pending close) and rejects work that belongs before it."""

    PENDING = BagStateSpec("pending", PickleCoder())
    CLOSED = ReadModifyWriteStateSpec("closed", PickleCoder())
    CLOSE = TimerSpec("close", TimeDomain.WATERMARK)

    def __init__(self, window_seconds: int, lateness_seconds: int, run: RunContext):
        self.window, self.lateness, self.run = window_seconds, lateness_seconds, run
        self.too_late = Metrics.counter("windows", "too_late")

    def process(self, keyed: tuple, timestamp=beam.DoFn.TimestampParam,
                pending=beam.DoFn.StateParam(PENDING), closed=beam.DoFn.StateParam(CLOSED),
                close=beam.DoFn.TimerParam(CLOSE)) -> Iterator:
        item = keyed[1]
        ends = window_close(timestamp, self.window, self.lateness)
        passed = closed.read()
        if passed is not None and ends <= passed:
            self.too_late.inc()
            Metrics.counter("rejects", "window:too_late").inc()
            yield beam.pvalue.TaggedOutput("too_late", reject_row(
                item, "window", "too_late",
                f"event time {timestamp.to_utc_datetime():%Y-%m-%dT%H:%M:%SZ} is more than "
                f"the allowed lateness ({self.lateness} s) behind the watermark", self.run.run_id))
            return
        waiting = set(pending.read())
        if ends not in waiting:
            pending.add(ends)
            close.set(min(waiting | {ends}))
        yield item

    @on_timer(CLOSE)
    def on_close(self, fired=beam.DoFn.TimestampParam, pending=beam.DoFn.StateParam(PENDING),
                 closed=beam.DoFn.StateParam(CLOSED), close=beam.DoFn.TimerParam(CLOSE)):
        passed = closed.read()
        closed.write(fired if passed is None else max(passed, fired))
        left = sorted(t for t in set(pending.read()) if t > fired)
        pending.clear()
        for ends in left:
            pending.add(ends)
        if left:
            close.set(left[0])


class LateGate(beam.PTransform):
    """Timestamped work items -> (items in time, too-late reject rows)."""

    def __init__(self, window_seconds: int, lateness_seconds: int, run: RunContext):
        super().__init__()
        self.window, self.lateness, self.run = window_seconds, lateness_seconds, run

    def expand(self, items):
        gated = (items
                 | "OneKey" >> beam.Map(lambda item: ("", item))
                 | "Gate" >> beam.ParDo(_Gate(self.window, self.lateness, self.run))
                 .with_outputs("too_late", main="in_time"))
        return gated.in_time, gated.too_late
