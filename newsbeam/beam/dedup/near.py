"""Near-duplicates in Beam: signatures -> LSH buckets -> verified pairs -> clusters -> folds.

The pure steps live in ``core/dedup/minhash.py``; this module only wires them with
GroupByKey and CoGroupByKey. Method and parameters: docs/near-duplicates.md.
"""
from __future__ import annotations

from typing import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsbeam.beam.dedup.components import ConnectedComponents
from newsbeam.beam.stage import emit_in
from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.minhash import (
    Permutations, Signed, band_keys, bucket_pairs, buckets, key_partition, near_duplicate_row,
    lsh_bands, score, sign_text)
from newsbeam.core.dedup.rank import article_id_of, is_earlier_run, rank


WITH_ROW = "with_row"


class _Sign(beam.DoFn):
    """Article row -> Signed, and to ``with_row`` (row, Signed or None): texts under
    ``min_words`` are only counted (they stay kept)."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.short = Metrics.counter("neardup", "short_texts_skipped")
        self.signed = Metrics.counter("neardup", "signed")

    def setup(self):
        self.perms = Permutations.create(self.params.num_perm, self.params.seed)

    def process(self, row: dict) -> Iterator:
        signed = sign_text(row["text"], self.params, self.perms)
        if signed is None:
            self.short.inc()
        else:
            self.signed.inc()
            signed = Signed(rank(row["published_at"], row["article_id"]), *signed)
            yield signed
        yield beam.pvalue.TaggedOutput(WITH_ROW, (row, signed))


BAND_PARTITIONS = 256    # band keys are shuffled in this many groups...
BAND_FLUSH_ENTRIES = 50_000  # ...as lists of up to about this many (key, rank) entries


class _PackBandKeys(beam.DoFn):
    """Signed -> (partition, [(band key, rank), ...]): a bundle's band keys packed by
    partition of the key, so the shuffle moves a few lists instead of 22 elements a
    document (per-element cost dominated the stage)."""

    def __init__(self, bands: int, rows: int):
        self.bands, self.rows = bands, rows

    def start_bundle(self):
        self.packed: dict[tuple, list] = {}  # (window, partition) -> entries
        self.count = 0

    def process(self, signed: Signed, window=beam.DoFn.WindowParam) -> Iterator[tuple]:
        for key in band_keys(signed.values, self.bands, self.rows):
            self.packed.setdefault((window, key_partition(key, BAND_PARTITIONS)), []).append(
                (key, signed.rank))
        self.count += self.bands
        if self.count >= BAND_FLUSH_ENTRIES:  # bounded memory for large bundles
            for (_, partition), entries in self._take(lambda w: w == window):
                yield partition, entries

    def finish_bundle(self) -> Iterator:
        for (window, partition), entries in self._take(lambda w: True):
            yield emit_in(window, (partition, entries))

    def _take(self, in_window) -> list[tuple]:
        taken = [item for item in self.packed.items() if in_window(item[0][0])]
        for key, _ in taken:
            del self.packed[key]
        self.count = sum(map(len, self.packed.values()))
        return taken


class _BucketPairs(beam.DoFn):
    """One partition of band keys -> candidate pairs of each bucket (smaller rank first)."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.candidates = Metrics.counter("neardup", "candidate_pairs")
        self.oversized = Metrics.counter("neardup", "oversized_buckets")

    def process(self, keyed: tuple) -> Iterator[tuple]:
        for members in buckets(entry for packed in keyed[1] for entry in packed):
            if len(members) > self.params.max_bucket_size:
                self.oversized.inc()
            for pair in bucket_pairs(members, self.params.max_bucket_size,
                                     self.params.bucket_neighbours):
                self.candidates.inc()
                yield pair


def _pair_ends(pair: tuple) -> Iterator[tuple]:
    """A candidate pair, keyed by each of its two members."""
    yield pair[0], pair
    yield pair[1], pair


def _signed_to_pairs(keyed: tuple) -> Iterator[tuple]:
    """A member's Signed grouped with its candidate pairs -> (pair, Signed), once per pair
    (a pair found in several buckets is verified once)."""
    _, grouped = keyed
    for signed in grouped["signed"]:
        for pair in sorted(set(grouped["pairs"])):
            yield pair, signed


CLUSTERED = "clustered"


class _Verify(beam.DoFn):
    """(pair, its members' Signed) -> verified edges (first, second), and to ``clustered``
    (rank, Signed) of both members, for the join of clusters with their canonical."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.verified = Metrics.counter("neardup", "verified_pairs")
        self.rejected = Metrics.counter("neardup", "rejected_pairs")

    def process(self, keyed: tuple) -> Iterator:
        (first_rank, second_rank), members = keyed
        by_rank = {signed.rank: signed for signed in members}
        first, second = by_rank[first_rank], by_rank[second_rank]
        if score(first, second, self.params) is None:
            self.rejected.inc()
            return
        self.verified.inc()
        yield first_rank, second_rank
        for signed in (first, second):
            yield beam.pvalue.TaggedOutput(CLUSTERED, (signed.rank, signed))


def _members_by_root(labelled: tuple) -> Iterator[tuple]:
    node, root = labelled
    if node != root and not is_earlier_run(node):  # an earlier run's article stays
        yield root, node


def _root_per_member(keyed: tuple) -> Iterator[tuple]:
    """Cluster members grouped with their canonical's Signed (once per edge it is in)
    -> (member id, canonical)."""
    _, grouped = keyed
    for root in grouped["signed"][:1]:
        for member in grouped["members"]:
            yield article_id_of(member), root


KEPT_SIGNED = "kept_signed"


class _Fold(beam.DoFn):
    """(row, its Signed) -> the article (kept) or a ``near`` duplicate row of its canonical,
    looked up in ``roots`` ({member article id: canonical's Signed}, a side input: folded
    copies are few, so the rows themselves are never shuffled).

    A kept article also goes to ``kept_signed`` with its Signed (None for a short text):
    what the cross-run index persists.
    """

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.folded = Metrics.counter("neardup", "near_duplicates")

    def process(self, row_signed: tuple, roots: dict) -> Iterator:
        row, own = row_signed
        root = roots.get(row["article_id"])
        if root is None:
            yield row
            yield beam.pvalue.TaggedOutput(KEPT_SIGNED, (row, own))
        else:
            self.folded.inc()
            yield beam.pvalue.TaggedOutput("duplicates",
                                           near_duplicate_row(row, own, root, self.params))


class NearDedup(beam.PTransform):
    """(article rows, earlier runs' Signed) -> {"articles", "duplicates", "kept_signed"}.

    Signatures -> band keys -> GroupByKey per band key -> candidate pairs -> verified
    edges -> connected components -> every member folds into the component's first by
    ``rank.rank``. Earlier runs' signatures join the buckets so copies of old articles fold
    into them; they are never emitted. The kept Signed are what the index persists.
    """

    def __init__(self, params: NearDedupConfig):
        super().__init__()
        self.params = params

    def expand(self, pcolls):
        articles, earlier = pcolls
        bands, rows = lsh_bands(self.params)
        signed = articles | "Sign" >> beam.ParDo(_Sign(self.params)).with_outputs(
            WITH_ROW, main="signed")
        every = (signed.signed, earlier) | "WithEarlierRuns" >> beam.Flatten()
        pairs = (
            every
            | "BandKeys" >> beam.ParDo(_PackBandKeys(bands, rows))
            | "Buckets" >> beam.GroupByKey()
            | "Candidates" >> beam.ParDo(_BucketPairs(self.params)))
        # Every Signed is shuffled once to meet its pairs: the members of a pair meet there.
        verified = (
            {"pairs": pairs | "PairEnds" >> beam.FlatMap(_pair_ends),
             "signed": every | "ByRank" >> beam.Map(lambda s: (s.rank, s))}
            | "JoinPairs" >> beam.CoGroupByKey()
            | "SignedToPairs" >> beam.FlatMap(_signed_to_pairs)
            | "ByPair" >> beam.GroupByKey()
            | "Verify" >> beam.ParDo(_Verify(self.params)).with_outputs(CLUSTERED, main="edges"))
        members = (verified.edges
                   | "Components" >> ConnectedComponents()
                   | "MembersByRoot" >> beam.FlatMap(_members_by_root))
        roots = ({"members": members, "signed": verified[CLUSTERED]}
                 | "JoinRoot" >> beam.CoGroupByKey()
                 | "RootPerMember" >> beam.FlatMap(_root_per_member))
        folded = signed[WITH_ROW] | "Fold" >> beam.ParDo(
            _Fold(self.params), roots=beam.pvalue.AsDict(roots)).with_outputs(
                "duplicates", KEPT_SIGNED, main="articles")
        return {"articles": folded.articles, "duplicates": folded.duplicates,
                KEPT_SIGNED: folded[KEPT_SIGNED]}
