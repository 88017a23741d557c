"""``newsbeam verify --repair``: damaged files moved aside, the store made whole again.

Run under the output's lock, after recovery (``modes.repair``): every file ``store.verify`` finds damaged (or that
no record names) is moved to ``_quarantine/<time>/``; then the state is made to agree with
the rows that are left, in one commit (kind ``repair``) that removes the damaged files from
the snapshot and replaces each changed state table with one file:

- ``files`` and ``seen`` forget the inputs that no longer have a row (the next run reads
  them again) and regain entries of inputs that have rows but lost their entry (a state
  file lost: those inputs would otherwise be read twice);
- ``dedup_index`` forgets the articles that are gone and regains the articles it lost
  (exact and URL matching; their near-dup signature is not rebuilt);
- ``listings`` only loses a damaged file (feeds are then fetched unconditionally once).

A run manifest that does not parse is quarantined and written again by recovery (a
``recovered`` one, from the run's commit records; none for runs compaction folded); a
``params.json`` of the dedup index that does not parse is quarantined, and the next run
records its config's near-dup parameters again.

Duplicates of a lost article keep naming it (``duplicate_of``) until the next run reads the
article's input again and writes it back under the same id.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import uuid
from datetime import datetime, timezone

import pyarrow as pa

from newsbeam.core.dedup.index import index_entry
from newsbeam.core.normalize.urls import canonicalize_url
from newsbeam.schemas.tables import DEDUP_INDEX, FILES, PENDING, SEEN, STATE_TABLES
from newsbeam.store import fs, integrity, layout, lock, log, verify
from newsbeam.store.compact import DEFAULT_GRACE_SECONDS, conform
from newsbeam.store.parquet import read_table, write_table
from newsbeam.store.recover import quarantine, recover


@dataclasses.dataclass
class Repair:
    problems: list[integrity.Problem]
    quarantined: list[str] = dataclasses.field(default_factory=list)  # relative paths
    forgotten: dict[str, int] = dataclasses.field(default_factory=dict)  # table -> rows
    restored: dict[str, int] = dataclasses.field(default_factory=dict)   # table -> rows
    remaining: list[integrity.Problem] = dataclasses.field(default_factory=list)
    commit_id: str | None = None


def make_whole(output: str) -> Repair:
    """Quarantine what ``verify`` finds and commit the state that agrees with what is left
    (the caller holds the lock and has recovered)."""
    lock.check_held(output)  # files are moved below: only by the lock's holder
    state = log.read_log(output)
    done = Repair(verify.find_problems(output, state))
    damaged = {p.path for p in done.problems if p.path != "duplicates"}
    if damaged:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        for path in sorted(damaged):
            if fs.exists(fs.join(output, path)):
                quarantine(output, path, stamp)
                done.quarantined.append(path)
        _commit(output, done, log.read_log(output), damaged, stamp)
    recover(output, DEFAULT_GRACE_SECONDS)  # lost manifests, now that every file reads
    done.remaining = verify.find_problems(output)
    return done


def _state_rows(paths: list[str], table: str) -> list[dict]:
    return [row for p in paths for row in conform(read_table(p), STATE_TABLES[table]).to_pylist()]


def _dataset_rows(paths: list[str], columns: list[str]) -> list[dict]:
    return [row for p in paths for row in read_table(p, columns).to_pylist()]


_INDEXED = ["article_id", "published_at", "canonical_url", "content_hash", "run_id", "input"]


def _archive(input_name: str) -> str:
    """The file an input was read from: a WARC record's input is ``<archive>#<offset>``."""
    head, _, tail = input_name.rpartition("#")
    return head if head and tail.isdigit() else input_name


def _file_row(input_name: str, run_id: str) -> dict | None:
    """A ``files`` entry for a local file that has rows but lost its entry."""
    path = _archive(input_name)
    if "://" in path or not os.path.isfile(path):
        return None
    info = os.stat(path)
    digest = None
    if path == input_name:  # archives are recorded without a hash (never read whole)
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {"path": path, "size": info.st_size, "mtime": info.st_mtime, "sha256": digest,
            "run_id": run_id}


def whole_state(live: dict[str, list[str]],
                lost_files: set[str]) -> dict[str, tuple[list[dict], int, int]]:
    """Table -> (its rows agreeing with the datasets, rows forgotten, rows restored).
    Entries are restored only in tables that lost a file (``lost_files``): elsewhere a
    missing entry was dropped on purpose (retention)."""
    articles = _dataset_rows(live.get("articles", []), _INDEXED)
    ingested = articles + _dataset_rows(live.get("duplicates", []), ["input", "run_id"])
    # A chunked run's pending rows (extracted, not yet deduplicated) are inputs read too.
    everything = ingested + _dataset_rows(live.get("rejects", []) + live.get(PENDING, []),
                                          ["input", "run_id"])
    wanted = {
        DEDUP_INDEX: {a["article_id"]: a for a in articles},
        SEEN: {u: r for r in ingested if (u := canonicalize_url(r["input"]))},
        FILES: {_archive(r["input"]): r for r in everything},
    }
    rebuild = {DEDUP_INDEX: lambda key, a: index_entry(a, None),
               SEEN: lambda key, r: {"url": key, "run_id": r["run_id"]},
               FILES: lambda key, r: _file_row(r["input"], r["run_id"])}
    key_of = {DEDUP_INDEX: "article_id", SEEN: "url", FILES: "path"}
    result = {}
    for table in STATE_TABLES:
        rows = _state_rows(live.get(table, []), table)
        if table not in wanted:
            result[table] = (rows, 0, 0)
            continue
        kept = [r for r in rows if r[key_of[table]] in wanted[table]]
        have = {r[key_of[table]] for r in kept}
        lost = any(verify.table_of(p) == table and p.endswith(".parquet") for p in lost_files)
        added = [row for key, source in wanted[table].items() if lost and key not in have
                 and (row := rebuild[table](key, source)) is not None]
        result[table] = (kept + added, len(rows) - len(kept), len(added))
    return result


def _commit(output: str, done: Repair, state: log.LogState, damaged: set[str],
            stamp: str) -> None:
    """One ``repair`` record: the damaged files out of the snapshot, changed state tables
    replaced by one file each."""
    commit_id = f"repair-{stamp}-{uuid.uuid4().hex[:8]}"
    live = log.live_files(output, state, frozenset(damaged))
    stored = integrity.stored_sizes(output)
    # Only stored tables' files leave the snapshot (records, manifests are not in it).
    adds, removes = [], [log.FileEntry(verify.table_of(p), p) for p in sorted(damaged)
                         if p.endswith(".parquet")]
    for table, (rows, forgotten, restored) in whole_state(live, damaged).items():
        files = [p for p in stored if verify.table_of(p) == table
                 and p.startswith(layout.STATE_DIR + "/")]
        if not (forgotten or restored or any(p in damaged for p in files)):
            continue
        done.forgotten[table], done.restored[table] = forgotten, restored
        name = f"{commit_id}.parquet"
        staged = fs.join(layout.staging_dir(output, commit_id), table, name)
        count, written = write_table(staged, pa.Table.from_pylist(rows, STATE_TABLES[table]))
        adds.append(log.FileEntry(table, layout.relative(output, fs.join(
            layout.state_dir(output, table), name)), layout.relative(output, staged), count,
            written.size, written.sha256))
        removes += [log.FileEntry(table, p) for p in files if p not in damaged]
    record = log.CommitRecord(commit_id, "repair", commit_id, log.now_iso(), tuple(adds),
                              tuple(removes))
    log.write_record(output, record)
    log.apply(output, record)
    fs.delete_tree(layout.staging_dir(output, commit_id))
    done.commit_id = commit_id
