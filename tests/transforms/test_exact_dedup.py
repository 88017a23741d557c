"""Exact dedup: the rank rule on groups, and the Beam rounds that repoint and attach copies."""
from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.dedup.exact import AttachDuplicates, ExactRounds
from newsbeam.core.dedup.exact import split_group
from newsbeam.core.dedup.rank import row_rank


def row(article_id, *, url=None, content="c", published=None, input_=None):
    return {"article_id": article_id, "url": url, "canonical_url": url, "input": input_ or article_id,
            "source": "s", "content_hash": content, "run_id": "r", "duplicate_count": 0,
            "duplicate_urls": [],
            "published_at": datetime(2022, 1, published, tzinfo=timezone.utc) if published else None}


def test_earliest_published_wins_and_unknown_dates_lose():
    kept, dropped = split_group([row("a", published=5), row("b"), row("c", published=3)])
    assert kept["article_id"] == "c"
    assert [r["article_id"] for r in dropped] == ["a", "b"]


def test_ties_break_on_article_id_then_input():
    kept, _ = split_group([row("b", published=1), row("a", published=1)])
    assert kept["article_id"] == "a"
    kept, _ = split_group([row("a", input_="/z"), row("a", input_="/y")])
    assert kept["input"] == "/y"
    assert row_rank(row("a")) < row_rank(row("b"))


def test_url_then_content_duplicates_point_at_the_final_keeper():
    rows = [
        row("u1", url="https://ex.com/a", content="h1", published=4),
        row("u1", url="https://ex.com/a", content="h1-edited", published=6, input_="u1-later"),
        row("u2", url="https://other.com/a", content="h1", published=2),   # same text, earlier
        row("f1", content="h2"),
        row("f1", content="h2", input_="f1-copy"),
    ]
    with test_pipeline.TestPipeline(runner="FnApiRunner") as p:
        articles, duplicates = p | beam.Create(rows) | ExactRounds()
        articles = (articles, duplicates) | AttachDuplicates()
        assert_that(
            articles | "A" >> beam.Map(
                lambda a: (a["article_id"], a["input"], a["duplicate_count"], tuple(a["duplicate_urls"]))),
            equal_to([("u2", "u2", 2, ("https://ex.com/a", "https://ex.com/a")),
                      ("f1", "f1", 1, ("f1-copy",))]),
            label="articles")
        assert_that(
            duplicates | "D" >> beam.Map(
                lambda d: (d["input"], d["duplicate_of"], d["method"], d["similarity"])),
            equal_to([("u1-later", "u2", "url", 1.0),   # repointed: its keeper u1 lost to u2
                      ("u1", "u2", "content", 1.0),
                      ("f1-copy", "f1", "content", 1.0)]),
            label="duplicates")
