"""Reading an output as newsbeam sees it: a snapshot of committed data, as DuckDB views.

``connect`` opens an in-memory DuckDB with one view per dataset over the files of the newest
snapshot (``store.log.live_files``: committed and applied; never a half-committed run's or
a file a compaction replaced) and a ``runs`` view over the run manifests. Files of every
schema version are read together by column name.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import duckdb
import pyarrow as pa

from newsbeam.schemas.tables import DATASETS
from newsbeam.store import fs, integrity, layout
from newsbeam.store.log import live_files, read_log

UTC = pa.timestamp("us", tz="UTC")
RUN_COLUMNS = pa.schema([
    ("run_id", pa.string()), ("kind", pa.string()), ("status", pa.string()),
    ("started_at", UTC), ("finished_at", UTC), ("wall_seconds", pa.float64()),
    ("inputs", pa.int64()), ("articles", pa.int64()), ("duplicates", pa.int64()),
    ("rejects", pa.int64()), ("failed_sources", pa.list_(pa.string())), ("error", pa.string()),
])
SOURCE_HEALTH_COLUMNS = pa.schema([
    ("source", pa.string()), ("failing", pa.bool_()), ("last_success", UTC),
    ("last_failure", UTC), ("runs", pa.int64()), ("failed_runs", pa.int64()),
])


def run_manifests(output: str) -> list[dict]:
    manifests = []
    for path in fs.match_paths(fs.join(layout.runs_dir(output), "*.json")):
        try:
            manifests.append(json.loads(fs.read_bytes(path)))
        except ValueError:  # a manifest is written atomically; a stray file is not one
            continue
    return sorted(manifests, key=lambda m: m.get("run_id", ""))


def _timestamp(text) -> datetime | None:
    """An ISO-8601 time of a manifest as a UTC datetime (None when absent or unreadable)."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def runs_table(output: str, manifests: list[dict] | None = None) -> pa.Table:
    """One row per run manifest; times are timestamps, not text."""
    rows = [{"run_id": m.get("run_id"), "kind": m.get("kind", "run"), "status": m.get("status"),
             "started_at": _timestamp(m.get("started_at")),
             "finished_at": _timestamp(m.get("finished_at")),
             "wall_seconds": m.get("wall_seconds"), "error": m.get("error"),
             "failed_sources": m.get("failed_sources") or [],
             **{k: (m.get("counts") or {}).get(k) for k in
                ("inputs", "articles", "duplicates", "rejects")}}
            for m in (run_manifests(output) if manifests is None else manifests)]
    return pa.Table.from_pylist(rows, schema=RUN_COLUMNS)


def source_health(manifests: list[dict]) -> pa.Table:
    """Per source, from the committed runs that read it: when it last delivered, when it
    last failed entirely (``failed_sources``), and whether its latest run failed it."""
    health: dict[str, dict] = {}
    for m in sorted(manifests, key=lambda m: m.get("finished_at") or ""):
        failed = set(m.get("failed_sources") or [])
        when = _timestamp(m.get("finished_at"))
        for source in sorted(set(m.get("sources") or {}) | failed):
            row = health.setdefault(source, {"source": source, "failing": False,
                                             "last_success": None, "last_failure": None,
                                             "runs": 0, "failed_runs": 0})
            row["runs"] += 1
            row["failing"] = source in failed
            row["failed_runs"] += row["failing"]
            row["last_failure" if row["failing"] else "last_success"] = when
    return pa.Table.from_pylist(sorted(health.values(), key=lambda r: r["source"]),
                                schema=SOURCE_HEALTH_COLUMNS)


def output_problem(output: str) -> str | None:
    """Why ``output`` is not a newsbeam output (a typo: no such folder; a folder no run
    wrote), or None."""
    local = "://" not in output
    if not (os.path.isdir(output) if local else fs.dir_exists(output)):
        return "no such folder"
    if not (fs.dir_exists(layout.log_dir(output)) or fs.dir_exists(layout.runs_dir(output))):
        return "no _log/ or _runs/ in it"
    return None


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def connect(output: str, problems: list | None = None) -> duckdb.DuckDBPyConnection:
    """DuckDB with views ``articles``, ``duplicates``, ``rejects`` and ``runs``; what is
    damaged is left out and added to ``problems`` (``integrity.Problem``)."""
    if fs.unsupported(output) or "://" in output:
        raise ValueError(f"newsbeam query reads local outputs only ({output})")
    con = duckdb.connect()
    state = read_log(output)
    # Datasets only: a compaction applied meanwhile may have deleted state files this
    # reader's (older) log still names, and readers never read state.
    found = integrity.quick_problems(output, state, frozenset(DATASETS))
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
    manifests = run_manifests(output)
    con.register("_runs_table", runs_table(output, manifests))
    con.execute("CREATE VIEW runs AS SELECT * FROM _runs_table")
    con.register("_source_health_table", source_health(manifests))
    con.execute("CREATE VIEW source_health AS SELECT * FROM _source_health_table")
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
    "source health": """
        SELECT source, failing, last_success, last_failure, runs, failed_runs
        FROM source_health ORDER BY failing DESC, source""",
    "last runs": """
        SELECT run_id, status, finished_at, round(wall_seconds, 1) AS seconds, inputs,
               articles, duplicates, rejects, failed_sources
        FROM runs ORDER BY run_id DESC LIMIT 10""",
}
