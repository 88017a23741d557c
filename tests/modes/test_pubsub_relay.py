"""The local stream's Pub/Sub relay against the real emulator, without a pipeline: it
forwards each message with its id, acknowledges only what a commit names, hands the rest
back when it finishes, and drops (acknowledges) a message delivered again whose id was
committed before."""
from __future__ import annotations

import time
from datetime import date

import pytest

from newsbeam.core.fetch.work import MESSAGE_ID_ATTRIBUTE
from newsbeam.modes.pubsub_relay import PubSubRelay
from newsbeam.schemas.tables import MESSAGES
from tests.helpers.commits import commit_run
from tests.helpers.pubsub import missing_reason, topic_and_subscription

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")


def pull(subscription: str, wanted: int, seconds: float = 20.0) -> list:
    """Messages of ``subscription`` (acknowledged), until ``wanted`` or ``seconds`` passed."""
    from google.api_core import exceptions
    from google.cloud import pubsub_v1

    subscriber, got = pubsub_v1.SubscriberClient(), []
    deadline = time.monotonic() + seconds
    while len(got) < wanted and time.monotonic() < deadline:
        try:
            response = subscriber.pull(subscription=subscription, max_messages=10, timeout=2)
        except exceptions.DeadlineExceeded:
            continue
        if response.received_messages:
            subscriber.acknowledge(subscription=subscription,
                                   ack_ids=[r.ack_id for r in response.received_messages])
        got += [r.message for r in response.received_messages]
    subscriber.close()
    return got


def commit_ids(output: str, run_id: str, ids: list[str]) -> None:
    commit_run(output, run_id, date(2026, 1, 1),
               {MESSAGES: [{"message_id": i, "run_id": run_id} for i in ids]}, manifest=False)


def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_relay_acknowledges_only_committed_messages_and_drops_committed_ones_delivered_again(
        tmp_path, pubsub_emulator):
    publisher, topic, subscription = topic_and_subscription(pubsub_emulator, "relay")
    publish = lambda url: publisher.publish(topic, url.encode(), kind="page").result()  # noqa: E731
    output = str(tmp_path / "out")
    ids = {url: publish(url) for url in ("u1", "u2", "u3")}

    relay = PubSubRelay(output, subscription)
    relay.start()
    forwarded = pull(relay.subscription, 3)
    assert sorted((m.data.decode(), m.attributes[MESSAGE_ID_ATTRIBUTE], m.attributes["kind"])
                  for m in forwarded) == [(u, ids[u], "page") for u in ("u1", "u2", "u3")]
    commit_ids(output, "r1", [ids["u1"], ids["u2"]])  # a window with u1 and u2 commits
    wait_for(lambda: relay.acked == 2)
    done = relay.finish()
    assert done == {"forwarded": 3, "acknowledged": 2, "dropped_as_committed": 0,
                    "returned_uncommitted": 1}

    # u4's window committed, but its stream died before the ack: delivered again, dropped.
    ids["u4"] = publish("u4")
    commit_ids(output, "r2", [ids["u4"]])
    relay = PubSubRelay(output, subscription)
    relay.start()
    (again,) = pull(relay.subscription, 1)  # u3, handed back at once by the first relay
    assert again.data == b"u3" and again.attributes[MESSAGE_ID_ATTRIBUTE] == ids["u3"]
    wait_for(lambda: relay.dropped == 1)
    commit_ids(output, "r3", [ids["u3"]])
    wait_for(lambda: relay.acked == 1)
    assert relay.finish() == {"forwarded": 1, "acknowledged": 1, "dropped_as_committed": 1,
                              "returned_uncommitted": 0}
    assert pull(subscription, 1, seconds=3) == []  # nothing left to deliver
    from google.api_core import exceptions
    from google.cloud import pubsub_v1

    with pytest.raises(exceptions.NotFound):  # the relay cleaned up after itself
        pubsub_v1.SubscriberClient().get_subscription(subscription=relay.subscription)
