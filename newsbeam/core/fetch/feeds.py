"""Feed bytes -> article links with metadata hints.

RSS and Atom go through feedparser, given the bytes we fetched and the response headers
(never a URL: its own HTTP has no timeout). feedparser 6.0 does not read JSON Feed, which
is small enough to read here. Hints use ``Document`` field names (see ``RawDocument``).
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html

from newsbeam.core.extract.fields import strings_of
from newsbeam.records.documents import Rejected

JSON_FEED_VERSION = "https://jsonfeed.org/version/"


@dataclasses.dataclass(frozen=True)
class Link:
    """An article URL found in a feed or sitemap, and what it said about the article."""

    url: str
    hints: dict[str, Any] = dataclasses.field(default_factory=dict)


def parse_feed(body: bytes, headers: dict[str, str], url: str) -> list[Link]:
    """Links of a feed's entries, in feed order. A malformed feed yields what could be
    read; a feed with no usable entry raises ``Rejected("feed_empty")``."""
    json_feed = _json_feed(body)
    if json_feed is not None:
        links = [link for item in json_feed.get("items") or [] if (link := _json_item(item, url))]
        problem = "no items with a url"
    else:
        try:
            parsed = feedparser.parse(body, response_headers={**headers, "content-location": url})
        except Exception as err:  # its loose parser breaks on some malformed feeds (fuzzing)
            raise Rejected("feed_invalid", f"feedparser failed: {type(err).__name__}: {err}") \
                from None
        links = [link for entry in parsed.entries if (link := _entry_link(entry, url))]
        problem = _feed_problem(parsed)
    if not links:
        raise Rejected("feed_empty", problem)
    first: dict[str, Link] = {}
    for link in links:
        first.setdefault(link.url, link)
    return list(first.values())


# What feedparser notes about a feed that it still read: never what is wrong with it.
_NOTICES = (feedparser.CharacterEncodingOverride, feedparser.CharacterEncodingUnknown)


def _feed_problem(parsed: Any) -> str:
    """Why a parsed feed gave no links, in words; a parse error is added when there was one."""
    if parsed.entries:
        problem = f"{len(parsed.entries)} entries, none with a link"
    elif parsed.get("version"):  # absent, not empty, for a body with no feed (fuzzing)
        problem = f"no entries in the {parsed.get('version')} feed"
    else:
        problem = "no RSS, Atom or JSON Feed found"
    error = parsed.get("bozo_exception")
    if parsed.bozo and not isinstance(error, _NOTICES):
        problem += f" ({type(error).__name__}: {' '.join(str(error).split())})"
    return problem


def absolute_link(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; None when it is no URL at all (an unclosed IPv6
    bracket such as ``http://[::1``, found by fuzzing): like an entry without a link."""
    try:
        url = urljoin(base, href.strip())
        urlsplit(url).hostname  # what every later step asks first
    except ValueError:
        return None
    return url


def _text(html: str | None) -> str | None:
    """Feed summaries are HTML fragments; hints want their text."""
    if not html or not html.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div").text_content().strip() or None
    except Exception:  # not parseable as HTML: it was plain text
        return html.strip()


def _hints(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value}


def _entry_link(entry: Any, base: str) -> Link | None:
    href = entry.get("link") or next(
        (l.get("href") for l in entry.get("links", []) if l.get("rel") == "alternate"), None)
    url = absolute_link(base, href) if isinstance(href, str) else None
    if not url:
        return None
    authors = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
    images = [m.get("url") for m in entry.get("media_thumbnail", []) + entry.get("media_content", [])
              if m.get("url") and m.get("medium", "image") == "image"]
    images += [e.get("href") for e in entry.get("enclosures", [])
               if e.get("href") and (e.get("type") or "").startswith("image/")]
    return Link(url, _hints(
        title=entry.get("title"),
        authors=authors or entry.get("author"),
        published_at=entry.get("published") or entry.get("updated"),
        description=_text(entry.get("summary")),
        tags=[t.get("term") for t in entry.get("tags", []) if t.get("term")],
        image_url=images[0] if images else None))


def _json_feed(body: bytes) -> dict | None:
    """The JSON Feed object, or None when ``body`` is not one."""
    if not body.lstrip()[:1] == b"{":
        return None
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise Rejected("feed_empty", "invalid JSON") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(JSON_FEED_VERSION):
        raise Rejected("feed_empty", "JSON that is not a JSON Feed")
    return data


def _json_item(item: Any, base: str) -> Link | None:
    if not isinstance(item, dict):
        return None
    href = next(iter(strings_of(item.get("url")) or strings_of(item.get("external_url"))), None)
    url = absolute_link(base, href) if href and href.strip() else None
    if not url:
        return None
    people = item.get("authors") or ([item["author"]] if item.get("author") else [])
    return Link(url, _hints(
        title=item.get("title"),
        authors=[p.get("name") for p in people if isinstance(p, dict) and p.get("name")],
        published_at=item.get("date_published") or item.get("date_modified"),
        description=item.get("summary") or None,
        tags=[t for t in item.get("tags") or [] if isinstance(t, str)],
        image_url=item.get("image") or item.get("banner_image")))
