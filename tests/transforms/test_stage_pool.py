"""ApplyStage with a time limit on a real pipeline (FnApiRunner): the stage runs in a pool
of child processes, a crash or a hang rejects only its item, the outputs are the same with
one child or several, and each output stays in its input's window."""
from __future__ import annotations

import time

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import FixedWindows, TimestampedValue
from tests.helpers.child_functions import Job

from newsbeam.core.lazy import ImportedFunction
from newsbeam.pipelines.runner import new_run
from newsbeam.transforms.stage import ApplyStage

NAP_JOB = ImportedFunction("tests.helpers.child_functions", "nap_job")
# (seconds napped, window start): NaN kills the child, 3600 hangs it (cut off by the
# wall-clock backstop, 10 x the 0.2 s limit), -1 is refused by the function itself.
JOBS = [(0.01, 0), (float("nan"), 0), (0.02, 10), (3600, 10), (0.01, 20), (-1, 20),
        *((0.001 * n, 10 * (n % 3)) for n in range(12))]


def job(n: int, seconds: float) -> Job:
    return Job("test", f"job-{n:02d}", seconds)


def run_stage(processes: int) -> None:
    options = PipelineOptions(["--runner", "FnApiRunner"])
    with beam.Pipeline(options=options) as pipeline:
        jobs = (pipeline
                | beam.Create([(job(n, s), start) for n, (s, start) in enumerate(JOBS)])
                | beam.Map(lambda pair: TimestampedValue(pair[0], pair[1] + 1))
                | beam.WindowInto(FixedWindows(10)))
        done, rejects = jobs | ApplyStage("extract", NAP_JOB, new_run().run_id, time_limit=0.2,
                                          processes=processes)
        in_window = lambda value, w=beam.DoFn.WindowParam: (value, int(w.start))
        assert_that(done | beam.Map(in_window), equal_to([
            (f"job-{n:02d} napped {s}", start) for n, (s, start) in enumerate(JOBS)
            if s == s and 0 <= s < 3600]), label="results")
        assert_that(rejects | beam.Map(lambda row: (row["input"], row["stage"], row["reason"]))
                    | "RejectWindow" >> beam.Map(in_window), equal_to([
                        (("job-01", "extract", "extract_crashed"), 0),
                        (("job-03", "extract", "extract_timeout"), 10),
                        (("job-05", "extract", "negative"), 20)]), label="rejects")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("processes", [1, 3])
def test_a_pool_of_children_gives_each_item_its_outcome_in_its_window(processes):
    run_stage(processes)


@pytest.mark.timeout(120)
def test_a_slow_item_does_not_leave_the_other_children_waiting():
    # Answers leave in order: while the first item's child naps 2 s, the other child must
    # be handed enough of the rest to keep working (36 x 0.05 s = 1.8 s of naps). With 4
    # items a child handed ahead (before), it idled after 8 and the bundle took ~2.7 s.
    from apache_beam.transforms.window import GlobalWindow

    from newsbeam.transforms.stage import _StageFn

    fn = _StageFn("extract", NAP_JOB, new_run().run_id, None, time_limit=5, processes=2)
    fn.setup()  # starts the two children: not timed
    try:
        fn.start_bundle()
        jobs = [job(0, 2.0)] + [job(n, 0.05) for n in range(1, 37)]
        started = time.monotonic()
        out = [value for item in jobs
               for value in fn.process(item, window=GlobalWindow(), timestamp=0)]
        out += list(fn.finish_bundle())
        elapsed = time.monotonic() - started
    finally:
        fn.teardown()
    assert [value.value for value in out] == [f"{j.uri} napped {j.seconds}" for j in jobs]
    assert elapsed < 2.4, f"{elapsed:.2f} s: the second child waited for the first"
