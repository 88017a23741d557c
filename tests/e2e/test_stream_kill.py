"""Live: ``newsbeam stream`` on the local runner (BundleBasedDirectRunner) against the
Pub/Sub emulator, SIGKILLed at random moments and restarted: every published URL ends up
exactly once (article or reject), none twice, none lost; a killed stream's manifest
(written by the next stream's recovery) says it was killed and what it committed."""
from __future__ import annotations

import html
import json
import os
import random
import signal
import subprocess
import time

import pytest

from newsbeam.schemas.manifest import problems
from tests.helpers.loopback import LoopbackSites, Reply
from tests.helpers.pubsub import (
    missing_reason, start_stream, stream_config, topic_and_subscription,
    wait_until, window_commits)
from tests.helpers.runs import read_dataset

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")]
HOST = "127.0.0.1"
PUBLISHED = 24          # URLs, in three batches
GONE_EVERY = 6          # every 6th URL answers 404: a fetch reject


def story(number: int) -> bytes:
    """A page of its own (random words seeded by its number: no copies, no near copies)."""
    rng = random.Random(number)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
             for _ in range(160)]
    paragraphs = [" ".join(words[i:i + 20]).capitalize() + "." for i in range(0, 160, 20)]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!doctype html><html lang='en'><head><title>Story {number}</title></head><body>"
            f"<article><h1>Story {number} {words[0]}</h1>{body}</article></body></html>").encode()


def route(request) -> Reply:
    number = request.path.rsplit("/", 1)[-1].removeprefix("story")
    if not number.isdigit() or int(number) % GONE_EVERY == GONE_EVERY - 1:
        return Reply(status=404, body=b"gone")
    # Slow enough that a kill finds pages in flight.
    return Reply(body=story(int(number)), headers={"Content-Type": "text/html"}, delay=0.3)


def rows_in(output) -> list[dict]:
    return (read_dataset(output, "articles") + read_dataset(output, "duplicates")
            + read_dataset(output, "rejects"))


def test_stream_killed_at_random_moments_loses_and_doubles_nothing_on_bundle_based_direct_runner(
        tmp_path, pubsub_emulator):
    host = pubsub_emulator
    seed = int(os.environ.get("NEWSBEAM_KILL_SEED", time.time()))
    rng = random.Random(seed)
    print(f"kill seed {seed}")
    with LoopbackSites([HOST], route) as site:
        publisher, topic, subscription = topic_and_subscription(host, "urls")
        urls = [site.url(HOST, f"/story{n}") for n in range(PUBLISHED)]
        config = stream_config(tmp_path, subscription, "3s")
        output = tmp_path / "out"
        processes = []

        def start() -> subprocess.Popen:  # its output in a file: a full pipe would block it
            with open(tmp_path / f"stream{len(processes)}.log", "w") as log:
                processes.append(start_stream(config, host, stdout=log,
                                              stderr=subprocess.STDOUT))
            return processes[-1]

        def publish(batch: list[str]) -> None:
            for future in [publisher.publish(topic, url.encode()) for url in batch]:
                future.result()

        try:
            # 1. Killed a random moment after its first pages were pulled (mostly before
            #    the first window commits, sometimes after).
            first = start()
            publish(urls[:8])
            wait_until(lambda: site.paths(), 120, "the first stream fetching")
            time.sleep(rng.uniform(0.0, 4.0))
            first.kill()
            first.wait(30)
            # 2. Published while no stream runs, then killed a random moment after the
            #    restarted stream committed a window.
            publish(urls[8:16])
            second = start()
            before = set(window_commits(output))
            wait_until(lambda: set(window_commits(output)) - before, 180,
                       "a window of the second stream")
            time.sleep(rng.uniform(0.0, 3.0))
            second.kill()
            second.wait(30)
            # 3. The last stream takes the rest and is stopped cleanly.
            third = start()
            publish(urls[16:])
            wait_until(lambda: len(rows_in(output)) >= PUBLISHED, 240, f"{PUBLISHED} rows")
            third.send_signal(signal.SIGTERM)
            third.wait(timeout=120)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait(30)
        assert third.returncode == 0, (tmp_path / "stream2.log").read_text()

    articles, rejects = read_dataset(output, "articles"), read_dataset(output, "rejects")
    assert read_dataset(output, "duplicates") == []  # a message ingested twice is one
    inputs = sorted([a["url"] for a in articles] + [r["input"] for r in rejects])
    assert inputs == sorted(urls), f"seed {seed}"
    assert len({a["article_id"] for a in articles}) == len(articles)
    gone = {u for n, u in enumerate(urls) if n % GONE_EVERY == GONE_EVERY - 1}
    assert {r["input"] for r in rejects} == gone and {r["stage"] for r in rejects} == {"fetch"}

    manifests = {p.stem: json.loads(p.read_text()) for p in (output / "_runs").glob("*.json")}
    assert [problem for m in manifests.values() for problem in problems(m)] == []
    streams = {m["run_id"]: m for m in manifests.values() if "-w" not in m["run_id"]}
    stopped = [m for m in streams.values() if m["status"] == "stopped"]
    killed = [m for m in streams.values() if m["status"] == "killed"]
    assert len(stopped) == 1 and 1 <= len(killed) <= 2, {k: m["status"] for k, m in streams.items()}
    assert not [m for m in streams.values() if m["status"] not in ("stopped", "killed")]
    for manifest in killed:  # what it committed, window by window
        assert manifest["recovered"] and manifest["commits"]
        assert manifest["commits"] == [w["commit"] for w in manifest["windows"]]
        rows = {name: sum(w["rows"][name] for w in manifest["windows"])
                for name in ("articles", "duplicates", "rejects")}
        assert rows == {name: manifest["counts"][name] for name in rows}
    committed = sum(m["counts"]["articles"] + m["counts"]["rejects"] for m in streams.values())
    assert committed == PUBLISHED
    assert stopped[0]["relay"]["returned_uncommitted"] == 0
