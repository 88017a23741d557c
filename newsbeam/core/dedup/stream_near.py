"""Near-duplicates across a stream's windows, the pure part: what one LSH band remembers of
earlier documents, for how long, and which pairs it verifies (Beam wiring:
``transforms/dedup/stream_near.py``; semantics against batch: docs/streaming.md).

A stream document's rank is batch's (``rank.rank``) with its window first: an index entry
(an earlier run's article) ranks before every stream document, an earlier window's before
a later one's (first seen wins), and within a window the batch rule decides. Each band
holds, for the dedup TTL of event time, the documents it saw (at most ``max_bucket_size``,
the first ranked kept): a document is verified against them and against the index entries
of its band with batch's similarity rule (``minhash.score``), and every verified pair is an
edge, its lower rank the original.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Iterator

from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.components import component_roots
from newsbeam.core.dedup.minhash import Signed, band_keys, score
from newsbeam.core.dedup.rank import article_id_of, is_earlier_run


@dataclasses.dataclass(frozen=True)
class Held:
    """A document a band remembers, until ``expires`` (event time, microseconds)."""

    signed: Signed
    expires: int


def in_window(signed: Signed, window_end_micros: int) -> Signed:
    """``signed`` ranked as a stream document of the window ending at ``window_end_micros``:
    after every index entry (rank 0), after earlier windows, batch's rank within one."""
    return dataclasses.replace(signed, rank=(1 + window_end_micros,) + signed.rank[1:])


def band_index(entries: Iterable[Signed], bands: int, rows: int) -> dict[bytes, list[Signed]]:
    """Index entries by band key: the candidates a stream document meets in each band."""
    index: dict[bytes, list[Signed]] = {}
    for signed in entries:
        for key in band_keys(signed.values, bands, rows):
            index.setdefault(key, []).append(signed)
    return index


def verified_pairs(signed: Signed, candidates: Iterable[Signed],
                   params: NearDedupConfig) -> Iterator[tuple[Signed, Signed]]:
    """(original, copy) for each candidate near ``signed`` (batch's rule), lower rank first."""
    for other in candidates:
        if other.rank != signed.rank and score(signed, other, params) is not None:
            yield (other, signed) if other.rank < signed.rank else (signed, other)


def remember(held: list[Held], entry: Held, max_entries: int) -> list[Held]:
    """The band's documents with ``entry``, in rank order, at most ``max_entries`` of them:
    a crowded band (boilerplate) keeps its first ranked, so state stays bounded."""
    if any(h.signed.rank == entry.signed.rank for h in held):
        return held
    return sorted([*held, entry], key=lambda h: h.signed.rank)[:max_entries]


def expire(held: list[Held], now_micros: int) -> list[Held]:
    """What the band still remembers when event time reaches ``now_micros``."""
    return [h for h in held if h.expires > now_micros]


def next_expiry(held: list[Held]) -> int | None:
    return min((h.expires for h in held), default=None)


def window_roots(edges: Iterable[tuple[Signed, tuple]]) -> Iterator[tuple[str, Signed]]:
    """A window's verified pairs (original's Signed, copy's rank) -> (article id, Signed of
    its component's first) for every copy: one decision per document however many bands
    or originals it met, as batch's components give. (A component's first is the lower end
    of each of its pairs, so its Signed is among the originals.)"""
    originals = {}
    pairs = []
    for original, copy in edges:
        originals[original.rank] = original
        pairs.append((original.rank, copy))
    for node, root in component_roots(pairs):
        if node != root and not is_earlier_run(node):  # an earlier run's article stays
            yield article_id_of(node), originals[root]
