"""The same pages through ``newsbeam run`` in process and on the local Flink cluster, in
one invocation: pages/s of each, rows compared, and the memory of the cluster's processes.

    scripts/local-flink start
    python -m bench.flink_scale [--pages 1171] [--synthetic] [--order inprocess,flink]

Pages: the 1,171 corpus pages (``bench.pipeline_throughput.write_inputs``: both corpora,
gzipped, repeated under new names past 1,171), or with ``--synthetic`` the issue-17
backfill pages (``bench.chunked_runs.write_synthetic``). Each side is the CLI
(``python -m newsbeam run --quiet``) into its own fresh output with default chunking:
``--runner FnApiRunner`` in process, the options ``scripts/local-flink status`` prints on
Flink. Rows are compared with ``bench.compare_outputs`` (articles, duplicates, rejects
keyed by input).

Memory, sampled every 0.5 s from /proc while each run lasts: the peak RSS of each
TaskManager JVM, of each SDK worker process (with its children) and of all of them at one
moment, and of the launching CLI's process tree; per quarter of the Flink run's wall
time, to show whether it grows with the run. From the JobManager's REST API, each
TaskManager's peak JVM heap, direct and metaspace use against their limits (a direct
memory near its limit is what fails first: "OutOfMemoryError: Direct buffer memory").
Load averages before and after each run are printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]

from bench.chunked_runs import tree_rss_mb  # noqa: E402
from bench.machine import describe, machine_info  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
REST = "http://127.0.0.1:8081"
JVM_METRICS = {"heap": "Status.JVM.Memory.Heap.Used",
               "direct": "Status.JVM.Memory.Direct.MemoryUsed",
               "metaspace": "Status.JVM.Memory.Metaspace.Used",
               "managed": "Status.Flink.Memory.Managed.Used"}


def processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat, open(f"/proc/{entry}/cmdline", "rb") as cmd:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                line = cmd.read().replace(b"\0", b" ").decode(errors="replace")
            found[int(entry)] = (parent, line)
        except OSError:
            continue
    return found


def classify(found: dict[int, tuple[int, str]]) -> dict[str, list[int]]:
    """The cluster's TaskManager JVMs and SDK workers (top-level ones: a worker's own
    children are counted in its tree)."""
    workers = {pid for pid, (_, cmd) in found.items() if "sdk_worker_main" in cmd}
    return {"task_managers": sorted(pid for pid, (_, cmd) in found.items()
                                    if "TaskManagerRunner" in cmd),
            "sdk_workers": sorted(pid for pid in workers if found[pid][0] not in workers)}


def rest(path: str):
    with urllib.request.urlopen(f"{REST}{path}", timeout=5) as answer:
        return json.load(answer)


def jvm_limits() -> dict[str, dict]:
    """Per TaskManager id: its configured heap, direct and metaspace limits in MB."""
    limits = {}
    for tm in rest("/taskmanagers")["taskmanagers"]:
        conf = {k: v / 2**20 for k, v in tm["memoryConfiguration"].items()}
        limits[tm["id"]] = {
            "heap": round(conf["frameworkHeap"] + conf["taskHeap"]),
            "direct": round(conf["frameworkOffHeap"] + conf["taskOffHeap"]
                            + conf["networkMemory"]),
            "metaspace": round(conf["jvmMetaspace"]), "managed": round(conf["managedMemory"]),
            "process": round(conf["totalProcessMemory"])}
    return limits


class Sampler:
    """Samples the memory of a run's processes until ``stop()``; peaks in MB."""

    def __init__(self, launcher: subprocess.Popen, cluster: bool, every: float = 0.5):
        self.launcher, self.cluster, self.every = launcher, cluster, every
        self.samples: list[tuple[float, dict]] = []
        self.jvm: dict[str, dict[str, float]] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        started, last_rest = time.monotonic(), 0.0
        while not self.done.is_set():
            self.samples.append((time.monotonic() - started, self._sample()))
            if self.cluster and time.monotonic() - last_rest > 2:
                last_rest = time.monotonic()
                self._sample_jvms()
            self.done.wait(self.every)

    def _sample(self) -> dict:
        sample = {"launcher_tree": tree_rss_mb(self.launcher.pid)}
        if self.cluster:
            kinds = classify(processes())
            sample["task_managers"] = {pid: tree_rss_mb(pid) for pid in kinds["task_managers"]}
            sample["sdk_workers"] = {pid: tree_rss_mb(pid) for pid in kinds["sdk_workers"]}
        return sample

    def _sample_jvms(self) -> None:
        try:
            for tm in rest("/taskmanagers")["taskmanagers"]:
                got = rest(f"/taskmanagers/{tm['id']}/metrics?get={','.join(JVM_METRICS.values())}")
                values = {m["id"]: float(m["value"]) / 2**20 for m in got}
                peaks = self.jvm.setdefault(tm["id"], {})
                for name, metric in JVM_METRICS.items():
                    if metric in values:
                        peaks[name] = max(peaks.get(name, 0.0), values[metric])
        except OSError:
            pass  # the REST API busy: the next sample

    def stop(self) -> None:
        self.done.set()
        self.thread.join()

    def summary(self, quarters: int = 4) -> dict:
        end = self.samples[-1][0] if self.samples else 0.0
        result = {"launcher_tree_peak_mb": round(max(
            (s["launcher_tree"] for _, s in self.samples), default=0))}
        if not self.cluster:
            return result
        per_tm: dict[int, float] = {}
        worker_peak = workers_at_once = 0.0
        by_quarter = [{"task_manager_mb": 0.0, "sdk_worker_mb": 0.0, "sdk_workers_at_once_mb": 0.0}
                      for _ in range(quarters)]
        started_workers = set()
        for at, s in self.samples:
            q = by_quarter[min(quarters - 1, int(at / end * quarters) if end else 0)]
            for pid, rss in s["task_managers"].items():
                per_tm[pid] = max(per_tm.get(pid, 0.0), rss)
                q["task_manager_mb"] = max(q["task_manager_mb"], rss)
            started_workers |= set(s["sdk_workers"])
            once = sum(s["sdk_workers"].values())
            worker_peak = max([worker_peak, *s["sdk_workers"].values()])
            workers_at_once = max(workers_at_once, once)
            q["sdk_worker_mb"] = max([q["sdk_worker_mb"], *s["sdk_workers"].values()])
            q["sdk_workers_at_once_mb"] = max(q["sdk_workers_at_once_mb"], once)
        return {**result,
                "task_manager_peak_mb": [round(v) for _, v in sorted(per_tm.items())],
                "sdk_worker_peak_mb": round(worker_peak),
                "sdk_workers_at_once_peak_mb": round(workers_at_once),
                "sdk_workers_started": len(started_workers),
                "peaks_by_quarter": [{k: round(v) for k, v in q.items()} for q in by_quarter],
                "jvm_peak_mb": {tm: {k: round(v) for k, v in peaks.items()}
                                for tm, peaks in sorted(self.jvm.items())}}


def finished_jobs() -> int:
    return rest("/overview")["jobs-finished"]


def run(config: pathlib.Path, output: pathlib.Path, options: list[str], cluster: bool) -> dict:
    command = [sys.executable, "-m", "newsbeam", "run", "--config", str(config), "--output",
               str(output), "--quiet", *options]
    jobs = finished_jobs() if cluster else 0
    load_before = os.getloadavg()
    started = time.monotonic()
    launcher = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(launcher, cluster)
    out, err = launcher.communicate()
    seconds = time.monotonic() - started
    sampler.stop()
    if launcher.returncode:  # what was sampled until then, then the error
        print(json.dumps({"failed": sampler.summary()}), flush=True)
        sys.exit(f"{' '.join(command)} failed ({launcher.returncode}):\n{out}{err[-4000:]}")
    (manifest,) = [json.loads(p.read_text()) for p in (output / "_runs").glob("*.json")]
    return {"seconds": round(seconds, 1),
            "pages_per_s": round(manifest["counts"]["inputs"] / seconds, 2),
            "counts": manifest["counts"], "balanced": manifest["balanced"],
            "chunks": manifest.get("chunks"),
            "flink_jobs": finished_jobs() - jobs if cluster else None,
            "load_before": [round(x, 1) for x in load_before],
            "load_after": [round(x, 1) for x in os.getloadavg()], **sampler.summary()}


def cluster_options() -> list[str]:
    status = subprocess.run([sys.executable, str(ROOT / "scripts" / "local-flink"), "status"],
                            capture_output=True, text=True)
    if status.returncode:
        sys.exit(f"the local Flink cluster is not up ({status.stdout.strip()}): "
                 "scripts/local-flink start")
    return shlex.split(status.stdout.strip().splitlines()[-1])


def compare_rows(outputs: dict[str, pathlib.Path]) -> dict:
    from bench.compare_outputs import COMPARED, compare, read_rows

    result = {}
    for dataset in COMPARED:
        old, new = (read_rows(outputs[side], dataset, ROOT) for side in ("inprocess", "flink"))
        added, removed, changed, notes = compare(dataset, old, new)
        result[dataset] = {"inprocess": len(old), "flink": len(new), "added": len(added),
                           "removed": len(removed), "changed": len(changed)}
        for line in notes:
            print(line)
    result["identical"] = all(not (d["added"] or d["removed"] or d["changed"])
                              for d in result.values())
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1171)
    parser.add_argument("--synthetic", action="store_true",
                        help="issue 17's synthetic backfill pages instead of the corpus's")
    parser.add_argument("--order", default="inprocess,flink",
                        help="which side runs first (default: %(default)s)")
    parser.add_argument("--keep", metavar="DIR", help="keep inputs and outputs in DIR")
    args = parser.parse_args(argv)
    order = [side.strip() for side in args.order.split(",")]
    if sorted(order) != ["flink", "inprocess"]:
        parser.error("--order: inprocess,flink or flink,inprocess")
    options = {"inprocess": ["--runner", "FnApiRunner"], "flink": cluster_options()}
    print(describe(machine_info()), flush=True)
    print(f"flink options: {shlex.join(options['flink'])}; limits {json.dumps(jvm_limits())}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="newsbeam-flink-scale-") as scratch:
        base = pathlib.Path(args.keep or scratch).resolve()
        base.mkdir(parents=True, exist_ok=True)
        inputs = base / "in"
        if not inputs.exists():
            if args.synthetic:
                from bench.chunked_runs import write_synthetic
                write_synthetic(inputs, args.pages)
            else:
                from bench.pipeline_throughput import write_inputs
                write_inputs(inputs, args.pages)
        config = base / "config.yaml"
        config.write_text(json.dumps({"sources": [{"name": "bench", "kind": "files",
                                                   "path": str(inputs / "*")}]}))
        outputs = {side: base / f"out-{side}" for side in order}
        result = {"pages": args.pages, "synthetic": args.synthetic, "order": order,
                  "flink_options": options["flink"]}
        for side in order:
            subprocess.run(["rm", "-rf", str(outputs[side])], check=True)
            result[side] = run(config, outputs[side], options[side], side == "flink")
            print(json.dumps({side: result[side]}), flush=True)
        result["rows"] = compare_rows(outputs)
        result["flink_vs_inprocess"] = round(
            result["flink"]["pages_per_s"] / result["inprocess"]["pages_per_s"], 3)
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
