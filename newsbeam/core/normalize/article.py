"""Document -> article row: ids, canonical URL, domain, language, hashes.

Pure functions; ``to_article_row`` is the whole normalize stage.
"""
from __future__ import annotations

import hashlib
import re

from newsbeam.core.normalize.language import language_of
from newsbeam.core.normalize.urls import canonicalize_url, domain_of
from newsbeam.core.text.clean import normalize_for_hash
from newsbeam.records.documents import Document, Rejected
from newsbeam.schemas.tables import ARTICLE_SCHEMA, SCHEMA_VERSION, check_row

_WORD = re.compile(r"\w+")


def stable_hash(text: str) -> str:
    """128-bit hex digest: the form of every id and fingerprint newsbeam writes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def article_id_for(canonical_url: str | None, content_hash: str) -> str:
    """Hash of the canonical URL; without one (local files), the content fingerprint."""
    return stable_hash(canonical_url) if canonical_url else content_hash


def to_article_row(doc: Document, run_id: str, min_words: int = 1) -> dict:
    """The articles-table row for a cleaned document."""
    word_count = len(_WORD.findall(doc.text))
    if not word_count:
        raise Rejected("no_text", "nothing left after cleaning")
    if word_count < min_words:
        raise Rejected("too_short", f"{word_count} words, fewer than {min_words}")
    canonical_url = canonicalize_url(doc.page_url) or canonicalize_url(doc.url)
    content_hash = stable_hash(normalize_for_hash(doc.text))
    return check_row(ARTICLE_SCHEMA, {
        "article_id": article_id_for(canonical_url, content_hash),
        "url": doc.url,
        "canonical_url": canonical_url,
        "source": doc.source,
        "input": doc.uri,
        "domain": domain_of(canonical_url),
        "site_name": doc.site_name,
        "title": doc.title,
        "dateline": doc.dateline,
        "authors": list(doc.authors),
        "published_at": doc.published_at,
        "fetched_at": doc.fetched_at,
        "language": language_of(doc.language, doc.text),
        "text": doc.text,
        "description": doc.description,
        "tags": list(doc.tags),
        "image_url": doc.image_url,
        "word_count": word_count,
        "content_hash": content_hash,
        "duplicate_count": 0,
        "duplicate_urls": [],
        "run_id": run_id,
        "schema_version": SCHEMA_VERSION,
        "kicker": doc.kicker,
    })

