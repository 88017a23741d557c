"""A local stream's Pub/Sub source that loses nothing and ingests nothing twice.

Beam's DirectRunner acknowledges a Pub/Sub message as it pulls it, so a local stream
killed before a window commits lost that window's messages. The relay stands between the
subscription and the pipeline: it pulls the subscription itself with the Pub/Sub client,
keeps each message's ack id (extending its deadline while it waits), forwards the message
to a relay topic the pipeline reads with Beam's own ``ReadFromPubSub`` (the message id
as an attribute), and acknowledges it only once the id is committed with its window (the
``messages`` state table, ``pipelines/streaming.py``). A message delivered again whose id
was committed (the stream died between its commit and the ack) is acknowledged and
dropped; one that was never committed is forwarded again. Messages the pipeline pulled
from the relay topic but never committed are lost from the relay, not from the
subscription, which delivers them again. Dataflow does not need it (its source
acknowledges only what was checkpointed); docs/streaming.md has the details.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time

from newsbeam.core.fetch.work import MESSAGE_ID_ATTRIBUTE, TICK_ATTRIBUTE
from newsbeam.store.state import committed_messages

LOG = logging.getLogger("newsbeam.stream.relay")
LEASE_SECONDS = 30      # each held message's ack deadline (after a kill: when it comes again)
EXTEND_SECONDS = 10     # renewed this often
PULL_SECONDS = 1.0      # a pull waits at most this long (the loop also acks and extends)
MAX_MESSAGES = 100
ACK_BATCH = 1000        # ack ids per acknowledge/modify request


def relay_name(output: str, subscription: str) -> str:
    """One relay per output and subscription: a stream killed before it deleted its relay
    leaves it to the next stream on that output, which starts it afresh."""
    digest = hashlib.sha256(f"{output}\n{subscription}".encode()).hexdigest()[:16]
    return f"newsbeam-relay-{digest}"


def _chunks(items: list, size: int = ACK_BATCH):
    return (items[i:i + size] for i in range(0, len(items), size))


class PubSubRelay:
    """``start()`` creates the relay topic and subscription (``subscription`` is the one
    the pipeline reads) and starts the loop; ``stop_pulling()`` takes no more messages;
    ``finish()`` (after the pipeline ended and recovery ran) acknowledges what was
    committed, hands the rest back to the subscription and deletes the relay."""

    def __init__(self, output: str, source: str):
        from google.cloud import pubsub_v1  # needs newsbeam[stream]

        self.output, self.source = output, source
        project = source.split("/")[1]
        name = relay_name(output, source)
        self.subscriber, self.publisher = pubsub_v1.SubscriberClient(), pubsub_v1.PublisherClient()
        self.topic = self.publisher.topic_path(project, name)
        self.subscription = self.subscriber.subscription_path(project, name)
        self.held: dict[str, str] = {}        # message id -> newest ack id
        self.committed: set[str] = set()
        self.known_files: set[str] = set()
        self.pulling, self.stopped = threading.Event(), threading.Event()
        self.thread: threading.Thread | None = None
        self.forwarded = self.acked = self.dropped = 0

    def start(self) -> None:
        self._delete_relay()  # a killed stream's: whatever it held is delivered again
        self.publisher.create_topic(name=self.topic)
        self.subscriber.create_subscription(name=self.subscription, topic=self.topic)
        self.committed = committed_messages(self.output, self.known_files)
        self.pulling.set()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="newsbeam-relay")
        self.thread.start()

    def stop_pulling(self) -> None:
        self.pulling.clear()

    def pending(self) -> int:
        """Messages forwarded to the pipeline whose window has not committed yet."""
        return len(self.held)

    def tick(self) -> None:
        """Wake the pipeline's pull of the relay topic with a message that is no work
        (``core.fetch.work.TICK_ATTRIBUTE``): its watermark moves to the clock now."""
        self.publisher.publish(self.topic, b"", **{TICK_ATTRIBUTE: "1"}).result(timeout=60)

    def finish(self) -> dict:
        """Ends the loop; returns what the relay did (for the stream's manifest)."""
        self.pulling.clear()
        self.stopped.set()
        if self.thread:
            self.thread.join(timeout=PULL_SECONDS + 60)
        self._ack_committed()
        left = list(self.held.values())
        for ack_ids in _chunks(left):  # not committed: back to the subscription at once
            self.subscriber.modify_ack_deadline(subscription=self.source, ack_ids=ack_ids,
                                                ack_deadline_seconds=0)
        self._delete_relay()
        self.subscriber.close()
        done = {"forwarded": self.forwarded, "acknowledged": self.acked,
                "dropped_as_committed": self.dropped, "returned_uncommitted": len(left)}
        LOG.info("relay: %s", done)
        return done

    def _loop(self) -> None:
        extended = time.monotonic()
        while not self.stopped.is_set():
            try:
                if self.pulling.is_set():
                    self._pull()
                else:
                    self.stopped.wait(PULL_SECONDS)
                self._ack_committed()
                if time.monotonic() - extended >= EXTEND_SECONDS:
                    self._extend()
                    extended = time.monotonic()
            except Exception:  # noqa: BLE001 - a flaky call must not end the relay
                LOG.exception("relay: retrying after an error")
                self.stopped.wait(PULL_SECONDS)

    def _pull(self) -> None:
        from google.api_core import exceptions

        try:
            response = self.subscriber.pull(subscription=self.source, max_messages=MAX_MESSAGES,
                                            timeout=PULL_SECONDS)
        except exceptions.DeadlineExceeded:
            return
        fresh, again = [], []
        for received in response.received_messages:
            message_id = received.message.message_id
            if message_id in self.committed:
                again.append(received.ack_id)
            elif message_id in self.held:  # delivered again while held: keep the newest
                self.held[message_id] = received.ack_id
            else:
                fresh.append(received)
        if again:
            self._acknowledge(again)
            self.dropped += len(again)
        futures = [(r, self.publisher.publish(
            self.topic, r.message.data,
            **{**dict(r.message.attributes), MESSAGE_ID_ATTRIBUTE: r.message.message_id}))
            for r in fresh]
        for received, future in futures:
            future.result(timeout=60)
            self.held[received.message.message_id] = received.ack_id
            self.forwarded += 1
        if fresh:
            self._lease([r.ack_id for r in fresh])

    def _ack_committed(self) -> None:
        self.committed |= committed_messages(self.output, self.known_files)
        done = [m for m in self.held if m in self.committed]
        if done:
            self._acknowledge([self.held.pop(m) for m in done])
            self.acked += len(done)

    def _acknowledge(self, ack_ids: list[str]) -> None:
        for chunk in _chunks(ack_ids):
            self.subscriber.acknowledge(subscription=self.source, ack_ids=chunk)

    def _lease(self, ack_ids: list[str]) -> None:
        for chunk in _chunks(ack_ids):
            self.subscriber.modify_ack_deadline(subscription=self.source, ack_ids=chunk,
                                                ack_deadline_seconds=LEASE_SECONDS)

    def _extend(self) -> None:
        if self.held:
            self._lease(list(self.held.values()))

    def _delete_relay(self) -> None:
        from google.api_core import exceptions

        for delete, name in ((self.subscriber.delete_subscription,
                              {"subscription": self.subscription}),
                             (self.publisher.delete_topic, {"topic": self.topic})):
            try:
                delete(**name)
            except exceptions.NotFound:
                pass
