"""Compaction: fewer files, same rows, sorted; atomic; readers of the old snapshot never fail;
state folded with retention."""
from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsbeam.schemas.tables import FILES, SCHEMA_VERSION, SEEN, STATE_TABLES
from newsbeam.store import commit, fs, layout, log
from newsbeam.modes.compact import compact
from newsbeam.store.compact import CompactionError
from newsbeam.store.lock import Locked, acquire
from newsbeam.store.parquet import write_parquet
from newsbeam.store.recover import recover
from tests.helpers.store import committed_run, run_files


def rows_of(paths) -> list[dict]:
    return [row for p in paths for row in pq.read_table(p).to_pylist()]


def test_small_files_become_one_sorted_file_with_the_same_rows(tmp_path):
    output = str(tmp_path / "out")
    for run in ("r1", "r2", "r3"):
        committed_run(output, run, files=2, rows=4)
    before = sorted(rows_of(log.live_files(output)["rejects"]), key=lambda r: r["input"])
    done = compact(output, grace_seconds=0)
    (after_path,) = log.live_files(output)["rejects"]
    after = pq.read_table(after_path).to_pylist()
    assert done.files_before["rejects"] == 6 and done.files_after["rejects"] == 1
    assert sorted(after, key=lambda r: r["input"]) == before
    assert [r["input"] for r in after] == sorted(r["input"] for r in after)  # sort key ends on input
    assert run_files(tmp_path / "out") == {after_path[len(output) + 1:]}  # replaced files gone
    assert compact(output, grace_seconds=0).files_before == {}  # nothing left to do


def test_target_size_splits_a_large_day(tmp_path):
    output = str(tmp_path / "out")
    for run in ("r1", "r2"):
        committed_run(output, run, files=2, rows=500)
    compact(output, target_bytes=20_000, grace_seconds=0)
    files = log.live_files(output)["rejects"]
    assert len(files) > 1 and sum(pq.ParquetFile(p).metadata.num_rows for p in files) == 2000


def two_committed_runs(tmp_path) -> str:
    """An output holding two committed runs (two small files a day to compact)."""
    output = str(tmp_path / "out")
    for run in ("r1", "r2"):
        committed_run(output, run)
    return output


def compacting_in_background(output: str, grace_seconds: float) -> threading.Thread:
    """A compaction started in a thread, returned once it has committed (in its grace)."""
    worker = threading.Thread(target=compact, args=(output,),
                              kwargs={"grace_seconds": grace_seconds})
    worker.start()
    deadline = time.monotonic() + 60  # a compaction that never commits fails, not hangs
    while not any(r.kind == "compact" and r.commit_id in s.applied
                  for s in [log.read_log(output)] for r in s.records):
        assert time.monotonic() < deadline, "the compaction never committed"
    return worker


def test_a_reader_of_the_old_snapshot_can_still_read_during_the_grace_period(tmp_path):
    output = two_committed_runs(tmp_path)
    snapshot = log.live_files(output)["rejects"]
    worker = compacting_in_background(output, grace_seconds=1.5)
    assert len(rows_of(snapshot)) == 12  # the old files are still there to read
    assert len(rows_of(log.live_files(output)["rejects"])) == 12  # and so is the new one
    worker.join()
    assert not any(fs.exists(p) for p in snapshot)  # gone once the grace is over


def test_runs_are_not_locked_out_during_the_grace(tmp_path):
    output = two_committed_runs(tmp_path)
    snapshot = log.live_files(output)["rejects"]
    worker = compacting_in_background(output, grace_seconds=3.0)
    with contextlib.ExitStack() as held:
        # Applied, the compaction releases the output at once: a run gets it in its grace.
        deadline = time.monotonic() + 2.0
        while True:
            try:
                held.enter_context(acquire(output, "a scheduled run"))
                break
            except Locked:
                assert time.monotonic() < deadline, "a run was locked out during the grace"
                time.sleep(0.02)
        worker.join()  # its grace ends while the run holds the output: it deletes nothing
        assert all(fs.exists(p) for p in snapshot)
    recover(output, grace_seconds=3.0)  # the next writer's recovery deletes them
    assert not any(fs.exists(p) for p in snapshot)
    assert len(rows_of(log.live_files(output)["rejects"])) == 12


def test_a_compaction_killed_after_its_record_is_finished_by_recovery(tmp_path, monkeypatch):
    output = two_committed_runs(tmp_path)
    monkeypatch.setenv("NEWSBEAM_FAULT_AT", "compact_written")
    monkeypatch.setenv("NEWSBEAM_FAULT_MODE", "raise")
    with pytest.raises(Exception, match="injected fault"):
        compact(output, grace_seconds=0)
    monkeypatch.delenv("NEWSBEAM_FAULT_AT")
    assert len(log.live_files(output)["rejects"]) == 4  # not applied: the old snapshot
    recover(output, grace_seconds=0)
    (compacted,) = log.live_files(output)["rejects"]
    assert pq.ParquetFile(compacted).metadata.num_rows == 12
    assert len(run_files(tmp_path / "out")) == 1


def commit_state(output: str, run_id: str, table: str, rows: list[dict]) -> None:
    staged, final = commit.staged_file(output, run_id, table, layout.state_dir(output, table))
    write_parquet(staged, STATE_TABLES[table], rows)
    commit.commit(output, f"{run_id}-{table}", run_id,
                  [commit.StagedFile(table, staged, final, len(rows))])


def run_id_days_ago(days: int, now: datetime) -> str:
    return f"{now - timedelta(days=days):%Y%m%dT%H%M%SZ}-0000000{days}"


def test_state_is_folded_and_old_seen_urls_expire(tmp_path):
    output, now = str(tmp_path / "out"), datetime.now(timezone.utc)
    old, new = run_id_days_ago(40, now), run_id_days_ago(1, now)
    commit_state(output, old, SEEN, [{"url": "https://a/old", "run_id": old},
                                     {"url": "https://a/both", "run_id": old}])
    commit_state(output, new, SEEN, [{"url": "https://a/both", "run_id": new}])
    commit_state(output, old, FILES, [{"path": "/in/a", "size": 1, "mtime": 1.0,
                                       "sha256": "x", "run_id": old}])
    commit_state(output, new, FILES, [{"path": "/in/a", "size": 2, "mtime": 2.0,
                                       "sha256": "y", "run_id": new}])
    done = compact(output, grace_seconds=0, retention_days=30, now=now)
    (seen,) = log.live_files(output)[SEEN]
    assert pq.read_table(seen).to_pylist() == [{"url": "https://a/both", "run_id": new}]
    (files,) = log.live_files(output)[FILES]
    assert [r["size"] for r in pq.read_table(files).to_pylist()] == [2]  # newest per path
    assert done.expired[SEEN] == 2
    assert fs.match_paths(fs.join(layout.state_dir(output, SEEN), "*.parquet")) == [seen]


def test_files_of_a_newer_schema_are_not_compacted_by_an_older_version(tmp_path):
    output = str(tmp_path / "out")
    committed_run(output, "r1")
    staged, final = commit.staged_file(output, "r2", "rejects",
                                       layout.partition_dir(output, "rejects", "2026-01-02"))
    table = pq.read_table(log.live_files(output)["rejects"][0])
    newer = table.append_column("sentiment", pa.array([0.5] * table.num_rows))
    from newsbeam.store.parquet import write_table
    write_table(staged, newer)
    commit.commit(output, "r2", "r2", [commit.StagedFile("rejects", staged, final, 3)])
    with pytest.raises(CompactionError, match="newer version"):
        compact(output, grace_seconds=0)
    assert len(log.live_files(output)["rejects"]) == 3  # nothing committed
    assert SCHEMA_VERSION == 3
