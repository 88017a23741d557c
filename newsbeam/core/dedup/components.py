"""Connected components of a graph given as edges: each node's component root, the
component's smallest node, so the outcome depends only on the edges (never on their
order, bundles or workers)."""
from __future__ import annotations

from typing import Hashable, Iterable, Iterator


def component_roots(edges: Iterable[tuple[Hashable, Hashable]]) -> Iterator[tuple]:
    """(node, smallest node of its component) for every node of ``edges``, sorted by node."""
    parent: dict = {}

    def find(node):
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    for a, b in edges:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:  # the smaller root wins: roots are always their component's minimum
            parent[max(ra, rb)] = min(ra, rb)
    for node in sorted(parent):
        yield node, find(node)
