"""Beam's DoFn introspection, done once per DoFn class for ``newsbeam run``.

Beam asks ``userstate.get_dofn_specs(dofn)`` (which state and timers a DoFn declares) about
six times per ParDo: twice while the graph is built, again while it is translated for the
runner and when each bundle processor is made. Each call wraps every method of
``dir(dofn)`` and takes its ``inspect.signature``: 18,000 signatures for the 97 ParDos of a
batch run, 74% of the pipeline thread's CPU and a third of graph construction (cProfile).

The answer depends only on the methods the DoFn has, which are its class's unless the
instance holds bound methods of its own; so it is kept per class, and a DoFn that holds
bound methods is asked every time, as before.
"""
from __future__ import annotations

import types


def install() -> None:
    """Cache ``get_dofn_specs`` in this process (once; a no-op when installed already)."""
    from apache_beam.transforms import userstate

    if getattr(userstate.get_dofn_specs, "newsbeam_cached", False):
        return
    userstate.get_dofn_specs = _cached(userstate.get_dofn_specs)


def _cached(get_dofn_specs):
    by_class: dict[type, tuple[frozenset, frozenset]] = {}

    def cached_get_dofn_specs(dofn):
        if any(isinstance(value, types.MethodType)
               for value in getattr(dofn, "__dict__", {}).values()):
            return get_dofn_specs(dofn)
        cls = type(dofn)
        if cls not in by_class:
            states, timers = get_dofn_specs(dofn)
            by_class[cls] = frozenset(states), frozenset(timers)
        states, timers = by_class[cls]
        return set(states), set(timers)  # callers get their own sets, as before

    cached_get_dofn_specs.newsbeam_cached = True
    return cached_get_dofn_specs
