"""bench.metadata_lopo: publishers and leave-one-publisher-out verdicts."""
from __future__ import annotations

from bench.metadata_lopo import publisher, verdict


def row(key: str, corpus: str = "trafilatura", host: str | None = None) -> dict:
    return {"key": key, "corpus": corpus, "host": host, "outcomes": {}}


def test_a_publisher_is_the_site_and_an_archived_page_counts_under_its_own():
    assert publisher(row("https://edition.cnn.com/2023/x")) == "cnn.com"
    assert publisher(row("https://www.bbc.co.uk/news/1")) == "bbc.co.uk"
    assert publisher(row("https://anna.wordpress.com/2019/a")) == "anna.wordpress.com"
    archived = "https://web.archive.org/web/20150721045344/http://rent-a-pastor.com/2015/x"
    assert publisher(row(archived)) == "rent-a-pastor.com"
    assert publisher(row("cnn_002", "newspaper4k", "www.cnn.com")) == "cnn.com"


def test_a_rule_that_helps_one_publisher_alone_is_refused():
    before = {("t", "a.de"): 3, ("t", "b.de"): 1}
    result = verdict(before, {("t", "a.de"): 1, ("t", "b.de"): 1})
    assert not result["kept"] and result["decided_against"] == [("t", "a.de")]
    assert result["lopo"] == before  # held out, a.de would not have got the rule


def test_a_rule_is_kept_when_every_publisher_it_helps_is_decided_for_by_the_rest():
    before = {("t", "a.de"): 2, ("t", "b.de"): 1, ("t", "c.de"): 1}
    after = {("t", "a.de"): 1, ("t", "b.de"): 0, ("t", "c.de"): 1}
    result = verdict(before, after)
    assert result["kept"] and result["lopo"] == after
    # One publisher made worse refuses it, though the rest gains.
    worse = verdict(before, {**after, ("t", "c.de"): 2})
    assert not worse["kept"] and worse["worse"] == [("t", "c.de")]
    assert worse["lopo"][("t", "c.de")] == 2  # the rest decides for it: c.de pays
