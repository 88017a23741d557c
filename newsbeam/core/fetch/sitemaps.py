"""Sitemap bytes -> article links (urlset, with Google News and image extensions) or
child sitemaps (sitemap index).

Parsed with lxml and a parser that expands no entities and loads nothing from the
network, so a hostile sitemap cannot read files or blow up (billion laughs).
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from lxml import etree

from newsbeam.core.fetch.client import inflate
from newsbeam.core.fetch.feeds import Link, absolute_link
from newsbeam.records.documents import Rejected
from newsbeam.core.text.dates import parse_date

GZIP_MAGIC = b"\x1f\x8b"


@dataclasses.dataclass(frozen=True)
class Sitemap:
    links: list[Link]      # article URLs (a urlset)
    children: list[str]    # sitemap URLs (a sitemap index)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, recover=True)


def _local(tag) -> str:
    # "{namespace}name" -> "name"; not etree.QName, which raises on names the recovering
    # parser lets through, such as "http:" (found by fuzzing).
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _find(element, *path: str) -> str | None:
    """Text at ``path`` (local names, any namespace) below ``element``, e.g. news/title."""
    nodes = [element]
    for name in path:
        nodes = [child for node in nodes for child in node if _local(child.tag) == name]
    return next((n.text.strip() for n in nodes if n.text and n.text.strip()), None)


def _is_recent(date_text: str | None, cutoff: datetime | None) -> bool:
    if cutoff is None or not date_text:
        return True  # undated entries are kept: we cannot tell their age
    when = parse_date(date_text)
    return when is None or when >= cutoff


def parse_sitemap(body: bytes, url: str, max_bytes: int, since_seconds: int | None = None,
                  now: datetime | None = None) -> Sitemap:
    """Entries of a sitemap or sitemap index; with ``since_seconds``, only entries dated
    (lastmod or news publication date) within that age of ``now``."""
    if body[:2] == GZIP_MAGIC:  # .xml.gz served as a file, not as Content-Encoding
        body = inflate(body, "gzip", max_bytes)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as err:
        raise Rejected("sitemap_invalid", str(err)) from None
    if root is None:
        raise Rejected("sitemap_invalid", "not XML")
    cutoff = ((now or datetime.now(timezone.utc)) - timedelta(seconds=since_seconds)
              if since_seconds is not None else None)
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise Rejected("sitemap_invalid", f"root element <{kind}> is not urlset or sitemapindex")
    links, children = [], []
    for entry in root:
        loc = _find(entry, "loc") if _local(entry.tag) in ("url", "sitemap") else None
        loc = loc and absolute_link(url, loc)
        if not loc:
            continue
        published = _find(entry, "news", "publication_date")
        if not _is_recent(published or _find(entry, "lastmod"), cutoff):
            continue
        if kind == "sitemapindex":
            children.append(loc)
        else:
            links.append(Link(loc, {key: value for key, value in {
                "title": _find(entry, "news", "title"),
                "published_at": published,
                "tags": _find(entry, "news", "keywords"),
                "language": _find(entry, "news", "publication", "language"),
                "image_url": _find(entry, "image", "loc"),
            }.items() if value}))
    if not links and not children and cutoff is None:
        raise Rejected("sitemap_empty", f"<{kind}> without entries")
    return Sitemap(links, children)
