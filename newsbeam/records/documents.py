"""The records that flow between pipeline stages, before they become table rows.

Plain dataclasses: picklable for any Beam runner, and easy to build in unit tests.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


class Rejected(Exception):
    """Raised by a pure stage function when an input cannot go on.

    ``reason`` is a short snake_case code (it is grouped on in summaries);
    ``detail`` is a one-line human explanation.
    """

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class OfItem:
    """For records that wrap an input item: its source and uri, as reject rows need them."""

    item: Any

    @property
    def source(self) -> str:
        return self.item.source

    @property
    def uri(self) -> str:
        return self.item.uri


@dataclasses.dataclass
class RawDocument:
    """Bytes of one input item, as a source read or fetched them."""

    source: str                 # name of the config source it came from
    uri: str                    # where it was read: file path or URL (identifies the input)
    body: bytes
    media_type: str             # "text/plain" or "text/html"
    fetched_at: datetime        # UTC; a file's modification time for local files
    url: str | None = None      # the article's URL, when known (HTTP, feed entry link)
    charset: str | None = None  # declared charset (HTTP header), if any
    hints: dict[str, Any] = dataclasses.field(default_factory=dict)
    # ``hints``: metadata known before extraction (e.g. from a feed entry), used where the
    # page itself lacks a field. Keys match ``Document`` fields: title, authors,
    # published_at, description, tags, image_url, language, site_name.


@dataclasses.dataclass
class Document:
    """One extracted and cleaned article, before normalization into a table row."""

    source: str
    uri: str
    fetched_at: datetime
    url: str | None               # input URL (RawDocument.url)
    text: str                     # cleaned body: paragraphs separated by one blank line
    title: str | None = None
    dateline: str | None = None   # e.g. "ANKARA", moved out of the body
    authors: list[str] = dataclasses.field(default_factory=list)
    published_at: datetime | None = None  # timezone-aware, UTC
    language: str | None = None   # as declared by the page (normalized later)
    description: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    image_url: str | None = None
    site_name: str | None = None
    page_url: str | None = None   # canonical URL the page declares (link rel=canonical, og:url)
    kicker: str | None = None     # the headline's topline ("Klimaschutz"), where marked


@dataclasses.dataclass(frozen=True)
class PageJob:
    """One page for ``core.page_row`` (``newsbeam extract``): the page and how the row is
    stamped and checked."""

    raw: RawDocument
    run_id: str
    min_words: int
