"""Live sources in Beam: feeds/sitemaps -> article URLs -> RawDocuments, plus fetch state.

Fetching is I/O-bound, so work is grouped by host and each group runs on a thread pool
made in ``setup()``: every host of a bundle is in flight at once, each with at most
``per_host_concurrency`` requests over reused connections. Results come back as
``Outcome``s and go through ``ApplyStage`` like every other stage, so each failure is a
``rejects`` row with its reason and counted in the metrics.
"""
from __future__ import annotations

import collections
import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsbeam.config import FeedSource, FetchSettings, SitemapSource, SourceConfig, UrlsSource
from newsbeam.fetching import state
from newsbeam.fetching.discovery import Discovery, ListingInput, discover
from newsbeam.fetching.fetcher import Fetcher
from newsbeam.fetching.pages import PageInput, fetch_page
from newsbeam.schemas.documents import Rejected
from newsbeam.transforms.normalize import canonicalize_url
from newsbeam.transforms.stage import ApplyStage, RunContext, count_input, in_global_window

FETCH = "fetch"  # metrics namespace


# --- pure helpers ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one fetch: a value, or the reason it was refused. The refusal is
    kept as plain fields (exceptions with extra arguments do not survive pickling)."""

    item: Any  # ListingInput or PageInput
    value: Any = None
    reason: str | None = None
    detail: str = ""

    @property
    def source(self) -> str:
        return self.item.source

    @property
    def uri(self) -> str:
        return self.item.uri


def settle(outcome: Outcome) -> Any:
    """The stage function: the fetched value, or the refusal raised again."""
    if outcome.reason is not None:
        raise Rejected(outcome.reason, outcome.detail)
    return outcome.value


def attempt(work: Callable[[Fetcher, Any], Any], fetcher: Fetcher, item: Any) -> Outcome:
    try:
        return Outcome(item, work(fetcher, item))
    except Rejected as refusal:
        return Outcome(item, reason=refusal.reason, detail=refusal.detail)
    except Exception as err:  # a bug or a library failure must not stop the run
        return Outcome(item, reason="internal_error", detail=f"{type(err).__name__}: {err}")


def host_of(item: Any) -> str:
    return urlsplit(item.uri).netloc.lower()


def listing_inputs(sources: tuple[SourceConfig, ...],
                   validators: dict[str, tuple[str | None, str | None]]) -> list[ListingInput]:
    listings = []
    for source in sources:
        if isinstance(source, (FeedSource, SitemapSource)):
            etag, last_modified = validators.get(source.url, (None, None))
            sitemap = isinstance(source, SitemapSource)
            listings.append(ListingInput(
                source.name, source.url, source.KIND, etag, last_modified,
                since_seconds=source.since_seconds if sitemap else None,
                max_depth=source.max_depth if sitemap else 0,
                max_urls=source.max_urls if sitemap else ListingInput.max_urls))
    return listings


def listed_pages(sources: tuple[SourceConfig, ...]) -> list[PageInput]:
    return [PageInput(source.name, url) for source in sources
            if isinstance(source, UrlsSource) for url in source.list_urls()]


def with_failed_children(outcome: Outcome) -> Iterator[Outcome]:
    """A discovery, then one refused outcome per child sitemap that failed."""
    yield outcome
    if isinstance(outcome.value, Discovery):
        for child, refusal in outcome.value.failed_children:
            yield Outcome(child, reason=refusal.reason, detail=refusal.detail)


# --- Beam -----------------------------------------------------------------------------

class _FetchByHost(beam.DoFn):
    """(host, items) -> one ``Outcome`` per item, all hosts of a bundle fetched at once."""

    def __init__(self, settings: FetchSettings, work: Callable[[Fetcher, Any], Any]):
        self.settings, self.work = settings, work

    def setup(self):
        self.fetcher = Fetcher(self.settings)
        # Pool size is the global limit: a host never gets more workers than its own limit.
        self.pool = ThreadPoolExecutor(self.settings.global_concurrency,
                                       thread_name_prefix="newsbeam-fetch")

    def start_bundle(self):
        self.running: list[Future] = []

    def process(self, keyed: tuple[str, Any]) -> Iterator[Outcome]:
        _host, items = keyed
        queue = collections.deque(sorted(items, key=lambda item: item.uri))
        for _ in range(min(self.settings.per_host_concurrency, len(queue))):
            self.running.append(self.pool.submit(self._drain, queue))
        yield from self._collect(block=False)

    def finish_bundle(self) -> Iterator:
        for outcome in self._collect(block=True):
            yield in_global_window(outcome)

    def teardown(self):
        if getattr(self, "pool", None):
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.fetcher.close()

    def _drain(self, queue: collections.deque) -> list[Outcome]:
        """One of a host's workers: takes the host's items until none are left."""
        outcomes = []
        while True:
            try:
                item = queue.popleft()
            except IndexError:
                return outcomes
            outcomes.append(attempt(self.work, self.fetcher, item))

    def _collect(self, block: bool) -> Iterator[Outcome]:
        if block:
            wait(self.running)
        done = [f for f in self.running if f.done()]
        self.running = [f for f in self.running if not f.done()]
        for future in done:
            yield from future.result()
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


class _SkipIngested(beam.DoFn):
    """Drops URLs an earlier run ingested (they are not inputs of this run)."""

    def __init__(self, output: str):
        self.output = output
        self.skipped = Metrics.counter(FETCH, "skipped_ingested")

    def setup(self):
        self.seen = state.load_seen(self.output)

    def process(self, page: PageInput) -> Iterator[PageInput]:
        if canonicalize_url(page.uri) in self.seen:
            self.skipped.inc()
        else:
            yield page


def _pages_found(discovery: Discovery) -> list[PageInput]:
    Metrics.counter(FETCH, "not_modified" if discovery.not_modified else "listings_fetched").inc()
    return discovery.pages


def _listing_row(discovery: Discovery, run: RunContext) -> dict:
    return state.listing_row(discovery.listing.uri, discovery.etag, discovery.last_modified,
                             run.started_at, run.run_id)


class ReadLiveSources(beam.PTransform):
    """Feed, sitemap and urls sources -> {"documents": RawDocuments, "rejects": rows,
    "listings": fetch-state rows of the feeds and sitemaps read}.

    Inputs of the run: each article URL not ingested before, and each listing that failed.
    """

    def __init__(self, sources: tuple[SourceConfig, ...], settings: FetchSettings,
                 output: str, run: RunContext):
        super().__init__()
        self.sources, self.settings, self.output, self.run = sources, settings, output, run

    def expand(self, pipeline):
        listings = listing_inputs(self.sources, state.load_validators(self.output))
        discovered, listing_rejects = (
            pipeline
            | "ListListings" >> beam.Create(listings)
            | "FetchListings" >> FetchByHost(self.settings, discover)
            | "FailedChildren" >> beam.FlatMap(with_failed_children)
            | "Discover" >> ApplyStage("discover", settle, self.run))
        found = discovered | "Links" >> beam.FlatMap(_pages_found)
        listed = pipeline | "ListUrls" >> beam.Create(listed_pages(self.sources))
        documents, page_rejects = (
            (found, listed)
            | "AllPages" >> beam.Flatten()
            | "SkipIngested" >> beam.ParDo(_SkipIngested(self.output))
            | "CountPages" >> beam.Map(count_input)
            | "FetchPages" >> FetchByHost(self.settings, fetch_page)
            | "Settle" >> ApplyStage("fetch", settle, self.run))
        # A listing that failed is an input of its own: its one reject row stands for it.
        listing_rejects = listing_rejects | "CountFailedListings" >> beam.Map(count_input)
        return {
            "documents": documents,
            "rejects": (listing_rejects, page_rejects) | "LiveRejects" >> beam.Flatten(),
            "listings": discovered | "ListingState" >> beam.Map(_listing_row, run=self.run),
        }


class RecordFetchState(beam.PTransform):
    """(listing state rows, articles, duplicates) -> {state table: rows} for the sinks."""

    def expand(self, inputs):
        listings, articles, duplicates = inputs
        seen = ((articles, duplicates)
                | "Ingested" >> beam.Flatten()
                | "SeenRows" >> beam.FlatMap(lambda row: [r] if (r := state.seen_row(row)) else []))
        return {f"state_{state.LISTINGS_TABLE}": listings, f"state_{state.SEEN_TABLE}": seen}


def state_tables(output: str) -> dict:
    """The sinks' ``other_tables`` entry for each state table."""
    return {f"state_{name}": (schema, state.table_dir(output, name))
            for name, schema in state.TABLES.items()}
