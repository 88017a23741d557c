"""URLs as newsbeam compares them: one canonical form per article, and its domain."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import courlan


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
