"""A loopback news site whose pages answer slowly, for runs that must still be working
when a test looks at them (signals, progress)."""
from __future__ import annotations

import threading

from tests.helpers.loopback import LoopbackSites, Reply, Request
from tests.helpers.news_sites import article_page

HOST = "127.0.0.1"
# Loopback is refused by default; robots.txt would be one more slow request.
FETCH_SETTINGS = {"allow_private_networks": True, "respect_robots": False, "max_retries": 0,
                  "per_host_concurrency": 1, "per_host_delay_seconds": 0}


class SlowPages:
    """Article ``/a-<n>`` answers after ``delay`` seconds; ``requested`` is set once a page
    has been asked for (the run is then inside the pipeline)."""

    def __init__(self, delay: float):
        self.delay = delay
        self.requested = threading.Event()

    def __call__(self, request: Request) -> Reply:
        self.requested.set()
        index = int(request.path.rsplit("-", 1)[-1]) if "-" in request.path else 0
        return Reply(200, article_page(index % 5), {"Content-Type": "text/html"},
                     delay=self.delay)


def slow_site(delay: float) -> tuple[LoopbackSites, SlowPages]:
    pages = SlowPages(delay)
    return LoopbackSites([HOST], pages), pages


def page_urls(site: LoopbackSites, count: int) -> list[str]:
    return [site.url(HOST, f"/a-{i}") for i in range(count)]
