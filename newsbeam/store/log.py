"""The commit log: the one commit point of every change to an output directory.

    <output>/_log/<commit_id>.json       a commit record: the files it adds (staged -> final
                                         path, with their dataset and rows) and removes
    <output>/_log/<commit_id>.applied    every add is in place, every state file removed
    <output>/_log/<commit_id>.vacuumed   (compactions) the dataset files it replaced are gone
    <output>/_log/<commit_id>.checkpoint  (compactions) every finished record so far, folded
                                         into one file (``checkpoint``)

A change is committed the moment its record exists: the record is written whole (a
temporary file renamed locally, a single PUT on object stores) after every file it names
is complete in ``_staging/`` and, on a local disk, flushed to it with its folders (``fs.sync``);
the record itself is flushed before it counts. It names each file's size and SHA-256, so a
reader can tell a file that was cut short or replaced (``store.integrity``). Everything after that is roll-forward, idempotent, and
finished by whoever comes next (``recover``): the writer itself, the next run, compaction
or a reader. Staged files no record names belong to a run that never committed: the next
writer deletes them (roll-back). So after a crash at any instant, an output is as before
the change or, once recovered, as after it: never in between.

Readers that go through newsbeam see a snapshot: the files of applied records, minus those
applied compactions replaced (``live_files``). Plain globs over the dataset folders see
every file in place: the same rows once no commit is half-applied, i.e. after any newsbeam
command has run recovery; during a compaction's grace period (see ``store.compact``) they
see the replaced files too.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime, timezone
from typing import Iterable

from newsbeam.schemas.tables import STATE_TABLES
from newsbeam.store import faults, fs, layout, lock

logger = logging.getLogger(__name__)
# What a record file that does not parse raises (cut short, garbage, a field missing).
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError)


@dataclasses.dataclass(frozen=True)
class FileEntry:
    table: str                 # dataset or state table
    final: str                 # path relative to the output directory
    staged: str | None = None  # relative path under _staging/ (None: nothing to move)
    rows: int = 0
    size: int | None = None    # bytes and SHA-256 of the file (None in records written
    sha256: str | None = None  # before they were kept, and in removes)


@dataclasses.dataclass(frozen=True)
class CommitRecord:
    commit_id: str             # <run_id>[-<window>] or compact-<time>
    kind: str                  # "run", "chunk" (part of a run) or "compact"
    run_id: str
    created_at: str            # ISO-8601 UTC
    adds: tuple[FileEntry, ...] = ()
    removes: tuple[FileEntry, ...] = ()

    def to_json(self) -> bytes:
        return json.dumps(dataclasses.asdict(self), indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "CommitRecord":
        return cls.from_dict(json.loads(data))

    @classmethod
    def from_dict(cls, raw: dict) -> "CommitRecord":
        return cls(**{**raw, "adds": tuple(FileEntry(**a) for a in raw["adds"]),
                      "removes": tuple(FileEntry(**r) for r in raw["removes"])})

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def _marker(output: str, commit_id: str, state: str) -> str:
    return layout.log_path(output, f"{commit_id}.{state}")


def read_record(output: str, commit_id: str) -> CommitRecord | None:
    path = layout.log_path(output, f"{commit_id}.json")
    return CommitRecord.from_json(fs.read_bytes(path)) if fs.exists(path) else None


def _mark(output: str, commit_id: str, state: str) -> None:
    # The time, not zero bytes: Beam's S3 client cannot upload an empty object.
    fs.write_atomically(_marker(output, commit_id, state), now_iso().encode())


def write_record(output: str, record: CommitRecord) -> None:
    """The commit point: after this, the change happens whatever crashes. Only by the
    lock's holder, once the files it names are on the disk with their folders."""
    lock.check_held(output)
    fs.sync_folders([fs.join(output, e.staged) for e in record.adds if e.staged], output)
    fs.ensure_dir(layout.log_dir(output))
    fs.write_atomically(layout.log_path(output, f"{record.commit_id}.json"), record.to_json())
    faults.reached("record_written")


def apply(output: str, record: CommitRecord) -> None:
    """Roll a committed record forward: move its staged files into place, delete the state
    files it replaces, and mark it applied. Safe to repeat after a crash at any point.

    A file in neither place (its staged copy deleted by hand, or by a writer that broke
    the lock) is skipped with a warning: the record is applied without it, and the file
    is reported missing (``store.integrity``) until ``newsbeam verify --repair``."""
    lock.check_held(output)
    moved = []
    for entry in record.adds:
        final = fs.join(output, entry.final)
        if entry.staged and not fs.exists(final):
            staged = fs.join(output, entry.staged)
            if not fs.exists(staged):
                logger.warning("commit %s: %s is neither staged nor in place",
                               record.commit_id, entry.final)
                continue
            fs.ensure_dir(final.rsplit("/", 1)[0])
            fs.rename(staged, final)
            moved.append(final)
            if len(moved) == 1:
                faults.reached("first_rename")
    fs.sync_folders(moved, output)  # the moves reach the disk before the record is marked
    faults.reached("renamed")
    # Runs read state files by listing them: replaced ones go now (runs hold the lock, so
    # none is reading). Replaced dataset files wait for ``vacuum``: readers may hold them.
    replaced = [fs.join(output, e.final) for e in record.removes if e.table in STATE_TABLES]
    fs.delete_all(replaced)
    fs.sync_folders(replaced, output)
    _mark(output, record.commit_id, "applied")
    faults.reached("compact_applied" if record.kind == "compact" else "applied")


def vacuum(output: str, record: CommitRecord) -> None:
    """Delete the dataset files a compaction replaced (after its grace period)."""
    fs.delete_all([fs.join(output, e.final) for e in record.removes])
    _mark(output, record.commit_id, "vacuumed")


@dataclasses.dataclass
class LogState:
    records: list[CommitRecord]
    applied: set[str]
    vacuumed: set[str]
    folded: set[str] = dataclasses.field(default_factory=set)  # read from a checkpoint
    # Log files (names under _log/) that do not parse -> why: left out of ``records``.
    damaged: dict[str, str] = dataclasses.field(default_factory=dict)

    def pending(self) -> list[CommitRecord]:
        return [r for r in self.records if r.commit_id not in self.applied]

    def unvacuumed(self) -> list[CommitRecord]:
        return [r for r in self.records if replaces_datasets(r) and r.commit_id in self.applied
                and r.commit_id not in self.vacuumed]


def replaces_datasets(record: CommitRecord) -> bool:
    """Whether the record removes dataset files (which wait for ``vacuum``; the state
    files it removes go when it is applied)."""
    return any(e.table not in STATE_TABLES for e in record.removes)


def read_log(output: str) -> LogState:
    """Every commit record and its state: the checkpoints', then the files beside them (a
    record both folded and still present after a crash counts once).

    Readers do not hold the lock: a compaction may fold and delete files this one listed.
    A file that vanished was folded into a newer checkpoint, so the log is read again.
    A record file that does not parse (torn by a disk that lost its tail) is left out and
    named in ``damaged``: recovery drops it if it never applied (``store.integrity``)."""
    for _ in range(4):
        try:
            return _read_log_once(output)
        except OSError:  # FileNotFoundError locally, BeamIOError (an IOError) elsewhere
            continue
    return _read_log_once(output)


def _read_log_once(output: str) -> LogState:
    names = [p.rsplit("/", 1)[1] for p in fs.match_paths(layout.log_path(output, "*"))]
    base = _read_checkpoint(output, names)
    records = {r.commit_id: r for r in base.records}
    for name in names:
        if name.endswith(".json") and name[:-len(".json")] not in records:
            try:
                record = CommitRecord.from_json(fs.read_bytes(layout.log_path(output, name)))
            except UNREADABLE as err:
                base.damaged[name] = _why(err)
                continue
            records[record.commit_id] = record
    marked = {state: {n.rsplit(".", 1)[0] for n in names if n.endswith("." + state)}
              for state in ("applied", "vacuumed")}
    return LogState(sorted(records.values(), key=lambda r: (r.created_at, r.commit_id)),
                    base.applied | marked["applied"], base.vacuumed | marked["vacuumed"],
                    base.folded, base.damaged)


def _why(err: Exception) -> str:
    return f"does not parse ({type(err).__name__}: {' '.join(str(err).split())[:120]})"


# --- checkpoints: finished records folded into one file ------------------------------------
#
# Every run reads the whole log, so without folding its start-up grows with the number of
# commits ever made (one read per record, and on an object store one request each).
# ``checkpoint`` (run by compaction, under the lock) writes ``_log/<commit_id>.checkpoint``
# holding every finished record (applied, and vacuumed if it replaced files) with the
# previous checkpoint's, then deletes the files it folded. Written whole before anything is
# deleted, so a crash between leaves records in both places, read once.

def _read_checkpoint(output: str, names: list[str]) -> LogState:
    """The checkpoints' records (one file but after a crash between writing a new one and
    deleting the old: their union, since a record once finished stays so)."""
    folded = LogState([], set(), set())
    for name in sorted(n for n in names if n.endswith(".checkpoint")):
        try:
            raw = json.loads(fs.read_bytes(layout.log_path(output, name)))
            records = [CommitRecord.from_dict(r) for r in raw["records"]
                       if r["commit_id"] not in folded.folded]
        except UNREADABLE as err:
            folded.damaged[name] = _why(err)
            continue
        folded.records += records
        folded.folded = {r.commit_id for r in folded.records}
        folded.applied |= set(raw["applied"])
        folded.vacuumed |= set(raw["vacuumed"])
    return folded


def checkpoint(output: str, name: str, state: LogState | None = None) -> int:
    """Fold every finished record into ``_log/<name>.checkpoint``; returns how many records
    the log holds as separate files no more."""
    state = state or read_log(output)
    finished = [r for r in state.records if r.commit_id in state.applied
                and (not replaces_datasets(r) or r.commit_id in state.vacuumed)]
    ids = {r.commit_id for r in finished}
    if not ids - state.folded:
        return 0  # nothing new: leave the checkpoint as it is
    payload = {"records": [dataclasses.asdict(r) for r in finished],
               "applied": sorted(ids), "vacuumed": sorted(ids & state.vacuumed)}
    fs.write_atomically(layout.log_path(output, f"{name}.checkpoint"),
                        json.dumps(payload, separators=(",", ":")).encode())
    names = [p.rsplit("/", 1)[1] for p in fs.match_paths(layout.log_path(output, "*"))]
    folded = [n for n in names if n.rsplit(".", 1)[0] in ids
              and n.rsplit(".", 1)[1] in ("json", "applied", "vacuumed")]
    older = [n for n in names if n.endswith(".checkpoint") and n != f"{name}.checkpoint"]
    fs.delete_all([layout.log_path(output, n) for n in folded + older])
    return len({n.rsplit(".", 1)[0] for n in folded})


def live_entries(log: LogState) -> list[FileEntry]:
    """The entries of every file in the newest snapshot: added by applied records and not
    removed by an applied one."""
    removed = {e.final for r in log.records if r.commit_id in log.applied for e in r.removes}
    return [entry for record in log.records if record.commit_id in log.applied
            for entry in record.adds if entry.final not in removed]


def live_files(output: str, log: LogState | None = None,
               leave_out: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Table -> the absolute paths of its files in the newest snapshot (but those in
    ``leave_out``, relative paths of damaged files)."""
    live: dict[str, list[str]] = {}
    for entry in live_entries(log or read_log(output)):
        if entry.final not in leave_out:
            live.setdefault(entry.table, []).append(fs.join(output, entry.final))
    return {table: sorted(paths) for table, paths in live.items()}


RUN_KINDS = ("run", "chunk")  # records that add a run's rows


def committed_runs(log: LogState) -> set[str]:
    """Runs that made their commit ("run" kind: a chunked run's chunks do not count)."""
    return {r.run_id for r in log.records if r.kind == "run"}


def staging_runs(output: str) -> Iterable[str]:
    """Run ids that have files under ``_staging/``."""
    prefix = fs.join(output, layout.STAGING_DIR) + "/"
    return {p[len(prefix):].split("/", 1)[0]
            for p in fs.match_paths(fs.join(output, layout.STAGING_DIR, "**"))}
