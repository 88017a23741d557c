"""Extraction stage speed: newsbeam's ``extract_document`` vs plain
``trafilatura.bare_extraction(html, with_metadata=True)``, in one process, same pages.

    python -m bench.extraction_speed [--pages 300] [--rounds 3]

Pages: every k-th page of both corpora, read into memory first. Both extractors run once
on every page untimed (lazy imports, dateparser's per-locale regex caches), then
``--rounds`` alternating timed passes; the ratio is taken per round, and its median kept
(the machine is shared: ratios within a round are what compare; CPU seconds beside
wall time, as other work on the machine inflates wall time).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

from bench.extractors import newsbeam_extraction, plain_bare_extraction
from bench.machine import describe, machine_info
from bench.profile_extraction import sample_pages

CONTENDERS = {"newsbeam": newsbeam_extraction, "trafilatura": plain_bare_extraction}


def one_pass(extractor, pages) -> tuple[float, float]:
    """Wall and CPU seconds of one pass over ``pages``."""
    wall, cpu = time.perf_counter(), time.process_time()
    for html, url in pages:
        extractor(html, url)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=pathlib.Path,
                        default=ROOT / "out" / "bench" / "extraction_speed.json")
    args = parser.parse_args(argv)
    info = machine_info()
    pages = sample_pages(args.pages)
    for extractor in CONTENDERS.values():
        one_pass(extractor, pages)  # warm-up, untimed
    rounds = []
    for _ in range(args.rounds):
        timed = {name: one_pass(fn, pages) for name, fn in CONTENDERS.items()}
        rounds.append({**{name: wall for name, (wall, _) in timed.items()},
                       **{f"{name}_cpu": cpu for name, (_, cpu) in timed.items()},
                       "speedup": timed["trafilatura"][0] / timed["newsbeam"][0],
                       "cpu_speedup": timed["trafilatura"][1] / timed["newsbeam"][1]})
    result = {"machine": info, "pages": len(pages), "rounds": rounds,
              "median_pages_per_s": {name: len(pages) / statistics.median(r[name] for r in rounds)
                                     for name in CONTENDERS},
              "median_cpu_s": {name: statistics.median(r[f"{name}_cpu"] for r in rounds)
                               for name in CONTENDERS},
              "median_speedup": statistics.median(r["speedup"] for r in rounds),
              "median_cpu_speedup": statistics.median(r["cpu_speedup"] for r in rounds)}
    print(f"Extraction stage speed ({describe(info)}), {len(pages)} pages, "
          f"{args.rounds} rounds:")
    for name, rate in result["median_pages_per_s"].items():
        print(f"  {name:<12} {rate:.1f} pages/s, {result['median_cpu_s'][name]:.1f} CPU s a pass")
    print(f"  newsbeam / plain trafilatura: {result['median_speedup']:.2f}x by wall time, "
          f"{result['median_cpu_speedup']:.2f}x by CPU time (target >= 1.3); per round (CPU): "
          + ", ".join(f"{r['cpu_speedup']:.2f}" for r in rounds))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
