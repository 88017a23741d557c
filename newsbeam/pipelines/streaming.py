"""The unbounded run: work (Pub/Sub URLs or a periodic poll) -> late gate -> fixed windows
-> the batch stages (fetch, extract, normalize) -> streaming dedup -> one commit per window
pane, plus a manifest per pane.

This module chooses the source, the windowing and the dedup engine (``StreamDedup``);
every stage comes from ``beam/`` and the shared graph from ``pipelines/graph.py``.
"""
from __future__ import annotations

import collections
from functools import partial
from typing import Callable, Iterable

import apache_beam as beam
from apache_beam.transforms.combiners import CountCombineFn

from newsbeam.beam.dedup.streaming import StreamDedup
from newsbeam.beam.fetch import FetchLive
from newsbeam.beam.sinks import commit_tag
from newsbeam.beam.stage import ApplyStage, count_input
from newsbeam.beam.stream_sources import PollSources, ReadPubSubWork
from newsbeam.beam.windows import LateGate, stream_windowing
from newsbeam.config import Config
from newsbeam.core.fetch.discovery import ListingInput
from newsbeam.core.fetch.work import to_input
from newsbeam.pipelines.graph import process_and_write
from newsbeam.pipelines.runner import utc_now
from newsbeam.records.run import RunContext
from newsbeam.records.schema import DATASETS
from newsbeam.store import layout
from newsbeam.store import manifest as manifests


def windowing(config: Config) -> Callable[[], beam.WindowInto]:
    # Windows stay open (late panes allowed) as long as dedup state lasts; LateGate decides
    # what is too late, so Beam itself never drops a row.
    return partial(stream_windowing, config.stream.seconds("window"),
                   config.stream.seconds("dedup_ttl"))


def work_source(config: Config) -> beam.PTransform:
    if config.stream.subscription:
        return ReadPubSubWork(config.stream.subscription)
    return PollSources(config.sources, config.stream.seconds("poll_every"))


def build_stream(pipeline: beam.Pipeline, config: Config, run: RunContext, work=None):
    """The stream graph on ``pipeline``; ``work``: timestamped WorkItems (the config's
    source when None; tests hand in a TestStream). Returns the committed files."""
    if work is None:
        work = pipeline | "Work" >> work_source(config)
    stream = config.stream
    in_time, too_late = work | "LateGate" >> LateGate(
        stream.seconds("window"), stream.seconds("allowed_lateness"), run)
    windows = windowing(config)
    inputs, bad = (in_time
                   | "Windows" >> windows()
                   | "Receive" >> ApplyStage("receive", to_input, run))
    listings = inputs | "Listings" >> beam.Filter(lambda i: isinstance(i, ListingInput))
    pages = inputs | "Pages" >> beam.Filter(lambda i: not isinstance(i, ListingInput))
    live = (listings, pages) | "FetchLive" >> FetchLive(config.fetch, config.output, run,
                                                        skip_seen=False)
    counted = ((bad, too_late | "TooLateWindows" >> windows())
               | "WorkRejects" >> beam.Flatten()
               | "CountWorkRejects" >> beam.Map(count_input))
    read = {**live, "rejects": (live["rejects"], counted) | "ReadRejects" >> beam.Flatten()}
    dedup = StreamDedup(windows, stream.seconds("dedup_ttl"),
                        config.output if config.dedup.cross_run else None)
    committed = process_and_write(read, config, run, dedup)
    # Inputs per window: every page, failed listing and bad or too-late message.
    listing_failures = (live["rejects"]
                        | "ListingFailures" >> beam.Filter(lambda r: r["stage"] == "discover"))
    window_inputs = ((pages, listing_failures, counted)
                     | "AllInputs" >> beam.Flatten()
                     | "InputsPerWindow" >> beam.CombineGlobally(CountCombineFn())
                     .without_defaults())
    return (committed, window_inputs) | "Manifests" >> WindowManifests(config, run)


def _manifest(keyed: tuple, config: Config, run: RunContext, window=beam.DoFn.WindowParam,
              pane=beam.DoFn.PaneInfoParam) -> Iterable[dict]:
    _, grouped = keyed
    rows = collections.Counter()
    for staged in grouped["files"]:
        if staged.table in DATASETS:
            rows[staged.table] += staged.rows
    inputs = sum(grouped["inputs"])
    commit_id = f"{run.run_id}-{commit_tag(window, pane)}"
    manifest = {
        "run_id": commit_id, "stream_run_id": run.run_id, "kind": "stream_window",
        "status": "succeeded",
        "window_start": window.start.to_rfc3339(),
        "window_end": window.end.to_rfc3339(),
        "pane_index": pane.index, "pane_timing": {0: "early", 1: "on_time", 2: "late"}.get(
            pane.timing, str(pane.timing)),
        "committed_at": utc_now().isoformat(), "output": config.output,
        "counts": {"inputs": inputs, **{name: rows[name] for name in DATASETS}},
        "files": {name: [layout.relative(config.output, s.final_path)
                         for s in grouped["files"] if s.table == name and s.rows]
                  for name in DATASETS},
    }
    manifest["balanced"] = inputs == sum(rows[name] for name in DATASETS)
    manifests.write_manifest(config.output, manifest)
    yield manifest


class WindowManifests(beam.PTransform):
    """(committed files, inputs per window) -> ``_runs/<run_id>-<window>-p<pane>.json``,
    one per committed pane, with its counts."""

    def __init__(self, config: Config, run: RunContext):
        super().__init__()
        self.config, self.run = config, run

    def expand(self, pcolls):
        files, inputs = pcolls
        return ({"files": files | "KeyFiles" >> beam.WithKeys(lambda _: None),
                 "inputs": inputs | "KeyInputs" >> beam.WithKeys(lambda _: None)}
                | "PerPane" >> beam.CoGroupByKey()
                | "Write" >> beam.FlatMap(_manifest, self.config, self.run))
