"""A stage on every core: a pool of ``TimeLimited`` children, fed concurrently.

Each child keeps what ``time_limit.TimeLimited`` gives one: the per-item CPU-time limit, a
crash or a timeout costing only its item, a fresh child in its place. A thread per child
hands it items, so one caller (a Beam DoFn, single-threaded) keeps every child busy by
submitting ahead and taking the answers in the order it submitted (the outputs come out
in the same order whatever the pool's size).

One pool per function, stage, limit and size in a process, shared by the DoFn instances
of that process (a multi-threaded Beam worker has several): a worker sizes one pool for
its machine, not one per thread. Warm-ups done at import (trafilatura's) are paid once
per child.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from newsbeam.core.time_limit import TimeLimited
from newsbeam.records.documents import Rejected


def cores() -> int:
    """The cores this process may run on (its affinity, where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def pool_size(configured: int) -> int:
    """``configured`` children, or as many as cores when it is 0 (the default)."""
    return configured if configured > 0 else cores()


@dataclass(frozen=True)
class Answer:
    """One item's outcome: its value, or why it was refused (``reason``, ``detail``);
    ``seconds``: the wall time it took."""

    value: Any = None
    reason: str | None = None
    detail: str = ""
    seconds: float = 0.0


def answer(call: Callable[[Any], Any], item: Any) -> Answer:
    """``call(item)`` as an ``Answer``: a ``Rejected`` is its refusal, any other exception
    an ``internal_error`` (a bug or a library failure must not stop a run)."""
    started = time.perf_counter()
    try:
        value = call(item)
    except Rejected as refusal:
        return Answer(reason=refusal.reason, detail=refusal.detail,
                      seconds=time.perf_counter() - started)
    except Exception as err:
        return Answer(reason="internal_error", detail=f"{type(err).__name__}: {err}",
                      seconds=time.perf_counter() - started)
    return Answer(value=value, seconds=time.perf_counter() - started)


class ChildPool:
    """``size`` children running ``fn``; ``submit(item)`` -> a Future of its ``Answer``."""

    def __init__(self, fn: Callable[[Any], Any], seconds: float, stage: str, size: int):
        self.fn, self.seconds, self.stage, self.size = fn, seconds, stage, size
        self._children = [TimeLimited(fn, seconds, stage) for _ in range(size)]
        self._idle: queue.SimpleQueue[TimeLimited] = queue.SimpleQueue()
        self._threads = ThreadPoolExecutor(size, thread_name_prefix=f"newsbeam-{stage}")
        self.users = 0

    def start(self) -> None:
        """Start every child (their imports at the same time) and wait until all are ready."""
        for child in self._children:
            child.launch()
        for child in self._children:
            child.start()
            self._idle.put(child)

    def submit(self, item: Any) -> Future:
        return self._threads.submit(self._run, item)

    def _run(self, item: Any) -> Answer:
        child = self._idle.get()  # there are as many threads as children: one is free
        try:
            return answer(child, item)
        finally:
            self._idle.put(child)

    def close(self) -> None:
        """Stop the children after the items submitted (or, inside ``time_limit.warm()``,
        leave them as spares for the next pool of the same function)."""
        self._threads.shutdown(wait=True)
        for child in self._children:
            child.close()


_pools: dict[tuple, ChildPool] = {}
_pools_lock = threading.Lock()


def acquire(fn: Callable[[Any], Any], seconds: float, stage: str, size: int) -> ChildPool:
    """This process's pool for ``fn`` (started on first use); ``release`` it when done."""
    key = (fn, seconds, stage, size)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = ChildPool(fn, seconds, stage, size)
            try:
                pool.start()
            except BaseException:
                pool.close()
                raise
            _pools[key] = pool
        pool.users += 1
        return pool


def release(pool: ChildPool) -> None:
    """One user fewer; the last one stops the children (``ChildPool.close``)."""
    with _pools_lock:
        pool.users -= 1
        if pool.users > 0:
            return
        del _pools[pool.fn, pool.seconds, pool.stage, pool.size]
    pool.close()
