"""What one LSH band of the stream remembers and verifies: the pure near-dup state rules."""
from datetime import datetime, timezone

from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.minhash import Permutations, Signed, band_keys, lsh_bands, sign_text
from newsbeam.core.dedup.rank import rank
from newsbeam.core.dedup.stream_near import (
    Held, band_index, expire, in_window, next_expiry, remember, verified_pairs, window_roots)
from tests.helpers.article_rows import sample

PARAMS = NearDedupConfig()
PERMS = Permutations.create(PARAMS.num_perm, PARAMS.seed)
WHEN = datetime(2027, 1, 15, 8, tzinfo=timezone.utc)


def signed(text: str, article_id: str, window_end: int | None = None, earlier_run=False) -> Signed:
    s = Signed(rank(WHEN, article_id, earlier_run=earlier_run), *sign_text(text, PARAMS, PERMS))
    return s if window_end is None else in_window(s, window_end)


def edited(text: str) -> str:
    """A near copy: the first word of every fourth paragraph changed."""
    lines = [line for line in text.split("\n") if line.strip()]
    return "\n".join("Reportedly " + line.split(" ", 1)[-1] if i % 4 == 1 else line
                     for i, line in enumerate(lines))


def test_earlier_windows_rank_first_then_the_batch_rule_and_index_entries_before_all():
    later_better = signed(sample(0), "a", window_end=2_000)
    earlier_worse = signed(sample(0), "z", window_end=1_000)
    same_window = signed(sample(0), "b", window_end=2_000)
    index = signed(sample(0), "y", earlier_run=True)
    assert sorted([later_better, same_window, earlier_worse, index], key=lambda s: s.rank) == [
        index, earlier_worse, later_better, same_window]
    assert later_better.article_id == "a"


def test_a_near_copy_pairs_with_its_original_whatever_arrives_first():
    original = signed(sample(1), "a1", window_end=1_000)
    copy = signed(edited(sample(1)), "n1", window_end=2_000)
    other = signed(sample(2), "a2", window_end=1_000)
    assert list(verified_pairs(copy, [original, other], PARAMS)) == [(original, copy)]
    assert list(verified_pairs(original, [copy], PARAMS)) == [(original, copy)]
    assert list(verified_pairs(copy, [copy], PARAMS)) == []  # itself again (a re-fire)


def test_index_entries_are_found_by_the_band_keys_a_copy_shares():
    bands, rows = lsh_bands(PARAMS)
    entry = signed(sample(3), "old", earlier_run=True)
    copy = signed(edited(sample(3)), "new", window_end=1_000)
    index = band_index([entry], bands, rows)
    shared = [key for key in band_keys(copy.values, bands, rows) if key in index]
    assert shared and all(index[key] == [entry] for key in shared)
    assert list(verified_pairs(copy, index[shared[0]], PARAMS)) == [(entry, copy)]


def test_a_band_holds_at_most_max_bucket_size_its_first_ranked_and_each_once():
    first, second, third = (Held(signed(sample(0), i, window_end=w), 10 + w)
                            for i, w in (("a", 1), ("b", 2), ("c", 3)))
    held = remember([], second, 2)
    held = remember(held, third, 2)
    held = remember(held, first, 2)
    assert held == [first, second]
    assert remember(held, first, 2) == held


def test_expiry_empties_a_band_so_state_does_not_grow():
    held = [Held(signed(sample(0), "a", window_end=1), 100),
            Held(signed(sample(1), "b", window_end=2), 200)]
    assert next_expiry(held) == 100
    assert expire(held, 99) == held
    assert expire(held, 100) == held[1:] and next_expiry(held[1:]) == 200
    assert expire(held, 200) == [] and next_expiry([]) is None


def test_a_window_settles_each_copy_once_into_its_components_first():
    index = signed(sample(0), "old", earlier_run=True)
    earlier = signed(sample(0), "e", window_end=1)
    a, b, c = (signed(sample(0), i, window_end=2) for i in "abc")
    # b met a and earlier in several bands; c met only b; a met the index entry.
    pairs = [(a, b.rank), (earlier, b.rank), (a, b.rank), (b, c.rank), (index, a.rank)]
    assert sorted(window_roots(pairs)) == [("a", index), ("b", index), ("c", index),
                                           ("e", index)]
    # Without the index entry, the earlier window's document is the first.
    assert sorted(window_roots(pairs[:4])) == [("a", earlier), ("b", earlier), ("c", earlier)]
