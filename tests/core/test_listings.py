"""Feed and sitemap parsing: bytes in, article links with hints out."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone

import pytest

from newsbeam.core.fetch.feeds import parse_feed
from newsbeam.core.fetch.sitemaps import parse_sitemap
from newsbeam.records.documents import Rejected

BASE = "https://news.example/feeds/main.xml"
RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>Example</title><link>https://news.example/</link>
<item><title>First &amp; foremost</title><link>https://news.example/a/1?utm_source=rss</link>
  <dc:creator>Ada Lovelace</dc:creator><pubDate>Tue, 03 Jun 2025 08:30:00 +0200</pubDate>
  <description>&lt;p&gt;A &lt;b&gt;short&lt;/b&gt; summary.&lt;/p&gt;</description>
  <category>Politics</category><category>Europe</category>
  <media:thumbnail url="https://news.example/i/1.jpg"/></item>
<item><title>Relative</title><link>/a/2</link></item>
<item><title>No link</title></item>
<item><title>Repeat</title><link>https://news.example/a/1?utm_source=rss</link></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example</title><id>urn:x</id>
<entry><title>Atom one</title><id>urn:1</id><link rel="alternate" href="https://news.example/atom/1"/>
<updated>2025-06-03T10:00:00Z</updated><author><name>Grace Hopper</name></author>
<summary>Summary one.</summary><category term="Tech"/></entry></feed>"""
JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "Example",
    "items": [{"id": "1", "url": "https://news.example/j/1", "title": "JSON one",
               "date_published": "2025-06-03T10:00:00Z", "authors": [{"name": "Alan Turing"}],
               "tags": ["Science"], "summary": "S.", "image": "https://news.example/j.jpg"},
              {"id": "2", "content_text": "no url"}]}).encode()


def test_rss_entries_become_links_with_hints_in_feed_order():
    links = parse_feed(RSS, {"content-type": "application/rss+xml"}, BASE)
    assert [l.url for l in links] == ["https://news.example/a/1?utm_source=rss", "https://news.example/a/2"]
    assert links[0].hints == {
        "title": "First & foremost", "authors": ["Ada Lovelace"],
        "published_at": "Tue, 03 Jun 2025 08:30:00 +0200", "description": "A short summary.",
        "tags": ["Politics", "Europe"], "image_url": "https://news.example/i/1.jpg"}


def test_atom_and_json_feed_entries():
    (atom,) = parse_feed(ATOM, {"content-type": "application/atom+xml"}, BASE)
    assert atom.url == "https://news.example/atom/1"
    assert atom.hints["authors"] == ["Grace Hopper"] and atom.hints["tags"] == ["Tech"]
    (item,) = parse_feed(JSON_FEED, {"content-type": "application/feed+json"}, BASE)
    assert item.url == "https://news.example/j/1"
    assert item.hints == {"title": "JSON one", "authors": ["Alan Turing"], "tags": ["Science"],
                          "published_at": "2025-06-03T10:00:00Z", "description": "S.",
                          "image_url": "https://news.example/j.jpg"}


def test_a_malformed_feed_yields_what_it_could_and_an_empty_one_is_refused():
    truncated = RSS[:RSS.index(b"<item><title>Relative")] + b"<item><title>Cut"
    links = parse_feed(truncated, {}, BASE)
    assert [l.url for l in links] == ["https://news.example/a/1?utm_source=rss"]
    for body, detail in [(b"<html><body>Not a feed</body></html>", ""),
                         (b"\x00\x01garbage", "SAX"), (b'{"version": "x"}', "not a JSON Feed"),
                         (b"{broken json", "invalid JSON")]:
        with pytest.raises(Rejected) as refused:
            parse_feed(body, {}, BASE)
        assert refused.value.reason == "feed_empty" and detail in refused.value.detail


NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
<url><loc>https://news.example/s/1</loc>
  <image:image><image:loc>https://news.example/s/1.jpg</image:loc><image:title>Photo</image:title></image:image>
  <news:news><news:publication><news:name>Example</news:name><news:language>de</news:language></news:publication>
  <news:publication_date>2026-02-28T12:00:00+01:00</news:publication_date>
  <news:title>Sitemap one</news:title><news:keywords>a, b</news:keywords></news:news></url>
<url><loc>https://news.example/s/old</loc><lastmod>2019-01-01</lastmod></url>
<url><loc>https://news.example/s/undated</loc></url>
</urlset>"""
INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>/news.xml.gz</loc><lastmod>2026-02-28</lastmod></sitemap>
<sitemap><loc>https://news.example/archive-2019.xml</loc><lastmod>2019-12-31</lastmod></sitemap>
</sitemapindex>"""


def test_news_sitemap_entries_with_hints_and_the_since_filter():
    sitemap = parse_sitemap(gzip.compress(NEWS_SITEMAP), "https://news.example/news.xml.gz",
                            10_000, since_seconds=7 * 86400, now=NOW)
    assert [l.url for l in sitemap.links] == ["https://news.example/s/1", "https://news.example/s/undated"]
    assert sitemap.links[0].hints == {
        "title": "Sitemap one", "published_at": "2026-02-28T12:00:00+01:00", "tags": "a, b",
        "language": "de", "image_url": "https://news.example/s/1.jpg"}
    assert len(parse_sitemap(NEWS_SITEMAP, "https://news.example/n.xml", 10_000).links) == 3


def test_a_sitemap_index_lists_its_children():
    index = parse_sitemap(INDEX, "https://news.example/sitemap.xml", 10_000, 86400 * 30, NOW)
    assert index.children == ["https://news.example/news.xml.gz"] and index.links == []


@pytest.mark.parametrize("body, reason", [
    (b"not xml at all", "sitemap_invalid"), (b"<rss/>", "sitemap_invalid"),
    (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>', "sitemap_empty"),
    (gzip.compress(b"<urlset>" + b" " * 50_000 + b"</urlset>"), "decompression_bomb"),
])
def test_bad_sitemaps_are_refused(body, reason):
    with pytest.raises(Rejected) as refused:
        parse_sitemap(body, "https://news.example/s.xml", 10_000)
    assert refused.value.reason == reason


def test_sitemap_entities_are_never_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY leak SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://news.example/x?q=&leak;&c;</loc></url></urlset>""".encode()
    (link,) = parse_sitemap(hostile, "https://news.example/s.xml", 10_000).links
    assert "SECRET" not in link.url and "aaaa" not in link.url


def test_a_json_feed_url_with_an_escaped_lone_surrogate_is_still_text():
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "items": '
            b'[{"id": "1", "url": "https://news.example/\\udcff-story"}]}')
    (link,) = parse_feed(body, {}, BASE)
    assert link.url == "https://news.example/\ufffd-story"
    link.url.encode("utf-8")  # what Beam's coders and Parquet do with it
