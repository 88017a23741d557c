"""The bounded run's graphs: sources -> read -> extract -> normalize -> dedup -> Parquet
datasets, in one pipeline or, for a chunked run, one per chunk and a last one that settles
them (the lifecycle that runs them: ``modes/run.py``).

This module chooses the source (the config's), the windowing (one global window) and the
dedup engine (``BatchDedup``); every stage comes from ``transforms/``. It only builds the
graph: running it under the output's lock is ``modes/run.py``.
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.config import Config, FilesSource, WarcSource
from newsbeam.core.files import FileInput
from newsbeam.pipelines.graph import process_and_write
from newsbeam.records.run import RunContext
from newsbeam.schemas.tables import DATASETS, DEDUP_INDEX, FILES, STATE_TABLES
from newsbeam.transforms.dedup.batch import BatchDedup
from newsbeam.transforms.dedup.pending import REMOVED, ReadPending, ToPending, WriteSettled
from newsbeam.transforms.sinks import STAGED, WriteDatasets
from newsbeam.transforms.sources import ReadSources
from newsbeam.transforms.state import ReadState, ReadStates


def state_tables(config: Config, reprocess: bool = False) -> tuple[str, ...]:
    """The state tables a batch run of ``config`` reads: ``files`` to skip files read
    before, the dedup index to match earlier runs' articles."""
    reads_files = any(isinstance(s, (FilesSource, WarcSource)) for s in config.sources)
    return ((FILES,) if reads_files and not reprocess else ()) \
        + ((DEDUP_INDEX,) if config.dedup.cross_run else ())


def build_pipeline(pipeline: beam.Pipeline, config: Config, run: RunContext,
                   reprocess: bool = False):
    """The whole batch graph on ``pipeline``; returns the committed files' PCollection."""
    tables = state_tables(config, reprocess)
    state = pipeline | "ReadState" >> ReadStates(config.output, tables) if tables else {}
    read = pipeline | "Read" >> ReadSources(config, run, state.get(FILES))
    dedup = BatchDedup(config.dedup, state.get(DEDUP_INDEX))
    return process_and_write(read, config, run, dedup, {FILES: read["files"]})


def build_chunk(pipeline: beam.Pipeline, config: Config, run: RunContext,
                files: list[FileInput], number: int, reprocess: bool = False,
                earlier_runs: bool = True):
    """The graph of one chunk of a chunked run: ``files`` read, extracted and committed
    as pending rows (with rejects and ``files`` state), in commit ``<run_id>-chunk<N>``.

    Files the run's own earlier chunks read are no "earlier run" for the same-bytes check:
    one run reads two equal files (one is a duplicate of the other), so its chunks do too.
    ``earlier_runs``: False when no earlier run read any file (seen when the run was
    planned): then nothing can be skipped, and the chunk neither reads the ``files`` state
    nor joins every file's bytes with it by hash (that join pickles the pages through a
    shuffle).
    """
    known = None
    if not reprocess and earlier_runs:
        run_id = run.run_id
        known = (pipeline
                 | "ReadState" >> ReadState(config.output, FILES)
                 | "EarlierRuns" >> beam.Filter(lambda row: row["run_id"] != run_id))
    read = pipeline | "Read" >> ReadSources(config, run, known, files)
    return process_and_write(read, config, run, ToPending(config.dedup.near),
                             {FILES: read["files"]}, commit_id=chunk_commit_id(run, number),
                             kind="chunk")


def chunk_commit_id(run: RunContext, number: int) -> str:
    return f"{run.run_id}-chunk{number:05d}"


def build_settle(pipeline: beam.Pipeline, config: Config, run: RunContext):
    """The last step of a chunked run: every pending row of the output (this run's chunks'
    and any a stopped run left) deduplicated as one run, written as articles and
    duplicates with the dedup index, the pending files removed, in one commit."""
    index = (pipeline | "ReadIndex" >> ReadState(config.output, DEDUP_INDEX)
             if config.dedup.cross_run else None)
    pending = pipeline | "ReadPending" >> ReadPending(config.output, run.run_id)
    outputs = pending["rows"] | "Dedup" >> BatchDedup(config.dedup, index)
    articles = outputs.pop("articles") | "Articles" >> WriteSettled(
        config.output, run.run_id, run.ingest_date)
    outputs[STAGED] = (articles, pending[REMOVED]) | "Settled" >> beam.Flatten()
    return outputs | "Write" >> WriteDatasets(
        config.output, run.run_id, run.ingest_date, DATASETS, STATE_TABLES,
        commit_id=f"{run.run_id}-settle")
