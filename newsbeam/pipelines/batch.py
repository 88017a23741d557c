"""The bounded run: sources -> read -> extract -> normalize -> dedup -> Parquet datasets.

This module chooses the source (the config's), the windowing (one global window) and the
dedup engine (``BatchDedup``); every stage comes from ``beam/``.
"""
from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.options.pipeline_options import StandardOptions

from newsbeam.beam.dedup.batch import BatchDedup
from newsbeam.beam.fetch import RecordFetchState
from newsbeam.beam.metrics import stage_metrics
from newsbeam.beam.process import ProcessDocuments
from newsbeam.beam.sinks import WriteDatasets
from newsbeam.beam.sources import ReadSources
from newsbeam.config import Config
from newsbeam.pipelines.preflight import preflight
from newsbeam.pipelines.runner import new_run, pipeline_options, utc_now
from newsbeam.records.run import RunContext
from newsbeam.records.schema import DATASETS, STATE_TABLES
from newsbeam.store import manifest as manifests
from newsbeam.store.commit import drop_staging


def build_pipeline(pipeline: beam.Pipeline, config: Config, run: RunContext):
    """The whole batch graph on ``pipeline``; returns the committed files' PCollection."""
    read = pipeline | "Read" >> ReadSources(config, run)
    dedup = BatchDedup(config.dedup, config.output if config.dedup.cross_run else None)
    outputs = read["documents"] | "Process" >> ProcessDocuments(
        run, dedup, config.limits.min_words,
        extract_timeout=config.limits.extract_timeout_seconds or None)
    outputs["rejects"] = ((outputs["rejects"], read["rejects"])
                          | "AllRejects" >> beam.Flatten())
    # Fetch state commits with the datasets: a failed run remembers nothing.
    fetch_state = ((read["listings"], outputs["articles"], outputs["duplicates"])
                   | "FetchState" >> RecordFetchState())
    return {**outputs, **fetch_state} | "Write" >> WriteDatasets(
        config.output, run.run_id, run.ingest_date, DATASETS, STATE_TABLES)


def run(config: Config, beam_args: list[str] | None = None) -> dict:
    """Run the batch pipeline to completion; returns the manifest it wrote."""
    beam_args = list(beam_args or [])
    preflight(config)  # a ConfigError before anything runs
    run = new_run()
    options = pipeline_options(beam_args)
    runner = options.view_as(StandardOptions).runner
    status, error, result = "succeeded", None, None
    try:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, config, run)
        result = pipeline.run()
        result.wait_until_finish()
    except BaseException as err:  # record the failure, re-raise
        status, error = "failed", f"{type(err).__name__}: {err}"
        raise
    finally:
        drop_staging_quietly(config.output, run.run_id)
        metrics = (stage_metrics(result) if result is not None
                   else {"counters": {}, "stage_seconds": {}})
        counts = manifests.dataset_counts(config.output, run.run_id) if status == "succeeded" else None
        manifest = manifests.build_manifest(
            run_id=run.run_id, config=config, started_at=run.started_at,
            finished_at=utc_now(), runner=runner, beam_args=beam_args,
            status=status, metrics=metrics, counts=counts, error=error)
        manifest["manifest_path"] = manifests.write_manifest(config.output, manifest)
    return manifest


def drop_staging_quietly(output: str, run_id: str) -> None:
    try:
        drop_staging(output, run_id)
    except Exception:  # cleanup must not hide the original error
        logging.getLogger(__name__).warning("could not remove the staged files of %s", run_id)
