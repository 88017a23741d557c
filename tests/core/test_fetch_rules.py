"""Pure fetching rules: addresses, retry decisions, Retry-After, backoff, robots."""
from __future__ import annotations

import ipaddress
from datetime import datetime, timezone

import pytest

from newsbeam.config import FetchSettings
from newsbeam.core.fetch.addresses import AddressPolicy, is_public
from newsbeam.core.fetch.client import FetchError, inflate, parse_content_type
from newsbeam.core.fetch.politeness import (backoff_seconds, is_retryable, parse_retry_after,
                                          retry_delay)
from newsbeam.core.fetch.robots import parse_robots, rules_for_failure
from newsbeam.records.documents import Rejected

ip = ipaddress.ip_address


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("::1", False), ("fe80::1", False),
    ("fc00::1", False), ("::", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
])
def test_only_globally_routable_addresses_are_public(address, public):
    assert is_public(ip(address)) is public


def test_the_policy_admits_listed_networks_or_everything_when_asked():
    assert not AddressPolicy().permits(ip("127.0.0.2"))
    assert AddressPolicy(allowed_networks=("127.0.0.0/8",)).permits(ip("127.0.0.2"))
    assert not AddressPolicy(allowed_networks=("127.0.0.0/8",)).permits(ip("10.0.0.1"))
    assert AddressPolicy(allow_private_networks=True).permits(ip("10.0.0.1"))


@pytest.mark.parametrize("error, retry", [
    (FetchError("timeout"), True), (FetchError("connection_error"), True),
    (FetchError("http_500", status=500), True), (FetchError("http_503", status=503), True),
    (FetchError("http_408", status=408), True), (FetchError("http_429", status=429), True),
    (FetchError("http_404", status=404), False), (FetchError("http_403", status=403), False),
    (FetchError("too_large"), False), (Rejected("private_address"), False),
])
def test_which_failures_are_retried(error, retry):
    assert is_retryable(error) is retry


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0), (" 0 ", 0.0), ("Fri, 02 Jan 2026 03:05:05 GMT", 60.0),
    ("Fri, 02 Jan 2026 03:00:00 GMT", 0.0), ("soon", None), ("", None), (None, None),
    ("-5", None),
])
def test_retry_after_is_seconds_or_an_http_date(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


def test_backoff_grows_within_its_cap_and_repeats_for_the_same_url():
    delays = [backoff_seconds("http://a/x", n, 1.0, 8.0) for n in range(6)]
    assert delays == [backoff_seconds("http://a/x", n, 1.0, 8.0) for n in range(6)]
    assert all(0 <= d <= min(8.0, 2 ** n) for n, d in enumerate(delays))
    assert delays != [backoff_seconds("http://a/y", n, 1.0, 8.0) for n in range(6)]


def test_retry_delay_prefers_retry_after_and_stops_after_the_last_retry():
    settings = FetchSettings(max_retries=2, max_retry_after_seconds=10)
    throttled = FetchError("http_429", status=429, retry_after="7")
    assert retry_delay(throttled, "u", 0, settings) == 7
    assert retry_delay(throttled, "u", 2, settings) is None
    assert retry_delay(FetchError("http_503", status=503, retry_after="60"), "u", 0, settings) is None
    assert retry_delay(FetchError("http_404", status=404), "u", 0, settings) is None
    assert 0 <= retry_delay(FetchError("timeout"), "u", 1, settings) <= 2


UA = "newsbeam/0.1 (+x)"


def test_robots_rules_and_what_a_failed_robots_fetch_means():
    rules = parse_robots("User-agent: *\nDisallow: /private/\n\nUser-agent: newsbeam\nDisallow: /nb/")
    assert not rules.allows("http://a/nb/1", UA)
    assert rules.allows("http://a/private/1", UA)  # its own group wins
    assert not rules.allows("http://a/private/1", "otherbot")
    assert rules_for_failure(FetchError("http_404", status=404)).allows("http://a/x", UA)
    assert rules_for_failure(FetchError("too_many_redirects")).allows("http://a/x", UA)
    assert not rules_for_failure(FetchError("http_503", status=503)).allows("http://a/x", UA)
    assert not rules_for_failure(FetchError("timeout")).allows("http://a/x", UA)


@pytest.mark.parametrize("error, reason", [
    (FetchError("http_503", status=503), "robots_unreachable"),
    (FetchError("connection_refused", "nothing listens"), "connection_refused"),
    (FetchError("timeout"), "timeout"),
    (Rejected("private_address", "127.0.0.1"), "private_address"),
    (Rejected("dns_error", "no such host"), "dns_error"),
])
def test_a_robots_txt_that_cannot_be_read_names_what_happened(error, reason):
    with pytest.raises(Rejected) as refused:
        rules_for_failure(error).check("http://a/x", UA)
    assert refused.value.reason == reason and "robots.txt" in refused.value.detail


RFC_9309 = """User-agent: *
Disallow: /*/print/
Disallow: /*.pdf$
Disallow: /news
Allow: /news/public/
Crawl-delay: 4
"""


@pytest.mark.parametrize("path, allowed", [
    ("/world/print/1", False), ("/print/1", True),          # * matches any characters
    ("/files/report.pdf", False), ("/files/report.pdf?page=2", True),  # $ anchors the end
    ("/news", False), ("/news/today", False),
    ("/news/public/", True), ("/news/public/story", True),  # the longest match wins
    ("/sport/today", True),
])
def test_robots_rules_follow_rfc_9309(path, allowed):
    assert parse_robots(RFC_9309).allows(f"http://a{path}", UA) is allowed


def test_crawl_delay_is_read():
    assert parse_robots(RFC_9309).crawl_delay(UA) == 4
    assert parse_robots("User-agent: *\nDisallow:\n").crawl_delay(UA) is None


def test_content_type_and_inflate():
    assert parse_content_type("Text/HTML; Charset=\"Shift_JIS\"") == ("text/html", "Shift_JIS")
    assert parse_content_type(None) == ("", None) and parse_content_type("garbage") == ("", None)
    # Parsed once and cached, the same answer again; a long value is parsed, not cached.
    assert parse_content_type("Text/HTML; Charset=\"Shift_JIS\"") == ("text/html", "Shift_JIS")
    assert parse_content_type("text/plain; a=" + "x" * 300 + "; charset=latin-1") == (
        "text/plain", "latin-1")
    import zlib
    assert inflate(zlib.compress(b"abc" * 10), "deflate", 100) == b"abc" * 10
    with pytest.raises(Rejected) as refused:
        inflate(b"not gzip", "gzip", 100)
    assert refused.value.reason == "corrupt_encoding"
