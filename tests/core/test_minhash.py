"""Shingles, MinHash signatures, LSH bands and candidate pairs: the pure near-dup functions."""
import random

import numpy as np
import pytest

from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.minhash import (
    Permutations, band_keys, bucket_pairs, candidate_probability, estimated_containment,
    estimated_jaccard, lsh_bands, normalized_bytes, optimal_param, shingles, sign_text, sign_texts,
    signature, signatures)
from newsbeam.core.dedup.rank import rank
from tests.helpers.article_rows import sample


def words(text: str) -> list[bytes]:
    return normalized_bytes(text).split()


def shingle_hashes(text: str, size: int) -> np.ndarray:
    """The distinct shingle hashes of ``text``, sorted: its shingle set."""
    return np.unique(shingles(normalized_bytes(text), size))


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = len(np.union1d(a, b))
    return len(np.intersect1d(a, b, assume_unique=True)) / union if union else 1.0

PERMS = Permutations.create(112, 42)


def sig(text, size=5):
    return signature(shingle_hashes(text, size), PERMS)


def test_words_ignore_case_punctuation_and_quote_style():
    assert words("Don’t STOP—now, “Çavuşoğlu” said.") == words("don't stop now \"çavuşoğlu\" said")
    assert words("Don’t STOP—now")[:2] == [b"dont", b"stop"]


def test_shingles_are_distinct_ordered_ngrams_and_stable_across_processes():
    assert len(shingle_hashes("a b c a b c", 3)) == 3  # abc, bca, cab
    assert set(shingle_hashes("a b c", 3)) != set(shingle_hashes("c b a", 3))
    assert len(shingle_hashes("a b", 3)) == 0
    # Spacing and punctuation between words do not change a shingle.
    assert set(shingle_hashes("a b c", 3)) <= set(shingle_hashes("x  y, a b   c!", 3))
    # A fixed value: a salted hash() would change it from one process to the next.
    assert shingle_hashes("a b c d e f g", 3).tolist() == [
        534838778, 1674132557, 1940137544, 2044431057, 2691332007]


def test_signature_is_seeded_and_reproducible():
    text = sample(0)
    assert sig(text).dtype == np.uint32 and sig(text).shape == (112,)
    assert np.array_equal(sig(text), sig(text))
    other_seed = signature(shingle_hashes(text, 5), Permutations.create(112, 7))
    assert not np.array_equal(sig(text), other_seed)


def test_signatures_of_many_texts_equal_one_at_a_time_and_the_definition():
    rng = random.Random(5)
    vocabulary = ["über", "Straße", "naïve", "don’t", "x", "ΣΊΣΥΦΟΣ", "a", "b"] + [
        f"w{i}" for i in range(300)]
    texts = [" ".join(rng.choice(vocabulary) for _ in range(rng.choice([3, 49, 50, 51, 400])))
             for _ in range(60)]
    texts += [sample(0), "a " * 60, " ".join(f"long{i}" for i in range(12_000))]  # > 64 KiB
    params = NearDedupConfig()
    batched = sign_texts(texts, params, PERMS)
    assert batched[-1] is not None and len(texts[-1]) > 1 << 16
    assert any(s is None for s in batched) and sum(s is not None for s in batched) > 25
    for text, got in zip(texts, batched):
        grams = shingles(normalized_bytes(text), params.shingle_size)
        if len(normalized_bytes(text).split()) < params.min_words:
            assert got is None
            continue
        assert got == (len(set(grams.tolist())), signature(grams, PERMS).tobytes())
        assert sign_text(text, params, PERMS) == got
    # signature itself against the definition: min over the set of (a*x + b) mod 2**32
    grams = [shingles(normalized_bytes(t), 5) for t in (sample(1), "p q r s t u v")]
    for hashes, row in zip(grams, signatures(grams, PERMS)):
        expected = [min((int(a) * x + int(b)) % 2 ** 32 for x in set(hashes.tolist()))
                    for a, b in zip(PERMS.a, PERMS.b)]
        assert row.tolist() == expected == signature(hashes, PERMS).tolist()


def test_optimal_param_matches_the_s_curve():
    assert optimal_param(0.5, 112) == (22, 5)
    assert optimal_param(0.8, 112) == (9, 12)
    bands, rows = optimal_param(0.7, 128)
    assert bands * rows <= 128
    curve = candidate_probability([0.3, 0.7, 0.9], bands, rows)
    assert curve[0] < 0.1 < 0.5 < curve[2] and np.all(np.diff(curve) > 0)


def test_band_keys_change_only_where_the_signature_does():
    a = sig(sample(0))
    b = a.copy()
    b[7] += 1  # row 7 is in band 1 of 22 x 5
    keys_a, keys_b = band_keys(a, 22, 5), band_keys(b, 22, 5)
    assert len(set(keys_a)) == 22
    assert [i for i, (x, y) in enumerate(zip(keys_a, keys_b)) if x != y] == [1]


def test_containment_estimate_sees_a_truncated_copy_as_contained():
    full = shingle_hashes(sample(0), 5)
    head = shingle_hashes(" ".join(sample(0).split()[:500]), 5)
    jaccard = exact_jaccard(full, head)
    assert jaccard < 0.7
    assert estimated_containment(jaccard, len(full), len(head)) == pytest.approx(1.0)


def test_rank_prefers_earlier_runs_then_earliest_then_smallest_id_then_input():
    from datetime import datetime, timezone
    jan1, jan2 = (datetime(2022, 1, d, tzinfo=timezone.utc) for d in (1, 2))
    ranks = [rank(None, "a"), rank(jan2, "b"), rank(jan1, "z"), rank(jan1, "c", input="2"),
             rank(jan1, "c", input="1"), rank(jan2, "old", earlier_run=True)]
    assert [(r[2], r[3]) for r in sorted(ranks)] == [
        ("old", ""), ("c", "1"), ("c", "2"), ("z", ""), ("b", ""), ("a", "")]


def test_bucket_pairs_stay_linear_in_oversized_buckets():
    members = [rank(None, f"id{i:04d}") for i in range(1000)]
    assert len(list(bucket_pairs(members[:10], 50, 5))) == 45
    pairs = list(bucket_pairs(members, 50, 5))
    assert len(pairs) < 5 * 1000 and all(a < b for a, b in pairs)
    old = [rank(None, "o1", earlier_run=True), rank(None, "o2", earlier_run=True), rank(None, "n")]
    assert list(bucket_pairs(old, 50, 5)) == [(old[0], old[2]), (old[1], old[2])]


def _mutate(tokens, rng, share):
    return [t if rng.random() < share else f"w{rng.randrange(10 ** 6)}" for t in tokens]


def test_property_identical_texts_collide_and_estimates_track_jaccard():
    rng = random.Random(1234)
    vocabulary = [f"v{i}" for i in range(3000)]
    bands, rows = lsh_bands(NearDedupConfig())
    errors = []
    for _ in range(60):
        tokens = [rng.choice(vocabulary) for _ in range(rng.randrange(60, 700))]
        text = " ".join(tokens)
        a = sig(text)
        assert band_keys(a, bands, rows) == band_keys(sig(" ".join(tokens)), bands, rows)
        b_text = " ".join(_mutate(tokens, rng, rng.uniform(0.5, 1.0)))
        exact = exact_jaccard(shingle_hashes(text, 5), shingle_hashes(b_text, 5))
        errors.append(abs(estimated_jaccard(a, sig(b_text)) - exact))
    # 112 permutations: standard error <= 0.047; allow 4 of them for the worst of 60.
    assert max(errors) < 0.19 and np.mean(errors) < 0.05
