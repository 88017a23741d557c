"""The polite GET every live source uses: robots.txt, per-host pacing, bounded retries.

One ``Fetcher`` per worker (made in a DoFn's ``setup()``, closed in ``teardown()``); it is
thread-safe, and its callers keep at most ``per_host_concurrency`` requests per host in
flight (see ``transforms/fetch.py``).
"""
from __future__ import annotations

import collections
import threading
from typing import Callable
from urllib.parse import urlsplit

from newsbeam.config import FetchSettings
from newsbeam.core.fetch.client import FetchError, HttpClient, Response
from newsbeam.core.fetch.politeness import Budget, HostPacer, retry_delay
from newsbeam.core.fetch.robots import RobotsCache


class Fetcher:
    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self.client = HttpClient(settings)
        self.pacer = HostPacer(settings.per_host_delay_seconds)
        self.robots = RobotsCache(lambda url, budget: self._get(url, budget=budget).body)
        self.stats: collections.Counter = collections.Counter()  # requests, retries
        self._stats_lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, headers: dict[str, str] | None = None,
            accept: Callable[[str], bool] | None = None) -> Response:
        """GET ``url`` if robots.txt allows it, retrying transient failures, all within the
        URL's time budget (see ``politeness.Budget``)."""
        budget = Budget(self.settings)
        if self.settings.respect_robots:
            rules = self.robots.rules_for(url, budget)
            rules.check(url, self.settings.user_agent)
            crawl_delay = rules.crawl_delay(self.settings.user_agent)
            if crawl_delay:
                self.pacer.slow_down(_host(url),
                                     min(crawl_delay, self.settings.max_crawl_delay_seconds))
        return self._get(url, headers, accept, budget)

    def _get(self, url: str, headers: dict[str, str] | None = None,
             accept: Callable[[str], bool] | None = None,
             budget: Budget | None = None) -> Response:
        host, budget = _host(url), budget or Budget(self.settings)
        attempt, error = 0, None
        while True:
            if not self.pacer.wait_turn(host, budget.deadline):  # paused past the budget
                raise error or FetchError("timeout", f"{host} is paused past this URL's "
                                          f"budget of {budget.seconds:g} s")
            budget.start()
            self._count("requests")
            try:
                return self.client.get(url, headers, accept, deadline=budget.deadline)
            except FetchError as failure:
                error = failure
                delay = retry_delay(error, url, attempt, self.settings)
                if delay is None or not budget.allows_wait(delay):
                    raise
            attempt += 1
            self._count("retries")
            self.pacer.pause(host, delay)  # the whole host waits, not only this URL

    def _count(self, name: str) -> None:
        with self._stats_lock:
            self.stats[name] += 1

    def take_stats(self) -> dict[str, int]:
        """Counts since the last call (Beam metrics can only be set from the DoFn's thread)."""
        with self._stats_lock:
            taken, self.stats = dict(self.stats), collections.Counter()
        return taken


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()
