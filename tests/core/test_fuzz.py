"""The parsers of untrusted bytes under fuzzing: a few derandomized examples per target on
every test run (``python -m bench.fuzz --seconds N`` runs them for longer), and each crash
fuzzing found, kept as a regression test."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from bench.fuzz_targets import TARGETS, run_target
from newsbeam.core.extract.decode import decode_html, decode_text
from newsbeam.core.fetch.feeds import parse_feed
from newsbeam.core.fetch.robots import RobotsCache
from newsbeam.core.fetch.sitemaps import parse_sitemap
from newsbeam.records.documents import Rejected

QUICK = settings(max_examples=15, derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_quick_fuzz(name):
    target, strategy = TARGETS[name]

    @QUICK
    @given(strategy)
    def probe(data: bytes) -> None:
        run_target(target, data)

    probe()


RSS_ITEM = b"<item><title>Good</title><link>https://news.example/good</link></item>"


@pytest.mark.parametrize("body", [
    # feedparser's loose parser: a <link> closed inside an <item> it never opened (KeyError)
    b'<<?xml version="1.0"?><rss version="2.0"><channel><item><title>A</title>'
    b"<link>https:</item>ews.example/a</link></item></channel></rss>",
    # ... and a character reference past U+10FFFF (ValueError from chr)
    b'<<<<?xml version="1.0"?><rss version="2.0"><channel><title>&#x110000;T</title>'
    b"<item><link>https://news.example/a</link></item></channel></rss>",
])
def test_feeds_that_broke_feedparser_are_refused_with_a_reason(body):
    try:
        parse_feed(body, {}, "https://news.example/rss")
    except Rejected as refusal:
        assert refusal.reason in ("feed_invalid", "feed_empty")


@pytest.mark.parametrize("body", [b"", b"   ", b"<html><body>no feed</body></html>"])
def test_a_body_with_no_feed_at_all_is_feed_empty(body):
    with pytest.raises(Rejected) as refusal:
        parse_feed(body, {}, "https://news.example/rss")
    assert refusal.value.reason == "feed_empty"


def test_a_feed_link_that_is_no_url_is_skipped_and_the_others_kept():
    body = (b'<rss version="2.0"><channel><item><title>Bad</title><link>http://[::1</link>'
            b"</item>" + RSS_ITEM + b"</channel></rss>")
    assert [l.url for l in parse_feed(body, {}, "https://news.example/rss")] == [
        "https://news.example/good"]
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
                 b'{"url": "https://[news.example/a"}, {"url": "/b"}]}')
    assert [l.url for l in parse_feed(json_feed, {}, "https://news.example/feed.json")] == [
        "https://news.example/b"]


def test_a_sitemap_entry_that_is_no_url_is_skipped_and_odd_tags_are_no_crash():
    body = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>https://[news.example/a</loc></url><url><loc>/b</loc></url></urlset>")
    assert [l.url for l in parse_sitemap(body, "https://news.example/s.xml", 1 << 20).links] == [
        "https://news.example/b"]
    with pytest.raises(Rejected):  # a tag lxml's recovering parser keeps but QName refuses
        parse_sitemap(b'<?xml version="1.0"?><sitemhttp://www.sitemaps.org/x"><sitemap>'
                      b"<loc>https://news.example/s1.xml</loc></sitemap></sitemapindex>",
                      "https://news.example/s.xml", 1 << 20)


def test_a_charset_label_with_a_nul_is_an_unknown_label():
    assert decode_text(b"plain text", "utf-8\x00") == "plain text"
    assert decode_html(b"<p>caf\xc3\xa9</p>", "\x00") == "<p>caf\u00e9</p>"


def test_a_robots_rule_that_is_no_url_is_ignored_and_the_others_kept():
    text = b"User-agent: *\nDisallow: /private/\nAllow:http://[::1 /news/public/\n"
    rules = RobotsCache(lambda _url, _budget: text).rules_for("https://news.example/")
    assert not rules.allows("https://news.example/private/a", "newsbeam")
    assert rules.allows("https://news.example/news/a", "newsbeam")
