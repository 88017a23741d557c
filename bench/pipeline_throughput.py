"""End-to-end throughput and memory of ``newsbeam run`` next to a plain trafilatura loop.

    python -m bench.pipeline_throughput [--repeats 3] [--memory-sizes 2500 10000]

Inputs: the HTML pages of both corpora (../shared/corpus, 1,171 pages), written gzipped
under numbered names into a temp dir. Each repeat runs, back to back on the same files:
  - ``plain``: a Python loop reading each file and calling
    ``trafilatura.bare_extraction(html, with_metadata=True)`` (newsbeam's options: tables
    on, comments off);
  - ``1 worker``: ``python -m newsbeam run`` -> Parquet, in-process FnApiRunner;
  - ``2 workers``: the same with ``--direct_running_mode=multi_processing
    --direct_num_workers=2``.
Each is its own process, timed from start to exit (interpreter and imports included);
pages/s = pages / wall seconds; CPU seconds of each run's
process tree beside them (the machine is shared). Ratios are taken within a repeat, then the median.
Memory: the corpus repeated to N pages (varied file names), one-worker run, peak RSS
(ru_maxrss of the run's process tree's largest process).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

from bench.extraction_corpora import all_pages
from bench.machine import describe, machine_info, write_json

TWO_WORKERS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


def write_inputs(folder: pathlib.Path, count: int | None = None) -> int:
    """The corpus pages as ``<n>.html.gz`` (copied gzip bytes), repeated up to ``count``."""
    pages = all_pages()
    count = count or len(pages)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        page = pages[n % len(pages)]
        (folder / f"r{n // len(pages):02d}-{n:06d}.html.gz").write_bytes(page.path.read_bytes())
    return count


def write_config(folder: pathlib.Path, inputs: pathlib.Path, name: str = "config.yaml",
                 **limits) -> pathlib.Path:
    config = folder / name
    config.write_text(json.dumps({  # JSON is YAML
        "output": str(folder / "out"),
        "sources": [{"name": "bench", "kind": "files", "path": str(inputs / "*.html.gz")}],
        "dedup": {"cross_run": False},
        "limits": limits,
    }))
    return config


def plain_loop(inputs: pathlib.Path) -> None:
    """The baseline: read each file, bare_extraction with metadata; nothing written."""
    import gzip

    from bench.extractors import PLAIN_OPTIONS
    from trafilatura import bare_extraction

    for path in sorted(inputs.glob("*.html.gz")):
        with gzip.open(path, "rb") as handle:
            bare_extraction(handle.read(), with_metadata=True, **PLAIN_OPTIONS)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cpu: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MB of the largest process) of one child run; its CPU seconds
    (the run's whole process tree, as its processes are waited for) go to ``cpu["s"]``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cpu_before = _children_cpu()
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - started
    if cpu is not None:
        cpu["s"] = _children_cpu() - cpu_before
    # ru_maxrss of children is the largest one so far: only a new maximum is informative,
    # so memory runs go largest-last in fresh bench processes (see measure_memory).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, (peak if peak > before else float("nan")) / 1024


def run_command(config: pathlib.Path, output: pathlib.Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "newsbeam", "run", "--config", str(config),
            "--output", str(output), *extra]


def measure_throughput(repeats: int, pages: int | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="newsbeam-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        pages = write_inputs(tmp / "in", pages)
        config = write_config(tmp, tmp / "in")
        # Extraction in the pipeline's own worker, without the time limit's child process:
        # isolates what passing each page to and from the child costs.
        unlimited = write_config(tmp, tmp / "in", "unlimited.yaml", extract_timeout_seconds=0)
        rounds = []
        for repeat in range(repeats):
            commands = {
                "plain": [sys.executable, "-m", __spec__.name, "--plain-loop", str(tmp / "in")],
                "1 worker": run_command(config, tmp / f"out1-{repeat}", []),
                "2 workers": run_command(config, tmp / f"out2-{repeat}", TWO_WORKERS),
                "1 worker, no time limit": run_command(unlimited, tmp / f"out1u-{repeat}", []),
            }
            seconds, cpu_seconds = {}, {}
            for name, command in commands.items():
                cpu: dict = {}
                seconds[name] = timed(command, cpu)[0]
                cpu_seconds[name] = cpu["s"]
            rate = {name: pages / s for name, s in seconds.items()}
            rounds.append({"seconds": seconds, "cpu_seconds": cpu_seconds, "pages_per_s": rate,
                           "one_worker_vs_plain": rate["1 worker"] / rate["plain"],
                           "two_vs_one_worker": rate["2 workers"] / rate["1 worker"],
                           "one_worker_vs_plain_cpu": cpu_seconds["plain"] / cpu_seconds["1 worker"]})
            print(f"  repeat {repeat + 1}: " + ", ".join(
                f"{name} {r:.1f} pages/s ({cpu_seconds[name]:.0f} CPU s)"
                for name, r in rate.items()), flush=True)
    median = {key: statistics.median(r[key] for r in rounds)
              for key in ("one_worker_vs_plain", "two_vs_one_worker", "one_worker_vs_plain_cpu")}
    median_rates = {name: statistics.median(r["pages_per_s"][name] for r in rounds)
                    for name in rounds[0]["pages_per_s"]}
    return {"pages": pages, "rounds": rounds, "median_pages_per_s": median_rates, **median}


def measure_memory(size: int) -> dict:
    """Peak RSS of one one-worker run over ``size`` pages (call in a fresh process)."""
    with tempfile.TemporaryDirectory(prefix="newsbeam-mem-") as tmp:
        tmp = pathlib.Path(tmp)
        write_inputs(tmp / "in", size)
        config = write_config(tmp, tmp / "in")
        seconds, peak = timed(run_command(config, tmp / "out", []))
    return {"pages": size, "seconds": round(seconds, 1), "pages_per_s": round(size / seconds, 1),
            "peak_rss_mb": round(peak)}


def memory_in_fresh_process(size: int) -> dict:
    """Each size in its own bench process: ru_maxrss of children never goes down."""
    out = subprocess.run([sys.executable, "-m", __spec__.name, "--memory-one", str(size)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:  # keep the run's own error: it is the only trace of what failed
        return {"pages": size, "failed": out.stderr.strip().splitlines()[-5:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[2500, 10000])
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--pages", type=int, default=None,
                        help="throughput on this many pages (default: the 1,171 corpus pages)")
    parser.add_argument("--json", type=pathlib.Path,
                        default=ROOT / "out" / "bench" / "pipeline_throughput.json")
    parser.add_argument("--plain-loop", type=pathlib.Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plain_loop:
        return plain_loop(args.plain_loop)
    if args.memory_one:
        print(json.dumps(measure_memory(args.memory_one)))
        return {}
    info = machine_info()
    print(f"Pipeline throughput and memory ({describe(info)})", flush=True)
    result: dict = {"machine": info}
    if not args.skip_throughput:
        result["throughput"] = t = measure_throughput(args.repeats, args.pages)
        rates = t["median_pages_per_s"]
        print(f"{t['pages']} pages, median of {args.repeats} repeats: "
              + ", ".join(f"{name} {r:.1f} pages/s" for name, r in rates.items()))
        print(f"  1 worker / plain loop: {t['one_worker_vs_plain']:.2f}x by wall time, "
              f"{t['one_worker_vs_plain_cpu']:.2f}x by CPU seconds (target >= 1.0)")
        print(f"  2 workers / 1 worker:  {t['two_vs_one_worker']:.2f}x (target >= 1.7)")
    if args.memory_sizes:
        result["memory"] = memory = [memory_in_fresh_process(n) for n in args.memory_sizes]
        for m in memory:
            if "failed" in m:
                print(f"  {m['pages']:>6} pages: run FAILED: " + " | ".join(m["failed"]))
                continue
            print(f"  {m['pages']:>6} pages: peak RSS {m['peak_rss_mb']} MB, "
                  f"{m['seconds']} s ({m['pages_per_s']} pages/s), one worker")
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
