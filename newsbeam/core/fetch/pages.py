"""An article URL -> the RawDocument its page becomes (fetched politely, bounded)."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from newsbeam.core.fetch.fetcher import Fetcher
from newsbeam.records.documents import RawDocument, Rejected

# Response media type -> what extraction reads it as. No content-type: most likely HTML.
PAGE_TYPES = {"text/html": "text/html", "application/xhtml+xml": "text/html",
              "text/plain": "text/plain", "": "text/html"}


@dataclasses.dataclass(frozen=True)
class PageInput:
    """One article URL to fetch: an input of the run."""

    source: str
    uri: str  # the URL as listed or found in a feed/sitemap
    hints: dict[str, Any] = dataclasses.field(default_factory=dict)


def parse_url_list(text: str) -> list[str]:
    """The URLs of a URL-list file: one a line; blank lines and ``#`` comments skipped."""
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def fetch_page(fetcher: Fetcher, page: PageInput) -> RawDocument:
    response = fetcher.get(page.uri, accept=PAGE_TYPES.__contains__)
    if not response.body.strip():
        raise Rejected("empty", f"HTTP {response.status} with an empty body")
    return RawDocument(
        source=page.source, uri=page.uri, body=response.body,
        media_type=PAGE_TYPES[response.media_type], fetched_at=datetime.now(timezone.utc),
        url=response.final_url, charset=response.charset, hints=dict(page.hints))
