"""End to end: feed, sitemap and urls sources against news sites on loopback, twice."""
from __future__ import annotations

import json
import re

import pytest

from tests.helpers.runs import RUNNER_ARGS, read_dataset, read_manifest, write_config
from tests.helpers.loopback import LoopbackSites, Reply, free_loopback
from tests.helpers.news_sites import (A, B, C, FETCH_SETTINGS, FURNITURE, NewsSites, article_page,
                                      expected, sample, sources)
from newsbeam.cli import main

pytestmark = pytest.mark.skipif(not free_loopback(), reason="needs 127.0.0.2 and .3 on loopback")


def run(config, output) -> int:
    return main(["run", "--config", str(config), "--output", str(output), *RUNNER_ARGS])


def outcomes(output) -> dict[str, str]:
    """input -> where it ended."""
    ended = {row["input"]: "article" for row in read_dataset(output, "articles")}
    ended.update({row["input"]: f"duplicate:{row['method']}"
                  for row in read_dataset(output, "duplicates")})
    ended.update({row["input"]: f"{row['stage']}:{row['reason']}"
                  for row in read_dataset(output, "rejects")})
    return ended


@pytest.fixture(scope="module")
def sites():
    holder = {}
    route = NewsSites(lambda: holder["sites"].port)
    with LoopbackSites([A, B, C], route) as server:
        holder["sites"] = server
        yield server


def test_live_sources_end_where_expected_and_a_second_run_sends_conditional_gets(
        sites, tmp_path, capsys):
    config = write_config(tmp_path, sources(sites.url), fetch=FETCH_SETTINGS)
    first = tmp_path / "first"
    assert run(config, first) == 3  # c-garbage is no feed: a source that failed entirely

    want = expected(sites.url)
    assert outcomes(first) == want
    manifest = read_manifest(first)
    assert manifest["failed_sources"] == ["c-garbage"]
    assert manifest["balanced"] and manifest["counts"] == {
        "inputs": len(want), "articles": 5, "duplicates": 3, "rejects": 9}

    articles = {row["input"]: row for row in read_dataset(first, "articles")}
    assert sorted(a["title"] for a in articles.values()) == sorted(sample(i)[0] for i in range(5))
    for article in articles.values():
        assert not any(f in article["text"] for f in FURNITURE), article["input"]
        assert article["language"] == "en" and article["word_count"] > 200
    zero = articles[sites.url(A, "/news/article-0?utm_medium=email&fbclid=abc123")]
    assert zero["canonical_url"] == sites.url(A, "/news/article-0")
    assert zero["authors"] == ["Staff Reporter"] and zero["published_at"].year == 2025
    # The page has no byline or date: the JSON Feed entry supplies them.
    four = articles[sites.url(C, "/story-4")]
    assert four["authors"] == ["Feed Author"]
    assert four["published_at"].isoformat() == "2025-05-21T06:30:00+00:00"

    log = sites.paths()
    assert log.count(f"{A}/news/flaky") == 2              # 500, then 200
    assert log.count(f"{A}/news/slow") == 3               # timed out, retried twice
    assert log.count(f"{A}/news/missing") == 1            # 404 is not retried
    assert f"{A}/private/leak" not in log                 # robots.txt said no
    assert f"{C}/archive/2001" not in log                 # older than the sitemap's "since"
    throttled = [r.at for r in sites.requests if r.path == "/story-3"]
    assert len(throttled) == 2 and throttled[1] - throttled[0] >= 1.0  # Retry-After: 1
    assert manifest["metrics"]["fetch:listings_fetched"] == 5
    summary = capsys.readouterr().out
    assert re.search(r"^\s+pages fetched\s+8$", summary, re.M)
    assert re.search(r"^\s+robots disallowed\s+1$", summary, re.M)
    assert re.search(r"^\s+fetch:http_404\s+1$", summary, re.M)

    # Second run, same output: feeds answer 304, ingested URLs are not fetched again.
    before = len(sites.requests)
    second = tmp_path / "second"
    first.rename(second)
    assert run(config, second) == 3  # c-garbage again; the others had nothing new
    again = sites.requests[before:]
    listing_paths = {"/feeds/rss.xml", "/atom.xml", "/feed.json", "/sitemap.xml",
                     "/broken.xml", "/garbage.xml", "/robots.txt"}
    assert {r.path for r in again} <= listing_paths
    assert all("if-none-match" in r.headers for r in again
               if r.path in listing_paths - {"/garbage.xml", "/robots.txt"})
    latest = sorted((second / "_runs").glob("*.json"))[-1]  # run ids sort by start time
    manifest = json.loads(latest.read_text())
    assert manifest["metrics"]["fetch:not_modified"] == 5
    assert manifest["metrics"]["fetch:skipped_ingested"] == 1
    # Only the feed that failed last time is an input again (and fails again).
    assert manifest["counts"] == {"inputs": 1, "articles": 0, "duplicates": 0, "rejects": 1}
    summary = capsys.readouterr().out
    assert re.search(r"^\s+not modified\s+5$", summary, re.M)
    assert re.search(r"^\s+skipped, ingested before\s+1$", summary, re.M)


def test_a_server_trickling_its_headers_does_not_hold_the_run(tmp_path):
    # Each header byte comes within the read timeout; all of them would take a minute a try.
    good = sample(0)[0]

    def route(request):
        if request.path == "/trickle":
            return Reply(body=b"never", headers={"X-Padding": "x" * 600}, trickle=0.1)
        if request.path == "/good":
            return Reply(body=article_page(0), headers={"Content-Type": "text/html"})
        return Reply(404)

    with LoopbackSites([A], route) as server:
        urls = [server.url(A, "/trickle"), server.url(A, "/good")]
        settings = {**FETCH_SETTINGS, "total_timeout_seconds": 1, "max_retries": 1}
        config = write_config(tmp_path, [{"name": "u", "kind": "urls", "urls": urls}],
                              fetch=settings)
        assert run(config, tmp_path / "out") == 0
    assert outcomes(tmp_path / "out") == {urls[0]: "fetch:timeout", urls[1]: "article"}
    assert [a["title"] for a in read_dataset(tmp_path / "out", "articles")] == [good]
    # Timed at the server, so Beam's start-up does not count: the retry came as soon as the
    # first try's 1 s deadline passed, not after the minute its headers would have taken.
    first, retry = [r.at for r in server.requests if r.path == "/trickle"]
    assert retry - first < 2 * settings["total_timeout_seconds"] * (settings["max_retries"] + 1)
