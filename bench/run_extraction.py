"""All extraction benchmarks, one command: quality, stage speed, pipeline throughput, memory.

    python -m bench.run_extraction [--quick]

Prints the machine, then each benchmark's comparison with plain trafilatura; each also
writes its JSON under out/bench/. ``--quick``: fewer pages/repeats and smaller memory
runs (a smoke run; the figures in BENCHMARKS.md come from the full one).
"""
from __future__ import annotations

import argparse
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]

from bench import extraction_quality, extraction_speed, pipeline_throughput
from bench.machine import describe, machine_info


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
