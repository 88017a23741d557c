"""Pairs the MinHash estimate rejects close to a threshold are decided on their exact
shingle sets (core/dedup/minhash.py ``worth_exact_check``; transforms/dedup/near.py)."""
from __future__ import annotations

import random

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.minhash import (
    Permutations, Signed, exact_similarity, score, shingle_set, sign_text, worth_exact_check)
from newsbeam.transforms.dedup.near import NearDedup

# 32 values: estimates scatter ~0.06 around the truth, so such pairs are easy to find.
PARAMS = NearDedupConfig(num_perm=32)
PERMS = Permutations.create(PARAMS.num_perm, PARAMS.seed)


def texts(seed: int, edits: int) -> tuple[str, str]:
    """A 300-word text and a copy with ``edits`` words replaced."""
    rng = random.Random(seed)
    words = [f"word{rng.randrange(5000)}" for _ in range(300)]
    copy = list(words)
    for position in rng.sample(range(len(words)), edits):
        copy[position] = "edited"
    return " ".join(words), " ".join(copy)


def signed(name: str, text: str) -> Signed:
    return Signed((1, 0, name, ""), *sign_text(text, PARAMS, PERMS))


def uncertain_pair(edits: int, exact_passes: bool) -> tuple[str, str]:
    """The first seeded pair the estimate rejects within the margin, whose exact sets do
    (or do not) clear a threshold."""
    for seed in range(2000):
        a, b = texts(seed, edits)
        first, second = signed("a", a), signed("b", b)
        exact = exact_similarity(shingle_set(a, PARAMS), shingle_set(b, PARAMS), PARAMS)
        if score(first, second, PARAMS) is None and worth_exact_check(first, second, PARAMS) \
                and (exact is not None) == exact_passes:
            return a, b
    raise AssertionError("no such pair in 2,000 seeds")


def test_exact_similarity_is_jaccard_then_containment():
    whole = shingle_set(" ".join(f"w{i}" for i in range(100)), PARAMS)  # 96 shingles
    assert exact_similarity(whole, whole, PARAMS) == 1.0
    half = shingle_set(" ".join(f"w{i}" for i in range(52)), PARAMS)    # 48, all inside
    assert exact_similarity(whole, half, PARAMS) == 1.0                 # containment
    other = shingle_set(" ".join(f"x{i}" for i in range(100)), PARAMS)
    assert exact_similarity(whole, other, PARAMS) is None


def row(article_id: str, text: str) -> dict:
    return {"article_id": article_id, "published_at": None, "text": text, "url": None,
            "source": "test", "input": article_id, "run_id": "run"}


def test_a_true_pair_the_estimate_misses_folds_on_its_exact_sets():
    a, b = uncertain_pair(edits=4, exact_passes=True)
    other = texts(9999, 0)[0]
    rows = [row("a", a), row("b", b), row("c", other)]
    with beam.Pipeline(runner="FnApiRunner") as pipeline:
        out = (pipeline | "Rows" >> beam.Create(rows),
               pipeline | "NoIndex" >> beam.Create([])) | NearDedup(PARAMS)
        assert_that(out["duplicates"] | beam.Map(lambda d: (d["article_id"], d["duplicate_of"])),
                    equal_to([("b", "a")]), label="Folded")
        assert_that(out["articles"] | beam.Map(lambda r: r["article_id"]),
                    equal_to(["a", "c"]), label="Kept")


def test_a_pair_whose_exact_sets_fall_short_stays_apart():
    a, b = uncertain_pair(edits=14, exact_passes=False)
    with beam.Pipeline(runner="FnApiRunner") as pipeline:
        out = (pipeline | "Rows" >> beam.Create([row("a", a), row("b", b)]),
               pipeline | "NoIndex" >> beam.Create([])) | NearDedup(PARAMS)
        assert_that(out["duplicates"], equal_to([]), label="NoneFolded")
