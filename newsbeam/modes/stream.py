"""``newsbeam stream``: the unbounded pipeline's lifecycle.

Holds the output's lock for as long as it runs (batch runs and compaction skip meanwhile)
through the shared lifecycle (``modes.lifecycle``): it starts ``pipelines.streaming``,
which commits window by window. A stop request
(``stop`` set, e.g. by SIGINT/SIGTERM) lets the window open at that moment close and
commit (the runner's watermark follows the clock on the local runners), then cancels the
pipeline and writes the stream's manifest ``_runs/<run_id>.json``. Restarted, a stream
resumes from what was committed: the dedup index and fetch state its windows committed
are read back, so nothing is ingested twice.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable

import apache_beam as beam
from apache_beam.options.pipeline_options import StandardOptions
from apache_beam.utils.timestamp import Timestamp

from newsbeam.config import Config, ConfigError
from newsbeam.modes.lifecycle import Outcome, run_lifecycle
from newsbeam.modes.pubsub_relay import PubSubRelay
from newsbeam.pipelines import flink
from newsbeam.pipelines.runner import pipeline_options, utc_now
from newsbeam.pipelines.streaming import build_stream
from newsbeam.records.run import RunContext
from newsbeam.schemas.manifest import STREAM
from newsbeam.store import fs, layout
from newsbeam.store import manifest as manifests
from newsbeam.store.log import read_log

LOG = logging.getLogger("newsbeam.stream")
LOCAL_STREAMING_RUNNER = "BundleBasedDirectRunner"  # the local runner that streams Pub/Sub
# Runners whose Pub/Sub source acknowledges on pull: a relay acknowledges after the commit.
AUTO_ACK_RUNNERS = ("DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner")
DRAIN_GRACE_SECONDS = 35.0  # after the open window's end: the local runner's Pub/Sub pull
# blocks up to 30 s when the subscription is idle, and the watermark moves only when it returns
TICK_AFTER_SECONDS = 0.2  # a relay's tick after a window's end (modes/pubsub_relay.py)


def stream_options(config: Config, beam_args: list[str]):
    options = pipeline_options(list(beam_args) + ["--streaming"])
    on_flink = flink.stream_flags(options, beam_args)
    if on_flink:
        options = pipeline_options(list(beam_args) + ["--streaming", *on_flink])
    standard = options.view_as(StandardOptions)
    if "--runner" not in " ".join(beam_args):  # our default (FnApiRunner) cannot stream
        if not config.stream.subscription:
            raise ConfigError("polling streams (no stream.subscription) need a runner that "
                              "runs PeriodicImpulse: --runner DataflowRunner, FlinkRunner or "
                              "PrismRunner (apache/beam#26577); locally use 'newsbeam follow'")
        standard.runner = LOCAL_STREAMING_RUNNER
    return options


def local_relay(config: Config, options) -> PubSubRelay | None:
    runner = options.view_as(StandardOptions).runner
    if config.stream.subscription and str(runner).rsplit(".", 1)[-1] in AUTO_ACK_RUNNERS:
        return PubSubRelay(config.output, config.stream.subscription)
    return None


def _window_end(at: float, window_seconds: int) -> float:
    return at - at % window_seconds + window_seconds


def drain_deadline(stop_at: float, window_seconds: int) -> float:
    """When the window open at ``stop_at`` has closed and had time to commit."""
    return _window_end(stop_at, window_seconds) + DRAIN_GRACE_SECONDS


def stream(config: Config, beam_args: list[str], stop: threading.Event,
           report: Callable[[dict], None] = lambda _: None) -> dict:
    """Runs the stream until ``stop`` is set (or the pipeline ends); returns its manifest.
    ``report(window_manifest)`` is called once per window pane committed, as it commits."""
    options = stream_options(config, beam_args)
    relay = local_relay(config, options)

    def execute(run: RunContext) -> Outcome:
        with WindowWatch(config.output, run.run_id, report) as watch:
            return _run_until_stopped(config, options, run, stop, relay, watch)

    def describe(run: RunContext, outcome: Outcome) -> dict:
        # After recovery finished the last commit: what it committed is acknowledged.
        relayed = relay.finish() if relay else None
        return _describe(config, options, beam_args, run, outcome, relayed)

    manifest, _ = run_lifecycle(config, options, "newsbeam stream", execute, describe)
    return manifest


def _run_until_stopped(config: Config, options, run: RunContext, stop: threading.Event,
                       relay: PubSubRelay | None, watch: "WindowWatch") -> Outcome:
    if relay:  # under the output's lock, after recovery
        relay.start()
    flink_job = flink.name_job(options, "stream", run.run_id)
    pipeline = beam.Pipeline(options=options)
    build_stream(pipeline, config, run, subscription=relay and relay.subscription)
    result = pipeline.run()
    finished = threading.Event()
    failure: list[BaseException] = []

    def wait():
        try:
            result.wait_until_finish()
        except BaseException as err:  # reported in the manifest
            failure.append(err)
        finished.set()

    threading.Thread(target=wait, daemon=True, name="newsbeam-stream").start()
    window = config.stream.seconds("window")
    next_end = _window_end(time.time(), window)
    while not stop.is_set() and not finished.is_set():
        stop.wait(0.5)
        if relay and time.time() >= next_end + TICK_AFTER_SECONDS:
            # A window with relayed messages ended: wake the pipeline's pull so the
            # watermark passes it now (commit latency: seconds, not up to 30 s).
            if relay.pending():
                relay.tick()
            next_end = _window_end(time.time(), window)
    outcome = Outcome(result=result, failure=failure[0] if failure else None)
    if relay:
        relay.stop_pulling()
    if not finished.is_set():
        window = config.stream.seconds("window")
        deadline = drain_deadline(time.time(), window)
        if relay:
            _drain_relayed(relay, time.time(), window, deadline, finished)
        else:
            open_end = _window_end(time.time(), window)
            LOG.info("stopping: committing the open window (until %s)",
                     time.strftime("%H:%M:%S", time.localtime(deadline)))
            # Done once a pane of the open window (or a later one) is committed: a polling
            # stream commits every window, seconds after its end on Flink.
            while not finished.wait(0.5) and time.time() < deadline \
                    and watch.latest_end < open_end:
                pass
        if not finished.is_set():
            result.cancel()
            if flink_job:  # Beam's Flink job server leaves the job running (pipelines/flink.py)
                flink.cancel_jobs_named(options, flink_job)
    if failure:  # also one while the open window drained (the stream was "stopped" then)
        outcome.error = f"{type(failure[0]).__name__}: {failure[0]}"
    return outcome


def _drain_relayed(relay: PubSubRelay, stop_at: float, window: int, deadline: float,
                   finished: threading.Event) -> None:
    """The local stream's stop: done at once when every message relayed is committed (an
    idle stream); otherwise at the open window's end the relay wakes the pipeline's pull
    (``tick``), so the watermark passes it now instead of when an idle pull of up to 30 s
    returns, and the stream ends as soon as the window's messages are committed."""
    if not relay.pending():
        LOG.info("stopping: nothing relayed is waiting for its window")
        return
    window_end = _window_end(stop_at, window) + TICK_AFTER_SECONDS
    LOG.info("stopping: committing the open window (%d messages; it ends at %s)",
             relay.pending(), time.strftime("%H:%M:%S", time.localtime(window_end)))
    if finished.wait(max(0.0, window_end - time.time())):
        return
    relay.tick()
    while relay.pending() and not finished.is_set() and time.time() < deadline:
        finished.wait(0.2)


class WindowWatch:
    """Reports each window manifest of run ``run_id`` as it appears (a thread looking at
    ``_runs/`` every half second, and once more at the end)."""

    def __init__(self, output: str, run_id: str, report: Callable[[dict], None]):
        self.pattern = fs.join(layout.runs_dir(output), f"{run_id}-w*.json")
        self.report, self.seen = report, set()
        self.latest_end = 0.0  # the end (epoch seconds) of the latest window committed
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="newsbeam-windows")

    def __enter__(self) -> "WindowWatch":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)
        self._look()

    def _loop(self) -> None:
        while not self.stopped.wait(0.5):
            self._look()

    def _look(self) -> None:
        try:
            fresh = sorted(set(fs.match_paths(self.pattern)) - self.seen)
            for path in fresh:
                manifest = json.loads(fs.read_bytes(path))
                self.seen.add(path)
                self.latest_end = max(self.latest_end, Timestamp.from_rfc3339(
                    manifest["window_end"]).micros / 1e6)
                self.report(manifest)
        except Exception:  # noqa: BLE001 - a line not printed must not stop the stream
            LOG.debug("window watch", exc_info=True)


def _describe(config: Config, options, beam_args: list[str], run: RunContext,
              outcome: Outcome, relayed: dict | None) -> dict:
    commits = sorted(r.commit_id for r in read_log(config.output).records
                     if r.run_id == run.run_id)
    counts = manifests.dataset_counts(config.output, run.run_id)
    windows = [manifests.read_manifest(config.output, commit) for commit in commits]
    inputs = sum(w["counts"].get("inputs", 0) for w in windows if w)
    return STREAM.build(
        run_id=run.run_id, status="failed" if outcome.failed else "stopped",
        started_at=run.started_at.isoformat(), finished_at=utc_now().isoformat(),
        runner=options.view_as(StandardOptions).runner, beam_args=beam_args,
        config_path=config.path, config=config.raw, output=config.output,
        commits=commits, counts={"inputs": inputs, **counts["rows"]},
        balanced=inputs == sum(counts["rows"].values()),
        rejects_by_reason=counts["rejects_by_reason"],
        duplicates_by_method=counts["duplicates_by_method"], error=outcome.error,
        relay=relayed)
