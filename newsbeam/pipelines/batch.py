"""The bounded run: sources -> read -> extract -> normalize -> dedup -> Parquet datasets.

This module chooses the source (the config's), the windowing (one global window) and the
dedup engine (``BatchDedup``); every stage comes from ``transforms/``.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import StandardOptions

from newsbeam.transforms.dedup.batch import BatchDedup
from newsbeam.transforms.metrics import stage_metrics
from newsbeam.transforms.process import warm_start
from newsbeam.transforms.sources import ReadSources
from newsbeam.transforms.state import ReadStates
from newsbeam.config import Config, FilesSource, WarcSource
from newsbeam.core.time_limit import discard_spares
from newsbeam.pipelines.graph import process_and_write
from newsbeam.pipelines.interrupt import Interrupted, run_interruptibly, stop_children
from newsbeam.pipelines.preflight import preflight
from newsbeam.pipelines.runner import new_run, pipeline_options, runs_in_process, utc_now
from newsbeam.records.run import RunContext
from newsbeam.schemas.tables import DEDUP_INDEX, FILES
from newsbeam.store import faults
from newsbeam.store import manifest as manifests
from newsbeam.store.commit import close_commits, drop_staging
from newsbeam.store.compact import DEFAULT_GRACE_SECONDS
from newsbeam.store.lock import acquire
from newsbeam.store.log import committed_runs, read_log
from newsbeam.store.recover import recover
from newsbeam.store.state import prepare_index


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


def run(config: Config, beam_args: list[str] | None = None, reprocess: bool = False,
        progress_dir: str | None = None) -> dict:
    """Run the batch pipeline to completion; returns the manifest it wrote.

    Raises ConfigError before anything runs, and ``store.lock.Locked`` at once when another
    run holds the output. A SIGINT or SIGTERM while the pipeline runs stops the run's
    processes, records it as failed (reason ``interrupted``) and raises ``Interrupted``.
    ``progress_dir``: a local folder where the stages leave progress counts.
    """
    beam_args = list(beam_args or [])
    options = pipeline_options(beam_args, type_check=False)
    FileSystems.set_options(options)  # e.g. the S3 endpoint and credentials
    preflight(config)
    with acquire(config.output, "newsbeam run"):
        recover(config.output, grace_seconds=DEFAULT_GRACE_SECONDS)
        if config.dedup.cross_run:
            prepare_index(config.output, config.dedup.near)
        return _run_locked(config, options, beam_args, reprocess, progress_dir)


def _run_to_end(pipeline: beam.Pipeline):
    result = pipeline.run()
    result.wait_until_finish()
    return result


def _run_locked(config: Config, options, beam_args: list[str], reprocess: bool,
                progress_dir: str | None) -> dict:
    run = new_run(progress_dir=progress_dir)
    runner = options.view_as(StandardOptions).runner
    status, error, result, failure, reason = "succeeded", None, None, None, None
    if runs_in_process(options):  # overlaps the workers' set-up with building the graph
        warm_start(config.limits.extract_timeout_seconds or None)
    try:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, config, run, reprocess)
        result = run_interruptibly(lambda: _run_to_end(pipeline))
    except Interrupted as err:
        close_commits()  # an in-process commit under way ends first; none starts after
        stop_children()  # and no worker process commits either
        status, error, failure, reason = "failed", str(err), err, "interrupted"
    except BaseException as err:
        status, error, failure = "failed", f"{type(err).__name__}: {err}", err
        reason = "interrupted" if isinstance(err, KeyboardInterrupt) else "error"
    discard_spares()  # a prestarted extraction child no DoFn took over
    # Whatever happened: a commit this run made is finished, anything uncommitted dropped.
    # (Its own manifest is written below: recovery must not write a "lost" one first.)
    recover(config.output, grace_seconds=DEFAULT_GRACE_SECONDS, keep_staging=run.run_id)
    drop_staging(config.output, run.run_id)  # its empty folders
    committed = run.run_id in committed_runs(read_log(config.output))
    metrics = (stage_metrics(result) if result is not None
               else {"counters": {}, "stage_seconds": {}})
    counts = manifests.dataset_counts(config.output, run.run_id) if committed or not failure \
        else None
    manifest = manifests.build_manifest(
        run_id=run.run_id, config=config, started_at=run.started_at,
        finished_at=utc_now(), runner=runner, beam_args=beam_args,
        status="succeeded" if committed else status, metrics=metrics, counts=counts,
        error=error if not committed else None, reason=reason if not committed else None)
    if failure is not None and committed:  # it failed after its commit point: it is done
        manifest["warning"] = f"failed after committing, finished by recovery: {error}"
    manifest["reprocess"] = reprocess
    manifest["manifest_path"] = manifests.write_manifest(config.output, manifest)
    faults.reached("manifest_written")
    if failure is not None and not committed:
        failure.manifest_path = manifest["manifest_path"]  # for the line the command prints
        raise failure
    return manifest
