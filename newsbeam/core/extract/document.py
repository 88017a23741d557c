"""RawDocument -> Document: decode, extract the article (HTML via trafilatura), clean it.

Pure functions, no Beam. Bad input raises ``Rejected``:
``binary``, ``undecodable``, ``unsupported_media_type``, ``no_text``, ``extract_failed``.

Metadata precedence, per field (the first source with a usable value wins):
  1. JSON-LD (``NewsArticle`` & co.): what the publisher declares for machines; exact
     timestamps, structured authors, a headline without the site-name suffix.
  2. OpenGraph / ``<meta>`` / ``<html lang>`` / ``<link rel=canonical>`` (canonical first for
     ``page_url``).
  3. trafilatura's own heuristics (``<title>``, bylines in the text, htmldate's date-only),
     computed only for the fields 1 and 2 left empty (they are most of its metadata cost).
  4. ``RawDocument.hints`` (feed metadata), only for fields the page lacks; except that a
     feed's date and authors come before trafilatura's, which are guesses from the text
     (htmldate reads "since 2014" in a body as a publication date).
A date the page prints after a publication label ("Erschienen am: 13.10.2021") comes
before 1 and 2 when they declare no date or a bare one, so before a feed's too; authors
that only name the publisher or an organization give way to the persons of a byline on
the page (docs/live-sources.md, "Which date wins"; docs/pipeline.md).
The body text always comes from trafilatura.
"""
from __future__ import annotations

from typing import Any, Callable

from newsbeam.core.extract.decode import decode_text
from newsbeam.core.extract.fields import METADATA_FIELDS, normalize_field
from newsbeam.core.extract.page import PageContent, extract_html
from newsbeam.core.text.clean import clean_body, parse_plain_text
from newsbeam.records.documents import Document, RawDocument, Rejected


def _plain_page(raw: RawDocument) -> PageContent:
    title, body = parse_plain_text(decode_text(raw.body, raw.charset))
    return PageContent(text=body, title=title)


def _html_page(raw: RawDocument) -> PageContent:
    return extract_html(raw.body, url=raw.url, charset=raw.charset, hints=raw.hints)


_EXTRACTORS: dict[str, Callable[[RawDocument], PageContent]] = {
    "text/plain": _plain_page,
    "text/html": _html_page,
}


def _fill_from_hints(page: PageContent, hints: dict[str, Any], base_url: str | None) -> None:
    """Hints (feed metadata) fill only the fields the page left empty."""
    for field in METADATA_FIELDS:
        if not getattr(page, field) and field in hints:
            value = normalize_field(field, hints[field], base_url)
            if value:
                setattr(page, field, value)


def extract_document(raw: RawDocument) -> Document:
    """Extract and clean one input; raises ``Rejected`` when it cannot become an article."""
    extractor = _EXTRACTORS.get(raw.media_type.split(";")[0].strip().lower())
    if extractor is None:
        raise Rejected("unsupported_media_type", f"cannot extract {raw.media_type!r}")
    page = extractor(raw)
    _fill_from_hints(page, raw.hints, raw.url)
    body, dateline = clean_body(page.text, page.title)
    if not body:
        raise Rejected("no_text", "no article text left after cleanup")
    metadata = {field: getattr(page, field) for field in METADATA_FIELDS}
    return Document(source=raw.source, uri=raw.uri, fetched_at=raw.fetched_at, url=raw.url,
                    text=body, dateline=dateline, kicker=page.kicker, **metadata)
