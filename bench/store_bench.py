"""Store benchmarks (issue 9), printed side by side in one run.

(a) ``runs``: commit cost and run start-up against the number of earlier runs. Outputs with
    1, 100 and 1,000 committed runs are built cheaply through the store API (one small file
    per dataset and state table per run, a commit record and a manifest each: what a 15-minute
    schedule leaves after ten days), then a batch run of the 5 bundled samples is timed on a
    fresh copy of each (median of ``--repeats``), before and after ``newsbeam compact``.
    Also timed alone: ``recover`` (what every run does first) and one commit.
    Target: after compaction, the 5-document run on 1,000 runs is at most 20% slower than on 1.
(b) ``query``: 1M synthetic articles over 90 daily partitions written through the store and
    compacted (sorted by published_at) against the same rows in one unsorted Parquet file;
    DuckDB "articles per source for one week" and "full-text LIKE over one day".

    python -m bench.store_bench [runs|query|all] [--repeats 3] [--rows 1000000]
    python -m bench.store_bench runs --startup-only   # recover() and one commit only
    python -m bench.store_bench s3 --sizes 1,100   # recover() on S3 (moto) against runs
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

from bench.machine import machine_info
from newsbeam.schemas.tables import ARTICLE_SCHEMA, DEDUP_INDEX, FILES, SCHEMA_VERSION
from newsbeam.store import log
from newsbeam.store.commit import StagedFile, commit, staged_file
from newsbeam.modes.compact import compact
from newsbeam.store.layout import partition_dir
from newsbeam.store.manifest import write_manifest
from newsbeam.store.parquet import write_table
from newsbeam.store.recover import recover
from tests.helpers.commits import commit_run
from tests.helpers.runs import RUNNER_ARGS

ROOT = Path(__file__).parents[1]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def median_of(repeats: int, call) -> float:
    return statistics.median(timed(call) for _ in range(repeats))


# --- (a) runs -----------------------------------------------------------------------------

def _run_tables(index: int, run_id: str) -> dict[str, list[dict]]:
    """One earlier run's rows: an article, a reject, its index entry and the file it read."""
    from tests.helpers.article_rows import article

    row = {**article(f"earlier run {index} " * 20, f"run{index}", day=1, run_id=run_id),
           "source": "earlier"}
    return {
        "articles": [row],
        "rejects": [{"input": f"/in/bad-{index}.txt", "source": "earlier", "stage": "read",
                     "reason": "empty", "error": None, "rejected_at": START,
                     "run_id": run_id, "schema_version": SCHEMA_VERSION}],
        DEDUP_INDEX: [{"article_id": row["article_id"], "published_at": row["published_at"],
                       "canonical_url": row["canonical_url"],
                       "content_hash": row["content_hash"], "shingles": None,
                       "signature": None, "run_id": run_id}],
        FILES: [{"path": f"/in/run-{index}.txt", "size": 100, "mtime": 1.0,
                 "sha256": None, "run_id": run_id}],
    }


def build_output(output: str, runs: int) -> None:
    """``runs`` committed runs, one every 15 minutes from START."""
    for index in range(runs):
        at = START + timedelta(minutes=15 * index)
        run_id = f"{at:%Y%m%dT%H%M%SZ}-{index:08x}"
        commit_run(output, run_id, at.date(), _run_tables(index, run_id))


def _config(output: str):
    from newsbeam.config import load_config
    return load_config(str(ROOT / "configs" / "fixtures.yaml"), output=output)


def _fixture_run(template: str, scratch: Path) -> float:
    """A batch run of the 5 samples on a fresh copy of ``template``: its wall time."""
    from newsbeam.modes.run import run_once

    copy = scratch / "run"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(template, copy)
    seconds = timed(lambda: run_once(_config(str(copy)), RUNNER_ARGS))
    assert log.committed_runs(log.read_log(str(copy))), "the run committed nothing"
    return seconds


def _one_commit(template: str, scratch: Path) -> float:
    copy = scratch / "commit"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(template, copy)
    at = datetime.now(timezone.utc)
    run_id = f"{at:%Y%m%dT%H%M%SZ}-bench"
    return timed(lambda: commit_run(str(copy), run_id, at.date(), _run_tables(10**6, run_id)))


def bench_runs(sizes: list[int], repeats: int, scratch: Path,
               startup_only: bool = False) -> list[dict]:
    results = []
    for runs in sizes:
        template = scratch / f"out-{runs}"
        built = timed(lambda: build_output(str(template), runs))
        row = {"runs": runs, "build_seconds": round(built, 1)}
        for phase in ("before", "after"):
            if phase == "after":
                row["compact_seconds"] = round(timed(
                    lambda: compact(str(template), grace_seconds=0)), 2)
            row[f"{phase}_log_files"] = len(list((template / "_log").iterdir()))
            row[f"{phase}_recover"] = median_of(repeats, lambda: recover(str(template)))
            row[f"{phase}_commit"] = statistics.median(
                _one_commit(str(template), scratch) for _ in range(repeats))
            if not startup_only:
                row[f"{phase}_run"] = statistics.median(
                    _fixture_run(str(template), scratch) for _ in range(repeats))
        results.append(row)
        print(json.dumps(row), flush=True)
    return results


def print_runs(results: list[dict]) -> None:
    base = results[0]
    print("\nearlier runs | recover before/after compact | one commit before/after | "
          "5-doc run before/after (x vs 1 run)")
    for row in results:
        print(f"{row['runs']:>12} | {row['before_recover'] * 1000:8.0f} / "
              f"{row['after_recover'] * 1000:6.0f} ms | {row['before_commit'] * 1000:6.0f} / "
              f"{row['after_commit'] * 1000:6.0f} ms | {row['before_run']:6.1f} s / "
              f"{row['after_run']:6.1f} s (x{row['before_run'] / base['before_run']:.2f} / "
              f"x{row['after_run'] / base['after_run']:.2f})")
    last = results[-1]
    slowdown = last["after_run"] / base["after_run"] - 1
    print(f"target: after compaction a 5-document run on {last['runs']} runs is "
          f"{slowdown:+.0%} vs {base['runs']} run (limit +20%): "
          f"{'met' if slowdown <= 0.20 else 'NOT met'}")


def bench_s3_startup(sizes: list[int], repeats: int) -> list[dict]:
    """``recover`` (what every run does first, under the lock) on S3 against earlier runs:
    moto on loopback, so request counts, not S3's latencies, make the difference."""
    from tests.helpers.s3 import s3_server

    results = []
    with s3_server() as s3:
        for runs in sizes:
            output = f"s3://{s3.new_bucket()}/news"
            built = timed(lambda: build_output(output, runs))
            row = {"s3_runs": runs, "build_seconds": round(built, 1),
                   "recover_before": median_of(repeats, lambda: recover(output))}
            compact(output, grace_seconds=0)
            row["recover_after"] = median_of(repeats, lambda: recover(output))
            results.append(row)
            print(json.dumps(row), flush=True)
    return results


# --- (b) query layout ---------------------------------------------------------------------

SOURCES = [f"source-{i:02d}" for i in range(40)]
WORDS = np.array("the a of to and in on for with minister said market election storm "
                 "court police football energy climate bank talks city report".split())
NEEDLE = "zeppelin"   # in about 1 text in 1,000


def synthetic_articles(rows: int, days: int, seed: int = 7) -> pa.Table:
    """``rows`` articles ingested over ``days`` days, published up to a day before ingest;
    every column of the articles schema, in random order."""
    rng = np.random.default_rng(seed)
    day = rng.integers(0, days, rows)
    ingest = np.datetime64("2026-01-01") + day.astype("timedelta64[D]")
    published = (ingest.astype("datetime64[us]")
                 + rng.integers(-86_400, 86_400, rows).astype("timedelta64[s]"))
    words = WORDS[rng.integers(0, len(WORDS), (rows, 40))]
    texts = [" ".join(w) for w in words]
    for index in np.flatnonzero(rng.random(rows) < 0.001):
        texts[index] += " " + NEEDLE
    ids = [f"{i:032x}" for i in rng.permutation(rows)]
    source = np.array(SOURCES)[rng.integers(0, len(SOURCES), rows)]
    n = rows
    columns = {
        "article_id": ids, "url": None, "canonical_url": None, "source": source,
        "input": ids, "domain": None, "site_name": None, "title": None, "dateline": None,
        "authors": pa.array([[]] * n, pa.list_(pa.string())),
        "published_at": pa.array(published, ARTICLE_SCHEMA.field("published_at").type),
        "fetched_at": pa.array(published, ARTICLE_SCHEMA.field("fetched_at").type),
        "language": "en", "text": texts, "description": None,
        "tags": pa.array([[]] * n, pa.list_(pa.string())), "image_url": None,
        "word_count": np.full(n, 40, np.int32), "content_hash": ids,
        "duplicate_count": np.zeros(n, np.int32),
        "duplicate_urls": pa.array([[]] * n, pa.list_(pa.string())),
        "run_id": "bench", "schema_version": np.full(n, SCHEMA_VERSION, np.int16),
        "ingest_date": pa.array(ingest, pa.date32()),
    }
    arrays = []
    for field in ARTICLE_SCHEMA:
        value = columns[field.name]
        if value is None or isinstance(value, str):
            value = pa.array([value] * n, field.type)
        arrays.append(pa.array(value, field.type) if not isinstance(value, pa.Array) else value)
    return pa.Table.from_arrays(arrays, schema=ARTICLE_SCHEMA)


def write_through_store(output: str, table: pa.Table, runs_per_day: int = 4) -> None:
    """Each day's rows committed as ``runs_per_day`` runs (as a 6-hourly schedule would),
    then compacted: one sorted file per day."""
    days = table.column("ingest_date").to_numpy()
    for day in np.unique(days):
        rows = table.filter(pa.array(days == day))
        chunk = -(-rows.num_rows // runs_per_day)
        for part in range(runs_per_day):
            at = datetime.combine(day.astype(date), datetime.min.time(), timezone.utc) \
                + timedelta(hours=6 * part)
            run_id = f"{at:%Y%m%dT%H%M%SZ}-bench{part}"
            staged, final = staged_file(output, run_id, "articles",
                                        partition_dir(output, "articles", str(day)))
            write_table(staged, rows.slice(part * chunk, chunk))
            commit(output, run_id, run_id,
                   [StagedFile("articles", staged, final, min(chunk, rows.num_rows))])
            write_manifest(output, {"run_id": run_id, "status": "succeeded"})
    compact(output, grace_seconds=0)


QUERIES = {
    "articles per source for one week": """
        SELECT source, count(*) AS n FROM {articles}
        WHERE published_at >= TIMESTAMPTZ '2026-02-02 00:00:00+00'
          AND published_at <  TIMESTAMPTZ '2026-02-09 00:00:00+00'
        GROUP BY source ORDER BY source""",
    "full-text LIKE over one day": f"""
        SELECT count(*) AS n FROM {{articles}}
        WHERE published_at >= TIMESTAMPTZ '2026-02-14 00:00:00+00'
          AND published_at <  TIMESTAMPTZ '2026-02-15 00:00:00+00'
          AND text LIKE '%{NEEDLE}%'""",
}


def bench_query(rows: int, repeats: int, scratch: Path) -> list[dict]:
    import duckdb
    import pyarrow.parquet as pq

    made = time.perf_counter()
    table = synthetic_articles(rows, days=90)
    single = scratch / "one-unsorted.parquet"
    pq.write_table(table, single, compression="zstd")  # one file, rows in random order
    store = scratch / "store"
    write_through_store(str(store), table)
    del table
    live = log.live_files(str(store))["articles"]
    print(f"data: {rows} rows; store {len(live)} files "
          f"{sum(Path(p).stat().st_size for p in live) / 2**20:.0f} MiB; one file "
          f"{single.stat().st_size / 2**20:.0f} MiB; built in {time.perf_counter() - made:.0f} s")
    layouts = {"store (90 days, compacted, sorted)":
               "read_parquet([" + ", ".join(f"'{p}'" for p in live) + "])",
               "one unsorted file": f"read_parquet('{single}')"}
    results = []
    con = duckdb.connect()
    con.execute("SET threads = 2")
    for title, sql in QUERIES.items():
        answers, seconds = {}, {}
        for name, source in layouts.items():
            query = sql.format(articles=source)
            answers[name] = con.execute(query).fetchall()  # also warms the OS cache
            seconds[name] = median_of(repeats, lambda: con.execute(query).fetchall())
        assert len({json.dumps(a, default=str) for a in answers.values()}) == 1, answers
        store_s, single_s = seconds.values()
        results.append({"query": title, "store_ms": round(store_s * 1000, 1),
                        "one_file_ms": round(single_s * 1000, 1),
                        "speedup": round(single_s / store_s, 2)})
        print(json.dumps(results[-1]), flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", default="all",
                        choices=("runs", "query", "s3", "all"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--startup-only", action="store_true",
                        help="runs: time recover() and a commit only, no pipeline runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    print(json.dumps(machine_info()))
    with tempfile.TemporaryDirectory(prefix="store-bench-") as scratch:
        if args.what in ("runs", "all"):
            results = bench_runs([int(s) for s in args.sizes.split(",")], args.repeats,
                                 Path(scratch), args.startup_only)
            if not args.startup_only:
                print_runs(results)
        if args.what == "s3":  # not in "all": needs moto, and the point is request counts
            bench_s3_startup([int(s) for s in args.sizes.split(",")], args.repeats)
        if args.what in ("query", "all"):
            bench_query(args.rows, args.repeats, Path(scratch))
    print(json.dumps({"load_avg_1m_after": machine_info()["load_avg_1m"]}))


if __name__ == "__main__":
    main()
