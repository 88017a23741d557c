"""The extractors the benchmarks compare, each as ``(html bytes, url) -> Extraction``.

``newsbeam`` is exactly what the pipeline's extract stage runs (``extract_document`` on a
``RawDocument``: decoding, parsing, metadata precedence, cleaning). The plain trafilatura
calls use the options newsbeam passes (tables on, comments off), so they compare like
with like, and get the raw bytes, as the corpora's MANIFESTs advise.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any, Callable

import trafilatura

from newsbeam.records.documents import RawDocument, Rejected
from newsbeam.core.extract.document import extract_document

PLAIN_OPTIONS = {"include_comments": False, "include_tables": True}
_FETCHED = datetime(2024, 1, 1, tzinfo=timezone.utc)


@dataclasses.dataclass
class Extraction:
    text: str | None = None
    title: str | None = None
    author: Any = None        # str ("A; B") or list of names
    date: Any = None          # "YYYY-MM-DD" or an aware datetime
    rejected: str | None = None


def raw_document(html: bytes, url: str | None, uri: str = "bench://page") -> RawDocument:
    return RawDocument(source="bench", uri=uri, body=html, media_type="text/html",
                       fetched_at=_FETCHED, url=url)


def newsbeam_extraction(html: bytes, url: str | None) -> Extraction:
    try:
        doc = extract_document(raw_document(html, url))
    except Rejected as refusal:
        return Extraction(rejected=refusal.reason)
    return Extraction(doc.text, doc.title, doc.authors, doc.published_at)


def plain_bare_extraction(html: bytes, url: str | None) -> Extraction:
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, **PLAIN_OPTIONS)
    if doc is None:
        return Extraction(rejected="none")
    return Extraction(doc.text, doc.title, doc.author, doc.date)


def plain_extract(html: bytes, url: str | None) -> Extraction:
    text = trafilatura.extract(html, url=url, **PLAIN_OPTIONS)
    return Extraction(text) if text else Extraction(rejected="none")


EXTRACTORS: dict[str, Callable[[bytes, str | None], Extraction]] = {  # first: newsbeam
    "newsbeam": newsbeam_extraction,
    "trafilatura.bare_extraction": plain_bare_extraction,
    "trafilatura.extract": plain_extract,
}
# trafilatura.extract returns text only: its metadata is not scored.
BODY_ONLY = frozenset({"trafilatura.extract"})
