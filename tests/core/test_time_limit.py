"""TimeLimited: a stage function in a real child process, cut off after its time limit."""
from __future__ import annotations

import time

import pytest
from tests.helpers.child_functions import nap

from newsbeam.records.documents import Rejected
from newsbeam.core.time_limit import TimeLimited


@pytest.fixture(scope="module")
def limited():
    runner = TimeLimited(nap, seconds=0.5, stage="extract")
    runner.start()
    yield runner
    runner.close()


def test_results_and_refusals_come_back_from_the_child(limited):
    assert limited(0.01) == 0.01
    with pytest.raises(Rejected) as refusal:
        limited(-1)
    assert (refusal.value.reason, refusal.value.detail) == ("negative", "-1")


def test_a_call_over_the_limit_is_cut_off_and_the_next_one_runs(limited):
    started = time.perf_counter()
    with pytest.raises(Rejected) as refusal:
        limited(30)
    assert refusal.value.reason == "extract_timeout"
    assert time.perf_counter() - started < 10  # not the 30 s the call wanted
    assert limited(0.01) == 0.01  # a fresh child took over


def test_a_child_that_dies_becomes_a_crash_reject_and_is_replaced(limited):
    with pytest.raises(Rejected) as refusal:
        limited(float("nan"))
    assert refusal.value.reason == "extract_crashed"
    assert limited(0.02) == 0.02
