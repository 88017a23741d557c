"""What flushing to disk (``fsync``, issue 18) costs a commit, side by side with it off.

One commit here is the store's part of a run: 3 dataset files (200 synthetic articles, 20
duplicates, 20 rejects) and 4 state-table files written to ``_staging/``, one commit record,
the moves into place, ``.applied``, the staging folder dropped and a manifest: what
``tests/helpers/commits.commit_run`` does, as a run's sinks do. ``NEWSBEAM_FSYNC=0`` turns
flushing off; the two settings alternate round by round in one invocation, each round a fresh
output of ``--commits`` commits; medians of per-commit milliseconds.

Local: a folder on the disk of ``--dir`` (default: the system's temporary folder; check it
is a real disk, not tmpfs). S3: moto's server on loopback (a completed PUT is durable, so
nothing is flushed there: the figure shows what the checksums and the lock re-checks cost).

    python -m bench.store_fsync [--rounds 3] [--commits 20] [--backends local,s3]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import date

from bench.machine import machine_info
from bench.store_bench import synthetic_articles
from tests.helpers.commits import commit_run

DAY = date(2026, 1, 2)


def tables(index: int) -> dict[str, list[dict]]:
    articles = synthetic_articles(200, 1, seed=index).drop_columns(["ingest_date"]).to_pylist()
    run_id = run_id_of(index)
    for row in articles:
        row["run_id"] = run_id
    small = [{"input": f"/in/{index}/{i}", "source": "s", "stage": "read", "reason": "empty",
              "error": None, "rejected_at": articles[0]["published_at"], "run_id": run_id,
              "schema_version": 2} for i in range(20)]
    dupes = [{**{k: a[k] for k in ("article_id", "url", "source", "input", "run_id",
                                   "schema_version")},
              "duplicate_of": a["article_id"], "method": "exact", "similarity": 1.0}
             for a in articles[:20]]
    return {"articles": articles, "duplicates": dupes, "rejects": small,
            "dedup_index": [{"article_id": a["article_id"], "published_at": a["published_at"],
                             "canonical_url": None, "content_hash": "0" * 64, "shingles": None,
                             "signature": None, "run_id": run_id} for a in articles],
            "seen": [{"url": f"https://x/{index}/{i}", "run_id": run_id} for i in range(200)],
            "files": [{"path": f"/in/{index}/{i}", "size": 1, "mtime": 0.0, "sha256": None,
                       "run_id": run_id} for i in range(20)],
            "listings": []}


def run_id_of(index: int) -> str:
    return f"20260102T{index // 3600:02d}{index // 60 % 60:02d}{index % 60:02d}Z-bench"


def one_round(output: str, commits: int, sync: bool) -> float:
    """Median milliseconds per commit over ``commits`` commits into a fresh ``output``."""
    os.environ["NEWSBEAM_FSYNC"] = "1" if sync else "0"
    prepared = [tables(i) for i in range(commits)]  # rows built outside the timing
    times = []
    for index, rows in enumerate(prepared):
        start = time.perf_counter()
        commit_run(output, run_id_of(index), DAY, rows)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument("--backends", default="local,s3")
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    print(json.dumps(machine_info()), flush=True)
    results = {}
    backends = args.backends.split(",")
    s3 = None
    if "s3" in backends:
        from tests.helpers.s3 import s3_server
        s3_context = s3_server()
        s3 = s3_context.__enter__()
    try:
        for round_no in range(args.rounds):
            for backend in backends:
                order = (True, False) if round_no % 2 == 0 else (False, True)
                for sync in order:
                    if backend == "local":
                        folder = tempfile.mkdtemp(prefix="fsync-bench-", dir=args.dir)
                        output = os.path.join(folder, "out")
                    else:
                        output = f"s3://{s3.new_bucket()}/news"
                    ms = one_round(output, args.commits, sync)
                    if backend == "local":
                        shutil.rmtree(folder)
                    results.setdefault((backend, sync), []).append(ms)
                    print(json.dumps({"round": round_no, "backend": backend, "fsync": sync,
                                      "ms_per_commit": round(ms, 2)}), flush=True)
    finally:
        if s3 is not None:
            s3_context.__exit__(None, None, None)
    for backend in backends:
        on = statistics.median(results[(backend, True)])
        off = statistics.median(results[(backend, False)])
        print(json.dumps({"backend": backend, "fsync_on_ms": round(on, 2),
                          "fsync_off_ms": round(off, 2), "ratio": round(on / off, 2),
                          "rounds": args.rounds, "commits_per_round": args.commits}))


if __name__ == "__main__":
    main()
