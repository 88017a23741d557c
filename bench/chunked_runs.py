"""Memory of chunked runs, and a backfill killed in its middle then resumed.

    python -m bench.chunked_runs scaling [--rounds 2] [--sizes 1171 3513]
    python -m bench.chunked_runs backfill [--pages 50000] [--kill-at 0.5]

``scaling``: ``newsbeam run`` (CLI, FnApiRunner, default chunk settings) over the 1,171
corpus pages (``bench.pipeline_throughput.write_inputs``: both corpora, gzipped, repeated
under new names past 1,171), sizes alternating, each size ``--rounds`` times; prints the
peak RSS of the run's whole process tree (sampled every 0.2 s from /proc: the run, its
extraction children, any Beam workers) and the wall time.

``backfill``: synthetic pages (``bench.neardup_scale`` texts, ~500 words, every tenth a
near copy of its neighbour, in a small HTML template); a first run is SIGKILLed (with its
process group) once ``--kill-at`` of its chunks are committed, then a second run finishes
the job. Checks that every input is in exactly one of articles, duplicates and rejects,
no article id twice, and that the second run read only the files the first did not commit;
prints both runs' peak process-tree RSS.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

from bench.machine import describe, machine_info  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def tree_rss_mb(root: int) -> float:
    """RSS of ``root`` and every process under it, summed (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * PAGE_SIZE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 2**20


class TreePeak:
    """Samples a process tree's RSS until the process ends; ``peak`` in MB."""

    def __init__(self, process: subprocess.Popen, every: float = 0.2):
        self.process, self.every, self.peak = process, every, 0.0
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.process.poll() is None:
            self.peak = max(self.peak, tree_rss_mb(self.process.pid))
            time.sleep(self.every)

    def wait(self) -> float:
        self.process.wait()
        self.thread.join()
        return self.peak


def run_command(config: pathlib.Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "newsbeam", "run", "--config", str(config), "--quiet",
            "--runner", "FnApiRunner", *extra]


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def write_config(folder: pathlib.Path, inputs: str) -> pathlib.Path:
    config = folder / "config.yaml"
    config.write_text(json.dumps({"output": str(folder / "out"),
                                  "sources": [{"name": "bench", "kind": "files",
                                               "path": inputs}]}))
    return config


def scaling(sizes: list[int], rounds: int) -> list[dict]:
    from bench.pipeline_throughput import write_inputs

    results = []
    with tempfile.TemporaryDirectory(prefix="newsbeam-chunks-") as tmp:
        tmp = pathlib.Path(tmp)
        for size in sizes:
            write_inputs(tmp / f"in{size}", size)
        for round_ in range(rounds):
            for size in sizes:
                folder = tmp / f"run{size}-{round_}"
                folder.mkdir()
                config = write_config(folder, str(tmp / f"in{size}" / "*.html.gz"))
                started = time.perf_counter()
                process = start(run_command(config))
                peak = TreePeak(process).wait()
                out, err = process.communicate()
                manifest = json.loads(next((folder / "out" / "_runs").glob("*.json"))
                                      .read_text())
                results.append({
                    "pages": size, "round": round_ + 1, "exit": process.returncode,
                    "seconds": round(time.perf_counter() - started, 1),
                    "peak_tree_rss_mb": round(peak), "balanced": manifest.get("balanced"),
                    "chunks": manifest.get("chunks"), "counts": manifest.get("counts"),
                    "load_avg_1m": round(os.getloadavg()[0], 1)})
                print(json.dumps(results[-1]), flush=True)
    return results


def page(title: str, text: str, day: int) -> bytes:
    words = text.split()
    paragraphs = [" ".join(words[i:i + 60]) for i in range(0, len(words), 60)]
    body = "\n".join(f"<p>{html.escape(p)}.</p>" for p in paragraphs)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f'<meta property="article:published_time" content="2025-01-{day:02d}T08:00:00Z">'
            f"</head><body><nav><a href=/>Home</a></nav><article><h1>{title}</h1>{body}"
            f"</article><footer>Synthetic News</footer></body></html>").encode()


def write_synthetic(folder: pathlib.Path, pages: int) -> None:
    from bench.neardup_scale import CHUNK, documents

    folder.mkdir(parents=True)
    for chunk in range((pages + CHUNK - 1) // CHUNK):
        for i, (doc_id, text) in enumerate(documents(chunk)):
            n = chunk * CHUNK + i
            if n >= pages:
                return
            (folder / f"p{n:06d}.html").write_bytes(
                page(f"Story {doc_id[:8]}", text, 1 + n % 28))


def _rows(output: pathlib.Path, dataset: str, columns: list[str]) -> list[dict]:
    import pyarrow.dataset as ds

    files = sorted(str(p) for p in (output / dataset).rglob("*.parquet"))
    return ds.dataset(files, format="parquet").to_table(columns=columns).to_pylist()


def backfill(pages: int, kill_at: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="newsbeam-backfill-") as tmp:
        tmp = pathlib.Path(tmp)
        started = time.perf_counter()
        write_synthetic(tmp / "in", pages)
        print(f"wrote {pages} pages in {time.perf_counter() - started:.0f} s", flush=True)
        config = write_config(tmp, str(tmp / "in" / "*.html"))
        output = tmp / "out"
        chunk_inputs = 500  # the default; the run says so in its manifest
        planned = (pages + chunk_inputs - 1) // chunk_inputs
        kill_after = max(1, int(planned * kill_at))
        first = start(run_command(config))
        sampler = TreePeak(first)
        started = time.perf_counter()
        marker = f"*-chunk{kill_after:05d}.applied"
        while first.poll() is None and not list((output / "_log").glob(marker)):
            time.sleep(0.2)
        os.killpg(first.pid, signal.SIGKILL)
        first_peak = sampler.wait()
        first_seconds = time.perf_counter() - started
        committed = len(list((output / "_log").glob("*-chunk*.applied")))
        pending = len(_rows(output / "_state", "pending", ["input"])) \
            if (output / "_state" / "pending").exists() else 0
        rejected = len(_rows(output, "rejects", ["input"])) \
            if (output / "rejects").exists() else 0
        print(f"first run killed after {first_seconds:.0f} s, {committed} chunks committed "
              f"({pending} pending, {rejected} rejects), peak {first_peak:.0f} MB", flush=True)
        started = time.perf_counter()
        second = start(run_command(config))
        second_peak = TreePeak(second).wait()
        out, err = second.communicate()
        second_seconds = time.perf_counter() - started
        manifests = [json.loads(p.read_text()) for p in (output / "_runs").glob("*.json")]
        done = next(m for m in manifests if m["status"] == "succeeded")
        inputs = [r["input"] for name in ("articles", "duplicates", "rejects")
                  for r in _rows(output, name, ["input"])]
        ids = [r["article_id"] for r in _rows(output, "articles", ["article_id"])]
        result = {
            "pages": pages, "chunk_inputs": chunk_inputs, "planned_chunks": planned,
            "first_run": {"seconds": round(first_seconds), "chunks_committed": committed,
                          "inputs_committed": pending + rejected,
                          "peak_tree_rss_mb": round(first_peak)},
            "second_run": {"exit": second.returncode, "seconds": round(second_seconds),
                           "peak_tree_rss_mb": round(second_peak), "counts": done.get("counts"),
                           "chunks": done.get("chunks"), "balanced": done.get("balanced"),
                           "skipped": done["metrics"].get("sources:skipped_unchanged")},
            "every_input_once": sorted(inputs) == sorted(str(p) for p in (tmp / "in").iterdir()),
            "no_article_id_twice": len(ids) == len(set(ids)),
            "second_read_only_the_rest": done["counts"]["inputs"] == pages - (pending + rejected),
            "rows": {"articles": len(ids), "inputs_in_datasets": len(inputs)},
            "load_avg_1m": round(os.getloadavg()[0], 1),
        }
        if second.returncode:
            result["second_run"]["stderr"] = err[-2000:]
        print(json.dumps(result, indent=1), flush=True)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    scale = commands.add_parser("scaling")
    scale.add_argument("--sizes", type=int, nargs="+", default=[1171, 3513])
    scale.add_argument("--rounds", type=int, default=2)
    fill = commands.add_parser("backfill")
    fill.add_argument("--pages", type=int, default=50_000)
    fill.add_argument("--kill-at", type=float, default=0.5)
    args = parser.parse_args()
    print(describe(machine_info()), flush=True)
    if args.command == "scaling":
        scaling(args.sizes, args.rounds)
    else:
        backfill(args.pages, args.kill_at)
    print(f"load at the end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
