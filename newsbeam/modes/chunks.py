"""The pipelines of one bounded run: one, or one per chunk and one that settles them.

A run is one pipeline, unless its local files do not fit in one chunk
(``limits.chunk_inputs`` files or ``limits.chunk_mb`` MB): then it is one pipeline per
chunk, each committing its inputs' rejects, ``files`` state and extracted articles as
pending rows (commit ``<run_id>-chunk<N>``), and a last one that deduplicates every pending
row as one run would and commits the articles and duplicates (``<run_id>-settle``).
Memory then depends on the chunk, not the run; a run stopped after chunk k keeps chunks
1..k, and the next run reads only the files they did not, then settles both runs' pending
rows. Why dedup waits for the end: docs/chunked-runs.md.

Between a chunk's last extraction and the next chunk's first, the in-process worker alone
works (it commits one pipeline, builds and starts the next), and before the first chunk's
it starts Beam: so the extraction pool is held for the whole run and given the first files
of the next chunk early (``EarlyExtraction``), which the children answer whenever no
pipeline item waits.
"""
from __future__ import annotations

import dataclasses
import threading
from typing import Callable

import apache_beam as beam

from newsbeam.config import Config, FilesSource
from newsbeam.core import process_pool
from newsbeam.core.chunks import plan_chunks
from newsbeam.core.files import FileInput, read_document
from newsbeam.core.progress import ProgressWriter
from newsbeam.pipelines import batch
from newsbeam.pipelines.runner import runs_in_process
from newsbeam.records.documents import Rejected
from newsbeam.records.run import RunContext
from newsbeam.schemas.tables import FILES, PENDING
from newsbeam.store import fs
from newsbeam.store.parquet import iter_rows
from newsbeam.store.state import state_files
from newsbeam.transforms.metrics import stage_metrics
from newsbeam.core.warm import EXTRACT, extract_document, warm_start
from newsbeam.transforms.sources import file_key, listed_files


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    build: Callable[[beam.Pipeline], object]
    extracts: bool  # whether its workers extract (worth a warm start)
    files: list[FileInput] | None = None  # a chunk's files


@dataclasses.dataclass
class Plan:
    steps: list[Step]
    chunks: int = 0    # 0: not chunked
    skipped: int = 0   # files the chunks leave out, read unchanged by earlier runs
    max_bytes: int = 0  # limits.max_document_bytes: how the chunks' files are read
    early: int = 0      # inputs the chunks took extracted early (``EarlyExtraction``)
    metrics: list[dict] = dataclasses.field(default_factory=list)  # each finished step's

    def merged_metrics(self) -> dict:
        """The metrics of the run's pipelines, summed."""
        counters = {"sources:skipped_unchanged": self.skipped} if self.skipped else {}
        if self.early:
            counters["chunks:extracted_early"] = self.early
        seconds: dict[str, float] = {}
        for part in self.metrics:
            for key, value in part["counters"].items():
                counters[key] = counters.get(key, 0) + value
            for key, value in part["stage_seconds"].items():
                seconds[key] = round(seconds.get(key, 0) + value, 3)
        return {"counters": dict(sorted(counters.items())), "stage_seconds": seconds}


def chunked_files(config: Config, reprocess: bool
                  ) -> tuple[list[list[FileInput]] | None, int, bool]:
    """(the chunks, files skipped, whether earlier runs read any file) of a run whose
    sources are all local files and more than one chunk's worth, without the files earlier
    runs read unchanged (skipped); (None, 0, True) for a run of one pipeline."""
    sources = list(config.sources)
    if not sources or not all(isinstance(s, FilesSource) for s in sources):
        return None, 0, True  # feeds, URLs and WARC archives: one pipeline (not chunked yet)
    limits = config.limits
    items = listed_files(sources)

    def chunks():
        return plan_chunks(items, [item.size for item in items], limits.chunk_inputs,
                           int(limits.chunk_mb * 2**20))
    if len(chunks()) <= 1:
        return None, 0, True
    listed = len(items)
    files_state = state_files(config.output, FILES)
    earlier = bool(files_state)
    if not reprocess and earlier:
        known = {file_key(row) for path in files_state
                 for row in iter_rows(path, ["path", "size", "mtime"])}
        items = [item for item in items if item.key not in known]
    return chunks(), listed - len(items), earlier


def plan(config: Config, run: RunContext, reprocess: bool) -> Plan:
    """The pipelines of a run (read under its lock: the listing and state it sees)."""
    chunks, skipped, earlier = chunked_files(config, reprocess)
    pending = bool(state_files(config.output, PENDING))  # a stopped chunked run's
    settle = Step("settle", lambda p: batch.build_settle(p, config, run), False)
    whole = Step("run", lambda p: batch.build_pipeline(p, config, run, reprocess), True)
    if chunks is None:
        return Plan(([settle] if pending else []) + [whole])
    steps = [Step(f"chunk {number}", lambda p, files=files, number=number: batch.build_chunk(
                  p, config, run, files, number, reprocess, earlier), True, files)
             for number, files in enumerate(chunks, 1)]
    return Plan(steps + [settle], len(chunks), skipped, config.limits.max_document_bytes)


# Files of a chunk read and extracted early, per extraction child: about what two children
# extract (~50 pages/s on the corpora) while a pipeline ends and the next starts (~1-2 s).
EARLY_PER_CHILD = 48


class EarlyExtraction:
    """The extraction pool of a chunked run, held from its start to its end (the chunks'
    DoFns share it), fed the first files of each chunk before its pipeline asks for them.
    Early answers are the pool's to give only for equal inputs (``ChildPool.submit``), so
    the rows do not change."""

    def __init__(self, plan_: Plan, extract_timeout: float, extract_processes: int):
        self.plan, self.size = plan_, process_pool.pool_size(extract_processes)
        self.key = (extract_document, extract_timeout, EXTRACT, self.size)
        self.pool: process_pool.ChildPool | None = None
        self.keys: dict[int, list[str]] = {}  # step -> the keys handed in early
        self.thread: threading.Thread | None = None
        self.taken_before = 0

    def ahead_of(self, step: int) -> None:
        """In the background: the first files of step ``step + 1`` (and of ``step`` at the
        start), read and handed to the pool, which starts first if need be."""
        wanted = [n for n in ((step, step + 1) if step == 0 else (step + 1,))
                  if n < len(self.plan.steps) and self.plan.steps[n].files]
        if wanted:
            self._wait()
            self.thread = threading.Thread(target=self._feed, args=(wanted,), daemon=True,
                                           name="newsbeam-early-extraction")
            self.thread.start()

    def _feed(self, steps: list[int]) -> None:
        if self.pool is None:
            self.pool = process_pool.acquire(*self.key)  # the chunks' DoFns: the same pool
            self.taken_before = self.pool.taken_early
        for step in steps:
            documents = []
            for item in self.plan.steps[step].files[:EARLY_PER_CHILD * self.size]:
                try:  # as the chunk's read stage reads it
                    documents.append(read_document(item, fs.open_read, self.plan.max_bytes))
                except Rejected:
                    continue  # the read stage rejects it
            self.keys[step] = [document.uri for document in documents]
            self.pool.prefetch((document.uri, document) for document in documents)

    def done(self, step: int) -> None:
        """Step ``step``'s pipeline ended: drop what it did not take."""
        self._wait()
        if self.pool is not None:
            self.pool.forget(self.keys.pop(step, ()))

    def close(self) -> None:
        self._wait()
        if self.pool is not None:
            self.plan.early = self.pool.taken_early - self.taken_before
            process_pool.release(self.pool)
            self.pool = None

    def _wait(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None


def run_steps(plan_: Plan, options, extract_timeout: float | None, extract_processes: int,
              progress: ProgressWriter) -> beam.runners.runner.PipelineResult | None:
    """Each step's pipeline to its end, in order; returns the last result."""
    result = None
    early = EarlyExtraction(plan_, extract_timeout, extract_processes) \
        if plan_.chunks and extract_timeout and runs_in_process(options) else None
    try:
        for done, step in enumerate(plan_.steps):
            if plan_.chunks:  # progress shows the chunk under way
                progress.counts["chunks"] = plan_.chunks
                progress.counts["chunks_done"] = min(done, plan_.chunks)
                progress.flush()
            # Overlaps the workers' set-up with building the graph (a held pool needs none).
            if step.extracts and runs_in_process(options) and (early is None or not done):
                warm_start(extract_timeout, extract_processes, many_pages=bool(plan_.chunks))
            if early is not None:
                early.ahead_of(done)
            pipeline = beam.Pipeline(options=options)
            step.build(pipeline)
            result = pipeline.run()
            result.wait_until_finish()
            plan_.metrics.append(stage_metrics(result))
            if early is not None:
                early.done(done)
    finally:
        if early is not None:
            early.close()
    return result
