"""The tail both dedup engines (batch and streaming) share: duplicates found later follow
their final keeper, every kept article records its copies, and the keepers become rows of
the cross-run dedup index."""
from __future__ import annotations

import apache_beam as beam

from newsbeam.core.dedup.index import index_entry
from newsbeam.schemas.tables import DEDUP_INDEX
from newsbeam.transforms.dedup.exact import AttachDuplicates, RepointDuplicates


def settle(articles, first_duplicates, other_duplicates: list, kept_signed=None,
           index: bool = False) -> dict:
    """-> {"articles", "duplicates"} (+ DEDUP_INDEX rows with ``index``).

    ``first_duplicates``: the exact rounds' (within a run, or a window); ``other_duplicates``:
    the later stages' (earlier runs or windows, near copies), which may have folded a first
    round's keeper. ``kept_signed``: (row, signature) pairs of the keepers from near dedup,
    None when it is off (the keepers go unsigned)."""
    duplicates = first_duplicates
    if other_duplicates:
        others = tuple(other_duplicates) | "OtherDuplicates" >> beam.Flatten()
        first = (first_duplicates, others) | "FollowKeepers" >> RepointDuplicates()
        duplicates = (first, others) | "AllDuplicates" >> beam.Flatten()
    outputs = {"articles": (articles, duplicates) | "Attach" >> AttachDuplicates(),
               "duplicates": duplicates}
    if index:
        if kept_signed is None:
            kept_signed = articles | "Unsigned" >> beam.Map(lambda row: (row, None))
        outputs[DEDUP_INDEX] = kept_signed | "IndexRows" >> beam.MapTuple(index_entry)
    return outputs
