"""Exact dedup in Beam: group on a key, keep the first copy, repoint and attach copies.

Rounds run by canonical URL, then by content hash; a later round (or the near-duplicate
stage) may fold an earlier round's keeper, so duplicates are repointed at the final keeper
and every kept article records its copies once, after the last round.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsbeam.core.dedup.exact import (
    content_key, duplicate_row, split_group, url_key, with_duplicates)


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
