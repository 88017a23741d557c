"""Cutting a run's files into chunks (core/chunks.py)."""
from newsbeam.core.chunks import plan_chunks


def test_chunks_hold_at_most_n_files_and_m_bytes_in_listing_order():
    items = list("abcdefg")
    assert plan_chunks(items, [1] * 7, 3, 0) == [list("abc"), list("def"), ["g"]]
    assert plan_chunks(items, [4, 4, 4, 9, 1, 1, 1], 0, 8) == [
        list("ab"), ["c"], ["d"], list("efg")]  # a file over the bound is a chunk alone
    assert plan_chunks(items, [4, 4, 4, 9, 1, 1, 1], 2, 8) == [
        list("ab"), ["c"], ["d"], list("ef"), ["g"]]


def test_no_bound_is_one_chunk_and_nothing_is_no_chunk():
    assert plan_chunks(list("abc"), [10, 10, 10], 0, 0) == [list("abc")]
    assert plan_chunks([], [], 2, 2) == []
