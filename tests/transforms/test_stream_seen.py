"""Pages found again by a polling stream are skipped for the dedup TTL (TestStream on
BundleBasedDirectRunner --streaming)."""
from __future__ import annotations

from functools import partial

import apache_beam as beam
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to_per_window
from apache_beam.transforms.window import IntervalWindow, TimestampedValue

from newsbeam.transforms.seen import SkipFoundBefore
from newsbeam.transforms.windows import stream_windowing
from newsbeam.core.fetch.pages import PageInput
from newsbeam.schemas.tables import SEEN, STATE_TABLES
from newsbeam.store import layout
from newsbeam.store.parquet import write_parquet
from tests.helpers.streams import RUNNER, T0, WINDOW, streaming_options

TTL = 5 * WINDOW


def page(url: str, seconds: float) -> TimestampedValue:
    return TimestampedValue(PageInput("feed", url), T0 + seconds)


def window(index: int) -> IntervalWindow:
    return IntervalWindow(T0 + index * WINDOW, T0 + (index + 1) * WINDOW)


def test_found_urls_are_fetched_once_per_ttl_and_ingested_urls_never_on_bundle_based_direct_runner(tmp_path):
    assert RUNNER == "BundleBasedDirectRunner"
    output = str(tmp_path)
    write_parquet(layout.state_dir(output, SEEN) + "/earlier.parquet", STATE_TABLES[SEEN],
                  [{"url": "https://e.com/old", "run_id": "earlier"}])
    events = (test_stream.TestStream()
              .advance_watermark_to(T0)
              .add_elements([page("https://e.com/a", 5), page("https://e.com/b", 6),
                             page("https://e.com/old", 7)])
              .advance_watermark_to(T0 + WINDOW + 1)
              .add_elements([page("https://e.com/a?utm_source=rss", WINDOW + 5)])  # same URL
              .advance_watermark_to(T0 + 7 * WINDOW)                               # past TTL
              .add_elements([page("https://e.com/a", 7 * WINDOW + 5)])
              .advance_watermark_to(T0 + 20 * WINDOW)
              .advance_watermark_to_infinity())
    with beam.Pipeline(options=streaming_options()) as pipeline:
        kept = (pipeline
                | events
                | stream_windowing(WINDOW, TTL)
                | SkipFoundBefore(output, TTL, partial(stream_windowing, WINDOW, TTL),
                                  counter=("fetch", "skipped_ingested"), run_id="this-stream")
                | beam.Map(lambda p: p.uri))
        assert_that(kept, equal_to_per_window({
            window(0): ["https://e.com/a", "https://e.com/b"], window(1): [],
            window(7): ["https://e.com/a"]}), reify_windows=True)
