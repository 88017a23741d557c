"""TimeLimited: a stage function in a real child process, cut off after its CPU-time limit.
(A real page that keeps trafilatura busy: tests/e2e/test_batch_runs.py.)"""
from __future__ import annotations

import contextlib
import os

import pytest
from tests.helpers.child_functions import nap, spin

from newsbeam.core import time_limit
from newsbeam.core.lazy import ImportedFunction
from newsbeam.core.time_limit import TimeLimited, cpu_seconds, discard_spares, prestart
from newsbeam.records.documents import Rejected

needs_proc = pytest.mark.skipif(cpu_seconds(os.getpid()) is None,
                                reason="CPU time is read from /proc (Linux)")


@contextlib.contextmanager
def running(fn, seconds: float):
    runner = TimeLimited(fn, seconds=seconds, stage="extract")
    try:
        yield runner
    finally:
        runner.close()


@pytest.fixture(scope="module")
def limited():
    with running(nap, 0.5) as runner:
        yield runner


def refusal_of(call, item) -> Rejected:
    with pytest.raises(Rejected) as refused:
        call(item)
    return refused.value


def test_results_and_refusals_come_back_from_the_child(limited):
    assert limited(0.01) == 0.01
    refused = refusal_of(limited, -1)
    assert (refused.reason, refused.detail) == ("negative", "-1")


@needs_proc
def test_waiting_is_not_working_a_call_that_sleeps_past_the_limit_is_not_cut_off(limited):
    # A sleeping child uses no CPU, as a working one starved by a busy machine uses little:
    # 1.5 s of wall-clock time against a 0.5 s limit must not be a timeout. Sleeping stands
    # in for load because it is deterministic; real load only slows the same CPU work.
    assert limited(1.5) == 1.5


def test_a_child_that_dies_becomes_a_crash_reject_and_is_replaced(limited):
    assert refusal_of(limited, float("nan")).reason == "extract_crashed"
    assert limited(0.02) == 0.02


@pytest.fixture(scope="module")
def spinning():
    with running(spin, 0.3) as runner:
        yield runner


@needs_proc
def test_an_endless_computation_is_cut_off_by_its_cpu_time(spinning):
    refused = refusal_of(spinning, None)  # by its CPU time, not the wall-clock backstop
    assert (refused.reason, refused.detail) == ("extract_timeout", "over 0.3 s of CPU time")
    assert refusal_of(spinning, None).reason == "extract_timeout"  # and again, fresh child


def test_a_child_that_waits_for_ever_is_cut_off_by_the_wall_clock_backstop():
    with running(nap, 0.1) as runner:
        refused = refusal_of(runner, 3600)
        assert refused.reason == "extract_timeout" and "wall-clock" in refused.detail
        assert runner(0.01) == 0.01  # a fresh child took over


def test_a_prestarted_child_is_taken_over_and_an_unclaimed_one_stopped():
    fn = ImportedFunction("tests.helpers.child_functions", "nap")
    prestart(fn, "extract")
    prestart(ImportedFunction("tests.helpers.child_functions", "nap"), "normalize")
    [(spare, _conn, _ready)] = time_limit._spares[fn, "extract"]
    runner = TimeLimited(ImportedFunction("tests.helpers.child_functions", "nap"), 5, "extract")
    runner.start()
    try:
        assert runner._process is spare  # taken over: no second child
        assert runner(0.01) == 0.01
    finally:
        runner.close()
    [(unclaimed, _conn, _ready)] = [s for spares in time_limit._spares.values() for s in spares]
    discard_spares()
    assert not time_limit._spares and not unclaimed.is_alive()


def test_a_child_kept_for_later_is_taken_over_ready_and_prestart_adds_only_what_is_missing():
    runner = TimeLimited(ImportedFunction("tests.helpers.child_functions", "nap"), 5, "extract")
    assert runner(0.01) == 0.01
    kept = runner._process
    runner.close(keep=True)  # a process that runs again soon (follow) keeps its child
    try:
        prestart(runner.fn, "extract", 2)  # one is there: one more is started
        assert [s[0] is kept for s in time_limit._spares[runner.fn, "extract"]] == [True, False]
        again = TimeLimited(runner.fn, 5, "extract")
        again.launch()  # the last one first: the one just started
        assert again._process is not kept and not again._ready
        again.close()
        again.launch()
        assert again._process is kept and again._ready  # no second wait for its imports
        assert again(0.02) == 0.02
        again.close()
        assert not kept.is_alive()
    finally:
        discard_spares()
