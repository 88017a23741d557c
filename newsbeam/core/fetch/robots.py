"""robots.txt per host, read as RFC 9309 says, with protego (wildcards ``*``, ``$`` anchors,
the longest match wins and Allow wins a tie; ``Crawl-delay``).

A robots.txt that could not be read (RFC 9309 section 2.3.1):
- 4xx, or more redirects than we follow: no rules (allow all);
- 5xx or another status: disallow all, as ``robots_unreachable``;
- no answer at all (refused, unreachable, timeout, DNS failure, a private address the
  address guard refuses): the page is not fetched either and gets that same reason, the one
  it would have met itself, so a dead site does not look like a polite refusal.
"""
from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable
from urllib.parse import urlsplit

from protego import Protego

from newsbeam.records.documents import Rejected

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB
_REDIRECT_FAILURES = {"redirect_loop", "too_many_redirects", "bad_redirect"}


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


@dataclasses.dataclass(frozen=True)
class HostRules:
    """What one host's robots.txt says: its rules, or why it could not be asked."""

    parser: Protego
    refusal: tuple[str, str] | None = None  # (reason, detail) for every page of the host

    def allows(self, url: str, user_agent: str) -> bool:
        return self.refusal is None and self.parser.can_fetch(url, user_agent)

    def check(self, url: str, user_agent: str) -> None:
        """Raises ``Rejected`` unless ``url`` may be fetched."""
        if self.refusal is not None:
            raise Rejected(*self.refusal)
        if not self.allows(url, user_agent):
            raise Rejected("robots_disallowed", f"robots.txt of {urlsplit(url).netloc}")

    def crawl_delay(self, user_agent: str) -> float | None:
        return None if self.refusal else self.parser.crawl_delay(user_agent)


def parse_robots(text: str) -> HostRules:
    return HostRules(Protego.parse(text))


def rules_for_failure(error: Rejected) -> HostRules:
    """Rules to apply when robots.txt could not be fetched."""
    status = getattr(error, "status", None)
    if (status is not None and 400 <= status < 500) or error.reason in _REDIRECT_FAILURES:
        return parse_robots("")  # allow all
    if status is not None:
        return HostRules(parse_robots("").parser, (
            "robots_unreachable", f"robots.txt answered {status}: disallow all (RFC 9309)"))
    return HostRules(parse_robots("").parser, (error.reason, f"robots.txt: {error.detail}"))


class RobotsCache:
    """Rules per scheme://host, fetched once with ``fetch(url, budget) -> bytes`` (which
    raises ``Rejected``). Workers asking about the same host wait for the one fetch."""

    def __init__(self, fetch: Callable[[str, Any], bytes]):
        self.fetch = fetch
        self._rules: dict[str, HostRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def rules_for(self, url: str, budget: Any = None) -> HostRules:
        """The rules of ``url``'s host; a first fetch of them spends the asker's ``budget``."""
        location = robots_url(url)
        with self._lock:
            host_lock = self._locks.setdefault(location, threading.Lock())
        with host_lock:
            if location not in self._rules:
                try:
                    body = self.fetch(location, budget)
                    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace")
                    self._rules[location] = parse_robots(text)
                except Rejected as error:
                    self._rules[location] = rules_for_failure(error)
            return self._rules[location]
