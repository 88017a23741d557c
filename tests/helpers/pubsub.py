"""The Pub/Sub emulator of this machine image (google-cloud-cli-pubsub-emulator, Java 17),
started on a free loopback port (once per test session: the ``pubsub_emulator`` fixture)."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import yaml

EMULATOR = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
PROJECT = "newsbeam-test"


def emulator_command() -> str | None:
    found = shutil.which("cloud-pubsub-emulator") or (EMULATOR if os.path.exists(EMULATOR) else None)
    return found if found and shutil.which("java") else None


def missing_reason() -> str | None:
    """Why the live Pub/Sub test cannot run here, or None."""
    if emulator_command() is None:
        return "the Pub/Sub emulator (google-cloud-cli-pubsub-emulator) or java is not installed"
    try:
        import google.cloud.pubsub_v1  # noqa: F401
    except ImportError:
        return "google-cloud-pubsub is not installed (pip install newsbeam[stream])"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_emulator():
    """Yields ``host:port`` of a fresh emulator; stops it afterwards."""
    port = _free_port()
    process = subprocess.Popen([emulator_command(), "--host=127.0.0.1", f"--port={port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("the Pub/Sub emulator did not start in 60 s")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def topic_and_subscription(host: str, name: str):
    """(publisher, topic path, subscription path) on the emulator at ``host``; a new pair
    each call (the emulator outlives one test), named ``name`` plus a random suffix."""
    name = f"{name}-{uuid.uuid4().hex[:8]}"
    os.environ["PUBSUB_EMULATOR_HOST"] = host
    from google.cloud import pubsub_v1

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(PROJECT, name)
    subscription = subscriber.subscription_path(PROJECT, name)
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic)
    return publisher, topic, subscription


def window_commits(output) -> list[str]:
    """The window commits of streams in ``output`` (a pathlib.Path), sorted."""
    folder = output / "_log"
    return sorted(p.stem for p in folder.glob("*-w*-p*.json")) if folder.exists() else []


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stream_config(folder, subscription: str, window: str):
    """A Pub/Sub-only config (no sources) of a stream of ``subscription`` with fixed
    windows of ``window``, fetching from loopback at once (no robots, no delays, no
    retries)."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({
        "output": str(folder / "out"), "limits": {"extract_timeout_seconds": 0},
        "fetch": {"allow_private_networks": True, "respect_robots": False,
                  "per_host_delay_seconds": 0, "max_retries": 0},
        "stream": {"subscription": subscription, "window": window,
                   "allowed_lateness": window, "dedup_ttl": "1h"}}))
    return path


def start_stream(config, host: str, **popen) -> subprocess.Popen:
    """``newsbeam stream --config CONFIG`` as a child process, on the emulator at ``host``."""
    return subprocess.Popen(
        [sys.executable, "-m", "newsbeam", "stream", "--config", str(config)], text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd(), "PUBSUB_EMULATOR_HOST": host}, **popen)
