"""Compaction: a day's small files rewritten into few large sorted ones, state tables folded
into one file each (with retention), all as one commit.

The new files are staged, then one ``compact`` commit record adds them and removes the files
they replace (``store.log``). Replaced state files go at once (runs, their only readers, are
locked out); replaced dataset files stay readable for ``grace_seconds`` after the commit, so
a reader that listed them before it never fails, and are then deleted. Row counts are
checked before anything is committed. The lifecycle around it (the lock, recovery, the
grace period) is ``modes/compact.py``.
"""
from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pyarrow as pa

from newsbeam.schemas.tables import (
    DATASETS, DEDUP_INDEX, FILES, LISTINGS, MESSAGES, PENDING, SEEN, STATE_TABLES)
from newsbeam.store import faults, fs, layout, log
from newsbeam.store.parquet import read_table, write_table

DEFAULT_GRACE_SECONDS = 60.0
DEFAULT_TARGET_BYTES = 128 * 1024 * 1024
# Rows in a compacted file are sorted so readers skip row groups by these columns.
SORT_KEYS = {"articles": ["published_at", "article_id"], "duplicates": ["duplicate_of", "article_id"],
             "rejects": ["rejected_at", "input"]}
# Per state table: the key a newer row replaces an older one on (None: keep every row).
# Pending rows (a stopped chunked run's) are kept whole: each is an input to settle.
NEWEST_BY = {LISTINGS: "url", FILES: "path", SEEN: "url", DEDUP_INDEX: None, PENDING: None,
             MESSAGES: "message_id"}
RETAINED = (SEEN, DEDUP_INDEX, MESSAGES)  # what retention_days ages out


class CompactionError(RuntimeError):
    pass


@dataclasses.dataclass
class Compaction:
    commit_id: str
    files_before: dict[str, int] = dataclasses.field(default_factory=dict)
    files_after: dict[str, int] = dataclasses.field(default_factory=dict)
    rows: dict[str, int] = dataclasses.field(default_factory=dict)
    expired: dict[str, int] = dataclasses.field(default_factory=dict)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table of any earlier schema version as ``schema`` (missing columns as nulls);
    a column this version does not know means newer files: refused."""
    unknown = [name for name in table.column_names if name not in schema.names]
    if unknown:
        raise CompactionError(f"files hold columns this newsbeam does not know ({unknown}): "
                              "written by a newer version; compact with that version")
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
               else pa.nulls(table.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _read_all(paths: list[str], schema: pa.Schema) -> pa.Table:
    tables = [conform(read_table(p), schema) for p in paths]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _run_time(run_id: str) -> datetime:
    return datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def fold_state(table: pa.Table, name: str, retention_days: float | None,
               now: datetime) -> tuple[pa.Table, int]:
    """One state table folded: the newest row per key, entries past retention dropped."""
    before = table.num_rows
    if retention_days is not None and name in RETAINED and table.num_rows:
        cutoff = now - timedelta(days=retention_days)
        keep = [_run_time(r) >= cutoff for r in table.column("run_id").to_pylist()]
        table = table.filter(pa.array(keep))
    key = NEWEST_BY[name]
    if key and table.num_rows:
        order = table.sort_by([("run_id", "descending")])
        first = {}
        for index, value in enumerate(order.column(key).to_pylist()):
            first.setdefault(value, index)
        table = order.take(sorted(first.values()))
    return table, before - table.num_rows


def _chunks(table: pa.Table, target_bytes: int) -> list[pa.Table]:
    if not table.num_rows:
        return [table]
    parts = max(1, -(-table.nbytes // target_bytes))
    size = -(-table.num_rows // parts)
    return [table.slice(i, size) for i in range(0, table.num_rows, size)]


def compaction_id(now: datetime) -> str:
    return f"compact-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def commit_compaction(output: str, done: Compaction, target_bytes: int,
                      retention_days: float | None, now: datetime) -> bool:
    """Stage, check and commit one compaction of ``output`` (its lock held, recovered:
    ``modes/compact.py``); False when there was nothing to rewrite."""
    commit_id = done.commit_id
    live = log.live_files(output)
    adds, removes = [], []

    def stage(table_name: str, final_dir: str, table: pa.Table):
        for part in _chunks(table, target_bytes):
            name = f"{commit_id}-{uuid.uuid4().hex[:12]}.parquet"
            staged = fs.join(layout.staging_dir(output, commit_id), table_name, name)
            rows, written = write_table(staged, part)
            adds.append(log.FileEntry(table_name, layout.relative(output, fs.join(final_dir, name)),
                                      layout.relative(output, staged), rows, written.size,
                                      written.sha256))
            done.files_after[table_name] = done.files_after.get(table_name, 0) + 1

    for name, schema in DATASETS.items():
        by_day = defaultdict(list)
        for path in live.get(name, []):
            by_day[path.rsplit("/", 2)[1]].append(path)
        for day, paths in sorted(by_day.items()):
            if len(paths) < 2:
                continue
            table = _read_all(paths, schema)
            table = table.sort_by([(k, "ascending") for k in SORT_KEYS[name]])
            stage(name, layout.partition_dir(output, name, day), table)
            removes += [log.FileEntry(name, layout.relative(output, p)) for p in paths]
            done.files_before[name] = done.files_before.get(name, 0) + len(paths)
            done.rows[name] = done.rows.get(name, 0) + table.num_rows
    for name, schema in STATE_TABLES.items():
        paths = live.get(name, [])
        if not paths or (len(paths) < 2 and retention_days is None):
            continue
        table, expired = fold_state(_read_all(paths, schema), name, retention_days, now)
        stage(name, layout.state_dir(output, name), table)
        removes += [log.FileEntry(name, layout.relative(output, p)) for p in paths]
        done.files_before[name] = len(paths)
        done.rows[name], done.expired[name] = table.num_rows, expired
    if not removes:  # no files to rewrite; the log may still have records to fold
        fs.delete_tree(layout.staging_dir(output, commit_id))
        log.checkpoint(output, commit_id)
        return False
    written = {n: sum(a.rows for a in adds if a.table == n) for n in DATASETS}
    for name in DATASETS:  # never commit a compaction that lost or invented a row
        if written[name] != done.rows.get(name, 0):
            raise CompactionError(f"{name}: {done.rows.get(name, 0)} rows read but "
                                  f"{written[name]} written; nothing committed")
    record = log.CommitRecord(commit_id, "compact", commit_id, log.now_iso(),
                              tuple(adds), tuple(removes))
    log.write_record(output, record)
    faults.reached("compact_written")
    log.apply(output, record)
    fs.delete_tree(layout.staging_dir(output, commit_id))
    return True
