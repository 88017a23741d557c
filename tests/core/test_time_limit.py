"""TimeLimited: a stage function in a real child process, cut off after its CPU-time limit.
(A real page that keeps trafilatura busy: tests/e2e/test_batch_runs.py.)"""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import resource
import subprocess
import sys
import textwrap

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
    time_limit._launched((fn, "extract"))  # prestart launches from a thread
    [(spare, _conn, _ready)] = time_limit._spares[fn, "extract"]
    runner = TimeLimited(ImportedFunction("tests.helpers.child_functions", "nap"), 5, "extract")
    runner.start()
    try:
        assert runner._process is spare  # taken over: no second child
        assert runner(0.01) == 0.01
    finally:
        runner.close()
    time_limit._launched((fn, "normalize"))
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
        time_limit._launched((runner.fn, "extract"))
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


# --- the fork server (Linux) -----------------------------------------------------------------

ROOT = pathlib.Path(__file__).resolve().parents[2]
needs_fork_server = pytest.mark.skipif(not time_limit.FORK_SERVER,
                                       reason="children come from a fork server on Linux only")


def in_fresh_process(script: str) -> str:
    """``script``'s output, run in a new interpreter: a process has one fork server, started
    with the preloads named before its first child."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


@needs_fork_server
def test_children_are_forked_with_the_modules_the_fork_server_preloaded():
    imported_in, child, parent = json.loads(in_fresh_process("""
        import json, os
        from newsbeam.core.lazy import ImportedFunction
        from newsbeam.core.time_limit import TimeLimited, preload
        preload("tests.helpers.preloaded")
        runner = TimeLimited(ImportedFunction("tests.helpers.child_functions",
                                              "imported_where"), 30, "extract")
        print(json.dumps([*runner("tests.helpers.preloaded"), os.getpid()]))
        runner.close()
    """))
    assert imported_in not in (child, parent)  # imported once, before the child was forked


@needs_fork_server
def test_the_cpu_time_of_forked_children_counts_in_the_process_tree():
    # A spawned child is waited for by its parent, so its CPU time adds to the parent's
    # tree (what ``time`` and the benchmarks read); a forked one's must too.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    in_fresh_process("""
        from newsbeam.core.lazy import ImportedFunction
        from newsbeam.core.time_limit import TimeLimited
        runner = TimeLimited(ImportedFunction("tests.helpers.child_functions", "burn"), 30,
                             "extract")
        print(runner(1.0))
        runner.close()
    """)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) >= 1.0
