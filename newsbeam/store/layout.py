"""Where everything lives under an output directory: the one module that knows the layout.

    <output>/<dataset>/ingest_date=YYYY-MM-DD/<run_id>-<part>.parquet   articles, duplicates, rejects
    <output>/_runs/<run_id>.json                                       run manifests
    <output>/_state/<table>/<run_id>-<part>.parquet                     state tables (dedup index,
                                                                        seen URLs, feed validators)
    <output>/_state/dedup_index/params.json                             near-dup parameters
    <output>/_staging/<run_id>/                                         a run's files before commit

Folders starting with ``_`` are outside the datasets' globs and ignored by pyarrow.
"""
from __future__ import annotations

from newsbeam.records.schema import PARTITION_COLUMN
from newsbeam.store.fs import join

STAGING_DIR = "_staging"
RUNS_DIR = "_runs"
STATE_DIR = "_state"
PARAMS_FILE = "params.json"


def dataset_dir(output: str, dataset: str) -> str:
    return join(output, dataset)


def partition_dir(output: str, dataset: str, ingest_date: str) -> str:
    return join(output, dataset, f"{PARTITION_COLUMN}={ingest_date}")


def run_files_pattern(output: str, dataset: str, run_id: str) -> str:
    return join(output, dataset, f"{PARTITION_COLUMN}=*", f"{run_id}-*.parquet")


def staging_dir(output: str, run_id: str) -> str:
    return join(output, STAGING_DIR, run_id)


def runs_dir(output: str) -> str:
    return join(output, RUNS_DIR)


def manifest_path(output: str, run_id: str) -> str:
    return join(output, RUNS_DIR, f"{run_id}.json")


def state_dir(output: str, table: str) -> str:
    return join(output, STATE_DIR, table)


def state_files_pattern(output: str, table: str) -> str:
    return join(state_dir(output, table), "*.parquet")


def params_path(output: str, table: str) -> str:
    return join(state_dir(output, table), PARAMS_FILE)


def relative(output: str, path: str) -> str:
    """``path`` as written in a manifest: relative to the output directory."""
    return path[len(output):].lstrip("/")
