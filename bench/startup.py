"""Start-up: ``newsbeam run`` on the five fixtures, wall time from process start to exit,
next to the same command from a baseline tree and to a minimal Beam pipeline on the same
runner, interleaved in one run (the machine is shared: only same-run figures compare).

    python -m bench.startup                      # baseline: git main, 5 repeats
    python -m bench.startup --baseline 3d25ab0 --repeats 9
    python -m bench.startup --baseline ../wt-other

First the size of each tree's batch graph (transforms, and the stages the FnApiRunner
fuses them into). Each variant is its own ``python`` process (interpreter, imports, Beam start-up included)
writing into a fresh output directory, so no run sees another's state. Prints each repeat,
then medians and ratios; JSON to ``out/bench/startup.json``.
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

from bench.compare_outputs import REPO, source_tree
from bench.machine import machine_info

MINIMAL_BEAM = """
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
with beam.Pipeline(options=PipelineOptions(["--runner", "FnApiRunner"])) as p:
    p | beam.Create(range(5)) | beam.Map(lambda x: x + 1)
"""


# The batch graph of the fixtures config: its transforms (all / leaves) and the fused stages
# the FnApiRunner's standard optimizer makes of it (each stage is a bundle processor).
GRAPH_SIZE = """
import json, sys
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import translations
from newsbeam.config import load_config
from newsbeam.pipelines import batch
from newsbeam.pipelines.runner import new_run
pipeline = beam.Pipeline(options=PipelineOptions(["--runner", "FnApiRunner"]))
batch.build_pipeline(pipeline, load_config(sys.argv[1], output=sys.argv[2]), new_run())
proto = pipeline.to_runner_api()
_, stages = translations.create_and_optimize_stages(
    proto, translations.standard_optimize_phases(), known_runner_urns=frozenset())
transforms = proto.components.transforms.values()
print(json.dumps({"transforms": len(transforms), "stages": len(stages),
                  "leaf_transforms": sum(1 for t in transforms if not t.subtransforms)}))
"""


def graph_size(tree: pathlib.Path, output: pathlib.Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(
        [sys.executable, "-c", GRAPH_SIZE, str(tree / "configs" / "fixtures.yaml"), str(output)],
        cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"graph size of {tree} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def timed(cmd: list[str], tree: pathlib.Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children)."""
    env = dict(os.environ)
    if tree is not None:  # that tree's newsbeam, not the editable install
        env["PYTHONPATH"] = str(tree)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree or REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed, cpu


def newsbeam_run(tree: pathlib.Path, output: pathlib.Path) -> list[str]:
    return [sys.executable, "-m", "newsbeam", "run", "--config",
            str(tree / "configs" / "fixtures.yaml"), "--output", str(output)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="main",
                        help="git ref or directory of the baseline tree (default: main)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print("machine:", json.dumps(machine_info()))
    names = ("newsbeam run", "baseline run", "minimal Beam")
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="startup-") as scratch:
        scratch = pathlib.Path(scratch)
        with source_tree(args.baseline, scratch, "baseline") as baseline:
            graphs = {"newsbeam run": graph_size(REPO, scratch / "graph-new"),
                      "baseline run": graph_size(baseline, scratch / "graph-old")}
            for name, size in graphs.items():
                print(f"{name} graph: {size['transforms']} transforms "
                      f"({size['leaf_transforms']} leaves), {size['stages']} stages", flush=True)
            for repeat in range(args.repeats):
                commands = {
                    "baseline run": (newsbeam_run(baseline, scratch / f"old{repeat}"), baseline),
                    "newsbeam run": (newsbeam_run(REPO, scratch / f"new{repeat}"), REPO),
                    "minimal Beam": ([sys.executable, "-c", MINIMAL_BEAM], None)}
                for name, (cmd, tree) in commands.items():
                    wall, used = timed(cmd, tree)
                    times[name].append(wall)
                    cpu[name].append(used)
                print(f"repeat {repeat + 1}: " + ", ".join(
                    f"{name} {times[name][-1]:.2f} s ({cpu[name][-1]:.2f} s CPU)"
                    for name in names), flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"\nmedian of {args.repeats} (baseline: {args.baseline}), load now "
          f"{os.getloadavg()[0]:.2f}:")
    for name, value in medians.items():
        print(f"  {name:14} {value:5.2f} s wall  {cpu_medians[name]:5.2f} s CPU")
    print(f"  newsbeam / baseline {medians['newsbeam run'] / medians['baseline run']:.2f}x "
          f"the time; newsbeam - minimal Beam "
          f"{medians['newsbeam run'] - medians['minimal Beam']:.2f} s")
    out = REPO / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.json").write_text(json.dumps(
        {"machine": machine_info(), "baseline": args.baseline, "graphs": graphs,
         "wall": times, "cpu": cpu,
         "median_wall": medians, "median_cpu": cpu_medians}, indent=2))


if __name__ == "__main__":
    main()
