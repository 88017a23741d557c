"""The lifecycle every writing mode shares: preflight -> lock -> recover -> prepare the
dedup index -> execute -> recover -> drop staging -> manifest.

A mode (run once, stream) hands in how it executes its run and how it describes the run
in its manifest; everything around them is here, once. ``holding`` (lock, then recover)
is the part compaction shares too.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
from typing import Any, Callable, Iterator

from apache_beam.io.filesystems import FileSystems

from newsbeam.config import Config
from newsbeam.modes import beam_startup
from newsbeam.pipelines.preflight import preflight
from newsbeam.pipelines.runner import new_run
from newsbeam.records.run import RunContext
from newsbeam.store import faults
from newsbeam.store import manifest as manifests
from newsbeam.store.commit import CommittedButFailed, drop_staging
from newsbeam.store.compact import DEFAULT_GRACE_SECONDS
from newsbeam.store.lock import acquire
from newsbeam.store.log import committed_runs, read_log
from newsbeam.store.recover import recover
from newsbeam.store.state import prepare_index

LOG = logging.getLogger("newsbeam.run")


@dataclasses.dataclass
class Outcome:
    """How a run's execution ended, before recovery tells whether it committed."""
    result: Any = None                     # the runner's PipelineResult, when there is one
    failure: BaseException | None = None   # what stopped it, if anything did
    error: str | None = None               # the failure, in one line for the manifest
    reason: str | None = None              # why it failed: "interrupted" or "error"

    @property
    def failed(self) -> bool:
        return self.failure is not None


@contextlib.contextmanager
def holding(output: str, holder: str, grace_seconds: float = DEFAULT_GRACE_SECONDS,
            check: bool = True) -> Iterator[None]:
    """The output's lock, held by ``holder``, over an output brought to its newest
    committed state (``store.recover``); raises ``store.lock.Locked`` at once when another
    writer holds it, and ``store.integrity.Damaged`` when the output is damaged (unless
    ``check`` is off: the repair)."""
    with acquire(output, holder):
        recover(output, grace_seconds=grace_seconds, check=check)
        yield


def run_lifecycle(config: Config, options, holder: str,
                  execute: Callable[[RunContext], Outcome],
                  describe: Callable[[RunContext, Outcome], dict]) -> tuple[dict, Outcome]:
    """One run of ``config`` under the output's lock; returns its manifest (written, with
    its ``manifest_path``) and how its execution ended.

    ``execute(run)`` runs it and reports any failure in the Outcome (it raises nothing);
    ``describe(run, outcome)`` builds its manifest once recovery has finished whatever
    the run committed and dropped whatever it did not. Raises ConfigError before anything
    runs (preflight) and ``Locked`` when another writer holds the output.
    """
    beam_startup.cache_dofn_specs()  # (the CLI started it already; a library caller too)
    FileSystems.set_options(options)  # e.g. the S3 endpoint and credentials
    preflight(config)
    LOG.info("config %s checked: %d sources, output %s", config.path, len(config.sources),
             config.output)
    with holding(config.output, holder):
        LOG.info("holding the output's lock; recovered to the newest committed state")
        if config.dedup.cross_run:
            prepare_index(config.output, config.dedup.near)
        run = new_run()
        LOG.info("run %s: executing", run.run_id)
        outcome = execute(run)
        LOG.info("run %s: execution %s; finishing (recovery, manifest)", run.run_id,
                 f"failed: {outcome.error}" if outcome.failed else "ended")
        try:
            return _finish(config, run, outcome, describe), outcome
        except Exception as err:
            if _committed(config.output, run.run_id):
                # e.g. the disk filled up while the manifest was written: the data is in
                raise CommittedButFailed(run.run_id, err) from err
            raise


def _finish(config: Config, run: RunContext, outcome: Outcome,
            describe: Callable[[RunContext, Outcome], dict]) -> dict:
    # Whatever happened: a commit this run made is finished, anything uncommitted dropped.
    # (Its own manifest is written below: recovery must not write a "lost" one first.)
    recover(config.output, grace_seconds=DEFAULT_GRACE_SECONDS, keep_staging=run.run_id)
    drop_staging(config.output, run.run_id)  # its empty folders
    manifest = describe(run, outcome)
    faults.reached("writing_manifest")
    manifest["manifest_path"] = manifests.write_manifest(config.output, manifest)
    faults.reached("manifest_written")
    LOG.info("run %s: %s; manifest %s", run.run_id, manifest["status"],
             manifest["manifest_path"])
    return manifest


def _committed(output: str, run_id: str) -> bool:
    try:
        return run_id in committed_runs(read_log(output))
    except Exception:  # noqa: BLE001 - the log cannot be read either: report the first error
        return False
