"""Near-duplicates in Beam: signatures -> LSH buckets -> verified pairs -> clusters -> folds.

The pure steps live in ``core/dedup/minhash.py``; this module only wires them with
GroupByKey and CoGroupByKey. Method and parameters: docs/near-duplicates.md.
"""
from __future__ import annotations

from typing import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsbeam.beam.dedup.components import ConnectedComponents
from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.exact import duplicate_row
from newsbeam.core.dedup.minhash import (
    Permutations, Signed, band_keys, bucket_pairs, estimated_jaccard, lsh_bands, score,
    sign_text)
from newsbeam.core.dedup.rank import article_id_of, is_earlier_run, rank


class _Sign(beam.DoFn):
    """Article row -> Signed; texts under ``min_words`` are only counted (they stay kept)."""

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
            return
        self.signed.inc()
        yield Signed(rank(row["published_at"], row["article_id"]), *signed)


class _BucketPairs(beam.DoFn):
    """One LSH bucket -> candidate pairs (smaller rank first)."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.candidates = Metrics.counter("neardup", "candidate_pairs")
        self.oversized = Metrics.counter("neardup", "oversized_buckets")

    def process(self, keyed: tuple) -> Iterator[tuple]:
        members = sorted(keyed[1])
        if len(members) < 2:
            return
        if len(members) > self.params.max_bucket_size:
            self.oversized.inc()
        for pair in bucket_pairs(members, self.params.max_bucket_size,
                                 self.params.bucket_neighbours):
            self.candidates.inc()
            yield pair


def _send_signature(keyed: tuple) -> Iterator[tuple]:
    """Pairs grouped on their first member -> (second member, first's signature), once each."""
    _, grouped = keyed
    for signed in grouped["signed"]:
        for other in sorted(set(grouped["pairs"])):
            yield other, signed


class _Verify(beam.DoFn):
    """Pairs grouped on their second member -> verified edges (first, second)."""

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.verified = Metrics.counter("neardup", "verified_pairs")
        self.rejected = Metrics.counter("neardup", "rejected_pairs")

    def process(self, keyed: tuple) -> Iterator[tuple]:
        _, grouped = keyed
        for signed in grouped["signed"]:
            for other in grouped["firsts"]:
                if score(other, signed, self.params) is None:
                    self.rejected.inc()
                else:
                    self.verified.inc()
                    yield other.rank, signed.rank


def _members_by_root(labelled: tuple) -> Iterator[tuple]:
    node, root = labelled
    if node != root and not is_earlier_run(node):  # an earlier run's article stays
        yield root, node


def _root_per_member(keyed: tuple) -> Iterator[tuple]:
    """Cluster members grouped with their canonical's Signed -> (member id, canonical)."""
    _, grouped = keyed
    for root in grouped["signed"]:
        for member in grouped["members"]:
            yield article_id_of(member), root


KEPT_SIGNED = "kept_signed"


class _Fold(beam.DoFn):
    """Per article id: the article (kept) or a ``near`` duplicate row of its canonical.

    A kept article also goes to ``kept_signed`` with its Signed (None for a short text):
    what the cross-run index persists.
    """

    def __init__(self, params: NearDedupConfig):
        self.params = params
        self.folded = Metrics.counter("neardup", "near_duplicates")

    def process(self, keyed: tuple) -> Iterator:
        _, grouped = keyed
        roots, signed = grouped["root"], grouped["signed"]
        for row in grouped["article"]:
            if not roots:
                yield row
                yield beam.pvalue.TaggedOutput(KEPT_SIGNED, (row, signed[0] if signed else None))
                continue
            root, own = roots[0], signed[0]
            sim = score(own, root, self.params)
            sim = estimated_jaccard(own.values, root.values) if sim is None else sim
            self.folded.inc()
            yield beam.pvalue.TaggedOutput("duplicates", duplicate_row(
                row, {"article_id": root.article_id}, "near", sim))


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
        signed = articles | "Sign" >> beam.ParDo(_Sign(self.params))
        every = (signed, earlier) | "WithEarlierRuns" >> beam.Flatten()
        by_rank = every | "ByRank" >> beam.Map(lambda s: (s.rank, s))
        pairs = (
            every
            | "BandKeys" >> beam.FlatMap(
                lambda s: [(key, s.rank) for key in band_keys(s.values, bands, rows)])
            | "Buckets" >> beam.GroupByKey()
            | "Candidates" >> beam.ParDo(_BucketPairs(self.params)))
        firsts = ({"pairs": pairs, "signed": by_rank}
                  | "PairsByFirst" >> beam.CoGroupByKey()
                  | "SendFirst" >> beam.FlatMap(_send_signature))
        edges = ({"firsts": firsts, "signed": by_rank}
                 | "PairsBySecond" >> beam.CoGroupByKey()
                 | "Verify" >> beam.ParDo(_Verify(self.params)))
        members = (edges
                   | "Components" >> ConnectedComponents()
                   | "MembersByRoot" >> beam.FlatMap(_members_by_root))
        roots = ({"members": members, "signed": by_rank}
                 | "JoinRoot" >> beam.CoGroupByKey()
                 | "RootPerMember" >> beam.FlatMap(_root_per_member))
        folded = (
            {"article": articles | "ById" >> beam.Map(lambda a: (a["article_id"], a)),
             "signed": signed | "SignedById" >> beam.Map(lambda s: (s.article_id, s)),
             "root": roots}
            | "JoinArticles" >> beam.CoGroupByKey()
            | "Fold" >> beam.ParDo(_Fold(self.params)).with_outputs(
                "duplicates", KEPT_SIGNED, main="articles"))
        return {"articles": folded.articles, "duplicates": folded.duplicates,
                KEPT_SIGNED: folded[KEPT_SIGNED]}
