"""``newsbeam verify``: every check of an output, one problem a line.

- the log: every record and checkpoint parses;
- every file the newest snapshot names (``log.live_entries``): present, of the size and
  SHA-256 its record gives, a Parquet file whose footer reads, with the rows it gives;
- every state table file under ``_state/``: named by a record, footer readable, the table's
  columns present;
- dataset files no record names (left by a torn record that had applied);
- run manifests and the dedup index's ``params.json`` parse;
- duplicates whose ``duplicate_of`` names no article.

Reads without the lock (it changes nothing); ``store.repair`` makes the output whole.
"""
from __future__ import annotations

import json

import pyarrow.parquet as pq

from newsbeam.schemas.tables import DEDUP_INDEX, STATE_TABLES
from newsbeam.store import fs, integrity, layout, log
from newsbeam.store.integrity import Problem
from newsbeam.store.parquet import read_table


def _footer(path: str):
    with fs.open_read(path) as handle:
        return pq.ParquetFile(handle).metadata


def content_problem(output: str, entry: log.FileEntry) -> Problem | None:
    """A named file present with the right size: its checksum, footer and row count."""
    path = fs.join(output, entry.final)
    if entry.sha256 is not None and fs.checksum(path).sha256 != entry.sha256:
        return Problem(entry.final, "its bytes differ from its commit record's checksum")
    try:
        rows = _footer(path).num_rows
    except Exception as err:  # noqa: BLE001 - any reader error means an unreadable file
        return Problem(entry.final, f"not a readable Parquet file ({_short(err)})")
    if rows != entry.rows:
        return Problem(entry.final, f"holds {rows} rows, its commit record says {entry.rows}")
    return None


def _short(err: Exception) -> str:
    return f"{type(err).__name__}: {' '.join(str(err).split())[:100]}"


def state_problem(output: str, table: str, relative_path: str) -> Problem | None:
    """A state file's footer and columns."""
    try:
        names = _footer(fs.join(output, relative_path)).schema.to_arrow_schema().names
    except Exception as err:  # noqa: BLE001
        return Problem(relative_path, f"not a readable Parquet file ({_short(err)})")
    missing = [n for n in STATE_TABLES[table].names if n not in names]
    if missing:
        return Problem(relative_path, f"lacks the {table} columns {missing}")
    return None


def table_of(relative_path: str) -> str:
    """The dataset or state table a stored file belongs to."""
    parts = relative_path.split("/")
    return parts[1] if parts[0] == layout.STATE_DIR else parts[0]


def find_problems(output: str, state: log.LogState | None = None) -> list[Problem]:
    state = state or log.read_log(output)
    problems = [Problem(f"{layout.LOG_DIR}/{name}", f"commit record {why}")
                for name, why in sorted(state.damaged.items())]
    sizes = integrity.stored_sizes(output)
    named = {e.final for r in state.records for e in (*r.adds, *r.removes)}
    bad = set()
    for entry in log.live_entries(state):
        problem = integrity.entry_problem(entry, sizes.get(entry.final)) \
            or content_problem(output, entry)
        if problem:
            problems.append(problem)
            bad.add(entry.final)
    for path in sorted(sizes):
        if path in bad:
            continue
        if path not in named:
            problems.append(Problem(path, "no commit record names it"))
        elif table_of(path) in STATE_TABLES:
            problem = state_problem(output, table_of(path), path)
            if problem:
                problems.append(problem)
    problems += json_problems(output)
    return problems + dangling_duplicates(output, state, {p.path for p in problems})


def json_problems(output: str) -> list[Problem]:
    """Run manifests and the dedup index's parameters that do not parse."""
    paths = fs.match_paths(fs.join(layout.runs_dir(output), "*.json")) + \
        fs.match_paths(layout.params_path(output, DEDUP_INDEX))
    problems = []
    for path in paths:
        try:
            json.loads(fs.read_bytes(path))
        except ValueError as err:
            problems.append(Problem(layout.relative(output, path), f"does not parse ({err})"))
    return problems


def dangling_duplicates(output: str, state: log.LogState, left_out: set[str]) -> list[Problem]:
    live = log.live_files(output, state, frozenset(left_out))
    articles = {i for p in live.get("articles", [])
                for i in read_table(p, ["article_id"]).column(0).to_pylist()}
    dangling = sorted({d for p in live.get("duplicates", [])
                       for d in read_table(p, ["duplicate_of"]).column(0).to_pylist()
                       if d not in articles})
    if not dangling:
        return []
    return [Problem("duplicates", f"{len(dangling)} article ids named by duplicate_of are in "
                                  f"no articles file (e.g. {dangling[0]})")]

