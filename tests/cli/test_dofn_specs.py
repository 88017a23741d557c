import apache_beam as beam
from apache_beam.coders import BooleanCoder
from apache_beam.transforms import userstate
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from newsbeam.cli.dofn_specs import _cached

FLAG = ReadModifyWriteStateSpec("flag", BooleanCoder())


class _Stateful(beam.DoFn):
    def process(self, item, flag=beam.DoFn.StateParam(FLAG)):
        yield item


class _Plain(beam.DoFn):
    def process(self, item):
        yield item


def test_cached_specs_equal_beams_per_class_and_are_fresh_sets():
    calls = []

    def counting(dofn):
        calls.append(dofn)
        return userstate.get_dofn_specs(dofn)

    cached = _cached(counting)
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
    cached = _cached(lambda dofn: calls.append(dofn) or userstate.get_dofn_specs(dofn))
    wrapped = beam.FlatMap(Holder().process).fn  # Beam's wrapper holds the bound method
    cached(wrapped), cached(wrapped)
    assert len(calls) == 2
