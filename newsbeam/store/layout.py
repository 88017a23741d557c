"""Where everything lives under an output directory: the one module that knows the layout.

    <output>/<dataset>/YYYY-MM-DD/<run_id>-<part>.parquet   articles, duplicates, rejects, by
                                                          ingest_date (also a column)
    <output>/_runs/<run_id>.json                          run manifests
    <output>/_state/<table>/<run_id>-<part>.parquet        state tables (dedup index, seen
                                                          URLs, feed validators, files read)
    <output>/_state/dedup_index/params.json                near-dup parameters
    <output>/_staging/<run_id>/                            a run's files before commit
    <output>/_log/                                         commit records (store/log.py)
    <output>/_lock/                                        who writes now (store/lock.py)
    <output>/_quarantine/<time>/<path>                     damaged files moved aside by
                                                          recovery or ``newsbeam verify
                                                          --repair`` (store/repair.py)

Day folders are plain ``YYYY-MM-DD`` rather than Hive's ``ingest_date=YYYY-MM-DD``: the
column is in the files, typed ``date32``, and a Hive folder name would make readers infer a
second, differently typed ``ingest_date`` (pyarrow and pandas then fail to merge them).

Folders starting with ``_`` are outside the datasets' globs and ignored by pyarrow.
"""
from __future__ import annotations

from newsbeam.store.fs import join

STAGING_DIR = "_staging"
RUNS_DIR = "_runs"
STATE_DIR = "_state"
LOG_DIR = "_log"
LOCK_DIR = "_lock"
QUARANTINE_DIR = "_quarantine"
PARAMS_FILE = "params.json"


def partition_dir(output: str, dataset: str, ingest_date: str) -> str:
    return join(output, dataset, ingest_date)


def dataset_files_pattern(output: str, dataset: str) -> str:
    return join(output, dataset, "*", "*.parquet")


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


def log_dir(output: str) -> str:
    return join(output, LOG_DIR)


def log_path(output: str, name: str) -> str:
    return join(output, LOG_DIR, name)


def lock_dir(output: str) -> str:
    return join(output, LOCK_DIR)


def quarantine_path(output: str, stamp: str, relative_path: str) -> str:
    return join(output, QUARANTINE_DIR, stamp, relative_path)


def relative(output: str, path: str) -> str:
    """``path`` as written in a manifest: relative to the output directory."""
    return path[len(output):].lstrip("/")
