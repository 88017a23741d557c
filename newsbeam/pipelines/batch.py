"""The bounded run: sources -> read -> extract -> normalize -> dedup -> Parquet datasets.

This module chooses the source (the config's), the windowing (one global window) and the
dedup engine (``BatchDedup``); every stage comes from ``transforms/``. It only builds the
graph: running it under the output's lock is ``modes/run.py``.
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.dedup.batch import BatchDedup
from newsbeam.transforms.sources import ReadSources
from newsbeam.transforms.state import ReadStates
from newsbeam.config import Config, FilesSource, WarcSource
from newsbeam.pipelines.graph import process_and_write
from newsbeam.records.run import RunContext
from newsbeam.schemas.tables import DEDUP_INDEX, FILES


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

