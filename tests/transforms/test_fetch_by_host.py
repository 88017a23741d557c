"""FetchByHost hands each outcome on as soon as it is fetched, in its item's window
(FnApiRunner; the work functions stand in for fetching, so no network is needed)."""
from __future__ import annotations

import threading

import apache_beam as beam
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import FixedWindows, TimestampedValue

from newsbeam.transforms.fetch import FetchByHost
from newsbeam.config import FetchSettings
from newsbeam.core.fetch.pages import PageInput

SETTINGS = FetchSettings(per_host_concurrency=2, global_concurrency=4)
ONE_WORKER = FetchSettings(per_host_concurrency=1, global_concurrency=4)
EARLY_WENT_ON = threading.Event()  # set downstream when the early outcome arrives there


def _wait_for_early(fetcher, item: PageInput) -> bool:
    """The late page is done only once the early one's outcome has left the DoFn. One
    worker fetches both, early first: if outcomes left only when their worker or bundle
    ended, this gives up (False) after 20 s."""
    if item.uri.endswith("/late"):
        return EARLY_WENT_ON.wait(timeout=20)
    return True


def _arrived(outcome) -> tuple[str, bool]:
    if outcome.item.uri.endswith("/early"):
        EARLY_WENT_ON.set()
    return outcome.item.uri, outcome.value


def test_an_outcome_goes_on_while_its_worker_is_still_fetching():
    EARLY_WENT_ON.clear()
    with test_pipeline.TestPipeline(runner="FnApiRunner") as pipeline:
        arrived = (pipeline
                   | beam.Create([PageInput("s", "https://a.example/2/late"),
                                  PageInput("s", "https://a.example/1/early")])
                   | FetchByHost(ONE_WORKER, _wait_for_early)
                   | beam.Map(_arrived))
        assert_that(arrived, equal_to([("https://a.example/1/early", True),
                                       ("https://a.example/2/late", True)]))


def _uri(fetcher, item: PageInput) -> str:
    return item.uri


class _WithWindowStart(beam.DoFn):
    def process(self, outcome, window=beam.DoFn.WindowParam):
        yield outcome.value, int(window.start)


def test_each_outcome_keeps_the_window_of_its_item():
    pages = [("https://a.example/1", 5), ("https://a.example/2", 65),
             ("https://a.example/3", 66), ("https://b.example/1", 7)]
    with test_pipeline.TestPipeline(runner="FnApiRunner") as pipeline:
        windowed = (pipeline
                    | beam.Create(pages)
                    | beam.Map(lambda page: TimestampedValue(PageInput("s", page[0]), page[1]))
                    | beam.WindowInto(FixedWindows(60))
                    | FetchByHost(SETTINGS, _uri)
                    | beam.ParDo(_WithWindowStart()))
        assert_that(windowed, equal_to([("https://a.example/1", 0), ("https://a.example/2", 60),
                                        ("https://a.example/3", 60), ("https://b.example/1", 0)]))
