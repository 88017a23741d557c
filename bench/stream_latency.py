"""Stream latency and throughput: URLs published on Pub/Sub (the emulator) -> committed rows,
and the stream's sustained items/s next to the batch pipeline's on the same pages.

    python -m bench.stream_latency [--paced 30] [--rate 2] [--burst 100] [--window 2s]

Phase 1 (latency): ``--paced`` URLs published at ``--rate`` per second; each one's latency
is from its publish call returning to the commit record (``_log/<commit>.json``
``created_at``) whose files hold its row. Phase 2 (throughput): ``--burst`` new URLs
published at once; items/s = burst / (last row committed - first publish). Then the same
burst pages in one ``newsbeam run`` (FnApiRunner): items/s = pages / wall seconds of the
run. Pages are distinct (a unique paragraph each), served on loopback. Runner for the
stream: BundleBasedDirectRunner (the local runner that streams Pub/Sub).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
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
from tests.helpers.news_sites import article_page
from tests.helpers.pubsub import missing_reason, running_emulator, topic_and_subscription

HOST = "127.0.0.2"
FETCH = {"allow_private_networks": True, "respect_robots": False, "per_host_delay_seconds": 0,
         "max_retries": 0, "per_host_concurrency": 8}


def route(request) -> Reply:
    number = int(request.path.rsplit("/", 1)[-1])
    page = article_page(number % 5).replace(
        b"</div></article>",
        f"<p>Bulletin {number}: a paragraph only this page carries, number {number}.</p>"
        f"</div></article>".encode())
    return Reply(body=page, headers={"Content-Type": "text/html"})


def committed_at(output: pathlib.Path) -> dict[str, float]:
    """URL -> when the commit holding its article row was made (epoch seconds)."""
    seen = {}
    for record_path in (output / "_log").glob("*-w*.json"):
        record = json.loads(record_path.read_text())
        at = datetime.fromisoformat(record["created_at"]).timestamp()
        for add in record["adds"]:
            if add["table"] == "articles" and add["rows"]:
                for url in pq.read_table(output / add["final"], columns=["url"]).column(0).to_pylist():
                    seen[url] = at
    return seen


def wait_for(output, urls, timeout=300) -> dict[str, float]:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paced", type=int, default=30)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--window", default="2s")
    args = parser.parse_args()
    if missing_reason():
        sys.exit(f"cannot run: {missing_reason()}")
    print(describe(machine_info()))
    base = pathlib.Path(tempfile.mkdtemp(prefix="newsbeam-stream-bench-"))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    with running_emulator() as host, LoopbackSites([HOST], route) as site:
        env["PUBSUB_EMULATOR_HOST"] = host
        publisher, topic, subscription = topic_and_subscription(host, "bench")
        common = {"limits": {"extract_timeout_seconds": 0}, "fetch": FETCH,
                  "dedup": {"near": {"enabled": False}}}
        config = base / "stream.yaml"
        config.write_text(yaml.safe_dump({
            "output": str(base / "stream"), **common,
            "sources": [{"name": "unused", "kind": "urls", "urls": ["http://127.0.0.1/"]}],
            "stream": {"subscription": subscription, "window": args.window,
                       "allowed_lateness": "30s", "dedup_ttl": "1h"}}))
        stream = subprocess.Popen([sys.executable, "-m", "newsbeam", "stream", "--config",
                                   str(config)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        output = base / "stream"
        try:
            # Warm-up: the pipeline is up once a first row is committed.
            warm = site.url(HOST, "/100000")
            publisher.publish(topic, warm.encode()).result()
            wait_for(output, [warm])
            published = {}
            for i in range(args.paced):
                url = site.url(HOST, f"/{i}")
                publisher.publish(topic, url.encode()).result()
                published[url] = time.time()
                time.sleep(1 / args.rate)
            seen = wait_for(output, published)
            latencies = [seen[u] - published[u] for u in published]
            burst = [site.url(HOST, f"/{10_000 + i}") for i in range(args.burst)]
            started = time.time()
            futures = [publisher.publish(topic, url.encode()) for url in burst]
            for future in futures:
                future.result()
            seen = wait_for(output, burst)
            stream_rate = args.burst / (max(seen[u] for u in burst) - started)
        finally:
            stream.send_signal(signal.SIGTERM)
            stream.communicate(timeout=300)
        batch_config = base / "batch.yaml"
        batch_config.write_text(yaml.safe_dump({
            "output": str(base / "batch"), **common,
            "sources": [{"name": "bench", "kind": "urls", "urls": burst}]}))
        subprocess.run([sys.executable, "-m", "newsbeam", "run", "--config", str(batch_config),
                        "--runner", "FnApiRunner"], env=env, check=True, capture_output=True)
        (manifest,) = (base / "batch" / "_runs").glob("*.json")
        manifest = json.loads(manifest.read_text())
        batch_rate = manifest["counts"]["articles"] / manifest["wall_seconds"]
    print(f"window {args.window}; paced phase: {args.paced} URLs at {args.rate}/s")
    print(f"  latency publish -> committed row: median {statistics.median(latencies):.2f} s, "
          f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s")
    print(f"burst phase: {args.burst} URLs published at once")
    print(f"  stream (BundleBasedDirectRunner): {stream_rate:.2f} items/s "
          f"(first publish -> last row committed)")
    print(f"  batch  (newsbeam run, FnApiRunner): {batch_rate:.2f} items/s "
          f"(articles / run wall time, {manifest['wall_seconds']:.1f} s incl. startup)")
    print(f"  stream / batch: {stream_rate / batch_rate:.2f}")


if __name__ == "__main__":
    main()
