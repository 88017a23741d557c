"""``newsbeam follow`` as a user runs it (a child process, runner FnApiRunner) against a
loopback feed that gains entries between polls."""
from __future__ import annotations

import hashlib
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.helpers.loopback import LoopbackSites, Reply, free_loopback
from tests.helpers.news_sites import rss
from tests.helpers.runs import read_dataset, read_manifests, write_config
from tests.helpers.streams import page_route

pytestmark = pytest.mark.skipif(not free_loopback(), reason="needs 127.0.0.2 on loopback")
HOST = "127.0.0.2"


class GrowingFeed:
    """An RSS feed at /feed.xml (with ETags) listing the pages added so far."""

    def __init__(self):
        self.entries: list[str] = []
        self.port = 0

    def __call__(self, request) -> Reply:
        if request.path != "/feed.xml":
            return page_route(request)
        body = rss([(path, f"http://{HOST}:{self.port}{path}") for path in self.entries])
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
        if request.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(body=body, headers={"Content-Type": "application/rss+xml", "ETag": etag})


def read_lines(process, lines: list[str]) -> None:
    for line in process.stdout:
        lines.append(line)


def wait_for(lines: list[str], count: int, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        polls = [l for l in lines if l.startswith(("newsbeam run", "newsbeam follow: poll"))]
        if len(polls) >= count:
            return polls[count - 1]
        time.sleep(0.1)
    raise AssertionError(f"no poll {count} in time; output so far: {lines}")


def test_follow_ingests_each_new_entry_once_survives_a_failing_poll_and_stops_on_sigterm(tmp_path):
    feed = GrowingFeed()
    feed.entries = ["/a0", "/a1"]
    with LoopbackSites([HOST], feed) as site:
        feed.port = site.port
        config = write_config(
            tmp_path, [{"name": "feed", "kind": "feed", "url": site.url(HOST, "/feed.xml")}],
            limits={"extract_timeout_seconds": 0},
            fetch={"allow_private_networks": True, "respect_robots": False,
                   "per_host_delay_seconds": 0, "max_retries": 0})
        process = subprocess.Popen(
            [sys.executable, "-m", "newsbeam", "follow", "--config", str(config), "--every", "1s",
             "--runner", "FnApiRunner"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
        lines: list[str] = []
        threading.Thread(target=read_lines, args=(process, lines), daemon=True).start()
        try:
            assert " 2 articles" in wait_for(lines, 1)
            # A poll that fails (here: the dedup index parameters are unreadable) is
            # reported, and the next poll runs.
            params = tmp_path / "out" / "_state" / "dedup_index" / "params.json"
            saved = params.read_bytes()
            params.write_text("{not json")
            feed.entries.append("/a2")
            second = wait_for(lines, 2)
            params.write_bytes(saved)
            assert second.startswith("newsbeam follow: poll failed"), second
            polls = 3
            while " 1 inputs, 1 articles" not in wait_for(lines, polls):  # a poll may have
                polls += 1                                       # started before the restore
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=120) == 0
        finally:
            if process.poll() is None:
                process.kill()
        requests = site.paths()
    assert "stopped after" in lines[-1], lines
    articles = read_dataset(tmp_path / "out", "articles")
    assert sorted(a["url"].rsplit("/", 1)[-1] for a in articles) == ["a0", "a1", "a2"]
    # Nothing refetched: every page was requested once, the feed once per poll.
    pages = [p for p in requests if not p.endswith("/feed.xml")]
    assert sorted(pages) == sorted(f"{HOST}/a{i}" for i in range(3))
    manifests = read_manifests(tmp_path / "out")
    assert all(m["status"] == "succeeded" and m["balanced"] for m in manifests)


def test_a_poll_whose_source_failed_entirely_is_counted_as_such_not_as_succeeded():
    from newsbeam.config import load_config
    from newsbeam.modes.follow import follow

    statuses = iter(["succeeded", "sources_failed", "sources_failed"])
    reported = []
    config = load_config(str(pathlib.Path(__file__).parents[2] / "configs" / "fixtures.yaml"))
    outcomes = follow(config, [], every_seconds=0, max_runs=3,
                      run_once=lambda *_: {"status": next(statuses)},
                      report=lambda outcome, *_: reported.append(outcome))
    assert outcomes == {"succeeded": 1, "sources_failed": 2, "skipped": 0, "failed": 0}
    assert reported == ["succeeded", "sources_failed", "sources_failed"]
