"""Where a stream's work comes from: a Pub/Sub subscription of URLs, or a periodic poll of
the configured sources (``PeriodicImpulse``: Dataflow, Flink, Prism). Both give timestamped
``WorkItem``s in the global window; the stream pipeline windows them."""
from __future__ import annotations

import time

import apache_beam as beam

from newsbeam.transforms.fetch import config_pages, listings_of
from newsbeam.config import LIVE_SOURCES, SourceConfig
from newsbeam.core.fetch.work import WorkItem, from_message, is_tick


def parse_message(message) -> WorkItem:
    """A message -> its WorkItem; a relayed one (``modes/pubsub_relay.py``, local runner)
    stamped now instead of with its publish time.

    The local runner sets its Pub/Sub watermark to the clock after each pull of at most 10
    messages, so a backlog's later messages would arrive behind the watermark: late, or a
    too_late reject. Stamped when they are read (never behind any watermark yet, and held
    by their pending bundles from then on), they are on time in every stage: their rows
    and their ids commit in their window's on-time pane, together.
    """
    item = from_message(message.data, message.attributes)
    return beam.window.TimestampedValue(item, time.time()) if item.message_id else item


class ReadPubSubWork(beam.PTransform):
    """Messages of a subscription -> WorkItems stamped with their publish time (relayed
    ones: with the time they are read, see ``parse_message``)."""

    def __init__(self, subscription: str):
        super().__init__()
        self.subscription = subscription

    def expand(self, pipeline):
        from apache_beam.io.gcp.pubsub import ReadFromPubSub  # needs newsbeam[stream]

        return (pipeline
                | "Read" >> ReadFromPubSub(subscription=self.subscription, with_attributes=True)
                | "DropTicks" >> beam.Filter(lambda message: not is_tick(message.attributes))
                | "Parse" >> beam.Map(parse_message))


def message_rows(item: WorkItem, run_id: str) -> list[dict]:
    """The ``messages`` state row of a relayed message, committed with its window's rows
    (none for work that did not come through the local relay)."""
    return [{"message_id": item.message_id, "run_id": run_id}] if item.message_id else []


def _poll(_tick, sources: tuple[SourceConfig, ...]) -> list[WorkItem]:
    """One poll: every feed and sitemap to list, every listed URL (read now)."""
    work = [WorkItem(l.source, l.uri, l.kind) for l in listings_of(sources)]
    return work + [WorkItem(p.source, p.uri) for p in config_pages(sources)]


class PollSources(beam.PTransform):
    """Every ``interval_seconds``: the live sources of the config as WorkItems."""

    def __init__(self, sources: tuple[SourceConfig, ...], interval_seconds: int):
        super().__init__()
        self.sources = tuple(s for s in sources if isinstance(s, LIVE_SOURCES))
        self.interval = interval_seconds

    def expand(self, pipeline):
        from apache_beam.transforms.periodicsequence import PeriodicImpulse

        return (pipeline
                | "Tick" >> PeriodicImpulse(start_timestamp=time.time(),
                                            fire_interval=self.interval)
                | "Sources" >> beam.FlatMap(_poll, self.sources))
