"""The whole job on every core: ``newsbeam run`` (defaults) next to the two ways a user
would extract the same pages on all cores without newsbeam, side by side in one run.

    python -m bench.every_core [--rounds 3] [--pages N] [--baseline DIR]

Inputs: the HTML pages of both shared corpora (1,171 pages), gzipped, one file each.
Each round runs, in an order that alternates between rounds:
  - ``newsbeam run``: ``python -m newsbeam run`` with the default config (dedup on, Parquet,
    run manifest; extraction children: one per core);
  - ``Pool loop``: ``trafilatura.bare_extraction`` (newsbeam's options) over every file in
    ``multiprocessing.Pool(cpu_count)``; nothing written (the ideal: extraction alone);
  - ``trafilatura --parallel 2``: trafilatura's own CLI on the folder, JSON with metadata;
  - with ``--baseline DIR``: ``newsbeam run`` from that source tree too (another version,
    e.g. a ``git archive`` of main), in the same rounds.
Each is its own process, timed from start to exit (interpreter and imports included);
CPU seconds of the whole process tree beside them. Ratios are taken within a round, then
the median; JSON to ``out/bench/every_core.json``.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import pathlib
import shutil
import statistics
import sys
import tempfile

from bench.machine import machine_info, write_json
from bench.pipeline_throughput import ROOT, timed, write_inputs

NEWSBEAM, POOL, TRAFILATURA = "newsbeam run", "Pool loop", "trafilatura --parallel 2"
BASELINE = "baseline run"


def _extract_file(path: str) -> None:
    import gzip

    from trafilatura import bare_extraction

    from bench.extractors import PLAIN_OPTIONS

    with gzip.open(path, "rb") as handle:
        bare_extraction(handle.read(), with_metadata=True, **PLAIN_OPTIONS)


def pool_loop(inputs: pathlib.Path) -> None:
    """The ideal: every file's extraction in a Pool of as many processes as cores."""
    paths = [str(p) for p in sorted(inputs.glob("*.html.gz"))]
    with multiprocessing.Pool(os.cpu_count()) as pool:
        pool.map(_extract_file, paths)


def write_config(folder: pathlib.Path, inputs: pathlib.Path) -> pathlib.Path:
    config = folder / "config.yaml"
    config.write_text(f"output: {folder / 'unused'}\n"
                      f"sources:\n  - {{name: bench, kind: files, path: '{inputs}/*.html.gz'}}\n")
    return config


def commands(tmp: pathlib.Path, config: pathlib.Path, round_: int,
             baseline: pathlib.Path | None = None) -> dict[str, list[str]]:
    out = tmp / f"out-{round_}"
    shutil.rmtree(out, ignore_errors=True)
    # From inside the baseline tree: ``-m`` puts the working folder first on sys.path.
    other = {BASELINE: ["sh", "-c", f'cd "{baseline}" && PYTHONPATH="{baseline}" exec "$@"',
                        "sh", sys.executable, "-m", "newsbeam", "run", "--config", str(config),
                        "--output", str(out / "baseline"), "-q"]} if baseline else {}
    return {**other,
        NEWSBEAM: [sys.executable, "-m", "newsbeam", "run", "--config", str(config),
                   "--output", str(out / "newsbeam"), "-q"],
        POOL: [sys.executable, "-m", __spec__.name, "--pool-loop", str(tmp / "in")],
        TRAFILATURA: [shutil.which("trafilatura") or "trafilatura", "--input-dir",
                      str(tmp / "in"), "--output-dir", str(out / "trafilatura"),
                      "--parallel", "2", "--with-metadata", "--json", "--no-comments"],
    }


def measure(rounds: int, pages: int | None, baseline: pathlib.Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="newsbeam-every-core-") as tmp:
        tmp = pathlib.Path(tmp)
        pages = write_inputs(tmp / "in", pages)
        config = write_config(tmp, tmp / "in")
        results = []
        for round_ in range(rounds):
            runs = commands(tmp, config, round_, baseline)
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            seconds, cpu_seconds = {}, {}
            for name in order:
                cpu: dict = {}
                seconds[name] = timed(runs[name], cpu)[0]
                cpu_seconds[name] = cpu["s"]
            rate = {name: pages / seconds[name] for name in runs}
            results.append({"order": order, "seconds": seconds, "cpu_seconds": cpu_seconds,
                            "pages_per_s": rate,
                            "vs_pool": rate[NEWSBEAM] / rate[POOL],
                            "vs_trafilatura": rate[NEWSBEAM] / rate[TRAFILATURA],
                            **({"vs_baseline": rate[NEWSBEAM] / rate[BASELINE]}
                               if baseline else {}),
                            "load_1m": os.getloadavg()[0]})
            print(f"  round {round_ + 1}: " + ", ".join(
                f"{name} {rate[name]:.1f} pages/s ({seconds[name]:.1f} s, "
                f"{cpu_seconds[name]:.0f} CPU s)" for name in runs)
                + f"; load {os.getloadavg()[0]:.2f}", flush=True)
    return {"pages": pages, "rounds": results,
            "median_pages_per_s": {name: statistics.median(r["pages_per_s"][name]
                                                           for r in results) for name in runs},
            "median_cpu_seconds": {name: statistics.median(r["cpu_seconds"][name]
                                                           for r in results) for name in runs},
            "vs_pool": statistics.median(r["vs_pool"] for r in results),
            "vs_trafilatura": statistics.median(r["vs_trafilatura"] for r in results),
            **({"vs_baseline": statistics.median(r["vs_baseline"] for r in results)}
               if baseline else {})}


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=None,
                        help="this many pages (the corpora repeated; default: 1,171)")
    parser.add_argument("--baseline", type=pathlib.Path,
                        help="also run newsbeam from this source tree, in the same rounds")
    parser.add_argument("--json", type=pathlib.Path,
                        default=ROOT / "out" / "bench" / "every_core.json")
    parser.add_argument("--pool-loop", type=pathlib.Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pool_loop:
        pool_loop(args.pool_loop)
        return None
    info = machine_info()
    print(f"The whole job on every core ({info})", flush=True)
    result = measure(args.rounds, args.pages, args.baseline and args.baseline.resolve())
    print(f"{result['pages']} pages, median of {args.rounds} rounds: " + ", ".join(
        f"{name} {rate:.1f} pages/s ({result['median_cpu_seconds'][name]:.0f} CPU s)"
        for name, rate in result["median_pages_per_s"].items()))
    print(f"  newsbeam / Pool loop {result['vs_pool']:.2f}x (target >= 0.95); "
          f"newsbeam / trafilatura --parallel 2 {result['vs_trafilatura']:.2f}x "
          f"(target >= 1.05)" + (f"; newsbeam / baseline {result['vs_baseline']:.2f}x"
                                 if args.baseline else ""))
    write_json(args.json, {"machine": info, **result})
    return result


if __name__ == "__main__":
    main()
