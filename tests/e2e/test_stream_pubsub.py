"""Live: ``newsbeam stream`` (a child process; the local runner that streams Pub/Sub is
the BundleBasedDirectRunner) reading URLs from the Pub/Sub emulator (started once per test
session), pages served on loopback; windows commit while it runs; SIGTERM stops it cleanly.
Slow (a minute or more: a child process starting Beam, and two windows to wait for), so it
runs with ``-m slow``, as .ci/run does."""
from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests.helpers.loopback import LoopbackSites, free_loopback
from tests.helpers.pubsub import (
    missing_reason, start_stream, stream_config, topic_and_subscription,
    wait_until, window_commits)
from tests.helpers.runs import read_dataset
from tests.helpers.streams import page_route

pytestmark = [
    pytest.mark.slow, pytest.mark.timeout(900),
    pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or ""),
    pytest.mark.skipif(not free_loopback(), reason="needs 127.0.0.2 on loopback")]
HOST = "127.0.0.2"


def test_stream_commits_windows_while_running_and_stops_on_sigterm_on_bundle_based_direct_runner(
        tmp_path, pubsub_emulator):
    host = pubsub_emulator
    with LoopbackSites([HOST], page_route) as site:
        publisher, topic, subscription = topic_and_subscription(host, "urls")
        publish = lambda path: publisher.publish(  # noqa: E731
            topic, site.url(HOST, path).encode()).result()
        config = stream_config(tmp_path, subscription, "5s")
        output = tmp_path / "out"
        process = start_stream(config, host, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            publish("/a0")
            publish("/a1")
            wait_until(lambda: window_commits(output), 120, "a first window commit")
            first = window_commits(output)
            publish("/a2")
            publish("/a0")  # a copy, windows after its original
            publish("/not-a-page")
            wait_until(lambda: len(read_dataset(output, "articles")) == 3
                       and len(read_dataset(output, "duplicates")) == 1
                       and len(read_dataset(output, "rejects")) == 1, 120,
                       "the second batch committed")
            assert process.poll() is None, "windows commit while the stream runs"
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out
    commits = window_commits(output)
    assert set(first) < set(commits)
    (manifest_path,) = [p for p in (output / "_runs").glob("*.json") if "-w" not in p.stem]
    manifest = json.loads(manifest_path.read_text())
    assert manifest["status"] == "stopped" and sorted(manifest["commits"]) == commits
    assert manifest["counts"] == {"inputs": 5, "articles": 3, "duplicates": 1, "rejects": 1}
    assert manifest["balanced"]
    (dup,) = read_dataset(output, "duplicates")
    articles = {a["url"]: a["article_id"] for a in read_dataset(output, "articles")}
    assert dup["duplicate_of"] == articles[site.url(HOST, "/a0")]
    assert not (output / "_lock").exists() or not any((output / "_lock").iterdir())
