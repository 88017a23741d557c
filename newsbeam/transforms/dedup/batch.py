"""The batch dedup engine: exact rounds, earlier runs, near duplicates, then attach copies.

Each round removes copies and emits ``duplicates`` rows; a later round may fold an earlier
round's keeper, so earlier duplicates are repointed at the final keeper and every kept
article records its copies once, after the last round. Every round is a GroupByKey (or
CoGroupByKey) of the whole run's rows: the engine for bounded input.
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.dedup.earlier import MatchEarlierRuns
from newsbeam.transforms.dedup.exact import ExactRounds
from newsbeam.transforms.dedup.near import KEPT_SIGNED, NearDedup
from newsbeam.transforms.dedup.settle import settle
from newsbeam.config import DedupConfig
from newsbeam.core.dedup.index import signed_of


class BatchDedup(beam.PTransform):
    """Article rows -> {"articles", "duplicates"}, plus "dedup_index" rows to persist when
    ``index_entries`` (the cross-run index's rows, ``state.ReadStates``) are given to match
    against."""

    def __init__(self, config: DedupConfig, index_entries=None):
        super().__init__()
        self.config, self.index_entries = config, index_entries

    def expand(self, rows):
        articles, exact_dups = rows | "Exact" >> ExactRounds()
        later = []
        entries = self.index_entries
        if entries is not None:
            articles, earlier_dups = (articles, entries) | "EarlierRuns" >> MatchEarlierRuns()
            later.append(earlier_dups)
        else:
            entries = rows.pipeline | "NoIndex" >> beam.Create([])
        kept_signed = None
        if self.config.near.enabled:
            earlier_signed = entries | "EarlierSignatures" >> beam.FlatMap(signed_of)
            near = (articles, earlier_signed) | "Near" >> NearDedup(self.config.near)
            articles, kept_signed = near["articles"], near[KEPT_SIGNED]
            later.append(near["duplicates"])
        return settle(articles, exact_dups, later, kept_signed,
                      index=self.index_entries is not None)
