"""Matching this run's articles against earlier runs' (the cross-run dedup index).

The index (``_state/dedup_index/``, schema in ``schemas.tables``) holds every kept article
of earlier runs. It is listed and read inside the pipeline, so a pipeline that runs again
(or polls) sees what was committed since. A new article with an earlier article's canonical
URL or content hash becomes a ``url``/``content`` duplicate of it; near matches are found
by ``near.NearDedup``, where earlier signatures join the LSH buckets. Earlier articles are
never re-emitted.
"""
from __future__ import annotations

from typing import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsbeam.transforms.state import ReadState
from newsbeam.core.dedup.exact import content_key, duplicate_row
from newsbeam.core.dedup.rank import row_rank
from newsbeam.schemas.tables import DEDUP_INDEX


class ReadIndex(ReadState):
    """The output's committed index entries, listed and read when the pipeline runs."""

    def __init__(self, output: str):
        super().__init__(output, DEDUP_INDEX)


class _FoldIntoEarlier(beam.DoFn):
    """Per key: this run's articles, or duplicates of the first earlier article."""

    def __init__(self, method: str):
        self.method = method
        self.folded = Metrics.counter("dedup", f"duplicates_{method}_earlier_run")

    def process(self, keyed: tuple) -> Iterator:
        _, grouped = keyed
        earlier = min(grouped["earlier"], key=lambda e: row_rank(e, earlier_run=True),
                      default=None)
        for row in grouped["new"]:
            if earlier is None:
                yield row
            else:
                self.folded.inc()
                yield beam.pvalue.TaggedOutput("duplicates",
                                               duplicate_row(row, earlier, self.method))


class _MatchOn(beam.PTransform):
    def __init__(self, method: str, key):
        super().__init__()
        self.method, self.key = method, key

    def expand(self, pcolls):
        rows, entries = pcolls
        key = self.key
        result = (
            {"new": rows | "KeyNew" >> beam.FlatMap(lambda r: [(key(r), r)] if key(r) else []),
             "earlier": entries | "KeyEarlier" >> beam.FlatMap(
                 lambda e: [(key(e), e)] if key(e) else [])}
            | "Join" >> beam.CoGroupByKey()
            | "Fold" >> beam.ParDo(_FoldIntoEarlier(self.method)).with_outputs(
                "duplicates", main="kept"))
        # Rows without a key (no canonical URL) pass untouched.
        unkeyed = rows | "Unkeyed" >> beam.Filter(lambda r: not key(r))
        kept = (result.kept, unkeyed) | "Kept" >> beam.Flatten()
        return kept, result.duplicates


class MatchEarlierRuns(beam.PTransform):
    """(article rows, index entries) -> (rows new to the index, url/content duplicates)."""

    def expand(self, pcolls):
        rows, entries = pcolls
        by_url, url_dups = (rows, entries) | "ByUrl" >> _MatchOn(
            "url", lambda r: r["canonical_url"])
        kept, content_dups = (by_url, entries) | "ByContent" >> _MatchOn("content", content_key)
        return kept, (url_dups, content_dups) | "Duplicates" >> beam.Flatten()
