"""Cutting a run's inputs into chunks: consecutive runs of the sorted listing, each at most
``max_inputs`` files and ``max_bytes`` bytes (a file larger than that is a chunk of its
own). The same listing always gives the same chunks."""
from __future__ import annotations

from typing import Iterable, TypeVar

Item = TypeVar("Item")


def plan_chunks(items: Iterable[Item], sizes: Iterable[int], max_inputs: int,
                max_bytes: int) -> list[list[Item]]:
    """``items`` (with their ``sizes`` in bytes) in chunks; a bound of 0 is no bound."""
    chunks: list[list[Item]] = []
    current: list[Item] = []
    used = 0
    for item, size in zip(items, sizes):
        full = (max_inputs and len(current) >= max_inputs) or \
            (max_bytes and current and used + size > max_bytes)
        if full:
            chunks.append(current)
            current, used = [], 0
        current.append(item)
        used += size
    if current:
        chunks.append(current)
    return chunks
