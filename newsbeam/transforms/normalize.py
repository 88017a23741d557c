"""Document -> article row: ids, canonical URL, domain, language, hashes.

Pure functions; ``to_article_row`` is the whole stage.
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

import courlan
import py3langid

from newsbeam.schemas.article import ARTICLE_SCHEMA, SCHEMA_VERSION, check_row
from newsbeam.schemas.documents import Document, Rejected
from newsbeam.transforms.clean import normalize_for_hash

_WORD = re.compile(r"\w+")
_LANGUAGE_TAG = re.compile(r"^([a-zA-Z]{2})(?:[-_].*)?$")
# Shorter texts give unreliable language guesses; better null than wrong.
_MIN_CHARS_TO_DETECT_LANGUAGE = 40


def stable_hash(text: str) -> str:
    """128-bit hex digest: the form of every id and fingerprint newsbeam writes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def canonicalize_url(url: str | None) -> str | None:
    """Canonical form of an http(s) URL, or None for anything else.

    courlan lowercases scheme and host, drops default ports, tracking parameters
    (utm_*, fbclid, gclid, ...) and sorts the query; we also drop the fragment and a
    trailing slash, which never name a different article.
    """
    if not url or urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        return None
    try:
        parts = urlsplit(courlan.normalize_url(url.strip()))
    except ValueError:
        return None
    path = parts.path.rstrip("/") or "/" if parts.path else ""
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def domain_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def language_of(declared: str | None, text: str) -> str | None:
    """ISO 639-1 code: the page's declared language if well-formed, else detected."""
    match = _LANGUAGE_TAG.match(declared.strip()) if declared else None
    if match:
        return match.group(1).lower()
    if len(text) < _MIN_CHARS_TO_DETECT_LANGUAGE:
        return None
    code, _score = py3langid.classify(text[:5000])
    return code


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
    })


def warm_up() -> None:
    """Load the language model now (about a second) rather than inside the first element."""
    py3langid.classify("warm up the language model")
