"""A local stream as docs/streaming.md starts it: the emulator, PUBSUB_EMULATOR_HOST, a
Pub/Sub-only config, ``newsbeam pubsub-setup`` for topic and subscription (and to publish),
then ``newsbeam stream``: one line per committed window; SIGINT stops it within 10 s with
its open window committed. Slow (a child process starting Beam)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tests.helpers.loopback import LoopbackSites, free_loopback
from tests.helpers.pubsub import PROJECT, missing_reason, stream_config, wait_until
from tests.helpers.runs import read_dataset
from tests.helpers.streams import page_route

pytestmark = [
    pytest.mark.slow, pytest.mark.timeout(600),
    pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or ""),
    pytest.mark.skipif(not free_loopback(), reason="needs 127.0.0.2 on loopback")]
HOST = "127.0.0.2"
WINDOW = 3
LINE = re.compile(r"newsbeam stream: window \d\d:\d\d:\d\d-\d\d:\d\d:\d\d pane 0 \(on_time\): "
                  r"(\d+) inputs, (\d+) articles, 0 duplicates, 0 rejects; committed "
                  r"(\d+\.\d) s after the window's end")


def newsbeam(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsbeam", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_a_pubsub_only_stream_set_up_from_the_docs_prints_windows_and_stops_fast(
        tmp_path, pubsub_emulator):
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "PUBSUB_EMULATOR_HOST": pubsub_emulator}
    subscription = f"projects/{PROJECT}/subscriptions/urls-{uuid.uuid4().hex[:8]}"
    config = stream_config(tmp_path, subscription, f"{WINDOW}s")
    output = tmp_path / "out"
    with LoopbackSites([HOST], page_route) as site:
        done = newsbeam("pubsub-setup", "--config", str(config), "--publish",
                        site.url(HOST, "/a0"), env=env)
        assert done.returncode == 0, done.stderr
        topic = subscription.replace("/subscriptions/", "/topics/")
        assert done.stdout.strip() == (
            f"newsbeam pubsub-setup: the emulator at {pubsub_emulator}: topic {topic}, "
            f"subscription {subscription} (created {topic}, {subscription}); published 1 URLs")
        process = subprocess.Popen([sys.executable, "-m", "newsbeam", "stream", "--config",
                                    str(config)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
        reader.start()
        try:
            wait_until(lambda: any(LINE.match(line) for line in lines), 180,
                       "the first window's line")
            time.sleep(WINDOW)  # idle a while: nothing waits for a window
            again = newsbeam("pubsub-setup", "--config", str(config), "--publish",
                             site.url(HOST, "/a1"), env=env)
            assert "(both existed already); published 1 URLs" in again.stdout
            wait_until(lambda: len(site.requests) >= 2, 60, "the second page fetched")
            process.send_signal(signal.SIGINT)
            signalled = time.monotonic()
            process.wait(timeout=120)
            stopped_in = time.monotonic() - signalled
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(timeout=10)
    err = process.stderr.read()
    assert process.returncode == 0, err
    print(f"stopped {stopped_in:.1f} s after SIGINT; window lines: {lines[:-1]}")
    assert stopped_in < 10, f"stopped {stopped_in:.1f} s after SIGINT: {err[-3000:]}"
    assert "WARNING" not in err and "ERROR" not in err, err  # a normal stream and stop
    # the open window (the second URL's) was committed before the stop
    assert sorted(a["url"] for a in read_dataset(output, "articles")) == [
        site.url(HOST, "/a0"), site.url(HOST, "/a1")]
    windows = [LINE.match(line) for line in lines if line.startswith("newsbeam stream: window")]
    assert len(windows) == 2 and all(windows), lines
    assert [(w[1], w[2]) for w in windows] == [("1", "1"), ("1", "1")]
    # each window commits seconds after its end (the relay wakes the runner's idle pull)
    assert all(float(w[3]) < 10 for w in windows), lines
    assert lines[-1].startswith("newsbeam stream ") and ": stopped: 2 commits, 2 inputs" in lines[-1]
