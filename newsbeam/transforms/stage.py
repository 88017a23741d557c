"""Runs a pure stage function inside Beam and turns its refusals into ``rejects`` rows.

Every stage (read, extract, normalize, ...) is a plain function of one element that
returns the next element or raises ``Rejected``. ``ApplyStage`` is the one place that
catches, counts and records those refusals, so a bad input never stops a run and is
never dropped without a trace.
"""
from __future__ import annotations

import collections
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue

from newsbeam.core.lazy import ImportedFunction
from newsbeam.core.progress import ProgressWriter, progress_folder
from newsbeam.core import process_pool
from newsbeam.schemas.tables import REJECT_SCHEMA, SCHEMA_VERSION, check_row

REJECTS = "rejects"
_MAX_ERROR_CHARS = 500


def count_input(item: Any) -> Any:
    """Counts one input of the run (the manifest checks they all end somewhere)."""
    Metrics.counter("sources", "inputs").inc()
    return item


def emit_in(window: BoundedWindow, value: Any) -> WindowedValue:
    """``value`` as ``finish_bundle`` must emit it: in the window of the input it came from
    (stamped at the window's end, the latest time that stays inside it)."""
    return WindowedValue(value, window.max_timestamp(), [window])


def reject_row(item: Any, stage: str, reason: str, error: str, run_id: str) -> dict:
    """The ``rejects`` row for ``item`` (anything with ``source`` and ``uri`` attributes),
    stamped with the moment it was rejected."""
    return check_row(REJECT_SCHEMA, {
        "input": item.uri,
        "source": item.source,
        "stage": stage,
        "reason": reason,
        "error": " ".join(error.split())[:_MAX_ERROR_CHARS] or None,
        "rejected_at": datetime.now(timezone.utc),
        "run_id": run_id,
        "schema_version": SCHEMA_VERSION,
    })


# Items handed to a pool ahead of the one whose answer the DoFn waits for, per child. The
# answers leave in order, so while the oldest item's child works, the others can only take
# what is already handed out: a slow page (1.6 s on the corpora, 80 median pages) stalls
# them once they run out. 4 a child idled one child ~4% of the corpora's extraction time.
AHEAD_PER_CHILD = 32


class _StageFn(beam.DoFn):
    def __init__(self, stage: str, fn: Callable, run_id: str,
                 setup: Callable[[], None] | None, time_limit: float | None, processes: int):
        self.stage, self.fn, self.run_id, self._setup = stage, fn, run_id, setup
        self.time_limit, self.processes = time_limit, processes
        self.passed = Metrics.counter("stages", f"{stage}_ok")
        self.rejected = Metrics.counter("stages", f"{stage}_rejected")
        self.micros = Metrics.distribution("stages", f"{stage}_micros")

    def setup(self):
        self.progress = ProgressWriter(progress_folder())
        self._call, self._pool = self.fn, None
        if self._setup:
            self._setup()
        if self.time_limit:  # the stage runs in child processes that can be killed
            self._pool = process_pool.acquire(self.fn, self.time_limit, self.stage,
                                              process_pool.pool_size(self.processes))
        elif isinstance(self.fn, ImportedFunction):  # imported now, not in the first item
            self._call = self.fn.load()

    def start_bundle(self):
        self._pending: collections.deque = collections.deque()

    def finish_bundle(self):
        yield from self._answered(drain=True)
        self.progress.flush()

    def teardown(self):
        if getattr(self, "_pool", None) is not None:
            process_pool.release(self._pool)
            self._pool = None

    def process(self, item, window=beam.DoFn.WindowParam,
                timestamp=beam.DoFn.TimestampParam) -> Iterator:
        if self._pool is None:
            yield self._output(item, process_pool.answer(self._call, item))
            return
        # Answers come out in the order items came in, each in its own item's window.
        # Keyed by the input it came from: a pool may have answered it early (prefetch).
        future = self._pool.submit(item, key=getattr(item, "uri", None))
        self._pending.append((item, window, timestamp, future))
        yield from self._answered(drain=len(self._pending) > AHEAD_PER_CHILD * self._pool.size,
                                  at_most_one=True)

    def _answered(self, drain: bool, at_most_one: bool = False) -> Iterator:
        """The answers at the head of the queue that are in; ``drain``: wait for the first
        (``at_most_one``) or for all."""
        while self._pending and (drain or self._pending[0][3].done()):
            item, window, timestamp, future = self._pending.popleft()
            output = self._output(item, future.result())
            if isinstance(output, beam.pvalue.TaggedOutput):
                yield beam.pvalue.TaggedOutput(
                    output.tag, WindowedValue(output.value, timestamp, [window]))
            else:
                yield WindowedValue(output, timestamp, [window])
            drain = drain and not at_most_one

    def _output(self, item, answer: process_pool.Answer):
        # Timed where it ran: downstream stages fused into this one run after it.
        self.micros.update(int(answer.seconds * 1e6))
        if answer.reason is None:
            self.passed.inc()
            self.progress.add(f"{self.stage}_ok")
            return answer.value
        self.rejected.inc()
        self.progress.add(f"{self.stage}_rejected")
        Metrics.counter("rejects", f"{self.stage}:{answer.reason}").inc()
        return beam.pvalue.TaggedOutput(
            REJECTS, reject_row(item, self.stage, answer.reason, answer.detail, self.run_id))


class ApplyStage(beam.PTransform):
    """items -> (results, rejects): ``fn`` applied to each item, refusals as reject rows.

    With ``time_limit`` (seconds), ``fn`` runs in a pool of ``processes`` child processes
    per worker process (0: as many as cores; ``core.process_pool``), and an item that takes
    more CPU time than that becomes a ``<stage>_timeout`` reject (``time_limit.TimeLimited``:
    CPU time, so the outcome does not depend on machine load).
    """

    def __init__(self, stage: str, fn: Callable, run_id: str,
                 setup: Callable[[], None] | None = None, time_limit: float | None = None,
                 processes: int = 0):
        super().__init__()
        self.stage, self.fn, self.run_id, self.setup = stage, fn, run_id, setup
        self.time_limit, self.processes = time_limit, processes

    def expand(self, items):
        results = items | beam.ParDo(
            _StageFn(self.stage, self.fn, self.run_id, self.setup, self.time_limit,
                     self.processes)
        ).with_outputs(REJECTS, main="ok")
        return results.ok, results[REJECTS]
