"""Live sources in Beam: feeds/sitemaps -> article URLs -> RawDocuments, plus fetch state.

Fetching is I/O-bound, so work is grouped by host and each group runs on a thread pool
made in ``setup()``: every host of a bundle is in flight at once, each with at most
``per_host_concurrency`` requests over reused connections. Results come back as
``Outcome``s in the window and with the timestamp of the item they answer, and go through
``ApplyStage`` like every other stage, so each failure is a ``rejects`` row with its
reason and counted in the metrics. Fetch state (feed validators, URLs ingested before) is
read inside the pipeline, so a pipeline that polls sees what earlier runs committed.
"""
from __future__ import annotations

import collections
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pvalue import AsList
from apache_beam.utils.windowed_value import WindowedValue

from newsbeam.transforms.stage import ApplyStage, count_input
from newsbeam.transforms.state import ReadState, SkipKnown, WorkerSnapshot
from newsbeam.config import FeedSource, FetchSettings, SitemapSource, SourceConfig, UrlsSource
from newsbeam.core.fetch.discovery import Discovery, ListingInput, discover, with_validators
from newsbeam.core.fetch.fetcher import Fetcher
from newsbeam.core.fetch.outcome import attempt, host_of, settle, with_failed_children
from newsbeam.core.fetch.pages import PageInput, fetch_page, parse_url_list
from newsbeam.core.normalize.urls import canonicalize_url
from newsbeam.records.run import RunContext
from newsbeam.schemas.tables import LISTINGS, SEEN
from newsbeam.store import fs
from newsbeam.store.state import listing_row, newest_validators, seen_row

FETCH = "fetch"  # metrics namespace


class _FetchByHost(beam.DoFn):
    """(host, items) -> one ``Outcome`` per item, all hosts of a bundle fetched at once.

    Each outcome is emitted as soon as it is fetched, not when its host's worker is done:
    the bundle's thread, idle while it waits for the network, runs what follows in the
    stage (settling, counting, extraction when fused) during the fetch instead of after."""

    def __init__(self, settings: FetchSettings, work: Callable[[Fetcher, Any], Any]):
        self.settings, self.work = settings, work

    def setup(self):
        self.fetcher = Fetcher(self.settings)
        # Pool size is the global limit: a host never gets more workers than its own limit.
        self.pool = ThreadPoolExecutor(self.settings.global_concurrency,
                                       thread_name_prefix="newsbeam-fetch")

    def start_bundle(self):
        # Outcomes in the window of their host group as workers fetch them; None: a worker ended.
        self.done: queue.SimpleQueue[WindowedValue | None] = queue.SimpleQueue()
        self.workers: list[Future] = []
        self.running = 0

    def process(self, keyed: tuple[str, Any], window=beam.DoFn.WindowParam,
                timestamp=beam.DoFn.TimestampParam) -> Iterator[WindowedValue]:
        _host, items = keyed
        pending = collections.deque(sorted(items, key=lambda item: item.uri))
        for _ in range(min(self.settings.per_host_concurrency, len(pending))):
            self.workers.append(self.pool.submit(self._drain, pending, window, timestamp))
            self.running += 1
        yield from self._collect(block=False)

    def finish_bundle(self) -> Iterator[WindowedValue]:
        yield from self._collect(block=True)

    def teardown(self):
        if getattr(self, "pool", None):
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.fetcher.close()

    def _drain(self, pending: collections.deque, window, timestamp) -> None:
        """One of a host's workers: takes the host's items until none are left."""
        try:
            while True:
                try:
                    item = pending.popleft()
                except IndexError:
                    return
                outcome = attempt(self.work, self.fetcher, item)
                self.done.put(WindowedValue(outcome, timestamp, [window]))
        finally:
            self.done.put(None)

    def _collect(self, block: bool) -> Iterator[WindowedValue]:
        """The outcomes fetched so far; with ``block``, every outcome of the bundle."""
        while True:
            try:
                entry = self.done.get(block=block and self.running > 0)
            except queue.Empty:
                break
            if entry is None:
                self.running -= 1
            else:
                yield entry
        if block:  # every worker has ended: surface a failure outside ``attempt``
            for worker in self.workers:
                worker.result()
            self.workers = []
        for name, count in self.fetcher.take_stats().items():  # metrics: this thread only
            Metrics.counter(FETCH, name).inc(count)


class FetchByHost(beam.PTransform):
    """Items with ``uri`` -> ``Outcome``s of ``work(fetcher, item)``, grouped by host."""

    def __init__(self, settings: FetchSettings, work: Callable[[Fetcher, Any], Any]):
        super().__init__()
        self.settings, self.work = settings, work

    def expand(self, items):
        return (items
                | "KeyByHost" >> beam.WithKeys(host_of)
                | "GroupByHost" >> beam.GroupByKey()
                | "Fetch" >> beam.ParDo(_FetchByHost(self.settings, self.work)))


def listings_of(sources: tuple[SourceConfig, ...]) -> list[ListingInput]:
    listings = []
    for source in sources:
        if isinstance(source, (FeedSource, SitemapSource)):
            sitemap = isinstance(source, SitemapSource)
            listings.append(ListingInput(
                source.name, source.url, source.KIND,
                since_seconds=source.since_seconds if sitemap else None,
                max_depth=source.max_depth if sitemap else 0,
                max_urls=source.max_urls if sitemap else ListingInput.max_urls))
    return listings


def _listed_pages(source: UrlsSource) -> list[PageInput]:
    urls = source.urls or parse_url_list(fs.read_bytes(source.path).decode("utf-8"))
    return [PageInput(source.name, url) for url in dict.fromkeys(urls)]


def _pages_found(discovery: Discovery) -> list[PageInput]:
    Metrics.counter(FETCH, "not_modified" if discovery.not_modified else "listings_fetched").inc()
    return discovery.pages


def _listing_row(discovery: Discovery, run: RunContext) -> dict:
    return listing_row(discovery.listing.uri, discovery.etag, discovery.last_modified,
                       run.started_at, run.run_id)


class _WithValidators(beam.DoFn):
    """A listing with the validators its newest recorded fetch got, read by the worker."""

    def __init__(self, validators: WorkerSnapshot):
        self.validators = validators

    def setup(self):
        self.newest = self.validators.load()  # kept: see load()

    def process(self, listing: ListingInput) -> Iterator[ListingInput]:
        yield with_validators(listing, self.newest.value)


class FetchLive(beam.PTransform):
    """(listings, pages) -> {"documents": RawDocuments, "rejects": rows, "listings": fetch-state
    rows of the feeds and sitemaps read}: the live half of every pipeline.

    ``listings`` (``ListingInput``s) and ``pages`` (``PageInput``s) may come from the config
    (batch), a periodic poll or a Pub/Sub subscription (stream). Each listing failure is an
    input of its own; each page is one unless ``skip_seen`` drops it as ingested before
    (batch runs; a state join needs one global window, so a stream hands in ``skip_found``
    instead: a transform its listings' pages go through, e.g. ``seen.SkipFoundBefore``).
    ``stream``: the feed validators are read by the workers (``state.WorkerSnapshot``), as a
    Beam side input would stop Flink's checkpoints of a stream.
    """

    def __init__(self, settings: FetchSettings, output: str, run: RunContext,
                 skip_seen: bool = True, skip_found: beam.PTransform | None = None,
                 stream: bool = False):
        super().__init__()
        self.settings, self.output, self.run, self.skip_seen = settings, output, run, skip_seen
        self.skip_found, self.stream = skip_found, stream

    def with_validators(self, listings):
        if self.stream:
            validators = WorkerSnapshot(self.output, LISTINGS, newest_validators,
                                        self.run.run_id)
            return listings | "WithValidators" >> beam.ParDo(_WithValidators(validators))
        rows = listings.pipeline | "ReadValidators" >> ReadState(self.output, LISTINGS)
        return listings | "WithValidators" >> beam.Map(
            lambda listing, rows: with_validators(listing, newest_validators(rows)),
            rows=AsList(rows))

    def expand(self, inputs):
        listings, pages = inputs
        discovered, listing_rejects = (
            self.with_validators(listings)
            | "FetchListings" >> FetchByHost(self.settings, discover)
            | "FailedChildren" >> beam.FlatMap(with_failed_children)
            | "Discover" >> ApplyStage("discover", settle, self.run.run_id))
        found = discovered | "Links" >> beam.FlatMap(_pages_found)
        if self.skip_found is not None:
            found = found | "SkipFoundBefore" >> self.skip_found
        pages = (found, pages) | "AllPages" >> beam.Flatten()
        if self.skip_seen:
            seen = pages.pipeline | "ReadSeen" >> ReadState(self.output, SEEN)
            pages = (pages, seen) | "SkipIngested" >> SkipKnown(
                item_key=lambda page: canonicalize_url(page.uri) or page.uri,
                row_key=lambda row: row["url"], counter=(FETCH, "skipped_ingested"))
        pages = pages | "CountPages" >> beam.Map(count_input)
        documents, page_rejects = (
            pages
            | "FetchPages" >> FetchByHost(self.settings, fetch_page)
            | "Settle" >> ApplyStage("fetch", settle, self.run.run_id))
        # A listing that failed is an input of its own: its one reject row stands for it.
        listing_rejects = listing_rejects | "CountFailedListings" >> beam.Map(count_input)
        return {
            "documents": documents,
            "rejects": (listing_rejects, page_rejects) | "LiveRejects" >> beam.Flatten(),
            "listings": discovered | "ListingState" >> beam.Map(_listing_row, run=self.run),
            # The inputs themselves, in their windows: a stream counts them per window.
            "inputs": (pages, listing_rejects) | "Inputs" >> beam.Flatten(),
        }


def config_pages(sources: tuple[SourceConfig, ...]) -> list[PageInput]:
    """The article URLs ``urls`` sources list (read when called)."""
    return [page for s in sources if isinstance(s, UrlsSource) for page in _listed_pages(s)]


class ReadLiveSources(beam.PTransform):
    """Feed, sitemap and urls sources of a config -> ``FetchLive``'s outputs.

    Inputs of the run: each article URL not ingested before, and each listing that failed.
    """

    def __init__(self, sources: tuple[SourceConfig, ...], settings: FetchSettings,
                 output: str, run: RunContext):
        super().__init__()
        self.sources, self.settings, self.output, self.run = sources, settings, output, run

    def expand(self, pipeline):
        listings = pipeline | "ListListings" >> beam.Create(listings_of(self.sources))
        pages = (pipeline
                 | "UrlSources" >> beam.Create(
                     [s for s in self.sources if isinstance(s, UrlsSource)])
                 | "ListUrls" >> beam.FlatMap(_listed_pages))
        return (listings, pages) | "FetchLive" >> FetchLive(self.settings, self.output, self.run)


class RecordFetchState(beam.PTransform):
    """(listing state rows, articles, duplicates) -> {state table: rows} for the sinks."""

    def expand(self, inputs):
        listings, articles, duplicates = inputs
        seen = ((articles, duplicates)
                | "Ingested" >> beam.Flatten()
                | "SeenRows" >> beam.FlatMap(lambda row: [r] if (r := seen_row(row)) else []))
        return {LISTINGS: listings, SEEN: seen}
