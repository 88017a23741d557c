"""Runs a pure stage function inside Beam and turns its refusals into ``rejects`` rows.

Every stage (read, extract, normalize, ...) is a plain function of one element that
returns the next element or raises ``Rejected``. ``ApplyStage`` is the one place that
catches, counts and records those refusals, so a bad input never stops a run and is
never dropped without a trace.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.windowed_value import WindowedValue

from newsbeam.core.lazy import ImportedFunction
from newsbeam.core.progress import ProgressWriter
from newsbeam.core.time_limit import TimeLimited
from newsbeam.records.documents import Rejected
from newsbeam.records.run import RunContext
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


def reject_row(item: Any, stage: str, reason: str, error: str, run: RunContext) -> dict:
    """The ``rejects`` row for ``item`` (anything with ``source`` and ``uri`` attributes),
    stamped with the moment it was rejected."""
    return check_row(REJECT_SCHEMA, {
        "input": item.uri,
        "source": item.source,
        "stage": stage,
        "reason": reason,
        "error": " ".join(error.split())[:_MAX_ERROR_CHARS] or None,
        "rejected_at": datetime.now(timezone.utc),
        "run_id": run.run_id,
        "schema_version": SCHEMA_VERSION,
    })


class _StageFn(beam.DoFn):
    def __init__(self, stage: str, fn: Callable, run: RunContext,
                 setup: Callable[[], None] | None, time_limit: float | None):
        self.stage, self.fn, self.run, self._setup = stage, fn, run, setup
        self.time_limit = time_limit
        self._call = fn
        self.passed = Metrics.counter("stages", f"{stage}_ok")
        self.rejected = Metrics.counter("stages", f"{stage}_rejected")
        self.micros = Metrics.distribution("stages", f"{stage}_micros")

    def setup(self):
        self.progress = ProgressWriter(self.run.progress_dir)
        if self._setup:
            self._setup()
        if self.time_limit:  # the stage runs in a child process that can be killed
            self._call = TimeLimited(self.fn, self.time_limit, self.stage)
            self._call.start()
        elif isinstance(self.fn, ImportedFunction):  # imported now, not in the first item
            self._call = self.fn.load()

    def finish_bundle(self):
        self.progress.flush()

    def teardown(self):
        if isinstance(self._call, TimeLimited):
            self._call.close()

    def process(self, item) -> Iterator:
        started = time.perf_counter()
        try:
            output = self._call(item)
        except Rejected as refusal:
            output = self._reject(item, refusal.reason, refusal.detail)
        except Exception as err:  # a bug or a library failure must not stop the run
            output = self._reject(item, "internal_error", f"{type(err).__name__}: {err}")
        else:
            self.passed.inc()
            self.progress.add(f"{self.stage}_ok")
        # Timed before yielding: downstream stages fused into this one run inside the yield.
        self.micros.update(int((time.perf_counter() - started) * 1e6))
        yield output

    def _reject(self, item, reason: str, detail: str):
        self.rejected.inc()
        self.progress.add(f"{self.stage}_rejected")
        Metrics.counter("rejects", f"{self.stage}:{reason}").inc()
        return beam.pvalue.TaggedOutput(
            REJECTS, reject_row(item, self.stage, reason, detail, self.run))


class ApplyStage(beam.PTransform):
    """items -> (results, rejects): ``fn`` applied to each item, refusals as reject rows.

    With ``time_limit`` (seconds), ``fn`` runs in a child process per DoFn instance and an
    item that takes more CPU time than that becomes a ``<stage>_timeout`` reject
    (``time_limit.TimeLimited``: CPU time, so the outcome does not depend on machine load).
    """

    def __init__(self, stage: str, fn: Callable, run: RunContext,
                 setup: Callable[[], None] | None = None, time_limit: float | None = None):
        super().__init__()
        self.stage, self.fn, self.run, self.setup = stage, fn, run, setup
        self.time_limit = time_limit

    def expand(self, items):
        results = items | beam.ParDo(
            _StageFn(self.stage, self.fn, self.run, self.setup, self.time_limit)
        ).with_outputs(REJECTS, main="ok")
        return results.ok, results[REJECTS]
