"""``newsbeam pubsub-setup``: the topic and subscription a config's
``stream.subscription`` names, created where the Pub/Sub client points (the emulator when
``PUBSUB_EMULATOR_HOST`` is set), and URLs published to the topic, so a local stream can
be started from the docs alone (docs/streaming.md)."""
from __future__ import annotations

import dataclasses
import os

EMULATOR_VARIABLE = "PUBSUB_EMULATOR_HOST"


@dataclasses.dataclass
class Setup:
    target: str             # "the emulator at HOST" or "Google Cloud Pub/Sub"
    topic: str
    subscription: str
    created: list[str]      # what did not exist before
    published: int = 0


def topic_of(subscription: str, topic: str | None) -> str:
    """``projects/P/topics/T`` for ``topic`` (a name or a path), by default the
    subscription's own name in its project."""
    project, name = subscription.split("/")[1], subscription.rsplit("/", 1)[-1]
    topic = topic or name
    return topic if topic.startswith("projects/") else f"projects/{project}/topics/{topic}"


def set_up(subscription: str, topic: str | None = None, urls: list[str] = ()) -> Setup:
    """Create the topic and the subscription on it if missing; publish ``urls`` (one
    message each: the URL as data, as ``newsbeam stream`` reads them)."""
    from google.api_core import exceptions
    from google.cloud import pubsub_v1  # needs newsbeam[stream]

    host = os.environ.get(EMULATOR_VARIABLE)
    done = Setup(f"the emulator at {host}" if host else "Google Cloud Pub/Sub",
                 topic_of(subscription, topic), subscription, [])
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    for create, name, kwargs in (
            (publisher.create_topic, done.topic, {"name": done.topic}),
            (subscriber.create_subscription, subscription,
             {"name": subscription, "topic": done.topic})):
        try:
            create(**kwargs)
            done.created.append(name)
        except exceptions.AlreadyExists:
            pass
    futures = [publisher.publish(done.topic, url.encode("utf-8")) for url in urls]
    for future in futures:
        future.result(timeout=60)
    done.published = len(futures)
    subscriber.close()
    return done
