"""The run manifest ``_runs/<run_id>.json``: what a run read, wrote, rejected and how long it took.

Counts of written rows come from the committed Parquet files themselves (their footers and
the small reason columns), not from metrics, so the manifest states what is on disk.
"""
from __future__ import annotations

import collections
import json
from datetime import datetime, timezone
from typing import Any

import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsbeam import __version__
from newsbeam.schemas.article import DATASETS, PARTITION_COLUMN, SCHEMA_VERSION
from newsbeam.transforms.sinks import ensure_dir

RUNS_DIR = "_runs"


def run_files(output: str, dataset: str, run_id: str) -> list[str]:
    pattern = FileSystems.join(output, dataset, f"{PARTITION_COLUMN}=*", f"{run_id}-*.parquet")
    return sorted(m.path for r in FileSystems.match([pattern]) for m in r.metadata_list)


def _open(path: str):
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


# The small columns the manifest breaks counts down by, per dataset.
_BREAKDOWN_COLUMNS = {"rejects": ["stage", "reason"], "duplicates": ["method"]}


def dataset_counts(output: str, run_id: str) -> dict[str, Any]:
    """Rows per dataset, rejects by stage:reason and duplicates by method, for one run."""
    rows = dict.fromkeys(DATASETS, 0)
    breakdown = {name: collections.Counter() for name in _BREAKDOWN_COLUMNS}
    files = {name: run_files(output, name, run_id) for name in DATASETS}
    for name, paths in files.items():
        for path in paths:
            with _open(path) as handle:
                if name in breakdown:
                    table = pq.read_table(handle, columns=_BREAKDOWN_COLUMNS[name])
                    breakdown[name].update(":".join(values) for values in zip(
                        *(table.column(c).to_pylist() for c in table.column_names)))
                    rows[name] += table.num_rows
                else:
                    rows[name] += pq.ParquetFile(handle).metadata.num_rows
    return {"rows": rows,
            "rejects_by_reason": dict(sorted(breakdown["rejects"].items())),
            "duplicates_by_method": dict(sorted(breakdown["duplicates"].items())),
            "files": {name: [p[len(output):].lstrip("/") for p in paths]
                      for name, paths in files.items()}}


def stage_metrics(result) -> dict[str, Any]:
    """Per-stage counters and summed time from a finished pipeline's metrics."""
    counters: dict[str, int] = {}
    timings: dict[str, float] = {}
    try:
        queried = result.metrics().query()
    except Exception:  # some runners do not report metrics; the manifest goes on without
        return {"counters": counters, "stage_seconds": timings}
    for counter in queried["counters"]:
        key = f"{counter.key.metric.namespace}:{counter.key.metric.name}"
        counters[key] = counters.get(key, 0) + (counter.committed or counter.attempted or 0)
    for dist in queried["distributions"]:
        stage = dist.key.metric.name.removesuffix("_micros")
        value = dist.committed or dist.attempted
        if stage != dist.key.metric.name and value:
            timings[stage] = round(timings.get(stage, 0) + value.sum / 1e6, 3)
    return {"counters": dict(sorted(counters.items())), "stage_seconds": timings}


def build_manifest(*, run_id: str, config, started_at: datetime, finished_at: datetime,
                   runner: str, beam_args: list[str], status: str, metrics: dict,
                   counts: dict | None, error: str | None = None) -> dict[str, Any]:
    wall = (finished_at - started_at).total_seconds()
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "status": status,
        "newsbeam_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "wall_seconds": round(wall, 3),
        "runner": runner,
        "beam_args": beam_args,
        "config_path": config.path,
        "config": config.raw,
        "output": config.output,
    }
    inputs = metrics["counters"].get("sources:inputs", 0)
    if counts is not None:
        rows = counts["rows"]
        manifest["counts"] = {"inputs": inputs, "articles": rows["articles"],
                              "duplicates": rows["duplicates"], "rejects": rows["rejects"]}
        manifest["balanced"] = inputs == rows["articles"] + rows["duplicates"] + rows["rejects"]
        manifest["articles_per_second"] = round(rows["articles"] / wall, 2) if wall else None
        manifest["rejects_by_reason"] = counts["rejects_by_reason"]
        manifest["duplicates_by_method"] = counts["duplicates_by_method"]
        manifest["files"] = counts["files"]
    manifest["stage_seconds"] = metrics["stage_seconds"]
    manifest["metrics"] = metrics["counters"]
    if error:
        manifest["error"] = error
    return manifest


def write_manifest(output: str, manifest: dict) -> str:
    """Write ``_runs/<run_id>.json`` atomically (temp file, then rename)."""
    folder = FileSystems.join(output, RUNS_DIR)
    ensure_dir(folder)
    final = FileSystems.join(folder, f"{manifest['run_id']}.json")
    temp = final + ".tmp"
    with FileSystems.create(temp, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.write(json.dumps(manifest, indent=2, sort_keys=False, default=str).encode())
    FileSystems.rename([temp], [final])
    return final


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
