"""Fuzz targets: the parsers that read untrusted bytes, each with a hypothesis strategy that
mutates realistic seeds (random bytes alone rarely get past a parser's first check).

A target returns normally or raises ``Rejected`` (a refusal with a reason is the contract);
any other exception is a finding. Used by ``python -m bench.fuzz`` (time-bounded, random)
and by ``tests/core/test_fuzz.py`` (a few derandomized examples per target).
"""
from __future__ import annotations

import gzip
import json
import os
import tempfile
from datetime import datetime, timezone
from typing import Callable

from hypothesis import strategies as st

from newsbeam.config import ConfigError, load_config
from newsbeam.core.extract.decode import decode_html, decode_text
from newsbeam.core.extract.fields import first_usable
from newsbeam.core.extract.metadata import jsonld_candidates
from newsbeam.core.extract.page import parse_html
from newsbeam.core.fetch.feeds import parse_feed
from newsbeam.core.fetch.robots import RobotsCache
from newsbeam.core.fetch.sitemaps import parse_sitemap
from newsbeam.records.documents import Rejected

BASE = "https://news.example/feeds/main.xml"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

# Pieces that reach parser corners: markup, entities, odd URLs and dates, encodings.
TOKENS = [
    b"<", b">", b"</", b"/>", b"<item>", b"</item>", b"<entry>", b"<link>", b"</link>",
    b"<link href=\"", b"<url>", b"<loc>", b"</loc>", b"<sitemap>", b"<![CDATA[", b"]]>",
    b"<!--", b"-->", b"&amp;", b"&#0;", b"&#x110000;", b"&bogus;", b"<!DOCTYPE x [<!ENTITY e \"e\">]>",
    b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3", b"\r\n", b"\"", b"'", b"{", b"}", b"[", b"]",
    b"http://[::1", b"http://[", b"https://", b"//", b"javascript:x", b"mailto:a@b", b"..",
    b"%00", b"%zz", b"\\", b"1970-01-01", b"0000-00-00", b"9999-12-31T25:61:61Z",
    b"2025-13-45", b"Mon, 99 Foo 2025", b"-1", b"1e999", b"NaN", b"null", b"true", b"[]", b"{}",
    b"encoding=\"utf-16\"", b"encoding=\"bogus\"", b"charset=x-unknown", b"\xe2\x80\xae",
    b"[" * 3000, b"<a>" * 3000, b"&a [*a]", b"*a",  # deep nesting, self-reference
]

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>
<item><title>A story</title><link>https://news.example/a?x=1&amp;y=2</link>
<pubDate>Tue, 20 May 2025 09:00:00 GMT</pubDate><author>Ann</author>
<description>&lt;p&gt;Summary&lt;/p&gt;</description><category>World</category>
<media:thumbnail url="https://news.example/a.jpg"/></item>
<item><title>B</title><link>/relative/b</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>A</title><link rel="alternate" href="https://news.example/a"/>
<updated>2025-05-20T09:00:00Z</updated><author><name>Ann</name></author>
<summary type="html">&lt;b&gt;S&lt;/b&gt;</summary><category term="x"/></entry></feed>"""
JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "T",
    "items": [{"id": "1", "url": "https://news.example/a", "title": "A",
               "date_published": "2025-05-20T09:00:00Z", "authors": [{"name": "Ann"}],
               "tags": ["x"], "image": "https://news.example/a.jpg"},
              {"id": "2", "external_url": "/b"}]}).encode()
SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
 xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
<url><loc>https://news.example/a</loc><lastmod>2025-12-31</lastmod>
<news:news><news:publication><news:name>N</news:name><news:language>en</news:language>
</news:publication><news:publication_date>2025-12-31T08:00:00+00:00</news:publication_date>
<news:title>A</news:title><news:keywords>x, y</news:keywords></news:news>
<image:image><image:loc>https://news.example/a.jpg</image:loc></image:image></url>
<url><loc>/relative</loc></url></urlset>"""
SITEMAP_INDEX = b"""<?xml version="1.0"?><sitemapindex
 xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://news.example/s1.xml</loc>
<lastmod>2025-12-30T00:00:00Z</lastmod></sitemap></sitemapindex>"""
ROBOTS = b"""User-agent: *
Disallow: /private/
Disallow: /*/print/
Disallow: /*.pdf$
Allow: /private/public/
Crawl-delay: 2

User-agent: newsbeam
Disallow: /news
Allow: /news/public/
Sitemap: https://news.example/sitemap.xml
"""
PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A | Site</title>
<meta property="og:title" content="A"><meta name="author" content="Ann">
<meta property="article:published_time" content="2025-05-20T09:00:00Z">
<link rel="canonical" href="/a"></head><body><article><p>Body text.</p></article></body></html>"""
CONFIG = b"""output: ../out
sources:
  - {name: a, kind: files, path: ["*.txt", "**/*.html"]}
  - {name: f, kind: feed, url: "https://news.example/rss"}
  - name: s
    kind: sitemap
    url: https://news.example/sitemap.xml
    since: 2d
  - {name: u, kind: urls, urls: ["https://news.example/1"]}
limits: {max_document_bytes: 1000, min_words: 10, extract_timeout_seconds: 5}
fetch: {total_timeout_seconds: 30, allowed_networks: ["10.0.0.0/8"], respect_robots: true}
dedup: {cross_run: true, near: {enabled: true, threshold: 0.8, num_perm: 64}}
"""


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed with a few slices replaced by tokens, random bytes or other slices."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(data)))
        end = min(len(data), start + draw(st.integers(0, 16)))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=12),
                               st.just(bytes(data[end:end + draw(st.integers(0, 64))]) * 2)))
        data[start:end] = piece
    if draw(st.integers(0, 9)) == 0:
        data = bytearray(data[:draw(st.integers(0, len(data)))])  # truncated
    return bytes(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(["NewsArticle", "Person", "@graph", "2025-05-20", "1970-01-01T00:00:00Z",
                       "http://[::1", "/rel", "#id", "0000-00-00"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["@type", "@id", "@graph", "@context", "headline", "name", "author",
                         "datePublished", "dateModified", "image", "url", "keywords",
                         "publisher", "inLanguage", "description", "mainEntityOfPage",
                         "articleSection", "creator"]), children, max_size=6),
    max_leaves=25)


@st.composite
def jsonld_pages(draw) -> bytes:
    block = draw(st.one_of(JSON_VALUES.map(json.dumps), st.text(max_size=200)))
    script = f'<script type="application/ld+json">{block}</script>'.encode()
    return PAGE.replace(b"</head>", script + b"</head>")


CONFIG_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["files", "feed", "urls", "sitemap", "http://[::1", "*.txt", "2d"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["output", "sources", "limits", "fetch", "dedup", "near", "name",
                         "kind", "path", "url", "urls", "since", "max_depth",
                         "extract_timeout_seconds", "total_timeout_seconds", "threshold",
                         "allowed_networks", "cross_run"]), children, max_size=5),
    max_leaves=20)


def _config_text(draw) -> bytes:
    import yaml

    return draw(st.one_of(
        mutated([CONFIG]),
        CONFIG_VALUES.map(lambda v: yaml.safe_dump(v).encode())))


config_texts = st.composite(_config_text)


# --- targets: bytes -> None, raising Rejected at most ------------------------------------------

def feed(data: bytes) -> None:
    for link in parse_feed(data, {"content-type": "application/xml"}, BASE):
        assert isinstance(link.url, str)


def sitemap(data: bytes) -> None:
    parse_sitemap(data, BASE, 1 << 20, 86400 * 7, NOW)
    parse_sitemap(gzip.compress(data), BASE, 1 << 20)


def robots(data: bytes) -> None:
    cache = RobotsCache(lambda _url, _budget: data)
    for path in ("/", "/news/public/a", "/x/print/y", "/a.pdf", "/%zz", "/private/public/"):
        url = f"https://news.example{path}"
        rules = cache.rules_for(url)
        assert rules.allows(url, "newsbeam") in (True, False)
        delay = rules.crawl_delay("newsbeam")
        assert delay is None or delay >= 0


def charset(data: bytes) -> None:
    label, _, body = data.partition(b"\n")
    label_text = label.decode("latin-1")[:40] or None
    for decode in (decode_text, decode_html):
        try:
            assert isinstance(decode(body, label_text), str)
        except Rejected:
            pass


def jsonld(data: bytes) -> None:
    tree = parse_html(data)
    first_usable([jsonld_candidates(tree)], "https://news.example/a")


def config(data: bytes) -> None:
    path = os.path.join(tempfile.gettempdir(), f"newsbeam-fuzz-{os.getpid()}.yaml")
    with open(path, "wb") as handle:
        handle.write(data)
    try:  # through load_config: reading the file is part of what is fuzzed
        load_config(path)
    except ConfigError:
        pass
    finally:
        os.remove(path)


TARGETS: dict[str, tuple[Callable[[bytes], None], st.SearchStrategy[bytes]]] = {
    "feeds": (feed, mutated([RSS, ATOM, JSON_FEED])),
    "sitemaps": (sitemap, mutated([SITEMAP, SITEMAP_INDEX])),
    "robots": (robots, mutated([ROBOTS])),
    "charset": (charset, st.one_of(
        st.binary(max_size=300),
        st.tuples(st.sampled_from([b"utf-8", b"utf-16", b"tis-620", b"gbk", b"shift_jis",
                                   b"x-bogus", b"", b"utf-7", b"iso-2022-jp", b"cp1252"]),
                  mutated([PAGE, "Überschrift\nText".encode("utf-16")])).map(
            lambda pair: pair[0] + b"\n" + pair[1]))),
    "jsonld": (jsonld, jsonld_pages()),
    "config": (config, config_texts()),
}


# Realistic starting points per target, for coverage-guided fuzzers (bench/fuzz_atheris.py).
SEEDS: dict[str, list[bytes]] = {
    "feeds": [RSS, ATOM, JSON_FEED], "sitemaps": [SITEMAP, SITEMAP_INDEX], "robots": [ROBOTS],
    "charset": [b"utf-8\n" + PAGE, b"utf-16\n" + "\u00dcberschrift\nText".encode("utf-16")],
    "jsonld": [PAGE.replace(b"</head>", b'<script type="application/ld+json">{"@type": '
                            b'"NewsArticle", "headline": "A", "datePublished": "2025-05-20",'
                            b' "author": {"@type": "Person", "name": "Ann"}}</script></head>')],
    "config": [CONFIG],
}


def run_target(target: Callable[[bytes], None], data: bytes) -> None:
    """The contract: return, or refuse with ``Rejected``."""
    try:
        target(data)
    except Rejected:
        pass
