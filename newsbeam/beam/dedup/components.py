"""Connected components of an edge PCollection, in Beam, by min-label propagation.

Every node starts labelled with the smallest of itself and its neighbours; each round a
node takes the smallest label among its own and its neighbours'. After as many rounds as
the longest shortest path in a component, every node carries the component's smallest
node: the outcome depends only on the edges, never on bundle order or workers. Work per
round is one shuffle of the edges and labels; nothing gathers the graph on one worker.

The number of rounds is fixed when the pipeline is built (Beam graphs do not loop). Near
duplicate clusters are near-cliques of diameter 1-2, so the default leaves wide margin;
nodes still changing label in the last round are counted in ``components_unconverged``
(they would split a cluster in two, deterministically).
"""
from __future__ import annotations

from typing import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

DEFAULT_ROUNDS = 8


def _both_ways(edge: tuple) -> Iterator[tuple]:
    a, b = edge
    yield a, b
    yield b, a


def _spread(keyed: tuple) -> Iterator[tuple]:
    """A node's label to itself and to each neighbour."""
    node, grouped = keyed
    label = min(grouped["label"])
    yield node, label
    for neighbours in grouped["neighbours"]:
        for other in neighbours:
            yield other, label


class _CountChanged(beam.DoFn):
    def __init__(self):
        self.unconverged = Metrics.counter("neardup", "components_unconverged")

    def process(self, keyed: tuple) -> Iterator[tuple]:
        node, grouped = keyed
        (label,) = grouped["now"]
        if grouped["before"] and label != grouped["before"][0]:
            self.unconverged.inc()
        yield node, label


class ConnectedComponents(beam.PTransform):
    """Edges (a, b) of comparable nodes -> (node, smallest node of its component)."""

    def __init__(self, rounds: int = DEFAULT_ROUNDS):
        super().__init__()
        self.rounds = rounds

    def expand(self, edges):
        neighbours = (
            edges
            | "BothWays" >> beam.FlatMap(_both_ways)
            | "Neighbours" >> beam.GroupByKey()
            | "Distinct" >> beam.MapTuple(lambda node, others: (node, sorted(set(others)))))
        labels = neighbours | "Start" >> beam.MapTuple(
            lambda node, others: (node, min(node, others[0])))
        previous = labels
        for round_ in range(self.rounds):
            previous, labels = labels, (
                {"label": labels, "neighbours": neighbours}
                | f"Join{round_}" >> beam.CoGroupByKey()
                | f"Spread{round_}" >> beam.FlatMap(_spread)
                | f"Min{round_}" >> beam.CombinePerKey(min))
        return ({"now": labels, "before": previous}
                | "Compare" >> beam.CoGroupByKey()
                | "CountUnconverged" >> beam.ParDo(_CountChanged()))
