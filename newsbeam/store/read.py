"""Reading an output as newsbeam sees it: a snapshot of committed data, as DuckDB views.

``connect`` opens an in-memory DuckDB with one view per dataset over the files of the newest
snapshot (``store.log.live_files``: committed and applied; never a half-committed run's or
a file a compaction replaced) and a ``runs`` view over the run manifests. Files of every
schema version are read together by column name.
"""
from __future__ import annotations

import json

import duckdb
import pyarrow as pa

from newsbeam.schemas.tables import DATASETS
from newsbeam.store import fs, integrity, layout
from newsbeam.store.log import live_files, read_log

RUN_COLUMNS = pa.schema([
    ("run_id", pa.string()), ("status", pa.string()), ("started_at", pa.string()),
    ("finished_at", pa.string()), ("wall_seconds", pa.float64()), ("inputs", pa.int64()),
    ("articles", pa.int64()), ("duplicates", pa.int64()), ("rejects", pa.int64()),
    ("error", pa.string()),
])


def run_manifests(output: str) -> list[dict]:
    manifests = []
    for path in fs.match_paths(fs.join(layout.runs_dir(output), "*.json")):
        try:
            manifests.append(json.loads(fs.read_bytes(path)))
        except ValueError:  # a manifest is written atomically; a stray file is not one
            continue
    return sorted(manifests, key=lambda m: m.get("run_id", ""))


def runs_table(output: str) -> pa.Table:
    rows = [{"run_id": m.get("run_id"), "status": m.get("status"),
             "started_at": m.get("started_at"), "finished_at": m.get("finished_at"),
             "wall_seconds": m.get("wall_seconds"), "error": m.get("error"),
             **{k: (m.get("counts") or {}).get(k) for k in
                ("inputs", "articles", "duplicates", "rejects")}}
            for m in run_manifests(output)]
    return pa.Table.from_pylist(rows, schema=RUN_COLUMNS)


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def connect(output: str, problems: list | None = None) -> duckdb.DuckDBPyConnection:
    """DuckDB with views ``articles``, ``duplicates``, ``rejects`` and ``runs``; what is
    damaged is left out and added to ``problems`` (``integrity.Problem``)."""
    if fs.unsupported(output) or "://" in output:
        raise ValueError(f"newsbeam query reads local outputs only ({output})")
    con = duckdb.connect()
    state = read_log(output)
    found = integrity.quick_problems(output, state)
    if problems is not None:
        problems += found
    live = live_files(output, state, frozenset(p.path for p in found))
    for name, schema in DATASETS.items():
        paths = live.get(name, [])
        if paths:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet("
                        f"{_sql_list(paths)}, union_by_name = true, hive_partitioning = false)")
        else:  # no committed file yet: an empty view with the dataset's columns
            con.register(f"_{name}_empty", schema.empty_table())
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}_empty")
    con.register("_runs_table", runs_table(output))
    con.execute("CREATE VIEW runs AS SELECT * FROM _runs_table")
    return con


STATS_QUERIES = {
    "articles per source and day": """
        SELECT source, ingest_date, count(*) AS articles FROM articles
        GROUP BY ALL ORDER BY ingest_date DESC, source LIMIT 30""",
    "duplicates": """
        SELECT (SELECT count(*) FROM articles) AS articles,
               (SELECT count(*) FROM duplicates) AS duplicates,
               round(100.0 * (SELECT count(*) FROM duplicates) / greatest(1,
                   (SELECT count(*) FROM articles) + (SELECT count(*) FROM duplicates)), 1)
                   AS duplicate_rate_pct""",
    "duplicates by method": """
        SELECT method, count(*) AS duplicates FROM duplicates GROUP BY ALL ORDER BY 2 DESC""",
    "rejects by reason": """
        SELECT stage, reason, count(*) AS rejects FROM rejects
        GROUP BY ALL ORDER BY 3 DESC LIMIT 30""",
    "last runs": """
        SELECT run_id, status, round(wall_seconds, 1) AS seconds, inputs, articles,
               duplicates, rejects FROM runs ORDER BY run_id DESC LIMIT 10""",
}
