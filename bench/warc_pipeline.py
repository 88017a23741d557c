"""Whole-pipeline pages/s of ``newsbeam run`` on a WARC of corpus pages with 1 and 2 workers,
and peak memory from 1 to 10 archives, in one run.

    python -m bench.warc_pipeline [--pages 2000] [--repeats 2] [--archive-pages 200]

Throughput: one archive of ``--pages`` corpus pages (``bench/warc_inputs.py``: request +
response + metadata records per page, gzipped per record), read as ranges of 8 MiB.
Each repeat runs, back to back:
  - ``files, 1 worker``: the same pages as ``.html.gz`` files (a ``files`` source), the
    reference the WARC source is compared with;
  - ``warc, 1 worker``: ``python -m newsbeam run`` on the archive, in-process FnApiRunner;
  - ``warc, 2 workers``: the same with ``--direct_running_mode=multi_processing
    --direct_num_workers=2``.
Each is its own process, timed from start to exit; pages/s = pages / wall seconds. All
runs extract without the per-page time limit (``extract_timeout_seconds: 0``).

Memory: 1, 5 and 10 archives of ``--archive-pages`` different pages each, one-worker run,
peak RSS of the run's largest process (each size in a fresh bench process, as in
``bench/pipeline_throughput.py``). Flat means reading streams: no archive is held whole.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile

from bench.machine import describe, machine_info, write_json
from bench.pipeline_throughput import TWO_WORKERS, run_command, timed
from bench.warc_inputs import ROOT, corpus_archive, corpus_pages

SPLIT_MB = 8


def write_config(folder: pathlib.Path, source: dict, name: str = "config.yaml") -> pathlib.Path:
    config = folder / name
    config.write_text(json.dumps({  # JSON is YAML
        "output": str(folder / "out"), "sources": [{"name": "bench", **source}],
        "dedup": {"cross_run": False},
        # Extraction in the worker itself: on a loaded machine the time limit's child
        # process turns slow pages into restarts, which would swamp what is measured here
        # (bench/pipeline_throughput.py measures the time limit's cost).
        "limits": {"extract_timeout_seconds": 0}}))
    return config


def write_files(folder: pathlib.Path, pages: int) -> None:
    import gzip

    folder.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(corpus_pages(pages)):
        (folder / f"{n:06d}.html.gz").write_bytes(gzip.compress(page.body, 1))


def measure_throughput(pages: int, repeats: int) -> dict:
    archive = corpus_archive(pages)
    with tempfile.TemporaryDirectory(prefix="newsbeam-warc-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        write_files(tmp / "files", pages)
        files = write_config(tmp, {"kind": "files", "path": str(tmp / "files" / "*.html.gz")},
                             "files.yaml")
        warc = write_config(tmp, {"kind": "warc", "path": str(archive), "split_mb": SPLIT_MB},
                            "warc.yaml")
        rounds = []
        for repeat in range(repeats):
            seconds = {
                "files, 1 worker": timed(run_command(files, tmp / f"f1-{repeat}", []))[0],
                "warc, 1 worker": timed(run_command(warc, tmp / f"w1-{repeat}", []))[0],
                "warc, 2 workers": timed(run_command(warc, tmp / f"w2-{repeat}", TWO_WORKERS))[0],
            }
            rate = {name: pages / s for name, s in seconds.items()}
            rounds.append({"pages_per_s": rate,
                           "warc_vs_files": rate["warc, 1 worker"] / rate["files, 1 worker"],
                           "two_vs_one_worker": rate["warc, 2 workers"] / rate["warc, 1 worker"]})
            print(f"  repeat {repeat + 1}: " + ", ".join(
                f"{name} {r:.1f} pages/s" for name, r in rate.items()), flush=True)
    return {
        "pages": pages, "archive_mib": round(archive.stat().st_size / 2**20, 1),
        "rounds": rounds,
        "median_pages_per_s": {name: statistics.median(r["pages_per_s"][name] for r in rounds)
                               for name in rounds[0]["pages_per_s"]},
        **{key: statistics.median(r[key] for r in rounds)
           for key in ("warc_vs_files", "two_vs_one_worker")},
    }


def measure_memory(archives: int, archive_pages: int) -> dict:
    """Peak RSS of one one-worker run over ``archives`` archives (call in a fresh process)."""
    paths = [corpus_archive(archive_pages, f"mem-{archive_pages}-{n:02d}.warc.gz",
                            offset=n * archive_pages) for n in range(archives)]
    with tempfile.TemporaryDirectory(prefix="newsbeam-warc-mem-") as tmp:
        tmp = pathlib.Path(tmp)
        config = write_config(tmp, {"kind": "warc", "path": [str(p) for p in paths]})
        seconds, peak = timed(run_command(config, tmp / "out", []))
    return {"archives": archives, "pages": archives * archive_pages,
            "archive_mib": round(sum(p.stat().st_size for p in paths) / 2**20, 1),
            "seconds": round(seconds, 1), "peak_rss_mb": round(peak)}


def memory_in_fresh_process(archives: int, archive_pages: int) -> dict:
    out = subprocess.run([sys.executable, "-m", __spec__.name, "--memory-one", str(archives),
                          "--archive-pages", str(archive_pages)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        return {"archives": archives, "failed": out.stderr.strip().splitlines()[-5:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--archive-pages", type=int, default=200)
    parser.add_argument("--memory-archives", type=int, nargs="*", default=[1, 5, 10])
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--json", type=pathlib.Path,
                        default=ROOT / "out" / "bench" / "warc_pipeline.json")
    parser.add_argument("--memory-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_one:
        print(json.dumps(measure_memory(args.memory_one, args.archive_pages)))
        return {}
    info = machine_info()
    print(f"WARC pipeline throughput and memory ({describe(info)})", flush=True)
    result: dict = {"machine": info}
    if not args.skip_throughput:
        result["throughput"] = t = measure_throughput(args.pages, args.repeats)
        print(f"{t['pages']} pages ({t['archive_mib']} MiB archive), median of {args.repeats}: "
              + ", ".join(f"{n} {r:.1f} pages/s" for n, r in t["median_pages_per_s"].items()))
        print(f"  warc / files (1 worker): {t['warc_vs_files']:.2f}x")
        print(f"  2 workers / 1 worker:    {t['two_vs_one_worker']:.2f}x")
    if args.memory_archives:
        result["memory"] = memory = [memory_in_fresh_process(n, args.archive_pages)
                                     for n in args.memory_archives]
        for m in memory:
            if "failed" in m:
                print(f"  {m['archives']:>3} archives: run FAILED: " + " | ".join(m["failed"]))
                continue
            print(f"  {m['archives']:>3} archives ({m['pages']} pages, {m['archive_mib']} MiB): "
                  f"peak RSS {m['peak_rss_mb']} MB, {m['seconds']} s")
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
