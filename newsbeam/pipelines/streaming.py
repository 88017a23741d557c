"""The unbounded run: work (Pub/Sub URLs or a periodic poll) -> late gate -> fixed windows
-> the batch stages (fetch, extract, normalize) -> streaming dedup -> one commit per window
pane, with a manifest per commit.

This module chooses the source, the windowing and the dedup engine (``StreamDedup``);
every stage comes from ``transforms/`` and the shared graph from ``pipelines/graph.py``.
"""
from __future__ import annotations

import collections
from functools import partial
from typing import Callable

import apache_beam as beam

from newsbeam.transforms.dedup.streaming import StreamDedup
from newsbeam.transforms.fetch import FETCH, FetchLive
from newsbeam.transforms.seen import SkipFoundBefore
from newsbeam.transforms.sinks import TALLIES, Tally
from newsbeam.transforms.stage import ApplyStage, count_input
from newsbeam.transforms.stream_sources import PollSources, ReadPubSubWork, message_rows
from newsbeam.transforms.windows import LateGate, stream_windowing
from newsbeam.config import Config
from newsbeam.core.fetch.discovery import ListingInput
from newsbeam.core.fetch.work import to_input
from newsbeam.pipelines.graph import process_and_write
from newsbeam.pipelines.runner import utc_now
from newsbeam.records.run import RunContext
from newsbeam.schemas.manifest import STREAM_WINDOW
from newsbeam.schemas.tables import DATASETS, MESSAGES
from newsbeam.store import layout
from newsbeam.store import manifest as manifests


def windowing(config: Config) -> Callable[[], beam.WindowInto]:
    # Windows stay open (late panes allowed) as long as dedup state lasts; LateGate decides
    # what is too late, so Beam itself never drops a row.
    return partial(stream_windowing, config.stream.seconds("window"),
                   config.stream.seconds("dedup_ttl"))


def work_source(config: Config, subscription: str | None = None) -> beam.PTransform:
    if subscription or config.stream.subscription:
        return ReadPubSubWork(subscription or config.stream.subscription)
    return PollSources(config.sources, config.stream.seconds("poll_every"))


def build_stream(pipeline: beam.Pipeline, config: Config, run: RunContext, work=None,
                 subscription: str | None = None):
    """The stream graph on ``pipeline``; ``work``: timestamped WorkItems (the config's
    source when None; tests hand in a TestStream); ``subscription``: one to read instead
    of the config's (a local stream's relay, ``modes/pubsub_relay.py``). Returns the
    committed files (in their windows); each commit also writes its manifest."""
    if work is None:
        work = pipeline | "Work" >> work_source(config, subscription)
    stream = config.stream
    in_time, too_late = work | "LateGate" >> LateGate(
        stream.seconds("window"), stream.seconds("allowed_lateness"), run)
    windows = windowing(config)
    # A relayed message's id commits with its window: the relay acknowledges it then.
    messages = (work
                | "MessageIds" >> beam.FlatMap(message_rows, run.run_id)
                | "MessageWindows" >> windows())
    inputs, bad = (in_time
                   | "Windows" >> windows()
                   | "Receive" >> ApplyStage("receive", to_input, run.run_id))
    listings = inputs | "Listings" >> beam.Filter(lambda i: isinstance(i, ListingInput))
    pages = inputs | "Pages" >> beam.Filter(lambda i: not isinstance(i, ListingInput))
    # Pages pushed as work are fetched each time they come (a copy is a duplicates row);
    # pages found in listings polled again are fetched once per dedup TTL.
    skip_found = SkipFoundBefore(config.output, stream.seconds("dedup_ttl"), windows,
                                 counter=(FETCH, "skipped_ingested"), run_id=run.run_id)
    live = (listings, pages) | "FetchLive" >> FetchLive(config.fetch, config.output, run,
                                                        skip_seen=False, skip_found=skip_found,
                                                        stream=True)
    counted = ((bad, too_late | "TooLateWindows" >> windows())
               | "WorkRejects" >> beam.Flatten()
               | "CountWorkRejects" >> beam.Map(count_input))
    # Each window's inputs are counted with its rows, so its manifest adds up.
    tallies = ((live["inputs"], counted)
               | "AllInputs" >> beam.Flatten()
               | "CountWindowInputs" >> beam.combiners.Count.Globally().without_defaults()
               | "InputsTally" >> beam.Map(lambda count: Tally("inputs", count)))
    read = {"documents": live["documents"], "listings": live["listings"], TALLIES: tallies,
            "rejects": (live["rejects"], counted) | "ReadRejects" >> beam.Flatten()}
    dedup = StreamDedup(windows, stream.seconds("dedup_ttl"),
                        config.output if config.dedup.cross_run else None, config.dedup.near,
                        run_id=run.run_id)
    return process_and_write(read, config, run, dedup, extra_state={MESSAGES: messages},
                             on_commit=partial(write_window_manifest, config.output, run))


def balanced(counts: dict) -> bool:
    return counts["inputs"] == sum(counts[name] for name in DATASETS)


def write_window_manifest(output: str, run: RunContext, commit_id: str, window, pane,
                          staged: list, tallies: dict) -> None:
    """``_runs/<commit id>.json``: one window pane's commit, its inputs and rows per
    dataset, and ``window_counts``: the same summed over the window's panes so far.

    An on-time pane holds all of its window: its counts add up (``balanced``: inputs =
    articles + duplicates + rejects). A late input's count and rows may fire in separate
    late panes (docs/streaming.md): the window's counts add up once its last pane is in.
    """
    files = {name: sorted(f.final_path for f in staged if f.table == name and f.rows)
             for name in DATASETS}
    found = manifests.files_counts(files)  # a pane whose every fetch failed is not a success
    counts = {"inputs": tallies.get("inputs", 0), **found["rows"]}
    window_counts = collections.Counter(counts)
    for index in range(pane.index):  # the window's earlier panes, committed before this one
        earlier = manifests.read_manifest(output, commit_id.rsplit("-p", 1)[0] + f"-p{index}")
        window_counts.update(earlier["counts"] if earlier else {})
    manifests.write_manifest(output, STREAM_WINDOW.build(
        run_id=commit_id, stream_run_id=run.run_id,
        status=manifests.committed_status(found["sources"]),
        window_start=window.start.to_rfc3339(), window_end=window.end.to_rfc3339(),
        pane_index=pane.index,
        pane_timing={0: "early", 1: "on_time", 2: "late"}.get(pane.timing, str(pane.timing)),
        committed_at=utc_now().isoformat(), output=output,
        counts=counts, balanced=balanced(counts),
        window_counts=dict(window_counts), window_balanced=balanced(window_counts),
        sources=found["sources"], failed_sources=manifests.failed_sources(found["sources"]),
        files={name: [layout.relative(output, path) for path in paths]
               for name, paths in files.items()}))
