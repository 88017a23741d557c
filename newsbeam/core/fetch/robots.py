"""robots.txt per host (RFC 9309) with the standard library's parser.

How an unavailable robots.txt is read: 4xx means no rules (allow all); 5xx or an
unreachable server means disallow all, since the site may be down or hiding its rules.
"""
from __future__ import annotations

import threading
from typing import Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from newsbeam.records.documents import Rejected

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def parse_robots(text: str) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return parser


def rules_for_failure(error: Rejected) -> RobotFileParser:
    """Rules to apply when robots.txt could not be fetched."""
    status = getattr(error, "status", None)
    if status is not None and 400 <= status < 500:
        return parse_robots("")  # allow all
    return parse_robots("User-agent: *\nDisallow: /")


class RobotsCache:
    """Rules per scheme://host, fetched once with ``fetch(url) -> bytes`` (which raises
    ``Rejected``). Workers asking about the same host wait for the one fetch."""

    def __init__(self, fetch: Callable[[str], bytes], user_agent: str):
        self.fetch, self.user_agent = fetch, user_agent
        self._rules: dict[str, RobotFileParser] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        return self._rules_for(robots_url(url)).can_fetch(self.user_agent, url)

    def _rules_for(self, location: str) -> RobotFileParser:
        with self._lock:
            host_lock = self._locks.setdefault(location, threading.Lock())
        with host_lock:
            if location not in self._rules:
                try:
                    text = self.fetch(location)[:MAX_ROBOTS_BYTES].decode("utf-8", "replace")
                    self._rules[location] = parse_robots(text)
                except Rejected as error:
                    self._rules[location] = rules_for_failure(error)
            return self._rules[location]
