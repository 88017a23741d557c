"""``newsbeam run``: one bounded run of the batch pipeline (``pipelines.batch``) through the
shared lifecycle (``modes.lifecycle``): its manifest says whether it committed."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import StandardOptions

from newsbeam.config import Config
from newsbeam.core.time_limit import discard_spares
from newsbeam.modes.lifecycle import Outcome, run_lifecycle
from newsbeam.pipelines.batch import build_pipeline
from newsbeam.pipelines.interrupt import Interrupted, run_interruptibly, stop_children
from newsbeam.pipelines.runner import pipeline_options, runs_in_process, utc_now
from newsbeam.records.run import RunContext
from newsbeam.store import manifest as manifests
from newsbeam.store.commit import close_commits
from newsbeam.store.log import committed_runs, read_log
from newsbeam.transforms.metrics import stage_metrics
from newsbeam.transforms.process import warm_start


def run_once(config: Config, beam_args: list[str] | None = None,
             reprocess: bool = False) -> dict:
    """Run the batch pipeline to completion; returns the manifest it wrote.

    Raises ConfigError before anything runs, and ``store.lock.Locked`` at once when another
    run holds the output. A SIGINT or SIGTERM while the pipeline runs stops the run's
    processes, records it as failed (reason ``interrupted``) and raises ``Interrupted``.
    """
    beam_args = list(beam_args or [])
    options = pipeline_options(beam_args, type_check=False)

    def execute(run: RunContext) -> Outcome:
        return _execute(config, options, run, reprocess)

    def describe(run: RunContext, outcome: Outcome) -> dict:
        return _describe(config, options, beam_args, run, outcome, reprocess)

    manifest, outcome = run_lifecycle(config, options, "newsbeam run", execute, describe)
    if outcome.failed and manifest["status"] == manifests.FAILED:
        outcome.failure.manifest_path = manifest["manifest_path"]  # for the line printed
        raise outcome.failure
    return manifest


def _run_to_end(pipeline: beam.Pipeline):
    result = pipeline.run()
    result.wait_until_finish()
    return result


def _execute(config: Config, options, run: RunContext, reprocess: bool) -> Outcome:
    if runs_in_process(options):  # overlaps the workers' set-up with building the graph
        warm_start(config.limits.extract_timeout_seconds or None,
                   config.limits.extract_processes)
    try:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, config, run, reprocess)
        outcome = Outcome(result=run_interruptibly(lambda: _run_to_end(pipeline)))
    except Interrupted as err:
        close_commits()  # an in-process commit under way ends first; none starts after
        stop_children()  # and no worker process commits either
        outcome = Outcome(failure=err, error=str(err), reason="interrupted")
    except BaseException as err:
        outcome = Outcome(failure=err, error=f"{type(err).__name__}: {err}",
                          reason="interrupted" if isinstance(err, KeyboardInterrupt)
                          else "error")
    discard_spares()  # a prestarted extraction child no DoFn took over
    return outcome


def _describe(config: Config, options, beam_args: list[str], run: RunContext,
              outcome: Outcome, reprocess: bool) -> dict:
    committed = run.run_id in committed_runs(read_log(config.output))
    metrics = (stage_metrics(outcome.result) if outcome.result is not None
               else {"counters": {}, "stage_seconds": {}})
    counts = manifests.dataset_counts(config.output, run.run_id) \
        if committed or not outcome.failed else None
    failed_late = outcome.failed and committed  # it failed after its commit point: done
    return manifests.build_manifest(
        run_id=run.run_id, config=config, started_at=run.started_at,
        finished_at=utc_now(), runner=options.view_as(StandardOptions).runner,
        beam_args=beam_args, status=manifests.SUCCEEDED if committed or not outcome.failed
        else manifests.FAILED, metrics=metrics, counts=counts,
        error=None if committed else outcome.error,
        reason=None if committed else outcome.reason,
        warning=f"failed after committing, finished by recovery: {outcome.error}"
        if failed_late else None, reprocess=reprocess)
