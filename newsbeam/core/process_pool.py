"""A stage on every core: a pool of ``TimeLimited`` children, fed concurrently.

Each child keeps what ``time_limit.TimeLimited`` gives one: the per-item CPU-time limit, a
crash or a timeout costing only its item, a fresh child in its place. A thread per child
hands it items, so one caller (a Beam DoFn, single-threaded) keeps every child busy by
submitting ahead and taking the answers in the order it submitted (the outputs come out
in the same order whatever the pool's size).

Items can also be handed in early (``prefetch``), before a pipeline asks for them: the
children take those only when no submitted item waits, so they work while the pipelines
of a chunked run start, set up and commit (the in-process worker's serial parts), and a
submit of an equal item takes the answer over. The function is pure, so an answer
computed early is the answer.

One pool per function, stage, limit and size in a process, shared by the DoFn instances
of that process (a multi-threaded Beam worker has several): a worker sizes one pool for
its machine, not one per thread. Warm-ups done at import (trafilatura's) are paid once
per child.
"""
from __future__ import annotations

import collections
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable

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


class _Task:
    """An item on its way to a child, and the Future of its ``Answer``."""

    __slots__ = ("item", "future", "taken")

    def __init__(self, item: Any):
        self.item, self.future, self.taken = item, Future(), False


class ChildPool:
    """``size`` children running ``fn``; ``submit(item)`` -> a Future of its ``Answer``."""

    def __init__(self, fn: Callable[[Any], Any], seconds: float, stage: str, size: int):
        self.fn, self.seconds, self.stage, self.size = fn, seconds, stage, size
        self._children = [TimeLimited(fn, seconds, stage) for _ in range(size)]
        self._submitted: collections.deque[_Task] = collections.deque()
        self._early: collections.deque[_Task] = collections.deque()  # prefetched, not asked
        self._early_keys: dict[Hashable, _Task] = {}
        self._changed = threading.Condition()
        self._closing = False
        self._threads: list[threading.Thread] = []
        self.users = 0
        self.taken_early = 0  # submitted items whose early answer was taken over

    def start(self) -> None:
        """Start every child (their imports at the same time) and wait until all are ready."""
        for child in self._children:
            child.launch()
        for child in self._children:
            child.start()
        for number, child in enumerate(self._children):
            thread = threading.Thread(target=self._serve, args=(child,), daemon=True,
                                      name=f"newsbeam-{self.stage}_{number}")
            thread.start()
            self._threads.append(thread)

    def submit(self, item: Any, key: Hashable | None = None) -> Future:
        """``item``'s answer, in a child as soon as one is free; ``key``: the key it may
        have been prefetched under (an equal item's early answer is taken over)."""
        with self._changed:
            task = self._early_keys.pop(key, None) if key is not None else None
            if task is not None and task.item != item:  # the file changed meanwhile
                self._drop(task)
                task = None
            if task is None:
                task = _Task(item)
            else:
                self.taken_early += 1
                if task.taken:  # under way or answered already
                    return task.future
            self._submitted.append(task)  # before any early item: its answer is awaited
            self._changed.notify()
            return task.future

    def prefetch(self, items: Iterable[tuple[Hashable, Any]]) -> None:
        """Hand in (key, item) pairs to answer when no child has a submitted item to do."""
        with self._changed:
            for key, item in items:
                if key not in self._early_keys:
                    task = self._early_keys[key] = _Task(item)
                    self._early.append(task)
            self._changed.notify_all()

    def forget(self, keys: Iterable[Hashable]) -> None:
        """Drop the early answers of ``keys`` nobody took (items that were not read after
        all); those not started yet are not computed."""
        with self._changed:
            for key in keys:
                task = self._early_keys.pop(key, None)
                if task is not None:
                    self._drop(task)

    @staticmethod
    def _drop(task: _Task) -> None:
        if not task.taken:
            task.taken = True
            task.future.cancel()

    def _next(self) -> _Task | None:
        with self._changed:
            while True:
                for tasks in (self._submitted, self._early):
                    while tasks:
                        task = tasks.popleft()
                        if not task.taken:
                            task.taken = True
                            return task
                if self._closing:
                    return None
                self._changed.wait()

    def _serve(self, child: TimeLimited) -> None:
        """One child's thread: its next item, submitted ones first."""
        while (task := self._next()) is not None:
            task.future.set_running_or_notify_cancel()
            task.future.set_result(answer(child, task.item))

    def close(self) -> None:
        """Stop the children after the items submitted (early ones not started are not
        computed; or, inside ``time_limit.warm()``, leave them as spares for the next pool of
        the same function)."""
        self.forget(list(self._early_keys))
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()
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
