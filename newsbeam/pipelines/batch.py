"""The bounded run: sources -> read -> extract -> normalize -> dedup -> Parquet datasets."""
from __future__ import annotations

import logging
import os
import uuid
from functools import partial

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, PrismRunnerOptions, StandardOptions

from newsbeam.config import Config, DedupConfig
from newsbeam.pipelines import manifest as manifests
from newsbeam.transforms import dedup_index
from newsbeam.transforms.deduplicate import Deduplicate
from newsbeam.transforms.extract import extract_document
from newsbeam.transforms.fetch import RecordFetchState, state_tables
from newsbeam.transforms.normalize import to_article_row, warm_up
from newsbeam.transforms.sinks import WriteDatasets, staging_dir
from newsbeam.transforms.sources import ReadSources
from newsbeam.transforms.stage import ApplyStage, RunContext

log = logging.getLogger(__name__)

PRISM_CACHE = os.path.expanduser("~/.apache_beam/cache/prism/bin")


class ProcessDocuments(beam.PTransform):
    """RawDocuments -> {"articles", "duplicates", "rejects"}: everything between read and write.

    Source-agnostic: any source that yields RawDocuments plugs in before it.
    """

    def __init__(self, run: RunContext, min_words: int = 1,
                 dedup: DedupConfig = DedupConfig(), index_files: list[str] | None = None,
                 extract_timeout: float | None = None):
        super().__init__()
        self.run, self.min_words = run, min_words
        self.dedup, self.index_files = dedup, index_files
        self.extract_timeout = extract_timeout

    def expand(self, raw_documents):
        docs, extract_rejects = raw_documents | "Extract" >> ApplyStage(
            "extract", extract_document, self.run, time_limit=self.extract_timeout)
        rows, normalize_rejects = docs | "Normalize" >> ApplyStage(
            "normalize", partial(to_article_row, run_id=self.run.run_id, min_words=self.min_words),
            self.run,
            setup=warm_up)
        outputs = rows | "Dedup" >> Deduplicate(self.dedup, self.index_files)
        rejects = (extract_rejects, normalize_rejects) | "StageRejects" >> beam.Flatten()
        return {**outputs, "rejects": rejects}


def build_pipeline(pipeline: beam.Pipeline, config: Config, run: RunContext,
                   index_files: list[str] | None = None):
    """``index_files``: the cross-run dedup index (``dedup_index.prepare``); None for none."""
    read = pipeline | "Read" >> ReadSources(config, run)
    outputs = read["documents"] | "Process" >> ProcessDocuments(
        run, config.limits.min_words, config.dedup, index_files,
        extract_timeout=config.limits.extract_timeout_seconds or None)
    outputs["rejects"] = ((outputs["rejects"], read["rejects"])
                          | "AllRejects" >> beam.Flatten())
    # Fetch state commits with the datasets: a failed run remembers nothing.
    fetch_state = ((read["listings"], outputs["articles"], outputs["duplicates"])
                   | "FetchState" >> RecordFetchState())
    state = {dedup_index.NAME: (dedup_index.INDEX_SCHEMA, dedup_index.index_dir(config.output)),
             **state_tables(config.output)}
    return {**outputs, **fetch_state} | "Write" >> WriteDatasets(
        config.output, run.run_id, run.ingest_date, state)


def default_runner(options: PipelineOptions) -> str:
    """The DirectRunner, or its own offline fallback when it could only fail to get Prism.

    Beam's DirectRunner first tries to download the Prism binary; offline that costs a
    failed download on every run before it falls back to the in-process FnApiRunner.
    When no Prism binary is cached or configured we go to that fallback directly.
    """
    prism = options.view_as(PrismRunnerOptions)
    has_prism = prism.prism_location or (os.path.isdir(PRISM_CACHE) and os.listdir(PRISM_CACHE))
    return "DirectRunner" if has_prism else "FnApiRunner"


def pipeline_options(beam_args: list[str]) -> PipelineOptions:
    options = PipelineOptions(beam_args)
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = default_runner(options)
    return options


def new_run(started_at=None) -> RunContext:
    started_at = started_at or manifests.utc_now()
    # Run ids order by start time; the suffix only keeps concurrent runs apart.
    return RunContext(f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", started_at)


def run(config: Config, beam_args: list[str] | None = None) -> dict:
    """Run the batch pipeline to completion; returns the manifest it wrote."""
    beam_args = list(beam_args or [])
    # Before anything runs: an index built with other parameters is a config error.
    index_files = (dedup_index.prepare(config.output, config.dedup.near)
                   if config.dedup.cross_run else None)
    run = new_run()
    options = pipeline_options(beam_args)
    runner = options.view_as(StandardOptions).runner
    status, error, result = "succeeded", None, None
    try:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, config, run, index_files)
        result = pipeline.run()
        result.wait_until_finish()
    except BaseException as err:  # record the failure, leave no staged files, re-raise
        status, error = "failed", f"{type(err).__name__}: {err}"
        _drop_staging(config.output, run.run_id)
        raise
    finally:
        metrics = (manifests.stage_metrics(result) if result is not None
                   else {"counters": {}, "stage_seconds": {}})
        counts = manifests.dataset_counts(config.output, run.run_id) if status == "succeeded" else None
        manifest = manifests.build_manifest(
            run_id=run.run_id, config=config, started_at=run.started_at,
            finished_at=manifests.utc_now(), runner=runner, beam_args=beam_args,
            status=status, metrics=metrics, counts=counts, error=error)
        manifest["manifest_path"] = manifests.write_manifest(config.output, manifest)
    return manifest


def _drop_staging(output: str, run_id: str) -> None:
    scratch = staging_dir(output, run_id)
    try:
        if FileSystems.exists(scratch):
            FileSystems.delete([scratch])
    except Exception:  # cleanup must not hide the original error
        log.warning("could not remove %s", scratch)
