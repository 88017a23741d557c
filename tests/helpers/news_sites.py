"""Three small news sites on loopback, built from the sample articles, for end-to-end runs.

Pages wrap a sample in a realistic template (navigation, cookie banner, related links,
comments, footer). Feeds and sitemaps answer conditional GETs with 304. ``EXPECTED`` says
where every article URL must end.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import json
import threading
from datetime import datetime, timedelta, timezone

from tests.helpers.runs import SAMPLES
from tests.helpers.loopback import Reply, Request, loopback_hosts

A, B, C = loopback_hosts(3)
FURNITURE = ["We use cookies", "Accept all", "Related stories", "Most read", "comments so far",
             "Great article", "Subscribe to our newsletter", "All rights reserved"]


def sample(index: int) -> tuple[str, list[str]]:
    lines = [l.strip() for l in SAMPLES[index].read_text(encoding="utf-8").splitlines() if l.strip()]
    return lines[0], lines[1:]


def article_page(index: int, published: str | None = "2025-05-20T09:00:00+00:00",
                 author: str | None = "Staff Reporter", edited: bool = False) -> bytes:
    """Sample ``index`` as a news page; ``edited``: a near copy (the first word of every
    other paragraph changed, as a re-published wire story is touched up)."""
    title, paragraphs = sample(index)
    if edited:
        paragraphs = [("Reportedly " + p.split(" ", 1)[-1]) if i % 2 else p
                      for i, p in enumerate(paragraphs)]
    meta = (f'<meta property="article:published_time" content="{published}">' if published else "")
    meta += f'<meta name="author" content="{author}">' if author else ""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | Daily Example</title>
<meta property="og:site_name" content="Daily Example">{meta}</head>
<body>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
<header><a href="/">Daily Example</a>
<nav><ul><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main><article><h1>{html.escape(title)}</h1>
<div class="article-body">{body}</div></article>
<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/world/1">Ministers meet again as talks drag on</a></li>
<li><a href="/world/2">Markets rally after surprise announcement</a></li></ul>
<h2>Most read</h2><ol><li><a href="/sport/3">Cup final goes to penalties</a></li></ol></aside>
<section class="comments"><h2>3 comments so far</h2>
<div class="comment"><b>reader42</b> Great article, thanks for sharing!</div>
<div class="comment"><b>anon</b> I disagree with most of this.</div></section></main>
<footer><p>Subscribe to our newsletter for the morning briefing.</p>
<p>&copy; Daily Example. All rights reserved. <a href="/privacy">Privacy</a></p></footer>
</body></html>""".encode()


def rss(items: list[tuple[str, str]], truncate: bool = False) -> bytes:
    entries = "".join(f"<item><title>{html.escape(t)}</title><link>{html.escape(u)}</link></item>"
                      for t, u in items)
    body = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Daily Example</title><link>http://{A}/</link>{entries}</channel></rss>"""
    return body[:body.rindex("<item>") + 12].encode() if truncate else body.encode()


def atom(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f'<entry><title>{html.escape(t)}</title><id>{html.escape(u)}</id>'
                      f'<link rel="alternate" href="{html.escape(u)}"/>'
                      f"<updated>2025-05-20T09:00:00Z</updated></entry>" for t, u in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>B</title><id>urn:b</id>{entries}</feed>").encode()


def news_sitemap(entries: list[tuple[str, datetime]]) -> bytes:
    urls = "".join(f"<url><loc>{html.escape(u)}</loc><news:news><news:publication><news:name>C"
                   f"</news:name><news:language>en</news:language></news:publication>"
                   f"<news:publication_date>{d.isoformat()}</news:publication_date>"
                   f"</news:news></url>" for u, d in entries)
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
            f'schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>").encode()


class NewsSites:
    """The route function: fixed pages plus the stateful ones (flaky, throttled)."""

    def __init__(self, port_of: callable):
        self.port_of = port_of  # the server's port is known only once it listens
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self.now = datetime.now(timezone.utc)

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port_of()}{path}"

    def _nth_call(self, key: str) -> int:
        with self._lock:
            self.calls[key] = self.calls.get(key, 0) + 1
            return self.calls[key]

    def listings(self) -> dict[str, tuple[bytes, str]]:
        u = self.url
        return {
            f"{A}/feeds/rss.xml": (rss([
                ("Zero", u(A, "/news/article-0?utm_source=rss")), ("One", u(A, "/news/article-1")),
                ("Flaky", u(A, "/news/flaky")), ("Missing", u(A, "/news/missing")),
                ("Slow", u(A, "/news/slow")), ("Secret", u(A, "/private/leak"))]),
                "application/rss+xml"),
            f"{B}/atom.xml": (atom([
                ("Three", u(B, "/story-3")), ("Loop", u(B, "/loop-a")),
                ("Intranet", u(B, "/to-intranet")), ("Huge", u(B, "/huge")),
                ("Bomb", u(B, "/bomb")), ("Report", u(B, "/report.pdf"))]), "application/atom+xml"),
            f"{C}/feed.json": (json.dumps({
                "version": "https://jsonfeed.org/version/1.1", "title": "C",
                "items": [{"id": "4", "url": u(C, "/story-4"), "title": "From the feed",
                           "authors": [{"name": "Feed Author"}],
                           "date_published": "2025-05-21T06:30:00Z"}]}).encode(),
                "application/feed+json"),
            f"{C}/sitemap.xml": (
                f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9"><sitemap><loc>{u(C, "/sitemaps/news.xml.gz")}</loc></sitemap>'
                f"</sitemapindex>".encode(), "application/xml"),
            f"{C}/sitemaps/news.xml.gz": (gzip.compress(news_sitemap([
                (u(C, "/syndicated/0"), self.now - timedelta(hours=3)),
                (u(C, "/archive/2001"), datetime(2001, 9, 1, tzinfo=timezone.utc))])),
                "application/gzip"),
            f"{C}/broken.xml": (rss([("Syndicated", u(C, "/syndicated/1")),
                                     ("Cut", u(C, "/never"))], truncate=True), "application/rss+xml"),
            f"{C}/garbage.xml": (b"<html><body>This is not a feed</body></html>", "text/html"),
        }

    def __call__(self, request: Request) -> Reply:
        key = f"{request.host}{request.path.split('?')[0]}"
        listing = self.listings().get(key)
        if listing:
            body, media_type = listing
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            if request.headers.get("if-none-match") == etag:
                return Reply(304, headers={"ETag": etag})
            return Reply(body=body, headers={"Content-Type": media_type, "ETag": etag,
                                             "Last-Modified": "Tue, 20 May 2025 09:00:00 GMT"})
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        pages = {
            f"{A}/robots.txt": lambda: Reply(body=b"User-agent: *\nDisallow: /private/\n"),
            f"{A}/news/article-0": lambda: Reply(body=article_page(0), headers=html_type),
            f"{A}/news/article-1": lambda: Reply(body=article_page(1), headers=html_type),
            f"{A}/news/flaky": lambda: (Reply(500, b"Internal error") if self._nth_call(key) == 1
                                        else Reply(body=article_page(2), headers=html_type)),
            f"{A}/news/slow": lambda: Reply(body=article_page(2), headers=html_type, delay=1.2),
            f"{A}/private/leak": lambda: Reply(body=article_page(0), headers=html_type),
            f"{B}/story-3": lambda: (Reply(429, b"slow down", {"Retry-After": "1"})
                                     if self._nth_call(key) == 1
                                     else Reply(body=article_page(3), headers=html_type)),
            f"{B}/loop-a": lambda: Reply(302, headers={"Location": "/loop-b"}),
            f"{B}/loop-b": lambda: Reply(302, headers={"Location": "/loop-a"}),
            f"{B}/to-intranet": lambda: Reply(302, headers={"Location": "http://10.20.30.40/admin"}),
            f"{B}/huge": lambda: Reply(body=b"<p>" + b"x" * 300_000 + b"</p>", headers=html_type),
            f"{B}/bomb": lambda: Reply(body=gzip.compress(b" " * 3_000_000),
                                       headers={**html_type, "Content-Encoding": "gzip"}),
            f"{B}/report.pdf": lambda: Reply(body=b"%PDF-1.7\n%binary", headers={
                "Content-Type": "application/pdf"}),
            f"{C}/story-4": lambda: Reply(body=article_page(4, published=None, author=None),
                                          headers=html_type),
            f"{C}/syndicated/0": lambda: Reply(body=article_page(0, published=None), headers=html_type),
            f"{C}/syndicated/1": lambda: Reply(body=article_page(1, published=None), headers=html_type),
        }
        return pages.get(key, lambda: Reply(404, b"Not found"))()


def expected(url) -> dict[str, str]:
    """Where each input must end: "article", "duplicate:<method>" or "stage:reason"."""
    return {
        # Same canonical URL, same date: the smaller input wins the tie.
        url(A, "/news/article-0?utm_medium=email&fbclid=abc123"): "article",
        url(A, "/news/article-0?utm_source=rss"): "duplicate:url",
        url(A, "/news/article-1"): "article",
        url(A, "/news/flaky"): "article",
        url(A, "/news/missing"): "fetch:http_404",
        url(A, "/news/slow"): "fetch:timeout",
        url(A, "/private/leak"): "fetch:robots_disallowed",
        url(B, "/story-3"): "article",
        url(B, "/loop-a"): "fetch:redirect_loop",
        url(B, "/to-intranet"): "fetch:private_address",
        url(B, "/huge"): "fetch:too_large",
        url(B, "/bomb"): "fetch:decompression_bomb",
        url(B, "/report.pdf"): "fetch:unsupported_content_type",
        url(C, "/story-4"): "article",
        url(C, "/syndicated/0"): "duplicate:content",
        url(C, "/syndicated/1"): "duplicate:content",
        url(C, "/garbage.xml"): "discover:feed_empty",
    }


def sources(url) -> list[dict]:
    return [
        {"name": "a-rss", "kind": "feed", "url": url(A, "/feeds/rss.xml")},
        {"name": "b-atom", "kind": "feed", "url": url(B, "/atom.xml")},
        {"name": "c-json", "kind": "feed", "url": url(C, "/feed.json")},
        {"name": "c-sitemap", "kind": "sitemap", "url": url(C, "/sitemap.xml"), "since": "2d"},
        {"name": "c-broken", "kind": "feed", "url": url(C, "/broken.xml")},
        {"name": "c-garbage", "kind": "feed", "url": url(C, "/garbage.xml")},
        {"name": "newsletter", "kind": "urls",
         "urls": [url(A, "/news/article-0?utm_medium=email&fbclid=abc123")]},
    ]


# Small limits and waits keep the test fast; loopback is reached through an explicit
# exception for 127.0.0.0/8, so other private addresses (10.x) are still refused.
FETCH_SETTINGS = {
    "allowed_networks": ["127.0.0.0/8"], "connect_timeout_seconds": 1,
    "read_timeout_seconds": 0.5, "total_timeout_seconds": 3, "max_retries": 2,
    "backoff_base_seconds": 0.05, "per_host_delay_seconds": 0, "per_host_concurrency": 4,
    "max_response_bytes": 200_000, "max_decompressed_bytes": 1_000_000,
}
