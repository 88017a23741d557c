"""Near-duplicate detection: MinHash-LSH over word shingles, folded into canonical articles.

Pure functions first (shingles, signatures, bands, verification, union-find), then the
Beam transform. The method, its parameters and the recall they give at each similarity are
described in docs/near-duplicates.md.

Shingles are word n-grams (default n=5) of the text reduced like ``normalize_for_hash``
(NFKC, casefolded, punctuation dropped). Why 5: a 5-gram is specific enough that two
different articles about one event share almost none (Jaccard < 0.05 on the samples, even
where they quote the same statement), while one edited word only breaks 5 shingles, so a
~500-word wire copy with a changed sentence keeps Jaccard ~0.9. 3-grams make unrelated
news share common phrases; 8-grams make every typo cost 8 shingles.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
import string
import unicodedata
from datetime import datetime, timezone
from typing import Iterable, Iterator

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from newsbeam.config import NearDedupConfig
from newsbeam.transforms.components import ConnectedComponents
from newsbeam.transforms.dedup import duplicate_row

# --- shingles -------------------------------------------------------------------------

# Text is reduced like ``normalize_for_hash`` (NFKC, casefolded, punctuation dropped) and
# then hashed with numpy over its UTF-8 bytes: no Python-level work per word, which is
# what made the first version slow (a quarter of the time was one crc32 call per word).
_SPACE = 0x20
# ASCII punctuation and whitespace become spaces; the ASCII apostrophe is deleted so that
# "don't" == "dont", as re-typeset copies may drop or change it.
_ASCII_TO_SPACE = bytes.maketrans(
    (string.punctuation.replace("'", "") + string.whitespace).encode(),
    b" " * (len(string.punctuation) - 1 + len(string.whitespace)))
# Punctuation NFKC leaves non-ASCII, which re-typeset copies swap for ASCII.
_UNICODE_APOSTROPHES = re.compile("[‘’ʼ]")
_UNICODE_PUNCTUATION = re.compile("[‚‛“”„‟–—―…«»‹›•·¡¿]")
_BASE = 0x100000001B3                          # FNV prime: odd, so invertible mod 2**64
_AVALANCHE = np.uint64(0xFF51AFD7ED558CCD)     # MurmurHash3 finalizer constant


def _power_table(base: int, length: int) -> np.ndarray:
    table = np.full(length, base, dtype=np.uint64)
    table[0] = 1
    table = np.cumprod(table, dtype=np.uint64)  # overflow wraps: powers mod 2**64
    table.flags.writeable = False
    return table


# base**i and base**-i (mod 2**64) for byte offsets up to 64 KiB: longer texts compute more.
_TABLE_BYTES = 1 << 16
_POWERS = _power_table(_BASE, _TABLE_BYTES)
_INVERSE_POWERS = _power_table(pow(_BASE, -1, 1 << 64), _TABLE_BYTES)


def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    if length <= _TABLE_BYTES:
        return _POWERS[:length], _INVERSE_POWERS[:length]
    return _power_table(_BASE, length), _power_table(pow(_BASE, -1, 1 << 64), length)


def normalized_bytes(text: str) -> bytes:
    """UTF-8 of ``text`` NFKC-normalized and casefolded, its words separated by single
    spaces (punctuation and whitespace), apostrophes removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _UNICODE_PUNCTUATION.sub(" ", _UNICODE_APOSTROPHES.sub("", text))
    return b" ".join(text.encode("utf-8").translate(_ASCII_TO_SPACE, b"'").split())


def words(text: str) -> list[bytes]:
    """The words shingles are made of, as bytes (for tests and benchmarks)."""
    return normalized_bytes(text).split()


def _avalanche(values: np.ndarray) -> np.ndarray:
    values ^= values >> np.uint64(33)
    values *= _AVALANCHE
    values ^= values >> np.uint64(29)
    return values


def shingles(data: bytes, size: int) -> np.ndarray:
    """32-bit hashes (as uint64) of every ``size``-word span of ``normalized_bytes`` output,
    in text order, repeats kept.

    A span's hash is the polynomial sum((byte + 1) * B**offset) over its bytes, taken from
    one prefix sum of the whole text and shifted to offset 0 by B**-start: every shingle
    at once in a few numpy passes, with no Python work per word. Equal word sequences hash
    equal wherever they stand.
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    spaces = np.flatnonzero(buffer == _SPACE)
    count = len(spaces) + 2 - size if len(buffer) else 0
    if count < 1:
        return np.empty(0, dtype=np.uint64)
    powers, inverse_powers = _powers(len(buffer))
    prefix = np.zeros(len(buffer) + 1, dtype=np.uint64)
    np.cumsum((buffer + np.uint64(1)) * powers, out=prefix[1:])
    starts = np.concatenate(([0], spaces + 1))[:count]
    ends = np.concatenate((spaces, [len(buffer)]))[size - 1:]
    spans = (prefix[ends] - prefix[starts]) * inverse_powers[starts]
    return _avalanche(spans) >> np.uint64(32)


def shingle_hashes(text: str, size: int) -> np.ndarray:
    """The distinct shingle hashes of ``text``, sorted: its shingle set."""
    return np.unique(shingles(normalized_bytes(text), size))


def distinct_count(values: np.ndarray) -> int:
    if not len(values):
        return 0
    ordered = np.sort(values)
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


# --- MinHash signatures ---------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Permutations:
    """``num_perm`` hash functions h(x) = (a*x + b) mod 2**32, a odd, from ``seed``.

    Shingle hashes are already uniformly mixed 32-bit values, and an odd ``a`` makes each
    h a permutation of them. 32-bit lanes vectorize, which makes this about twice as fast
    as (a*x + b) mod p in 64 bits; the estimate stays unbiased (tests/unit/test_neardup.py).
    """

    a: np.ndarray  # uint32, odd
    b: np.ndarray  # uint32

    @classmethod
    def create(cls, num_perm: int, seed: int) -> "Permutations":
        rng = np.random.Generator(np.random.PCG64(seed))
        a = rng.integers(0, 2 ** 31, size=num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = rng.integers(0, 2 ** 32, size=num_perm, dtype=np.uint64).astype(np.uint32)
        return cls(a, b)


def signature(hashes: np.ndarray, perms: Permutations) -> np.ndarray:
    """MinHash signature (uint32, one value per permutation) of a non-empty shingle set;
    repeated hashes do not change it."""
    values = np.multiply.outer(hashes.astype(np.uint32), perms.a)  # wraps mod 2**32
    values += perms.b
    return values.min(axis=0)


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)


def estimated_containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Share of the smaller set inside the larger, from their Jaccard and sizes.

    |A ∩ B| = J (|A| + |B|) / (1 + J); a copy truncated to its first 60% has a Jaccard of
    about 0.6 with the full text but a containment of 1.
    """
    overlap = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, overlap / max(1, min(size_a, size_b)))


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = len(np.union1d(a, b))
    return len(np.intersect1d(a, b, assume_unique=True)) / union if union else 1.0


# --- LSH bands ------------------------------------------------------------------------

def _integral(fn, lo: float, hi: float, steps: int = 200) -> float:
    xs = np.linspace(lo, hi, steps + 1)
    ys = fn(xs)
    return float(np.sum((ys[1:] + ys[:-1]) * (xs[1:] - xs[:-1])) / 2.0)


def candidate_probability(similarity, bands: int, rows: int):
    """Chance that two texts of this Jaccard share at least one band (the LSH S-curve)."""
    return 1.0 - (1.0 - np.asarray(similarity, dtype=float) ** rows) ** bands


def optimal_param(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
                  false_negative_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) with bands * rows <= num_perm minimizing the weighted areas of false
    positives (similarity < threshold yet candidates) and false negatives (≥ threshold
    yet never candidates) under the S-curve; the method of datasketch and text-dedup."""
    best, best_error = (1, 1), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = _integral(lambda s: candidate_probability(s, bands, rows), 0.0, threshold)
            fn = _integral(lambda s: 1 - candidate_probability(s, bands, rows), threshold, 1.0)
            error = false_positive_weight * fp + false_negative_weight * fn
            if error < best_error - 1e-12:
                best, best_error = (bands, rows), error
    return best


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[bytes]:
    """One key per band: the band number and a digest of its rows (equal rows, equal key)."""
    return [band.to_bytes(2, "big") + hashlib.blake2b(
        sig[band * rows:(band + 1) * rows].tobytes(), digest_size=8).digest()
            for band in range(bands)]


# --- verification and clusters ---------------------------------------------------------

def similarity(sig_a: np.ndarray, size_a: int, sig_b: np.ndarray, size_b: int,
               threshold: float, containment_threshold: float) -> float | None:
    """The score that makes a candidate pair near-duplicates, or None.

    Estimated Jaccard ≥ threshold; failing that, estimated containment of the shorter
    text ≥ containment_threshold (truncated copies). 0 disables the containment check.
    """
    jaccard = estimated_jaccard(sig_a, sig_b)
    if jaccard >= threshold:
        return jaccard
    if containment_threshold > 0:
        containment = estimated_containment(jaccard, size_a, size_b)
        if containment >= containment_threshold:
            return containment
    return None


_NEVER_MICROS = 2 ** 62


def rank_key(published_at: datetime | None, article_id: str, earlier_run: bool) -> tuple:
    """Total order of cluster members: the first is the canonical article.

    An earlier run's article always wins (it is already published downstream), then
    ``dedup.canonical_rank``'s order: earliest published, unknown dates last, smallest id.
    Plain ints and strings, so it compares and encodes the same on every worker.
    """
    micros = (_NEVER_MICROS if published_at is None
              else int((published_at - _EPOCH).total_seconds() * 1_000_000))
    return (0 if earlier_run else 1, micros, article_id)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class UnionFind:
    """Disjoint sets whose root is always the smallest member by the given rank."""

    def __init__(self):
        self.parent: dict = {}

    def find(self, item):
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a, b) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            low, high = sorted((root_a, root_b))
            self.parent[high] = low

    def clusters(self) -> dict:
        """Root -> sorted members, for every set with more than one member."""
        groups: dict = {}
        for item in self.parent:
            groups.setdefault(self.find(item), []).append(item)
        return {root: sorted(members) for root, members in groups.items() if len(members) > 1}


def clusters_of(edges: Iterable[tuple]) -> dict:
    """Connected components of edges between rank keys: canonical key -> member keys."""
    found = UnionFind()
    for a, b in edges:
        found.union(a, b)
    return found.clusters()


def bucket_pairs(members: list[tuple], max_bucket_size: int, neighbours: int) -> Iterator[tuple]:
    """Candidate pairs (lower rank first) of one LSH bucket of ``rank_key``s, sorted.

    Up to ``max_bucket_size`` members: every pair. A bigger bucket (boilerplate, a
    template shared by thousands of pages) would be quadratic, so each member is only
    paired with its next ``neighbours`` members in rank order: linear, and copies of one
    story, which share many buckets, still chain together. Pairs of two earlier-run
    articles are skipped: they were settled by the run that wrote them.
    """
    window = len(members) if len(members) <= max_bucket_size else neighbours + 1
    for i, first in enumerate(members):
        for second in members[i + 1:i + window]:
            if first[0] or second[0]:  # rank[0] == 0: an earlier run's article
                yield first, second


# --- signed articles ---------------------------------------------------

def lsh_bands(params: NearDedupConfig) -> tuple[int, int]:
    """(bands, rows) of the LSH index: optimal_param at ``lsh_threshold``."""
    return optimal_param(params.lsh_threshold, params.num_perm)


def index_params(params: NearDedupConfig) -> dict:
    """The parameters an index was built with: a run must share them to read it."""
    bands, rows = lsh_bands(params)
    return {"num_perm": params.num_perm, "bands": bands, "rows": rows,
            "shingle_size": params.shingle_size, "seed": params.seed,
            "threshold": params.threshold,
            "containment_threshold": params.containment_threshold,
            "min_words": params.min_words}


@dataclasses.dataclass(frozen=True)
class Signed:
    """An article's MinHash signature, with the rank that orders it in its cluster."""

    rank: tuple         # rank_key(...): (0 earlier run / 1 this run, published micros, id)
    size: int           # distinct shingles, for the containment estimate
    signature: bytes    # uint32 values, one per permutation

    @property
    def article_id(self) -> str:
        return self.rank[2]

    @property
    def earlier_run(self) -> bool:
        return self.rank[0] == 0

    @property
    def values(self) -> np.ndarray:
        return np.frombuffer(self.signature, dtype=np.uint32)


def sign_text(text: str, params: NearDedupConfig, perms: Permutations) -> tuple[int, bytes] | None:
    """(distinct shingles, signature bytes), or None for a text under ``min_words``."""
    data = normalized_bytes(text)
    if data.count(b" ") + 1 < params.min_words:
        return None
    grams = shingles(data, params.shingle_size)
    return distinct_count(grams), signature(grams, perms).tobytes()


def score(a: Signed, b: Signed, params: NearDedupConfig) -> float | None:
    return similarity(a.values, a.size, b.values, b.size,
                      params.threshold, params.containment_threshold)


# --- Beam transforms ------------------------------------------------------------------

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
        yield Signed(rank_key(row["published_at"], row["article_id"], False), *signed)


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
    if node != root and node[0] == 1:  # an earlier run's article is never folded again
        yield root, node


def _root_per_member(keyed: tuple) -> Iterator[tuple]:
    """Cluster members grouped with their canonical's Signed -> (member id, canonical)."""
    _, grouped = keyed
    for root in grouped["signed"]:
        for member in grouped["members"]:
            yield member[2], root


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
    ``rank_key``. Earlier runs' signatures join the buckets so copies of old articles fold
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
