"""The run manifest ``_runs/<run_id>.json``: what a run read, wrote, rejected and how long it took
(its fields: ``schemas/manifest.py``).

Counts of written rows come from the run's committed files (listed by its commit records;
read from their footers and small reason columns), not from metrics, so the manifest states
what is on disk. The manifest is part of the run's commit: a run killed after its commit
record but before its manifest gets a ``recovered`` manifest from the next writer.
"""
from __future__ import annotations

import collections
import json
import re
from datetime import datetime
from typing import Any

from newsbeam import __version__
from newsbeam.schemas.manifest import KILLED_STREAM, RECOVERED_RUN, RUN, STOPPED_RUN
from newsbeam.schemas.tables import DATASETS, SCHEMA_VERSION
from newsbeam.store import fs, layout
from newsbeam.store.log import RUN_KINDS, CommitRecord, LogState, read_log
from newsbeam.store.parquet import read_table


def run_files(output: str, dataset: str, run_id: str, log: LogState | None = None) -> list[str]:
    """The files of ``dataset`` the run's commits (and its chunks' commits) added (but
    those a repair moved aside)."""
    log = log or read_log(output)
    lost = {e.final for r in log.records if r.kind == "repair" and r.commit_id in log.applied
            for e in r.removes}
    return sorted(fs.join(output, e.final) for r in log.records
                  if r.run_id == run_id and r.kind in RUN_KINDS and r.commit_id in log.applied
                  for e in r.adds if e.table == dataset and e.final not in lost)


# The small columns the manifest breaks counts down by, per dataset.
_BREAKDOWN_COLUMNS = {"rejects": ["stage", "reason"], "duplicates": ["method"]}
# Rejects at these stages mean the input never arrived: a source whose every row is one of
# them failed entirely (a dead host, a feed that cannot be read).
UNREACHED_STAGES = ("discover", "fetch")


def dataset_counts(output: str, run_id: str) -> dict[str, Any]:
    """``files_counts`` of one run's committed files, and those files."""
    log = read_log(output)
    files = {name: run_files(output, name, run_id, log) for name in DATASETS}
    return {**files_counts(files),
            "files": {name: [layout.relative(output, p) for p in paths]
                      for name, paths in files.items()}}


def files_counts(files: dict[str, list[str]]) -> dict[str, Any]:
    """Rows per dataset, rejects by stage:reason, duplicates by method and rows per source
    of the given files (paths by dataset)."""
    rows = dict.fromkeys(DATASETS, 0)
    breakdown = {name: collections.Counter() for name in _BREAKDOWN_COLUMNS}
    by_source: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for name, paths in files.items():
        for path in paths:
            columns = _BREAKDOWN_COLUMNS.get(name, [])
            table = read_table(path, columns=["source", *columns])
            values = [table.column(c).to_pylist() for c in columns]
            for index, source in enumerate(table.column("source").to_pylist()):
                by_source[source][name] += 1
                if name == "rejects" and values[0][index] in UNREACHED_STAGES:
                    by_source[source]["unreached"] += 1
            if name in breakdown:
                breakdown[name].update(":".join(v) for v in zip(*values))
            rows[name] += table.num_rows
    return {"rows": rows,
            "rejects_by_reason": dict(sorted(breakdown["rejects"].items())),
            "duplicates_by_method": dict(sorted(breakdown["duplicates"].items())),
            "sources": {name: dict(counts) for name, counts in sorted(by_source.items())}}


# A run's status: ``failed`` committed nothing; a run that committed ``succeeded``, unless
# some source of it delivered nothing at all (``sources_failed``: its data is committed, but
# a scheduler must hear that a feed or site is down). cli/status.py maps them to exit codes.
SUCCEEDED, SOURCES_FAILED, FAILED = "succeeded", "sources_failed", "failed"


def committed_status(sources: dict[str, dict[str, int]]) -> str:
    """The status of a run that committed, from its rows per source."""
    return SOURCES_FAILED if failed_sources(sources) else SUCCEEDED


def failed_sources(sources: dict[str, dict[str, int]]) -> list[str]:
    """Sources every row of which is a reject at discover or fetch: none of their inputs
    could be fetched (a source with no inputs at all, e.g. a feed not modified, is fine)."""
    return [name for name, counts in sorted(sources.items())
            if counts.get("unreached", 0) and counts["unreached"] == sum(
                counts.get(dataset, 0) for dataset in DATASETS)]


def build_manifest(*, run_id: str, config, started_at: datetime, finished_at: datetime,
                   runner: str, beam_args: list[str], status: str, metrics: dict,
                   counts: dict | None, error: str | None = None,
                   reason: str | None = None, warning: str | None = None,
                   reprocess: bool = False, chunks: dict | None = None) -> dict[str, Any]:
    """A batch run's manifest (``schemas.manifest.RUN``); ``counts``: ``dataset_counts``,
    None when the run committed nothing. A ``succeeded`` run some source of which
    delivered nothing is recorded as ``sources_failed``."""
    wall = (finished_at - started_at).total_seconds()
    inputs = metrics["counters"].get("sources:inputs", 0)
    # Pending rows a stopped chunked run left, settled by this one: inputs of that run.
    resumed = metrics["counters"].get("chunks:resumed_rows", 0)
    counted = {}
    if counts is not None:
        rows = counts["rows"]
        if "sources:inputs" not in metrics["counters"]:
            # No counters came back (a job that failed after its commit point, e.g. on a
            # cluster): as in recovery, a committed run's inputs are its rows.
            inputs = rows["articles"] + rows["duplicates"] + rows["rejects"]
        counted = {
            "counts": {"inputs": inputs, "articles": rows["articles"],
                       "duplicates": rows["duplicates"], "rejects": rows["rejects"],
                       **({"resumed": resumed} if resumed else {})},
            "balanced": inputs + resumed == rows["articles"] + rows["duplicates"]
            + rows["rejects"],
            "articles_per_second": round(rows["articles"] / wall, 2) if wall else None,
            "rejects_by_reason": counts["rejects_by_reason"],
            "duplicates_by_method": counts["duplicates_by_method"],
            "sources": counts["sources"],
            "failed_sources": failed_sources(counts["sources"]),
            "files": counts["files"]}
    if counts is not None and status == SUCCEEDED:
        status = committed_status(counts["sources"])
    return RUN.build(
        run_id=run_id, status=status, newsbeam_version=__version__,
        schema_version=SCHEMA_VERSION, started_at=started_at.isoformat(),
        finished_at=finished_at.isoformat(), wall_seconds=round(wall, 3), runner=runner,
        beam_args=beam_args, config_path=config.path, config=config.raw, output=config.output,
        **counted, stage_seconds=metrics["stage_seconds"], metrics=metrics["counters"],
        # why a failed run failed: "interrupted" (a signal) or "error"
        error=error or None, reason=reason or None, warning=warning, reprocess=reprocess,
        chunks=chunks)


def write_manifest(output: str, manifest: dict) -> str:
    """Write ``_runs/<run_id>.json`` atomically (temp file, then rename)."""
    fs.ensure_dir(layout.runs_dir(output))
    final = layout.manifest_path(output, manifest["run_id"])
    fs.write_atomically(final, json.dumps(manifest, indent=2, default=str).encode())
    return final


def read_manifest(output: str, run_id: str) -> dict | None:
    """``_runs/<run_id>.json``, or None when there is none."""
    path = layout.manifest_path(output, run_id)
    return json.loads(fs.read_bytes(path)) if fs.match_paths(path) else None


# A stream window pane's commit id: <run id>-w<window start>-p<pane> (transforms/sinks.py).
_WINDOW_COMMIT = re.compile(r"-w\d{8}T\d{6}-p\d+")


def is_window_commit(record: CommitRecord) -> bool:
    tail = record.commit_id[len(record.run_id):]
    return record.commit_id.startswith(record.run_id) and bool(_WINDOW_COMMIT.fullmatch(tail))


def recovered_manifest(output: str, run_id: str, records: list[CommitRecord]) -> dict:
    """The manifest of a run that committed but died before writing its own: what its
    commit records say. A batch run's last commit holds all of it (inputs are its rows); a
    stream commits window by window, so one that died was killed: it says so and lists
    what it committed."""
    if any(is_window_commit(r) for r in records):
        return _killed_stream_manifest(output, run_id, records)
    counts = dataset_counts(output, run_id)
    rows = counts["rows"]
    return RECOVERED_RUN.build(
        run_id=run_id, status=committed_status(counts["sources"]), recovered=True,
        newsbeam_version=__version__, schema_version=SCHEMA_VERSION, started_at=None,
        finished_at=min(r.created_at for r in records), wall_seconds=None, output=output,
        counts={"inputs": sum(rows.values()), **rows}, balanced=True,
        rejects_by_reason=counts["rejects_by_reason"],
        duplicates_by_method=counts["duplicates_by_method"], files=counts["files"],
        sources=counts["sources"], failed_sources=failed_sources(counts["sources"]),
        note="written by recovery: the run committed but was stopped before its manifest; "
             "timings and metrics are lost")


def stopped_manifest(output: str, run_id: str, records: list[CommitRecord]) -> dict:
    """The manifest of a chunked run stopped after committing some chunks, before it
    settled them (``schemas.manifest.STOPPED_RUN``)."""
    counts = dataset_counts(output, run_id)
    return STOPPED_RUN.build(
        run_id=run_id, status=FAILED, reason="stopped", recovered=True,
        newsbeam_version=__version__, schema_version=SCHEMA_VERSION, started_at=None,
        finished_at=max(r.created_at for r in records), wall_seconds=None, output=output,
        chunks={"committed": len(records)}, rejects_by_reason=counts["rejects_by_reason"],
        files=counts["files"],
        note="written by recovery: the run was stopped after committing these chunks; "
             "the next run settles their articles and reads the files they did not")


def _killed_stream_manifest(output: str, run_id: str, records: list[CommitRecord]) -> dict:
    """A stream that ended without its manifest (SIGKILL, power loss): its committed
    windows, each with the counts of its own manifest (``None`` where the stream died
    between the window's commit and its manifest: its rows are still counted)."""
    counts = dataset_counts(output, run_id)
    rows = counts["rows"]
    windows = []
    for record in sorted(records, key=lambda r: r.commit_id):
        window = read_manifest(output, record.commit_id)
        committed = collections.Counter()
        for entry in record.adds:
            if entry.table in DATASETS:
                committed[entry.table] += entry.rows
        windows.append({
            "commit": record.commit_id, "committed_at": record.created_at,
            "window_start": window["window_start"] if window else None,
            "pane_index": window["pane_index"] if window else None,
            "counts": window["counts"] if window else None,
            "rows": {name: committed[name] for name in DATASETS}})
    inputs = sum(w["counts"]["inputs"] for w in windows if w["counts"])
    known = all(w["counts"] for w in windows)
    return KILLED_STREAM.build(
        run_id=run_id, status="killed", recovered=True, newsbeam_version=__version__,
        schema_version=SCHEMA_VERSION, started_at=None, finished_at=None,
        last_commit_at=max(r.created_at for r in records), output=output,
        commits=[w["commit"] for w in windows], windows=windows,
        counts={"inputs": inputs if known else None, **rows},
        balanced=known and inputs == sum(rows.values()),
        rejects_by_reason=counts["rejects_by_reason"],
        duplicates_by_method=counts["duplicates_by_method"], files=counts["files"],
        note="written by recovery: the stream ended without stopping (killed); it "
             "committed the windows listed, nothing after them")
