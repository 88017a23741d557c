"""One page -> its article row, through the stages a run uses, without a pipeline: for a
quick look at what newsbeam makes of a URL, a file or stdin (``newsbeam extract``).

A URL is fetched by the run's ``Fetcher`` (address guard, robots.txt, size limits and
timeouts included); a file is read as a ``files`` source reads it; then extract and
normalize, both in a child process with the run's time limit (``core.page_row``). A
refusal raises ``StageRejected`` with the stage it happened at.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from functools import partial
from typing import Callable

from newsbeam.config import FetchSettings, Limits
from newsbeam.core.files import FileInput, media_type_of, read_document
from newsbeam.core.lazy import ImportedFunction
from newsbeam.core.time_limit import TimeLimited, prestart
from newsbeam.records.documents import PageJob, RawDocument, Rejected

EXTRACT = "extract"
# By name: only the child imports it (and with it trafilatura and the normalizers).
PAGE_ROW = ImportedFunction("newsbeam.core.page_row", "page_row")

SOURCE = "extract"  # the ``source`` column of rows made here
RUN_ID = "extract"


class StageRejected(Exception):
    """``Rejected`` at a named stage."""

    def __init__(self, stage: str, refusal: Rejected):
        super().__init__(f"{stage}: {refusal}")
        self.stage, self.reason, self.detail = stage, refusal.reason, refusal.detail


def _at(stage: str, fn: Callable, *args):
    try:
        return fn(*args)
    except Rejected as refusal:
        raise StageRejected(stage, refusal) from None


def is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def start(limits: Limits) -> None:
    """Start the child, so that its imports overlap reading or fetching the page
    (``article_row`` takes it over). The language model is not loaded ahead: a page that
    declares its language never needs it (0.6 s of CPU)."""
    if limits.extract_timeout_seconds:
        prestart(PAGE_ROW, EXTRACT)


def fetch(url: str, settings: FetchSettings) -> RawDocument:
    from newsbeam.core.fetch.fetcher import Fetcher  # only a URL needs the HTTP client
    from newsbeam.core.fetch.pages import PageInput, fetch_page

    fetcher = Fetcher(settings)
    try:
        return _at("fetch", fetch_page, fetcher, PageInput(SOURCE, url))
    finally:
        fetcher.close()


def read_file(path: str, limits: Limits) -> RawDocument:
    stat = os.stat(path)
    item = FileInput(SOURCE, os.path.abspath(path), stat.st_size, stat.st_mtime)
    return _at("read", read_document, item, partial(open, mode="rb"),
               limits.max_document_bytes)


def from_bytes(body: bytes, name: str, limits: Limits) -> RawDocument:
    """Bytes from stdin: HTML if they look like markup, else plain text (headline line
    first), unless ``name`` has a known suffix."""
    if len(body) > limits.max_document_bytes:
        raise StageRejected("read", Rejected(
            "too_large", f"{len(body)} bytes, limit {limits.max_document_bytes}"))
    if not body.strip():
        raise StageRejected("read", Rejected("empty", "no input"))
    try:
        media_type = media_type_of(name)
    except Rejected:
        media_type = "text/html" if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") \
            else "text/plain"
    return RawDocument(source=SOURCE, uri=name, body=body, media_type=media_type,
                       fetched_at=datetime.now(timezone.utc))


def article_row(raw: RawDocument, limits: Limits) -> dict:
    """Extract and normalize one document, in a child process under the run's time limit
    (``extract_timeout`` covers both here), or in this one when the limit is off."""
    run = PAGE_ROW
    if limits.extract_timeout_seconds:
        run = TimeLimited(PAGE_ROW, limits.extract_timeout_seconds, EXTRACT)
    try:
        outcome = _at("extract", run, PageJob(raw, RUN_ID, limits.min_words))
    finally:
        if isinstance(run, TimeLimited):
            run.close()
    if outcome[0] == "normalize":
        raise StageRejected("normalize", Rejected(*outcome[1:]))
    return outcome[1]
