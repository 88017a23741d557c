"""A feed or sitemap URL -> the article URLs it lists (conditional GET, bounded recursion)."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from newsbeam.core.fetch.feeds import Link, parse_feed
from newsbeam.core.fetch.fetcher import Fetcher
from newsbeam.core.fetch.pages import PageInput
from newsbeam.core.fetch.sitemaps import parse_sitemap
from newsbeam.records.documents import Rejected

_BINARY_FAMILIES = ("image/", "audio/", "video/", "font/")
_BINARY_TYPES = {"application/pdf", "application/zip", "application/msword"}


def is_listing_type(media_type: str) -> bool:
    """Feeds and sitemaps come as XML, JSON, text or (sitemap.xml.gz) gzip: not as media."""
    return not (media_type.startswith(_BINARY_FAMILIES) or media_type in _BINARY_TYPES)


@dataclasses.dataclass(frozen=True)
class ListingInput:
    """A feed or sitemap to read; ``etag``/``last_modified`` from the previous run."""

    source: str
    uri: str
    kind: str                       # "feed" or "sitemap"
    etag: str | None = None
    last_modified: str | None = None
    since_seconds: int | None = None  # sitemaps: entries older than this are skipped
    max_depth: int = 0                # sitemaps: levels of sitemap index followed
    max_urls: int = 50_000


@dataclasses.dataclass
class Discovery:
    listing: ListingInput
    pages: list[PageInput]
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    failed_children: list[tuple[ListingInput, Rejected]] = dataclasses.field(default_factory=list)


def with_validators(listing: ListingInput,
                    validators: dict[str, tuple[str | None, str | None]]) -> ListingInput:
    """The listing with the ETag/Last-Modified an earlier run recorded for its URL."""
    etag, last_modified = validators.get(listing.uri, (None, None))
    return dataclasses.replace(listing, etag=etag, last_modified=last_modified)


def conditional_headers(listing: ListingInput) -> dict[str, str]:
    headers = {}
    if listing.etag:
        headers["If-None-Match"] = listing.etag
    if listing.last_modified:
        headers["If-Modified-Since"] = listing.last_modified
    return headers


def discover(fetcher: Fetcher, listing: ListingInput) -> Discovery:
    response = fetcher.get(listing.uri, conditional_headers(listing), accept=is_listing_type)
    found = Discovery(listing, [], response.headers.get("etag"),
                      response.headers.get("last-modified"))
    if response.status == 304:  # unchanged since last run: keep the old validators
        return dataclasses.replace(found, etag=listing.etag, last_modified=listing.last_modified,
                                   not_modified=True)
    if listing.kind == "feed":
        links = parse_feed(response.body, response.headers, response.final_url)
    else:
        links = _sitemap_links(fetcher, listing, response.body, response.final_url, found)
    found.pages = [PageInput(listing.source, link.url, link.hints)
                   for link in links[:listing.max_urls]]
    return found


def _sitemap_links(fetcher: Fetcher, listing: ListingInput, body: bytes, url: str,
                   found: Discovery) -> list[Link]:
    """Links of a sitemap and of the sitemaps it indexes, breadth first, bounded."""
    limit = fetcher.settings.max_decompressed_bytes
    now = datetime.now(timezone.utc)
    sitemap = parse_sitemap(body, url, limit, listing.since_seconds, now)
    links, level, depth = list(sitemap.links), sitemap.children, 0
    visited = {url}
    while level and depth < listing.max_depth and len(links) < listing.max_urls:
        depth, next_level = depth + 1, []
        for child_url in level:
            if child_url in visited or len(links) >= listing.max_urls:
                continue
            visited.add(child_url)
            try:
                child = fetcher.get(child_url, accept=is_listing_type)
                sitemap = parse_sitemap(child.body, child.final_url, limit,
                                        listing.since_seconds, now)
            except Rejected as refusal:  # one broken child does not lose its siblings
                found.failed_children.append(
                    (dataclasses.replace(listing, uri=child_url), refusal))
                continue
            links += sitemap.links
            next_level += sitemap.children
        level = next_level
    return links
