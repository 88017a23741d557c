"""ChildPool: a stage in several real child processes at once, each with its time limit;
answers in the order items were submitted; one pool per process, kept warm on request."""
from __future__ import annotations

import time

import pytest
from tests.helpers.child_functions import nap

from newsbeam.core import process_pool, time_limit
from newsbeam.core.lazy import ImportedFunction
from newsbeam.core.process_pool import ChildPool, answer, pool_size

NAP = ImportedFunction("tests.helpers.child_functions", "nap")
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def pool():
    started = ChildPool(NAP, 0.3, "extract", 3)
    started.start()
    yield started
    started.close()


def answers(pool: ChildPool, items: list) -> list[tuple]:
    futures = [pool.submit(item) for item in items]
    return [(a.value, a.reason) for a in (future.result(timeout=60) for future in futures)]


def test_children_work_at_once_and_answer_in_the_order_of_the_items(pool):
    started = time.monotonic()
    # Sleeps, not computation: three children nap at the same time however busy the machine.
    assert answers(pool, [0.6, 0.6, 0.6, 0.01]) == [
        (0.6, None), (0.6, None), (0.6, None), (0.01, None)]
    assert time.monotonic() - started < 1.5  # one child alone would need 1.8 s


def test_a_child_that_crashes_or_hangs_takes_only_its_own_item(pool):
    items = [0.05, float("nan"), 0.05, 3600, 0.05, -1, 0.05]
    assert answers(pool, items) == [
        (0.05, None), (None, "extract_crashed"), (0.05, None), (None, "extract_timeout"),
        (0.05, None), (None, "negative"), (0.05, None)]
    # The dead and the stopped child were replaced: the pool still runs three at once.
    started = time.monotonic()
    assert answers(pool, [0.6] * 3) == [(0.6, None)] * 3
    assert time.monotonic() - started < 1.5


def test_the_answers_are_the_same_with_one_child_or_several():
    items = [0.02, -3, float("nan"), 0.01, 0.03, -1]
    single = ChildPool(NAP, 0.3, "extract", 1)
    single.start()
    try:
        assert answers(single, items) == [
            (0.02, None), (None, "negative"), (None, "extract_crashed"), (0.01, None),
            (0.03, None), (None, "negative")]
        one = answers(single, items)
    finally:
        single.close()
    many = ChildPool(NAP, 0.3, "extract", 4)
    many.start()
    try:
        assert answers(many, items) == one
    finally:
        many.close()


def test_an_answer_in_process_is_an_answer_from_a_child():
    assert (answer(nap, 0.01).value, answer(nap, -2).reason) == (0.01, "negative")
    assert answer(lambda item: 1 / item, 0).reason == "internal_error"
    assert answer(lambda item: 1 / item, 0).detail == "ZeroDivisionError: division by zero"


def test_zero_children_means_as_many_as_cores():
    assert pool_size(0) == process_pool.cores() >= 1
    assert pool_size(3) == 3


def test_a_process_shares_one_pool_and_keeps_its_children_warm_when_asked():
    first = process_pool.acquire(NAP, 0.5, "extract", 2)
    assert process_pool.acquire(NAP, 0.5, "extract", 2) is first  # a second DoFn, same pool
    process_pool.release(first)
    assert first.users == 1
    pids = {child._process.pid for child in first._children}
    with time_limit.warm(), time_limit.warm():  # follow's, then a chunked run's
        process_pool.release(first)  # the last user: the children stay, as spares
        time_limit.discard_spares()  # as the end of a run does: kept all the same
        second = process_pool.acquire(NAP, 0.5, "extract", 2)
        assert second is not first
        assert {child._process.pid for child in second._children} == pids
        assert answers(second, [0.01, 0.01]) == [(0.01, None)] * 2
        process_pool.release(second)  # kept too, until the outermost block ends
        assert len(time_limit._spares[NAP, "extract"]) == 2
    assert all(child._process is None for child in second._children)
    assert not time_limit._spares
    assert not process_pool._pools


def test_items_handed_in_early_are_answered_while_no_submitted_item_waits():
    single = ChildPool(NAP, 2.0, "extract", 1)
    single.start()
    try:
        single.prefetch([("a", 0.3), ("b", 0.3), ("c", 0.3), ("d", -1)])
        time.sleep(0.1)  # the child has taken "a"
        started = time.monotonic()
        # A submitted item goes before the early ones not started yet ("b", "c", "d").
        assert single.submit(0.01).result(timeout=30).value == 0.01
        assert time.monotonic() - started < 0.55  # after "a" (0.3 s), not after all three
        # An equal item takes its early answer over; another item under the same key
        # (the file changed) is computed anew, and its early answer dropped.
        assert single.submit(0.3, key="a").result(timeout=30).value == 0.3
        assert single.submit(0.02, key="b").result(timeout=30).value == 0.02
        assert single.submit(-1, key="d").result(timeout=30).reason == "negative"
        assert single.taken_early == 2
        single.forget(["c"])  # not asked for: not computed, if not started yet
        assert answers(single, [0.01]) == [(0.01, None)]
    finally:
        single.close()
