import random

from newsbeam.core.dedup.components import component_roots


def test_every_node_gets_its_components_smallest_node():
    edges = [(5, 3), (3, 9), (9, 1), (7, 8), (2, 2)]
    assert dict(component_roots(edges)) == {1: 1, 3: 1, 5: 1, 9: 1, 7: 7, 8: 7, 2: 2}


def test_a_long_chain_is_one_component_whatever_the_edge_order():
    # A path of 200 nodes: label propagation would need 199 rounds.
    nodes = list(range(200))
    random.Random(3).shuffle(nodes)
    edges = list(zip(nodes, nodes[1:]))
    for seed in range(3):
        random.Random(seed).shuffle(edges)
        assert set(dict(component_roots(edges)).values()) == {0}


def test_tuple_nodes_order_like_ranks():
    earlier, new = (0, 5, "a", ""), (1, 1, "b", "x")
    assert dict(component_roots([(new, earlier)])) == {earlier: earlier, new: earlier}
    assert list(component_roots([])) == []
