"""Exact deduplication: same canonical URL, then same content fingerprint.

Of each group the earliest published article wins; ties break on article id, then input,
a total order, so the outcome never depends on bundle order or worker count. Every
dropped copy becomes a ``duplicates`` row pointing at the article that was kept, and the
kept article records how many copies were folded into it and their URLs.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsbeam.schemas.article import DUPLICATE_SCHEMA, SCHEMA_VERSION, check_row

_NEVER = datetime.max.replace(tzinfo=timezone.utc)


# --- pure functions -------------------------------------------------------------------

def canonical_rank(row: dict) -> tuple:
    """Sort key of the copy to keep: earliest published (unknown dates last), then ids."""
    return (row["published_at"] or _NEVER, row["article_id"], row["input"])


def split_group(rows: Iterable[dict]) -> tuple[dict, list[dict]]:
    """(the copy to keep, the other copies) of one group of duplicates."""
    ordered = sorted(rows, key=canonical_rank)
    return ordered[0], ordered[1:]


def duplicate_row(copy: dict, kept: dict, method: str, similarity: float = 1.0) -> dict:
    return check_row(DUPLICATE_SCHEMA, {
        "article_id": copy["article_id"],
        "url": copy["url"],
        "source": copy["source"],
        "input": copy["input"],
        "duplicate_of": kept["article_id"],
        "method": method,
        "similarity": similarity,
        "run_id": copy["run_id"],
        "schema_version": SCHEMA_VERSION,
    })


def copy_label(duplicate: dict) -> str:
    """How a folded copy is named on the kept article: its URL, else its input."""
    return duplicate["url"] or duplicate["input"]


def url_key(row: dict) -> str:
    # Inputs without a URL (local files) never share one: key them by their input.
    return row["canonical_url"] or "input:" + row["input"]


def content_key(row: dict) -> str:
    return row["content_hash"]


def with_duplicates(article: dict, duplicates: Iterable[dict]) -> dict:
    labels = sorted(copy_label(d) for d in duplicates)
    return {**article, "duplicate_count": len(labels), "duplicate_urls": labels}


# --- Beam transforms ------------------------------------------------------------------

class _KeepFirst(beam.DoFn):
    """Per group: the kept copy to the main output, the others as ``duplicates`` rows."""

    def __init__(self, method: str):
        self.method = method
        self.dropped = Metrics.counter("dedup", f"duplicates_{method}")

    def process(self, keyed: tuple[str, Iterable[dict]]) -> Iterator:
        kept, copies = split_group(keyed[1])
        yield kept
        for copy in copies:
            self.dropped.inc()
            yield beam.pvalue.TaggedOutput("duplicates", duplicate_row(copy, kept, self.method))


class DedupRound(beam.PTransform):
    """One round: group rows on ``key``; returns (kept rows, duplicate rows)."""

    def __init__(self, method: str, key: Callable[[dict], str]):
        super().__init__()
        self.method, self.key = method, key

    def expand(self, rows):
        results = (
            rows
            | "Key" >> beam.Map(lambda row, key: (key(row), row), self.key)
            | "Group" >> beam.GroupByKey()
            | "KeepFirst" >> beam.ParDo(_KeepFirst(self.method)).with_outputs(
                "duplicates", main="kept"))
        return results.kept, results.duplicates


def _repoint(keyed: tuple[str, dict]) -> Iterator[dict]:
    """Point duplicates of an article that itself became a duplicate at its keeper."""
    _, grouped = keyed
    keepers = {d["duplicate_of"] for d in grouped["later"]}
    # Several later duplicate rows for one id only arise for identical local files,
    # which share their id and their keeper.
    new_target = min(keepers) if keepers else None
    for dup in grouped["earlier"]:
        yield {**dup, "duplicate_of": new_target} if new_target else dup


class RepointDuplicates(beam.PTransform):
    """Duplicates of an earlier round whose keeper lost a later round follow it."""

    def expand(self, pcolls):
        earlier, later = pcolls
        return (
            {"earlier": earlier | "ByTarget" >> beam.Map(lambda d: (d["duplicate_of"], d)),
             "later": later | "ById" >> beam.Map(lambda d: (d["article_id"], d))}
            | "Join" >> beam.CoGroupByKey()
            | "Repoint" >> beam.FlatMap(_repoint))


def _attach(keyed: tuple[str, dict]) -> Iterator[dict]:
    _, grouped = keyed
    for article in grouped["article"]:
        yield with_duplicates(article, grouped["duplicates"])


class AttachDuplicates(beam.PTransform):
    """Record on each kept article how many copies were folded into it, and which."""

    def expand(self, pcolls):
        articles, duplicates = pcolls
        return (
            {"article": articles | "ById" >> beam.Map(lambda a: (a["article_id"], a)),
             "duplicates": duplicates | "ByTarget" >> beam.Map(lambda d: (d["duplicate_of"], d))}
            | "Join" >> beam.CoGroupByKey()
            | "Attach" >> beam.FlatMap(_attach))


class ExactRounds(beam.PTransform):
    """Article rows -> (kept rows, duplicate rows): by canonical URL, then by content hash.

    Kept rows do not yet record their copies: later rounds (near duplicates) may still
    fold them, so ``AttachDuplicates`` runs once after the last round.
    """

    def expand(self, rows):
        by_url, url_dups = rows | "ByUrl" >> DedupRound("url", url_key)
        articles, content_dups = by_url | "ByContent" >> DedupRound("content", content_key)
        url_dups = (url_dups, content_dups) | "FollowContentKeepers" >> RepointDuplicates()
        return articles, (url_dups, content_dups) | "AllDuplicates" >> beam.Flatten()


class ExactDedup(beam.PTransform):
    """Article rows -> (articles, duplicates): exact rounds, copies attached to keepers."""

    def expand(self, rows):
        articles, duplicates = rows | "Rounds" >> ExactRounds()
        articles = (articles, duplicates) | "AttachDuplicates" >> AttachDuplicates()
        return articles, duplicates
