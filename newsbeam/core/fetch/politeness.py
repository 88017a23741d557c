"""When to retry and how long to wait: pure decisions, a URL's time budget, and the per-host
pacing gate.

Retried: timeouts, connection errors (refused, failed, reset), 5xx, 408 and 429; never
other 4xx.
The wait is Retry-After when the server sends one (429/503), else exponential backoff
with full jitter. The jitter is drawn from a generator seeded with the URL and attempt,
so a rerun waits the same and the outcome does not depend on chance.
"""
from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from newsbeam.config import FetchSettings
from newsbeam.records.documents import Rejected

RETRYABLE_REASONS = {"timeout", "connection_error", "connection_refused", "connection_failed"}
RETRYABLE_STATUSES = {408, 429}


def is_retryable(error: Rejected) -> bool:
    status = getattr(error, "status", None)
    if status is not None:
        return status in RETRYABLE_STATUSES or 500 <= status < 600
    return error.reason in RETRYABLE_REASONS


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def backoff_seconds(url: str, attempt: int, base: float, cap: float) -> float:
    """Full-jitter exponential backoff for retry ``attempt`` (0-based), seeded by URL."""
    ceiling = min(cap, base * 2 ** attempt)
    return random.Random(f"{url}#{attempt}").uniform(0, ceiling)


def retry_delay(error: Rejected, url: str, attempt: int, settings: FetchSettings,
                now: datetime | None = None) -> float | None:
    """Seconds to wait before retry ``attempt`` (0-based), or None to give up."""
    if attempt >= settings.max_retries or not is_retryable(error):
        return None
    asked = parse_retry_after(getattr(error, "retry_after", None), now)
    if asked is not None:
        return asked if asked <= settings.max_retry_after_seconds else None
    return backoff_seconds(url, attempt, settings.backoff_base_seconds,
                           settings.backoff_max_seconds)


class Budget:
    """The time one URL may take: ``(max_retries + 1) x total_timeout_seconds`` from its
    first request, shared by its robots.txt (when it is the one that fetches it), every
    attempt and every wait between attempts. Queueing for the host's first turn is not
    counted: that is other URLs' time."""

    def __init__(self, settings: FetchSettings):
        self.seconds = (settings.max_retries + 1) * settings.total_timeout_seconds
        self.deadline: float | None = None  # time.monotonic(), set by the first request

    def start(self) -> None:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.seconds

    def allows_wait(self, seconds: float) -> bool:
        return self.deadline is None or time.monotonic() + seconds < self.deadline


class HostPacer:
    """Spaces request starts on each host by at least ``delay`` seconds (more where the
    host's robots.txt asks for it); a host that asked us to wait (Retry-After, backoff) is
    paused for every worker. Thread-safe."""

    def __init__(self, delay: float):
        self.delay = delay
        self._delays: dict[str, float] = {}  # hosts with a Crawl-delay above ``delay``
        self._next_start: dict[str, float] = {}
        self._lock = threading.Lock()

    def slow_down(self, host: str, delay: float) -> None:
        """Space this host's requests by ``delay`` seconds when that is more than usual."""
        if delay > self.delay:
            with self._lock:
                self._delays[host] = delay

    def wait_turn(self, host: str, deadline: float | None = None) -> bool:
        """Sleep until this host may take another request; False (and no turn taken) when
        that turn would come after ``deadline``."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, now))
            if deadline is not None and start >= deadline:
                return False
            self._next_start[host] = start + self._delays.get(host, self.delay)
        if start > now:
            time.sleep(start - now)
        return True

    def pause(self, host: str, seconds: float) -> None:
        with self._lock:
            resume = time.monotonic() + seconds
            self._next_start[host] = max(self._next_start.get(host, 0.0), resume)
