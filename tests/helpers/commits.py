"""Runs committed straight through the store API: rows written as staged Parquet files and
committed as one record, as ``transforms/sinks.py`` does, without a pipeline. Builds outputs with
many earlier runs in seconds (tests of the store, bench/store_bench.py)."""
from __future__ import annotations

from datetime import date

from newsbeam.schemas.tables import DATASETS, STATE_TABLES
from newsbeam.store import layout
from newsbeam.store.commit import StagedFile, commit, drop_staging, staged_file
from newsbeam.store.manifest import write_manifest
from newsbeam.store.parquet import write_parquet


def commit_run(output: str, run_id: str, day: date, tables: dict[str, list[dict]],
               manifest: bool = True, commit_id: str | None = None) -> None:
    """Commit ``tables`` ({dataset or state table: rows}) as the run ``run_id`` of ``day``
    (``commit_id``: one of its commits, e.g. a stream's window; default the run's only);
    dataset rows get their ``ingest_date``. With ``manifest``, a minimal run manifest."""
    commit_id = commit_id or run_id
    staged = []
    for name, rows in tables.items():
        if name in STATE_TABLES:
            schema, final_dir = STATE_TABLES[name], layout.state_dir(output, name)
        else:
            schema = DATASETS[name]
            final_dir = layout.partition_dir(output, name, day.isoformat())
            rows = [{**row, "ingest_date": day} for row in rows]
        staged_path, final_path = staged_file(output, run_id, name, final_dir)
        staged.append(StagedFile(name, staged_path, final_path,
                                 write_parquet(staged_path, schema, rows)))
    commit(output, commit_id, run_id, staged)
    drop_staging(output, run_id)  # as a run does: no empty folders left behind
    if manifest:
        write_manifest(output, {"run_id": commit_id, "status": "succeeded",
                                "counts": {n: len(tables.get(n, [])) for n in DATASETS}})
