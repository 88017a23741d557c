"""Stream latency and throughput: URLs published on Pub/Sub (the emulator) -> committed rows,
and the stream's sustained items/s next to the batch pipeline's on the same pages.

    python -m bench.stream_latency [--paced 30] [--rate 2] [--burst 100] [--window 2s]
                                   [--lateness 10m] [--near off|on|both] [--texts shared|distinct]

Phase 1 (latency): ``--paced`` URLs published at ``--rate`` per second; each one's latency
is from its publish call returning to the commit record (``_log/<commit>.json``
``created_at``) whose files hold its row. Phase 2 (throughput): ``--burst`` new URLs
published at once; items/s = burst / (last row committed - first publish). Then the same
burst pages in one ``newsbeam run`` (FnApiRunner): items/s = pages / wall seconds of the
run. Pages are served on loopback: ``--texts shared`` 5 base texts with a unique paragraph
each (distinct for exact dedup, near copies for near dedup), ``distinct`` shuffled words. Runner for the
stream: BundleBasedDirectRunner (the local runner that streams Pub/Sub). ``--near both``
(default) runs it all twice, near-dup off (the baseline) then on, and prints the ratios.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import pathlib
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import pyarrow.parquet as pq
import yaml

from bench.machine import describe, machine_info
from tests.helpers.loopback import LoopbackSites, Reply
from tests.helpers.news_sites import article_page, sample
from tests.helpers.pubsub import missing_reason, running_emulator, topic_and_subscription

HOST = "127.0.0.2"
FETCH = {"allow_private_networks": True, "respect_robots": False, "per_host_delay_seconds": 0,
         "max_retries": 0, "per_host_concurrency": 8}


def distinct_page(number: int) -> bytes:
    """Sample ``number % 5`` with the words of each paragraph shuffled (seeded by number):
    a text of the same length no other page shares a shingle with."""
    rng = random.Random(number)
    title, paragraphs = sample(number % 5)
    body = "".join(f"<p>{html.escape(' '.join(rng.sample(p.split(), len(p.split()))))}</p>"
                   for p in paragraphs)
    return (f"<!doctype html><html lang='en'><head><title>{html.escape(title)} {number}"
            f"</title></head><body><article><h1>{html.escape(title)} {number}</h1>{body}"
            f"</article></body></html>").encode()


def route(request) -> Reply:
    number = int(request.path.rsplit("/", 1)[-1])
    if request.path.startswith("/distinct/"):
        return Reply(body=distinct_page(number), headers={"Content-Type": "text/html"})
    page = article_page(number % 5).replace(
        b"</div></article>",
        f"<p>Bulletin {number}: a paragraph only this page carries, number {number}.</p>"
        f"</div></article>".encode())
    return Reply(body=page, headers={"Content-Type": "text/html"})


def committed_at(output: pathlib.Path) -> dict[str, float]:
    """URL -> when the commit holding its row (article, duplicate or reject) was made."""
    seen = {}
    for record_path in (output / "_log").glob("*-w*.json"):
        record = json.loads(record_path.read_text())
        at = datetime.fromisoformat(record["created_at"]).timestamp()
        for add in record["adds"]:
            # A record is written before its files move into place (they do a moment later).
            if add["table"] in ("articles", "duplicates", "rejects") and add["rows"] \
                    and (output / add["final"]).exists():
                column = "input" if add["table"] == "rejects" else "url"
                table = pq.read_table(output / add["final"], columns=[column])
                for url in table.column(0).to_pylist():
                    seen[url] = at
    return seen


def wait_for(output, urls, timeout=900) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = committed_at(output) if (output / "_log").exists() else {}
        if all(u in seen for u in urls):
            return seen
        time.sleep(0.25)
    raise RuntimeError(f"only {sum(u in seen for u in urls)}/{len(urls)} committed in time")


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_stream(base, env, site, publisher, topic, subscription, args, common) -> dict:
    """One stream: warm-up, the paced phase (latencies), the burst phase (items/s); its CPU
    seconds from start to stop (the stream process and what it waited for)."""
    name = "near" if common["dedup"]["near"]["enabled"] else "exact"
    config = base / f"{name}.yaml"
    output = base / name
    config.write_text(yaml.safe_dump({
        "output": str(output), **common,
        "sources": [{"name": "unused", "kind": "urls", "urls": ["http://127.0.0.1/"]}],
        "stream": {"subscription": subscription, "window": args.window,
                   "allowed_lateness": args.lateness, "dedup_ttl": "1h"}}))
    cpu = children_cpu()
    stream = subprocess.Popen([sys.executable, "-m", "newsbeam", "stream", "--config",
                               str(config)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        # Warm-up: the pipeline is up once a first row is committed.
        warm = site.url(HOST, f"/{100_000 + (name == 'near')}")
        publisher.publish(topic, warm.encode()).result()
        wait_for(output, [warm])
        published = {}
        for i in range(args.paced):
            url = site.url(HOST, f"{args.prefix}/{i}")
            publisher.publish(topic, url.encode()).result()
            published[url] = time.time()
            time.sleep(1 / args.rate)
        seen = wait_for(output, published)
        latencies = [seen[u] - published[u] for u in published]
        burst = [site.url(HOST, f"{args.prefix}/{10_000 + i}") for i in range(args.burst)]
        started = time.time()
        futures = [publisher.publish(topic, url.encode()) for url in burst]
        for future in futures:
            future.result()
        seen = wait_for(output, burst)
        rate = args.burst / (max(seen[u] for u in burst) - started)
    finally:
        stream.send_signal(signal.SIGTERM)
        stream.communicate(timeout=300)
    (manifest,) = [p for p in (output / "_runs").glob("*.json") if "-w" not in p.stem]
    counts = json.loads(manifest.read_text())["counts"]
    return {"name": name, "latencies": latencies, "rate": rate, "burst": burst,
            "cpu_seconds": children_cpu() - cpu, "counts": counts}


def measure_batch(base, env, urls, common) -> dict:
    name = "batch-near" if common["dedup"]["near"]["enabled"] else "batch-exact"
    config = base / f"{name}.yaml"
    config.write_text(yaml.safe_dump({
        "output": str(base / name), **common,
        "sources": [{"name": "bench", "kind": "urls", "urls": urls}]}))
    cpu = children_cpu()
    subprocess.run([sys.executable, "-m", "newsbeam", "run", "--config", str(config),
                    "--runner", "FnApiRunner"], env=env, check=True, capture_output=True)
    (manifest,) = (base / name / "_runs").glob("*.json")
    manifest = json.loads(manifest.read_text())
    return {"rate": manifest["counts"]["inputs"] / manifest["wall_seconds"],
            "wall": manifest["wall_seconds"], "cpu_seconds": children_cpu() - cpu,
            "counts": manifest["counts"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paced", type=int, default=30)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--window", default="2s")
    # On a loaded machine the local runner pulls a burst long after its publish times: a
    # short lateness turns it into too_late rejects, which measures the policy, not the work.
    parser.add_argument("--lateness", default="10m")
    parser.add_argument("--near", choices=("off", "on", "both"), default="both",
                        help="near-dup dedup in both pipelines: off (exact only, the "
                             "baseline), on, or both side by side (default)")
    parser.add_argument("--texts", choices=("shared", "distinct"), default="shared",
                        help="shared: 5 base texts, a unique paragraph each (with near-dup "
                             "on, most pages are near copies); distinct: no two pages near")
    args = parser.parse_args()
    args.prefix = "/distinct" if args.texts == "distinct" else ""
    if missing_reason():
        sys.exit(f"cannot run: {missing_reason()}")
    print(describe(machine_info()))
    base = pathlib.Path(tempfile.mkdtemp(prefix="newsbeam-stream-bench-"))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.near]
    results = []
    with running_emulator() as host, LoopbackSites([HOST], route) as site:
        env["PUBSUB_EMULATOR_HOST"] = host
        for near in modes:
            common = {"limits": {"extract_timeout_seconds": 0}, "fetch": FETCH,
                      "dedup": {"near": {"enabled": near}}}
            publisher, topic, subscription = topic_and_subscription(
                host, "bench-near" if near else "bench")
            stream = measure_stream(base, env, site, publisher, topic, subscription, args,
                                    common)
            results.append((stream, measure_batch(base, env, stream["burst"], common)))
            print(f"  ({stream['name']} done, load {os.getloadavg()[0]:.1f})", flush=True)
    texts = ("share 5 base texts (a unique paragraph each): with near-dup on, most are "
             "near copies" if args.texts == "shared" else "are distinct (no near copies)")
    print(f"window {args.window}, allowed lateness {args.lateness}; paced phase: "
          f"{args.paced} URLs at {args.rate}/s; burst phase: {args.burst} URLs at once; "
          f"pages {texts}")
    for stream, batch in results:
        latencies = stream["latencies"]
        print(f"near-dup {'on ' if stream['name'] == 'near' else 'off'}: "
              f"latency publish -> committed row median {statistics.median(latencies):.2f} s, "
              f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s")
        print(f"  stream (BundleBasedDirectRunner): {stream['rate']:.2f} items/s (first "
              f"publish -> last row committed); {stream['cpu_seconds']:.1f} CPU s for the "
              f"whole stream process; rows {stream['counts']}")
        print(f"  batch  (newsbeam run, FnApiRunner): {batch['rate']:.2f} items/s "
              f"(inputs / run wall time, {batch['wall']:.1f} s incl. startup; "
              f"{batch['cpu_seconds']:.1f} CPU s); "
              f"stream / batch {stream['rate'] / batch['rate']:.2f}")
    if len(results) == 2:
        (off, _), (on, _) = results
        median = [statistics.median(r["latencies"]) for r in (on, off)]
        p95 = [percentile(r["latencies"], 0.95) for r in (on, off)]
        print(f"near on / off: latency median x{median[0] / median[1]:.2f}, "
              f"p95 x{p95[0] / p95[1]:.2f}, burst items/s x{on['rate'] / off['rate']:.2f}, "
              f"stream CPU s x{on['cpu_seconds'] / off['cpu_seconds']:.2f}")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
