"""Bring an output to its newest committed state, before anyone writes or reads it.

Run by every writer once it holds the lock (and by readers that can take it): moves aside a
torn record that never applied (its run never committed: its staged files are then rolled
back with the others), finishes every committed record (``log.apply``), writes the manifest
of a run that committed but died first, deletes staged files no record names (runs that
never committed: roll-back), and deletes the files a compaction replaced once its grace
period is over. Then checks the output is whole (``store.integrity``): damage it cannot
undo stops the writer (``Damaged``), naming the file.
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timezone

from newsbeam.store import fs, integrity, layout, lock, log
from newsbeam.store.manifest import recovered_manifest, stopped_manifest, write_manifest

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Recovery:
    rolled_forward: list[str] = dataclasses.field(default_factory=list)
    rolled_back: list[str] = dataclasses.field(default_factory=list)
    manifests_written: list[str] = dataclasses.field(default_factory=list)
    vacuumed: list[str] = dataclasses.field(default_factory=list)
    dropped_torn: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return any(dataclasses.astuple(self))

    @property
    def after_a_crash(self) -> bool:
        """Whether it undid or finished a writer's work (worth a warning), not only the
        deletion a compaction's grace left to do (normal operation)."""
        return bool(self.rolled_forward or self.rolled_back or self.manifests_written
                    or self.dropped_torn)

    def describe(self) -> str:
        parts = {"moved aside the torn, never applied commit record": self.dropped_torn,
                 "finished the commit of": self.rolled_forward,
                 "dropped the uncommitted files of": self.rolled_back,
                 "wrote the lost manifest of": self.manifests_written,
                 "deleted the files replaced by": self.vacuumed}
        return "; ".join(f"{what} {', '.join(ids)}" for what, ids in parts.items() if ids)


def recover(output: str, grace_seconds: float = 0.0, keep_staging: str | None = None,
            check: bool = True) -> Recovery:
    """Finish or undo whatever a crash left; ``keep_staging``: the caller's own run id (its
    staged files and its manifest are the caller's to finish). Raises ``Damaged`` when a
    file the log names is missing or cut short; ``check=False`` (repair) goes on without
    writing lost manifests then."""
    done = Recovery()
    lock.check_held(output)  # nothing below runs for a writer whose lock was taken over
    state = log.read_log(output)
    for name in integrity.torn_records(state):
        quarantine(output, f"{layout.LOG_DIR}/{name}")
        state.damaged.pop(name)
        done.dropped_torn.append(name)
    for record in state.pending():
        log.apply(output, record)
        state.applied.add(record.commit_id)
        done.rolled_forward.append(record.commit_id)
    problems = integrity.quick_problems(output, state)
    if problems and check:
        raise integrity.Damaged(output, problems)
    runs = {}
    for record in state.records:
        # Folded records were finished (manifests included) before compaction folded them.
        if record.kind in log.RUN_KINDS and record.commit_id not in state.folded:
            runs.setdefault(record.run_id, []).append(record)
    for run_id, records in runs.items():
        if run_id != keep_staging and not problems \
                and not fs.exists(layout.manifest_path(output, run_id)):
            settled = any(r.kind == "run" for r in records)
            write_manifest(output, (recovered_manifest if settled else stopped_manifest)(
                output, run_id, records))
            done.manifests_written.append(run_id)
    for run_id in sorted(log.staging_runs(output)):
        if run_id != keep_staging:
            fs.delete_tree(layout.staging_dir(output, run_id))
            if run_id not in runs:
                done.rolled_back.append(run_id)
    now = datetime.now(timezone.utc)
    for record in state.unvacuumed():
        if (now - record.created).total_seconds() >= grace_seconds:
            log.vacuum(output, record)
            done.vacuumed.append(record.commit_id)
    if done:
        logger.log(logging.WARNING if done.after_a_crash else logging.INFO,
                   "recovered %s: %s", output, done.describe())
    return done


def quarantine(output: str, relative_path: str, stamp: str | None = None) -> str:
    """Move a damaged file to ``_quarantine/<stamp>/<its path>``; returns where it went."""
    stamp = stamp or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = layout.quarantine_path(output, stamp, relative_path)
    fs.ensure_dir(target.rsplit("/", 1)[0])
    fs.rename(fs.join(output, relative_path), target)
    return target
