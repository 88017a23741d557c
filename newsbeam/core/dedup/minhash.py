"""Near-duplicate detection, the pure part: word shingles, MinHash signatures, LSH bands,
candidate pairs of a bucket and their verification (Beam wiring: ``transforms/dedup/near.py``).

The method, its parameters and the recall they give at each similarity are
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
import functools
import re
import string
import unicodedata
import zlib
from typing import Iterator, Sequence

import numpy as np

from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.exact import duplicate_row
from newsbeam.core.dedup.rank import article_id_of, is_earlier_run

# --- shingles -------------------------------------------------------------------------

# Text is reduced like ``normalize_for_hash`` (NFKC, casefolded, punctuation dropped) and
# then hashed with numpy over its UTF-8 bytes: no Python-level work per word (one crc32
# call per word took a quarter of the signing time).
_SPACE = 0x20
# ASCII punctuation and whitespace become spaces; the ASCII apostrophe is deleted so that
# "don't" == "dont", as re-typeset copies may drop or change it.
_ASCII_TO_SPACE = bytes.maketrans(
    (string.punctuation.replace("'", "") + string.whitespace).encode(),
    b" " * (len(string.punctuation) - 1 + len(string.whitespace)))
# Punctuation NFKC leaves non-ASCII, which re-typeset copies swap for ASCII.
_UNICODE_APOSTROPHES = re.compile("[‘’ʼ]")
_UNICODE_PUNCTUATION = re.compile("[‚‛“”„‟–—―…«»‹›•·¡¿]")
_SPACES = re.compile(b"  +")
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
    if text.isascii():  # NFKC leaves ASCII as it is, and casefolds it like bytes.lower
        data = text.encode("ascii").lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        data = _UNICODE_PUNCTUATION.sub(" ", _UNICODE_APOSTROPHES.sub("", text)).encode("utf-8")
    # Every ASCII whitespace byte is a space now: squeezing runs of spaces is what
    # b" ".join(data.split()) did, without a bytes object per word.
    return _SPACES.sub(b" ", data.translate(_ASCII_TO_SPACE, b"'")).strip(b" ")


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
    as (a*x + b) mod p in 64 bits; the estimate stays unbiased (tests/core/test_minhash.py).
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


def signatures(hash_arrays: Sequence[np.ndarray], perms: Permutations) -> np.ndarray:
    """``signature`` of several non-empty shingle arrays (one row each), bit for bit, as
    one (permutations x all shingles) matrix reduced per text: numpy's cost per call and
    per small array was over half of a 500-word text's signature (45 -> 14 us a text in
    batches of 16-64)."""
    values = np.multiply.outer(perms.a, np.concatenate(hash_arrays).astype(np.uint32))
    values += perms.b[:, None]  # wraps mod 2**32, as in ``signature``
    starts = np.cumsum([0] + [len(hashes) for hashes in hash_arrays[:-1]])
    return np.minimum.reduceat(values, starts, axis=1).T


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)


def estimated_containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Share of the smaller set inside the larger, from their Jaccard and sizes.

    |A ∩ B| = J (|A| + |B|) / (1 + J); a copy truncated to its first 60% has a Jaccard of
    about 0.6 with the full text but a containment of 1.
    """
    overlap = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, overlap / max(1, min(size_a, size_b)))


# --- LSH bands ------------------------------------------------------------------------

def _integral(ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Trapezoid rule along the last axis of ``ys`` (sampled at ``xs``)."""
    return np.sum((ys[..., 1:] + ys[..., :-1]) * (xs[1:] - xs[:-1]), axis=-1) / 2.0


def candidate_probability(similarity, bands, rows):
    """Chance that two texts of this Jaccard share at least one band (the LSH S-curve)."""
    return 1.0 - (1.0 - np.asarray(similarity, dtype=float) ** rows) ** bands


@functools.lru_cache(maxsize=None)
def optimal_param(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
                  false_negative_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) with bands * rows <= num_perm minimizing the weighted areas of false
    positives (similarity < threshold yet candidates) and false negatives (≥ threshold
    yet never candidates) under the S-curve; the method of datasketch and text-dedup.

    Every (bands, rows) at once, as one array per integral: a loop over them cost 0.2 s
    of every run's start-up. Ties go to the first in (bands, rows) order."""
    pairs = np.array([(bands, rows) for bands in range(1, num_perm + 1)
                      for rows in range(1, num_perm // bands + 1)], dtype=float)
    bands, rows = pairs[:, :1], pairs[:, 1:]
    below, above = np.linspace(0.0, threshold, 201), np.linspace(threshold, 1.0, 201)
    fp = _integral(candidate_probability(below, bands, rows), below)
    fn = _integral(1 - candidate_probability(above, bands, rows), above)
    errors = false_positive_weight * fp + false_negative_weight * fn
    best, best_error = 0, float("inf")
    for index, error in enumerate(errors.tolist()):  # the loop's tolerance, kept exactly
        if error < best_error - 1e-12:
            best, best_error = index, error
    return int(pairs[best, 0]), int(pairs[best, 1])


@functools.lru_cache(maxsize=None)
def _band_multipliers(rows: int) -> np.ndarray:
    """Odd 64-bit multipliers: one per row of a band, the last for the band's number."""
    rng = np.random.Generator(np.random.PCG64(0x5EED))
    return rng.integers(0, 2 ** 63, size=rows + 1, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def band_hashes(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One uint64 per band of a signature, all bands in a few numpy passes.

    A band's hash is the avalanche of sum(row * multiplier) + band * multiplier: equal
    rows in band i give equal hash i, any difference changes all 64 bits, and the same
    rows at another band hash apart. (A chance collision only adds a candidate pair,
    which verification judges like any other.)
    """
    multipliers = _band_multipliers(rows)
    values = sig[:bands * rows].astype(np.uint64).reshape(bands, rows)
    values *= multipliers[:rows]
    mixed = values.sum(axis=1, dtype=np.uint64)
    mixed += np.arange(bands, dtype=np.uint64) * multipliers[rows]
    return _avalanche(mixed)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[bytes]:
    """One key per band: 8 bytes of its ``band_hashes`` value (equal rows, equal key)."""
    return [key.to_bytes(8, "big") for key in band_hashes(sig, bands, rows).tolist()]


def rank_partition(rank: tuple, partitions: int) -> int:
    """Which of ``partitions`` groups an article's signature and pairs are joined in: from
    its article id, so it is the same on every worker and in every run."""
    return zlib.crc32(article_id_of(rank).encode("utf-8")) % partitions


def bucket_members(keys: np.ndarray, ranks: Sequence[tuple]) -> Iterator[list[tuple]]:
    """Band keys and the rank of each (parallel) -> each bucket of two or more members,
    its ranks sorted, buckets in key order. Sorted in numpy: only members of shared
    buckets (a few percent of entries) cost Python work."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    sizes = np.diff(np.append(starts, len(ordered)))
    shared = sizes > 1
    for start, size in zip(starts[shared].tolist(), sizes[shared].tolist()):
        yield sorted(ranks[i] for i in order[start:start + size].tolist())


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


# A candidate pair the signatures would reject this close to a threshold is decided on its
# exact shingle sets where both texts are at hand. The estimate from 112 values has a
# standard error of ~0.03 at Jaccard 0.9 and a heavy lower tail: about one true pair in a
# thousand at Jaccard 0.9 is estimated under 0.8 (9 of 10,000 on the 100k bench). 0.1 is
# 2.6 standard errors at 0.8 and 3.5 at 0.9.
EXACT_MARGIN = 0.1


def worth_exact_check(a: Signed, b: Signed, params: NearDedupConfig) -> bool:
    """Whether a pair ``score`` rejected lies within ``EXACT_MARGIN`` of a threshold."""
    jaccard = estimated_jaccard(a.values, b.values)
    if jaccard >= params.threshold - EXACT_MARGIN:
        return True
    return params.containment_threshold > 0 and estimated_containment(
        jaccard, a.size, b.size) >= params.containment_threshold - EXACT_MARGIN


def shingle_set(text: str, params: NearDedupConfig) -> np.ndarray:
    """The distinct shingle hashes of ``text``, sorted (what its signature summarizes)."""
    return np.unique(shingles(normalized_bytes(text), params.shingle_size))


def exact_similarity(a: np.ndarray, b: np.ndarray, params: NearDedupConfig) -> float | None:
    """``similarity`` on the exact shingle sets (``shingle_set``) instead of estimates."""
    common = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - common
    jaccard = common / union if union else 0.0
    if jaccard >= params.threshold:
        return jaccard
    if params.containment_threshold > 0:
        containment = common / max(1, min(len(a), len(b)))
        if containment >= params.containment_threshold:
            return containment
    return None


def bucket_pairs(members: list[tuple], max_bucket_size: int, neighbours: int) -> Iterator[tuple]:
    """Candidate pairs (lower rank first) of one LSH bucket of ``rank.rank`` keys, sorted.

    Up to ``max_bucket_size`` members: every pair. A bigger bucket (boilerplate, a
    template shared by thousands of pages) would be quadratic, so each member is only
    paired with its next ``neighbours`` members in rank order: linear, and copies of one
    story, which share many buckets, still chain together. Pairs of two earlier-run
    articles are skipped: they were settled by the run that wrote them.
    """
    window = len(members) if len(members) <= max_bucket_size else neighbours + 1
    for i, first in enumerate(members):
        for second in members[i + 1:i + window]:
            if not (is_earlier_run(first) and is_earlier_run(second)):
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

    rank: tuple         # rank.rank(...) of the article: orders it in its cluster
    size: int           # distinct shingles, for the containment estimate
    signature: bytes    # uint32 values, one per permutation

    def __reduce__(self):  # pickles as its three fields: a third of the dataclass default
        return Signed, (self.rank, self.size, self.signature)

    @property
    def article_id(self) -> str:
        return article_id_of(self.rank)

    @property
    def values(self) -> np.ndarray:
        return np.frombuffer(self.signature, dtype=np.uint32)


def sign_text(text: str, params: NearDedupConfig, perms: Permutations) -> tuple[int, bytes] | None:
    """(distinct shingles, signature bytes), or None for a text under ``min_words``."""
    return sign_texts([text], params, perms)[0]


def sign_texts(texts: Sequence[str], params: NearDedupConfig, perms: Permutations
               ) -> list[tuple[int, bytes] | None]:
    """``sign_text`` of each text, their signatures computed together (``signatures``)."""
    signed: list[tuple[int, bytes] | None] = [None] * len(texts)
    at, grams = [], []
    for index, text in enumerate(texts):
        data = normalized_bytes(text)
        if data.count(b" ") + 1 >= params.min_words:
            at.append(index)  # >= 1 shingle: the config keeps min_words >= shingle_size
            grams.append(shingles(data, params.shingle_size))
    for index, hashes, values in zip(at, grams, signatures(grams, perms) if grams else ()):
        signed[index] = distinct_count(hashes), values.tobytes()
    return signed


# A row may carry its (distinct shingles, signature bytes), made when it was extracted (a
# chunked run's pending rows, read back without their text); None: too short to sign.
PRESIGNED = "_signed"


def row_signatures(rows: Sequence[dict], params: NearDedupConfig, perms: Permutations
                   ) -> list[tuple[int, bytes] | None]:
    """Each row's (distinct shingles, signature bytes): the one it carries, else
    ``sign_texts`` of its text (the rows to sign, signed together)."""
    signed = [row.get(PRESIGNED) for row in rows]
    unsigned = [i for i, row in enumerate(rows) if PRESIGNED not in row]
    for i, made in zip(unsigned, sign_texts([rows[i]["text"] for i in unsigned], params, perms)):
        signed[i] = made
    return signed


def score(a: Signed, b: Signed, params: NearDedupConfig) -> float | None:
    return similarity(a.values, a.size, b.values, b.size,
                      params.threshold, params.containment_threshold)


def near_duplicate_row(row: dict, own: Signed, root: Signed, params: NearDedupConfig) -> dict:
    """The ``near`` duplicates row of ``row`` (signed ``own``) folded into ``root``: the
    pair's score, else their Jaccard (a member may reach its root only through others)."""
    sim = score(own, root, params)
    sim = estimated_jaccard(own.values, root.values) if sim is None else sim
    return duplicate_row(row, {"article_id": root.article_id}, "near", sim)
