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
from newsbeam.core.fetch.politeness import HostPacer, retry_delay
from newsbeam.core.fetch.robots import RobotsCache
from newsbeam.records.documents import Rejected


class Fetcher:
    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self.client = HttpClient(settings)
        self.pacer = HostPacer(settings.per_host_delay_seconds)
        self.robots = RobotsCache(lambda url: self._get(url).body, settings.user_agent)
        self.stats: collections.Counter = collections.Counter()  # requests, retries
        self._stats_lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, headers: dict[str, str] | None = None,
            accept: Callable[[str], bool] | None = None) -> Response:
        """GET ``url`` if robots.txt allows it, retrying transient failures."""
        if self.settings.respect_robots and not self.robots.allowed(url):
            raise Rejected("robots_disallowed", f"robots.txt of {urlsplit(url).netloc}")
        return self._get(url, headers, accept)

    def _get(self, url: str, headers: dict[str, str] | None = None,
             accept: Callable[[str], bool] | None = None) -> Response:
        host = urlsplit(url).netloc.lower()
        attempt = 0
        while True:
            self.pacer.wait_turn(host)
            self._count("requests")
            try:
                return self.client.get(url, headers, accept)
            except FetchError as error:
                delay = retry_delay(error, url, attempt, self.settings)
                if delay is None:
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
