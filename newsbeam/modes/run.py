"""``newsbeam run``: one bounded run of the batch pipeline (``pipelines.batch``) through the
shared lifecycle (``modes.lifecycle``): its manifest says whether it committed. A run over
more local files than a chunk holds runs chunk by chunk (``modes.chunks``)."""
from __future__ import annotations

from apache_beam.options.pipeline_options import StandardOptions

from newsbeam.config import NO_SOURCES, Config, ConfigError
from newsbeam.core.progress import ProgressWriter, progress_folder
from newsbeam.core.time_limit import warm
from newsbeam.modes import chunks
from newsbeam.modes.lifecycle import Outcome, run_lifecycle
from newsbeam.modes.interrupt import Interrupted, run_interruptibly, stop_children
from newsbeam.pipelines import flink
from newsbeam.pipelines.runner import pipeline_options, utc_now
from newsbeam.records.run import RunContext
from newsbeam.store import manifest as manifests
from newsbeam.store.commit import close_commits
from newsbeam.store.log import committed_runs, read_log


def run_once(config: Config, beam_args: list[str] | None = None,
             reprocess: bool = False) -> dict:
    """Run the batch pipeline to completion; returns the manifest it wrote.

    Raises ConfigError before anything runs, and ``store.lock.Locked`` at once when another
    run holds the output. A SIGINT or SIGTERM while the pipeline runs stops the run's
    processes, records it as failed (reason ``interrupted``) and raises ``Interrupted``.
    """
    if not config.sources:
        raise ConfigError(NO_SOURCES)
    beam_args = list(beam_args or [])
    options = pipeline_options(beam_args, type_check=False)

    plans: list[chunks.Plan] = []

    def execute(run: RunContext) -> Outcome:
        return _execute(config, options, run, reprocess, plans)

    def describe(run: RunContext, outcome: Outcome) -> dict:
        plan = plans[0] if plans else chunks.Plan([])
        return _describe(config, options, beam_args, run, outcome, reprocess, plan)

    manifest, outcome = run_lifecycle(config, options, "newsbeam run", execute, describe)
    if outcome.failed and manifest["status"] == manifests.FAILED:
        outcome.failure.manifest_path = manifest["manifest_path"]  # for the line printed
        raise outcome.failure
    return manifest


def _execute(config: Config, options, run: RunContext, reprocess: bool,
             plans: list[chunks.Plan]) -> Outcome:
    """Plans the run's pipelines (into ``plans``) and runs them."""
    progress = ProgressWriter(progress_folder())
    extract_timeout = config.limits.extract_timeout_seconds or None
    flink_job = flink.name_job(options, "run", run.run_id)
    try:
        plans.append(chunks.plan(config, run, reprocess))
        # Extraction children serve every chunk's pipeline; leaving ``warm`` stops them
        # (and any prestarted child no DoFn took over), unless ``follow`` keeps them.
        with warm():
            outcome = Outcome(result=run_interruptibly(
                lambda: chunks.run_steps(plans[0], options, extract_timeout,
                                         config.limits.extract_processes, progress)))
    except Interrupted as err:
        close_commits()  # an in-process commit under way ends first; none starts after
        if flink_job:  # Beam's Flink job server would leave it running (pipelines/flink.py);
            flink.cancel_jobs_named(options, flink_job)  # ended before recovery looks
        stop_children()  # and no worker process commits either
        outcome = Outcome(failure=err, error=str(err), reason="interrupted")
    except BaseException as err:
        outcome = Outcome(failure=err, error=f"{type(err).__name__}: {err}",
                          reason="interrupted" if isinstance(err, KeyboardInterrupt)
                          else "error")
    return outcome


def _describe(config: Config, options, beam_args: list[str], run: RunContext,
              outcome: Outcome, reprocess: bool, plan: chunks.Plan) -> dict:
    log = read_log(config.output)
    committed = run.run_id in committed_runs(log)
    metrics = plan.merged_metrics()
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
        if failed_late else None, reprocess=reprocess,
        chunks={"planned": plan.chunks,
                "committed": sum(1 for r in log.records
                                 if r.run_id == run.run_id and r.kind == "chunk"),
                "max_inputs": config.limits.chunk_inputs, "max_mb": config.limits.chunk_mb}
        if plan.chunks else None)
