"""Pipeline options for a run (``pipelines/runner.py``): no construction-time type check
unless asked, and views made once per options object (``_ViewedOnce``), with the canary
that fails when Beam stops asking for views per transform or stops sharing their values."""
from __future__ import annotations

import copy

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, TypeOptions

from newsbeam.pipelines.runner import _ViewedOnce, pipeline_options


def test_a_run_skips_the_construction_type_check_unless_asked():
    def checked(args, type_check):
        return pipeline_options(args, type_check).view_as(TypeOptions).pipeline_type_check

    assert not checked([], type_check=False)
    options = pipeline_options([], type_check=False)
    assert options.view_as(TypeOptions) is options.view_as(TypeOptions)  # made once
    copied = copy.deepcopy(options)  # as beam.Pipeline does
    copied.view_as(TypeOptions).pipeline_type_check = True
    assert copied.view_as(TypeOptions).pipeline_type_check
    assert not options.view_as(TypeOptions).pipeline_type_check
    assert checked(["--pipeline_type_check"], type_check=False)
    assert checked([], type_check=True)


def views_asked(maps: int) -> int:
    """How often Beam asks the options for a view while ``maps`` Maps are applied."""
    asked = []

    class Counting(_ViewedOnce):
        def view_as(self, cls):
            asked.append(cls)
            return super().view_as(cls)

    items = beam.Pipeline(options=Counting(["--runner", "FnApiRunner"])) | beam.Create([1])
    for index in range(maps):
        items = items | f"Map{index}" >> beam.Map(str)
    return len(asked)


def test_canary_beam_views_share_values_and_beam_asks_for_views_per_transform():
    plain = PipelineOptions(["--runner", "FnApiRunner"])
    plain.view_as(TypeOptions).pipeline_type_check = False
    assert plain.view_as(TypeOptions).pipeline_type_check is False  # one value, many views
    assert views_asked(11) - views_asked(1) >= 10  # at least one per transform applied
