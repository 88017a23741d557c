"""The whole dedup stage: exact rounds, earlier runs, near duplicates, then attach copies.

Each round removes copies and emits ``duplicates`` rows; a later round may fold an earlier
round's keeper, so earlier duplicates are repointed at the final keeper and every kept
article records its copies once, after the last round.
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.config import DedupConfig
from newsbeam.transforms.dedup import AttachDuplicates, ExactRounds, RepointDuplicates
from newsbeam.transforms.dedup_index import (
    NAME as INDEX, MatchEarlierRuns, ReadIndex, index_row, to_signed)
from newsbeam.transforms.neardup import KEPT_SIGNED, NearDedup


class Deduplicate(beam.PTransform):
    """Article rows -> {"articles", "duplicates"} (+ "dedup_index" rows to persist).

    ``index_files``: the cross-run index to match against (from ``dedup_index.prepare``),
    or None to run without one.
    """

    def __init__(self, config: DedupConfig, index_files: list[str] | None = None):
        super().__init__()
        self.config, self.index_files = config, index_files

    def expand(self, rows):
        articles, exact_dups = rows | "Exact" >> ExactRounds()
        later = []
        entries = rows.pipeline | "ReadIndex" >> ReadIndex(self.index_files or [])
        if self.index_files is not None:
            articles, earlier_dups = (articles, entries) | "EarlierRuns" >> MatchEarlierRuns()
            later.append(earlier_dups)
        if self.config.near.enabled:
            earlier_signed = entries | "EarlierSignatures" >> beam.FlatMap(to_signed)
            near = (articles, earlier_signed) | "Near" >> NearDedup(self.config.near)
            articles, kept_signed = near["articles"], near[KEPT_SIGNED]
            later.append(near["duplicates"])
        else:
            kept_signed = articles | "Unsigned" >> beam.Map(lambda row: (row, None))
        duplicates = exact_dups
        if later:
            later = tuple(later) | "LaterDuplicates" >> beam.Flatten()
            exact_dups = (exact_dups, later) | "FollowLaterKeepers" >> RepointDuplicates()
            duplicates = (exact_dups, later) | "AllDuplicates" >> beam.Flatten()
        outputs = {"articles": (articles, duplicates) | "Attach" >> AttachDuplicates(),
                   "duplicates": duplicates}
        if self.index_files is not None:
            outputs[INDEX] = kept_signed | "IndexRows" >> beam.MapTuple(index_row)
        return outputs
