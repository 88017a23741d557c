"""The Pub/Sub emulator of this machine image (google-cloud-cli-pubsub-emulator, Java 17),
started on a free loopback port (once per test session: the ``pubsub_emulator`` fixture)."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid

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
