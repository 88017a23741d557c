"""The part of the graph every pipeline shares: documents -> extract, normalize, dedup ->
fetch state -> committed datasets. Batch and stream differ only in what feeds it (their
source and windowing) and in the dedup engine they hand it."""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.fetch import RecordFetchState
from newsbeam.transforms.process import ProcessDocuments
from newsbeam.transforms.sinks import TALLIES, WriteDatasets
from newsbeam.config import Config
from newsbeam.records.run import RunContext
from newsbeam.schemas.tables import DATASETS, STATE_TABLES


def process_and_write(read: dict, config: Config, run: RunContext, dedup: beam.PTransform,
                      extra_state: dict | None = None, on_commit=None, **commit):
    """``read``: {"documents", "rejects", "listings"} of a source (and ``sinks.TALLIES``:
    counts to commit with each window, for its manifest) -> committed files. ``commit``:
    ``commit_id`` and ``kind`` of a batch commit (``WriteDatasets``)."""
    outputs = read["documents"] | "Process" >> ProcessDocuments(
        run, dedup, config.limits.min_words,
        extract_timeout=config.limits.extract_timeout_seconds or None,
        extract_processes=config.limits.extract_processes)
    outputs["rejects"] = ((outputs["rejects"], read["rejects"])
                          | "AllRejects" >> beam.Flatten())
    # Fetch state commits with the datasets: a failed run (or window) remembers nothing.
    fetch_state = ((read["listings"], outputs["articles"], outputs["duplicates"])
                   | "FetchState" >> RecordFetchState())
    tallies = {TALLIES: read[TALLIES]} if TALLIES in read else {}
    return {**outputs, **fetch_state, **(extra_state or {}), **tallies} | "Write" >> WriteDatasets(
        config.output, run.run_id, run.ingest_date, DATASETS, STATE_TABLES, on_commit,
        **commit)
