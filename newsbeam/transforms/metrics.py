"""Counters and stage timings of a finished pipeline, for the run manifest and summary."""
from __future__ import annotations

from typing import Any


def stage_metrics(result) -> dict[str, Any]:
    """Per-stage counters and summed time from a finished pipeline's metrics."""
    counters: dict[str, int] = {}
    timings: dict[str, float] = {}
    try:
        queried = result.metrics().query()
    except Exception:  # some runners do not report metrics; the manifest goes on without
        return {"counters": counters, "stage_seconds": timings}
    for counter in queried["counters"]:
        key = f"{counter.key.metric.namespace}:{counter.key.metric.name}"
        if key.startswith("beam:metric:"):  # Beam's own element counts and msecs, which the
            continue                        # job service reports as counters too
        counters[key] = counters.get(key, 0) + (counter.committed or counter.attempted or 0)
    for dist in queried["distributions"]:
        stage = dist.key.metric.name.removesuffix("_micros")
        value = dist.committed or dist.attempted
        if stage != dist.key.metric.name and value:
            timings[stage] = round(timings.get(stage, 0) + value.sum / 1e6, 3)
    return {"counters": dict(sorted(counters.items())), "stage_seconds": timings}
