"""Memory of a chunked run's settle step alone, side by side with another tree.

    python -m bench.settle_memory --rows 50000 [--baseline REF] [--rounds 2]

Writes ``--rows`` pending rows (the ``bench.neardup_scale`` texts, ~500 words, every tenth
a near copy of its neighbour; signed as a chunk signs them) into an output as committed
chunks of 500, once; then, per round and tree, runs ``newsbeam run`` (CLI, FnApiRunner)
on a copy of that output with one new page, so the run is the settle step plus a one-page
run. Prints the wall time, the peak RSS of the run's process tree (sampled every 0.2 s
from /proc) and the rows it wrote. The baseline runs first in each round.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

from bench.chunked_runs import ROOT, TreePeak
from bench.compare_outputs import source_tree
from bench.neardup_scale import CHUNK, documents

FILE_ROWS = 500
PAGE = ("<html><head><title>One</title></head><body><article><h1>One</h1><p>"
        + " ".join(f"word{i}" for i in range(80)) + ".</p></article></body></html>")


def pending_rows(chunk: int) -> list[dict]:
    """The pending rows of one bench chunk (an article row and its signature each)."""
    from newsbeam.config import NearDedupConfig
    from newsbeam.core.dedup.minhash import Permutations, sign_texts
    from newsbeam.core.dedup.pending import pending_row
    from newsbeam.schemas.tables import SCHEMA_VERSION

    params = NearDedupConfig()
    docs = documents(chunk)
    signed = sign_texts([text for _, text in docs], params,
                        Permutations.create(params.num_perm, params.seed))
    rows = []
    for (doc_id, text), signature in zip(docs, signed):
        url = f"https://bench.example/{doc_id}"
        rows.append(pending_row({
            "article_id": doc_id, "url": url, "canonical_url": url, "source": "bench",
            "input": f"/bench/{doc_id}.html", "domain": "bench.example", "site_name": None,
            "title": doc_id[:8], "dateline": None, "authors": [], "published_at": None,
            "fetched_at": datetime(2026, 1, 1, tzinfo=timezone.utc), "language": "en",
            "text": text, "description": None, "tags": [], "image_url": None,
            "word_count": len(text.split()),
            "content_hash": hashlib.sha256(text.encode()).hexdigest()[:32],
            "duplicate_count": 0, "duplicate_urls": [], "run_id": "bench-chunks",
            "schema_version": SCHEMA_VERSION, "kicker": None}, signature))
    return rows


def prepare(folder: pathlib.Path, rows: int) -> None:
    """``folder``/out with ``rows`` pending rows committed, ``folder``/in with one page."""
    from newsbeam.schemas.tables import PENDING, STATE_TABLES
    from newsbeam.store import commit, layout
    from newsbeam.store.parquet import write_parquet

    output = str(folder / "out")
    for chunk in range(rows // CHUNK):
        batch = pending_rows(chunk)
        for start in range(0, len(batch), FILE_ROWS):
            staged, final = commit.staged_file(output, "bench-chunks", PENDING,
                                               layout.state_dir(output, PENDING))
            count = write_parquet(staged, STATE_TABLES[PENDING], batch[start:start + FILE_ROWS])
            commit.commit(output, f"bench-chunks-{chunk:04d}-{start:05d}", "bench-chunks",
                          [commit.StagedFile(PENDING, staged, final, count)], kind="chunk")
    (folder / "in").mkdir()
    (folder / "in" / "page.html").write_text(PAGE)


def settle_in(tree: pathlib.Path, prepared: pathlib.Path, scratch: pathlib.Path) -> dict:
    side = scratch / "side"
    shutil.rmtree(side, ignore_errors=True)
    shutil.copytree(prepared, side)
    config = side / "config.yaml"
    config.write_text(json.dumps({"output": str(side / "out"), "sources": [
        {"name": "bench", "kind": "files", "path": str(side / "in" / "*")}]}))
    load, started = os.getloadavg()[0], time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbeam", "run", "--config", str(config), "--quiet",
         "--runner", "FnApiRunner"], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    peak = TreePeak(process).wait()
    import pyarrow.parquet as pq
    counts = {name: sum(pq.ParquetFile(path).metadata.num_rows
                        for path in (side / "out" / name).rglob("*.parquet"))
              for name in ("articles", "duplicates")}
    shutil.rmtree(side)
    return {"tree": str(tree), "exit": process.returncode,
            "seconds": round(time.perf_counter() - started, 1), "peak_tree_mb": round(peak),
            "load_avg_1m": round(load, 1), **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--baseline", metavar="REF", help="git ref or directory")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="settle-memory-") as scratch_dir, \
            source_tree(args.baseline, pathlib.Path(scratch_dir), "baseline") as baseline:
        scratch = pathlib.Path(scratch_dir)
        prepare(scratch / "prepared", args.rows)
        trees = ([baseline] if args.baseline else []) + [ROOT]
        for _ in range(args.rounds):
            results = [settle_in(tree, scratch / "prepared", scratch) for tree in trees]
            for result in results:
                print(json.dumps(result), flush=True)
            if len(results) == 2:
                print(f"  peak {results[1]['peak_tree_mb'] / results[0]['peak_tree_mb']:.2f}x "
                      "the baseline's", flush=True)
    print(f"load at the end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
