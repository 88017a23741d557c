"""The Beam start-up measures (``modes/beam_startup.py``): what each does, that each is off
on a Beam it was not fitted to, and a canary per measure that fails when Beam stops calling
what the measure replaces (then the measure is dead weight, or wrong: refit or drop it)."""
from __future__ import annotations

import subprocess
import sys
import types

import apache_beam as beam
import pytest
from apache_beam.coders import BooleanCoder
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import userstate
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from newsbeam.config import parse_config
from newsbeam.modes import beam_startup
from newsbeam.modes.beam_startup import (
    S3_CLIENT, cached_per_class, config_paths, one_view_per_class, unused_modules)

FLAG = ReadModifyWriteStateSpec("flag", BooleanCoder())


class _Stateful(beam.DoFn):
    def process(self, item, flag=beam.DoFn.StateParam(FLAG)):
        yield item


class _Plain(beam.DoFn):
    def process(self, item):
        yield item


def config(output: str, path: str = "/data/*.txt"):
    return parse_config({"output": output, "sources": [
        {"name": "a", "kind": "files", "path": path}]}, "/configs/run.yaml")


def fresh_interpreter(code: str) -> None:
    """Runs ``code`` in a new Python (this test process has imported Beam already)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


# -- the measures

def test_cached_specs_equal_beams_per_class_and_are_fresh_sets():
    calls = []

    def counting(dofn):
        calls.append(dofn)
        return userstate.get_dofn_specs(dofn)

    cached = cached_per_class(counting)
    for dofn in (_Stateful(), _Stateful(), _Plain(), _Plain()):
        assert cached(dofn) == userstate.get_dofn_specs(dofn)
    assert len(calls) == 2  # once per class
    states, _ = cached(_Stateful())
    states.clear()  # a caller's set is its own
    assert cached(_Stateful())[0] == {FLAG}


def test_a_dofn_holding_bound_methods_is_asked_every_time():
    class Holder:
        def process(self, item, flag=beam.DoFn.StateParam(FLAG)):
            yield item

    calls = []
    cached = cached_per_class(lambda dofn: calls.append(dofn) or userstate.get_dofn_specs(dofn))
    wrapped = beam.FlatMap(Holder().process).fn  # Beam's wrapper holds the bound method
    cached(wrapped), cached(wrapped)
    assert len(calls) == 2


def test_a_run_with_only_local_paths_hides_the_s3_client_and_only_a_stream_keeps_pubsub():
    paths = config_paths(config("/out"))
    assert set(S3_CLIENT) <= set(unused_modules(paths, []))
    assert {"pandas", "google.cloud.pubsub"} <= set(unused_modules(paths, []))
    assert "google.cloud.pubsub" not in unused_modules(paths, [], streams=True)


def test_any_s3_path_or_option_keeps_the_s3_client():
    for paths, args in ((config_paths(config("s3://bucket/out")), []),
                        (config_paths(config("/out", "s3://bucket/in/*.txt")), []),
                        (config_paths(config("/out")), ["--s3_endpoint_url=x"])):
        assert not set(S3_CLIENT) & set(unused_modules(paths, args))


def test_hidden_modules_are_left_out_of_beam_and_import_normally_afterwards():
    fresh_interpreter(
        "import sys\n"
        "from newsbeam.modes.beam_startup import import_beam_without\n"
        "import_beam_without(('pandas', 'pymongo'))\n"
        "assert 'apache_beam' in sys.modules\n"
        "assert 'pandas' not in sys.modules and 'pymongo' not in sys.modules\n"
        "import pandas\n"
        "assert pandas.DataFrame({'a': [1]}).shape == (1, 1)\n")


def test_on_another_beam_every_measure_stays_off_and_beam_imports_what_it_would_hide(monkeypatch):
    monkeypatch.setattr(beam_startup, "beam_version", lambda: "2.78.0")
    before = userstate.get_dofn_specs
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    beam_startup.start(["/out"], [])
    assert userstate.get_dofn_specs is before and "IPython" not in sys.modules
    fresh_interpreter(
        "import sys\n"
        "from newsbeam.modes import beam_startup\n"
        "beam_startup.beam_version = lambda: '2.78.0'\n"
        "beam_startup.import_beam_without(('pandas',))\n"
        "assert 'apache_beam' not in sys.modules\n"
        # The lean import's canary: a plain Beam import still imports the clients it hides.
        "import importlib.util, apache_beam\n"
        "assert 'pandas' in sys.modules or not importlib.util.find_spec('pandas')\n")


def test_one_view_per_options_class_shares_the_values_and_follows_new_flags():
    from apache_beam.options.pipeline_options import (
        DirectOptions, PipelineOptions, StandardOptions, TypeOptions)

    calls = []
    real = PipelineOptions.view_as
    view_as = one_view_per_class(lambda self, cls: calls.append(cls) or real(self, cls))
    flags = ["--runner", "FnApiRunner", "--direct_num_workers", "3"]
    options, plain = PipelineOptions(flags), PipelineOptions(flags)
    for cls in (StandardOptions, DirectOptions, TypeOptions):
        assert vars(view_as(options, cls)._visible_options) \
            == vars(real(plain, cls)._visible_options)
    assert view_as(options, StandardOptions) is view_as(options, StandardOptions)
    assert calls == [StandardOptions, DirectOptions, TypeOptions]  # once per class
    view_as(options, StandardOptions).runner = "DirectRunner"  # a value set on any view...
    assert real(options, StandardOptions).runner == "DirectRunner"  # ...is the options' value
    assert view_as(options, StandardOptions).runner == "DirectRunner"
    other = PipelineOptions(["--direct_num_workers", "5"])
    assert view_as(other, DirectOptions).direct_num_workers == 5  # per options object
    options._flags = ["--direct_num_workers", "7"]  # flags replaced: a new view
    assert view_as(options, DirectOptions) is not view_as(other, DirectOptions)
    assert calls.count(DirectOptions) == 3


def test_this_beam_is_the_fitted_one():
    # Fails on a Beam upgrade: check each canary below passes, then move FITTED_BEAM.
    assert beam_startup.fits(), (beam_startup.beam_version(), beam_startup.FITTED_BEAM)


# -- canaries: Beam still calls what each measure replaces (the lean import's is above)

def test_canary_beam_probes_ipython_on_every_transform_applied(monkeypatch):
    probes = []
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: probes.append(1)  # None: not an IPython session
    monkeypatch.setitem(sys.modules, "IPython", fake)
    with beam.Pipeline(runner="FnApiRunner") as pipeline:
        _ = pipeline | beam.Create([1]) | beam.Map(str) | beam.Map(len)
    assert len(probes) >= 3


def test_canary_beam_asks_userstate_get_dofn_specs_building_and_running_a_pardo(monkeypatch):
    calls = []
    real = userstate.get_dofn_specs
    monkeypatch.setattr(userstate, "get_dofn_specs",
                        lambda dofn: calls.append(type(dofn)) or real(dofn))
    with beam.Pipeline(runner="FnApiRunner") as pipeline:
        out = (pipeline | beam.Create([("k", 1)]) | beam.ParDo(_Stateful()))
        assert_that(out, equal_to([("k", 1)]))
    assert calls.count(_Stateful) >= 2  # at construction and again to run it


def test_canary_beam_asks_for_option_views_building_a_graph(monkeypatch):
    from apache_beam.options.pipeline_options import PipelineOptions

    calls = []
    real = PipelineOptions.view_as
    monkeypatch.setattr(PipelineOptions, "view_as",
                        lambda self, cls: calls.append(cls) or real(self, cls))
    pipeline = beam.Pipeline(runner="FnApiRunner")
    _ = pipeline | beam.Create([1]) | beam.Map(str) | beam.Map(len)
    assert len(calls) >= 6  # several views per transform applied


def test_parquet_writes_leave_pandas_out_and_it_still_imports_when_asked_for(tmp_path):
    fresh_interpreter(
        "import sys\n"
        "from newsbeam.modes import beam_startup\n"
        "beam_startup.start(['/out'], [])\n"
        "import pyarrow as pa\n"
        "from newsbeam.store.parquet import read_table, write_parquet\n"
        "schema = pa.schema([('a', pa.int64()), ('b', pa.string())])\n"
        f"path = {str(tmp_path / 'rows.parquet')!r}\n"
        "assert write_parquet(path, schema, [{'a': 1, 'b': 'x'}]) == 1\n"
        "assert 'pandas' not in sys.modules\n"
        "frame = read_table(path).to_pandas()\n"
        "assert 'pandas' in sys.modules and frame['b'].tolist() == ['x']\n")


def test_canary_pyarrow_imports_pandas_at_its_first_list_conversion():
    # If this fails, pyarrow stopped probing for pandas there: drop pyarrow_without_pandas.
    fresh_interpreter(
        "import sys, importlib.util\n"
        "import pyarrow as pa\n"
        "assert 'pandas' not in sys.modules\n"
        "pa.Table.from_pylist([{'a': 1}])\n"
        "assert 'pandas' in sys.modules or not importlib.util.find_spec('pandas')\n")
