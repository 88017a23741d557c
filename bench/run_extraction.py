"""All extraction benchmarks, one command: quality, stage speed, pipeline throughput, memory.

    python bench/run_extraction.py [--quick]

Prints the machine, then each benchmark's comparison with plain trafilatura; each also
writes its JSON under out/bench/. ``--quick``: fewer pages/repeats and smaller memory
runs (a smoke run; the figures in BENCHMARKS.md come from the full one).
"""
from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import extraction_quality  # noqa: E402
import extraction_speed  # noqa: E402
import pipeline_throughput  # noqa: E402
from machine import describe, machine_info  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(f"Machine: {describe(machine_info())}\n", flush=True)
    extraction_quality.main([])
    print(flush=True)
    extraction_speed.main(["--pages", "100", "--rounds", "1"] if args.quick else [])
    print(flush=True)
    pipeline_throughput.main(["--repeats", "1", "--memory-sizes", "500", "2000"] if args.quick
                             else ["--repeats", "3", "--memory-sizes", "2500", "10000"])


if __name__ == "__main__":
    main()
