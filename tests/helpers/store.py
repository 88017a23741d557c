"""Outputs built through the store API alone (no pipeline): staged files, committed or not."""
from __future__ import annotations

import pathlib
import sys
from datetime import date, datetime, timezone

from newsbeam.schemas.tables import REJECT_SCHEMA, SCHEMA_VERSION
from newsbeam.store import commit, layout
from newsbeam.store.parquet import write_parquet

DAY = date(2026, 1, 2)


def reject_rows(run_id: str, n: int, day: date = DAY) -> list[dict]:
    return [{"input": f"/in/{run_id}/{i}", "source": "s", "stage": "read", "reason": "empty",
             "error": None, "rejected_at": datetime(2026, 1, 2, tzinfo=timezone.utc),
             "run_id": run_id, "schema_version": SCHEMA_VERSION, "ingest_date": day}
            for i in range(n)]


def stage_rejects(output: str, run_id: str, files: int = 2, rows: int = 3,
                  day: date = DAY) -> list[commit.StagedFile]:
    """``files`` staged rejects files of ``rows`` rows each, ready to commit."""
    staged_files = []
    for _ in range(files):
        staged, final = commit.staged_file(output, run_id, "rejects",
                                           layout.partition_dir(output, "rejects", day.isoformat()))
        write_parquet(staged, REJECT_SCHEMA, reject_rows(run_id, rows, day))
        staged_files.append(commit.StagedFile("rejects", staged, final, rows))
    return staged_files


def committed_run(output: str, run_id: str, files: int = 2, rows: int = 3) -> None:
    commit.commit(output, run_id, run_id, stage_rejects(output, run_id, files, rows))


def run_files(output: pathlib.Path) -> set[str]:
    return {str(p.relative_to(output)) for p in output.rglob("*.parquet")
            if not str(p.relative_to(output)).startswith("_")}


# A child process that stages and commits one run: killed at a step by NEWSBEAM_FAULT_AT.
CHILD = """
import sys
from tests.helpers.store import committed_run
committed_run(sys.argv[1], sys.argv[2])
"""


def commit_in_child_command(output: str, run_id: str) -> list[str]:
    return [sys.executable, "-c", CHILD, output, run_id]
