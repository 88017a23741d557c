"""The pipelines of one bounded run: one, or one per chunk and one that settles them.

A run is one pipeline, unless its local files do not fit in one chunk
(``limits.chunk_inputs`` files or ``limits.chunk_mb`` MB): then it is one pipeline per
chunk, each committing its inputs' rejects, ``files`` state and extracted articles as
pending rows (commit ``<run_id>-chunk<N>``), and a last one that deduplicates every pending
row as one run would and commits the articles and duplicates (``<run_id>-settle``).
Memory then depends on the chunk, not the run; a run stopped after chunk k keeps chunks
1..k, and the next run reads only the files they did not, then settles both runs' pending
rows. Why dedup waits for the end: docs/chunked-runs.md.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import apache_beam as beam

from newsbeam.config import Config, FilesSource
from newsbeam.core.chunks import plan_chunks
from newsbeam.core.files import FileInput
from newsbeam.core.progress import ProgressWriter
from newsbeam.pipelines import batch
from newsbeam.pipelines.runner import runs_in_process
from newsbeam.records.run import RunContext
from newsbeam.schemas.tables import FILES, PENDING
from newsbeam.store.parquet import iter_rows
from newsbeam.store.state import state_files
from newsbeam.transforms.metrics import stage_metrics
from newsbeam.core.warm import warm_start
from newsbeam.transforms.sources import file_key, listed_files


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    build: Callable[[beam.Pipeline], object]
    extracts: bool  # whether its workers extract (worth a warm start)


@dataclasses.dataclass
class Plan:
    steps: list[Step]
    chunks: int = 0    # 0: not chunked
    skipped: int = 0   # files the chunks leave out, read unchanged by earlier runs
    metrics: list[dict] = dataclasses.field(default_factory=list)  # each finished step's

    def merged_metrics(self) -> dict:
        """The metrics of the run's pipelines, summed."""
        counters = {"sources:skipped_unchanged": self.skipped} if self.skipped else {}
        seconds: dict[str, float] = {}
        for part in self.metrics:
            for key, value in part["counters"].items():
                counters[key] = counters.get(key, 0) + value
            for key, value in part["stage_seconds"].items():
                seconds[key] = round(seconds.get(key, 0) + value, 3)
        return {"counters": dict(sorted(counters.items())), "stage_seconds": seconds}


def chunked_files(config: Config, reprocess: bool) -> tuple[list[list[FileInput]] | None, int]:
    """(the chunks, files skipped) of a run whose sources are all local files and more
    than one chunk's worth, without the files earlier runs read unchanged (skipped);
    (None, 0) for a run of one pipeline."""
    sources = list(config.sources)
    if not sources or not all(isinstance(s, FilesSource) for s in sources):
        return None, 0  # feeds, URLs and WARC archives: one pipeline (not chunked yet)
    limits = config.limits
    items = listed_files(sources)

    def chunks():
        return plan_chunks(items, [item.size for item in items], limits.chunk_inputs,
                           int(limits.chunk_mb * 2**20))
    if len(chunks()) <= 1:
        return None, 0
    listed = len(items)
    if not reprocess:
        known = {file_key(row) for path in state_files(config.output, FILES)
                 for row in iter_rows(path, ["path", "size", "mtime"])}
        items = [item for item in items if item.key not in known]
    return chunks(), listed - len(items)


def plan(config: Config, run: RunContext, reprocess: bool) -> Plan:
    """The pipelines of a run (read under its lock: the listing and state it sees)."""
    chunks, skipped = chunked_files(config, reprocess)
    pending = bool(state_files(config.output, PENDING))  # a stopped chunked run's
    settle = Step("settle", lambda p: batch.build_settle(p, config, run), False)
    whole = Step("run", lambda p: batch.build_pipeline(p, config, run, reprocess), True)
    if chunks is None:
        return Plan(([settle] if pending else []) + [whole])
    steps = [Step(f"chunk {number}", lambda p, files=files, number=number: batch.build_chunk(
                  p, config, run, files, number, reprocess), True)
             for number, files in enumerate(chunks, 1)]
    return Plan(steps + [settle], len(chunks), skipped)


def run_steps(plan_: Plan, options, extract_timeout: float | None, extract_processes: int,
              progress: ProgressWriter) -> beam.runners.runner.PipelineResult | None:
    """Each step's pipeline to its end, in order; returns the last result."""
    result = None
    for done, step in enumerate(plan_.steps):
        if plan_.chunks:  # progress shows the chunk under way
            progress.counts["chunks"] = plan_.chunks
            progress.counts["chunks_done"] = min(done, plan_.chunks)
            progress.flush()
        if step.extracts and runs_in_process(options):  # overlaps the workers' set-up
            warm_start(extract_timeout, extract_processes)  # with building the graph
        pipeline = beam.Pipeline(options=options)
        step.build(pipeline)
        result = pipeline.run()
        result.wait_until_finish()
        plan_.metrics.append(stage_metrics(result))
    return result
