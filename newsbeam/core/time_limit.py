"""Run a function of one item in a child process, with a limit on the CPU time per call.

Beam runs DoFns in worker threads, where ``signal.alarm`` cannot interrupt them, and a
thread stuck in C code (lxml, regexes) cannot be stopped at all. A child process can be
killed: on timeout it is, a fresh one takes its place, and the item is rejected with
``<stage>_timeout``. The child is started once and reused, so the cost per item is pickling
it there and the result back. No child is forked from a threaded Beam worker: on Linux they
are forked from a fork server, a fresh single-threaded process that imports the function's
module (and what ``preload`` names) once, so every child, and every fresh one after a
timeout, starts with its imports and warm-ups done; elsewhere each is ``spawn``-ed.

The limit counts the child's CPU time, not wall-clock time, so an item's outcome does not
depend on how busy the machine is: on a loaded machine (other runs, other workers) a page
that needs 3 s of CPU may take 10 s of wall time, and a wall-clock limit would reject it
there and keep it on an idle machine. Extraction is pure computation, so CPU time is the
work done. The parent reads the child's CPU time from ``/proc`` (Linux), looking only when
the child could have used up the limit (CPU time never outruns wall time in one thread),
so items that finish in time cost nothing extra. A child that is not computing at all
(stuck waiting, stopped) is still cut off by a wall-clock backstop, ``WALL_FACTOR`` times
the limit. Where ``/proc`` is missing (macOS, Windows) the limit is wall-clock time.
"""
from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any, Callable, Iterator

from newsbeam.core.lazy import ImportedFunction
from newsbeam.records.documents import Rejected

# Linux only: macOS's system libraries are not safe to use after a fork.
FORK_SERVER = sys.platform.startswith("linux")
_CONTEXT = multiprocessing.get_context("forkserver" if FORK_SERVER else "spawn")
_STOP_SECONDS = 5  # how long a finished child gets to exit before it is killed
_START_SECONDS = 120  # a child that cannot import its function in this time is broken
_READY = "ready"
# A child past this many times its CPU limit in wall-clock time is cut off even when idle:
# only a machine more than 10x oversubscribed would starve a working child that long.
WALL_FACTOR = 10
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far, from ``/proc/<pid>/stat``
    (None where there is no such file: not Linux, or the process is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()  # the name may hold spaces
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14, 15)


def _serve(fn: Callable[[Any], Any], conn: Connection) -> None:
    """Child loop: item in, ("ok", result) / ("rejected", reason, detail) / ("error", text) out."""
    if isinstance(fn, ImportedFunction):
        fn = fn.load()
    conn.send(_READY)  # imports are done: the per-item clock may start
    while True:
        try:
            item = conn.recv()
        except EOFError:  # the parent closed the pipe: done
            return
        try:
            conn.send(("ok", fn(item)))
        except Rejected as refusal:
            conn.send(("rejected", refusal.reason, refusal.detail))
        except Exception as err:  # reported to the parent, which decides
            conn.send(("error", f"{type(err).__name__}: {err}"))


# (fn, stage) -> [(process, connection, ready), ...]: children started early (not ready
# yet) or kept warm by ``close(keep=True)`` (ready).
_spares: dict[tuple, list[tuple]] = {}
_starting: dict[tuple, threading.Thread] = {}  # (fn, stage) -> prestart's launches under way
_preloaded: list[str] = []


def preload(*modules: str) -> None:
    """Have the fork server import ``modules`` before it forks a child (only if it has not
    started yet; with ``spawn`` each child imports what its function needs itself)."""
    _preloaded.extend(module for module in modules if module not in _preloaded)
    if FORK_SERVER:
        _CONTEXT.set_forkserver_preload(list(_preloaded))


def stop_fork_server() -> None:
    """Stop the fork server and wait for it, once none of its children runs (at exit). So
    its CPU time and its children's count in this process's tree, as spawned children's
    do (``time``, the benchmarks); left alone it would stop by itself, reaped by no one."""
    if FORK_SERVER and not multiprocessing.active_children():
        # CPython's own stop (3.8-3.13): close the "alive" pipe, wait for the server.
        stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
        if stop is not None:
            stop()


_stop_at_exit = threading.Lock()  # held for good once the exit handler is registered


def _launch(fn: Callable[[Any], Any], stage: str) -> tuple:
    if isinstance(fn, ImportedFunction):
        preload(fn.module)
    if FORK_SERVER and _stop_at_exit.acquire(blocking=False):
        atexit.register(stop_fork_server)
    parent, child = _CONTEXT.Pipe()
    process = _CONTEXT.Process(target=_serve, args=(fn, child), daemon=True,
                               name=f"newsbeam-{stage}")
    process.start()
    child.close()
    return process, parent, False


def prestart(fn: Callable[[Any], Any], stage: str, count: int = 1) -> None:
    """Have ``count`` children for ``fn`` started now, so that their imports overlap other
    start-up work; the next ``TimeLimited`` of the same ``fn`` and ``stage`` in this
    process take them over (one each). Returns at once: a fork server answers only once
    it has imported what it preloads, so the children are launched from a thread."""
    key = (fn, stage)
    _launched(key)
    spares = _spares.setdefault(key, [])
    missing = count - len(spares)
    if missing <= 0:
        return

    def launch() -> None:
        for _ in range(missing):
            spares.append(_launch(fn, stage))

    thread = _starting[key] = threading.Thread(target=launch, daemon=True,
                                               name=f"newsbeam-{stage}-prestart")
    thread.start()


def _launched(key: tuple) -> None:
    """Wait for prestart's launches of ``key`` (the spares are all there afterwards)."""
    thread = _starting.pop(key, None)
    if thread is not None:
        thread.join()


_warm_depth = [0]  # how many ``warm()`` blocks this process is in
_warm_lock = threading.Lock()


def _is_warm() -> bool:
    return _warm_depth[0] > 0


@contextlib.contextmanager
def warm() -> Iterator[None]:
    """Inside, children are kept for the next run in this process: ``close`` leaves a ready
    child running as a spare and ``discard_spares`` keeps them (the pipelines of a chunked
    run, the polls of ``follow``). Blocks nest; leaving the outermost stops the spares."""
    with _warm_lock:
        _warm_depth[0] += 1
    try:
        yield
    finally:
        with _warm_lock:
            _warm_depth[0] -= 1
        discard_spares()


def discard_spares() -> None:
    """Stop the children ``prestart`` started (or ``close`` kept) that no ``TimeLimited``
    took over; inside ``warm()`` they are kept for the next run."""
    for key in list(_starting):
        _launched(key)
    while _spares and not _is_warm():
        for process, conn, _ready in _spares.popitem()[1]:
            conn.close()
            process.kill()
            process.join()


class TimeLimited:
    """``fn(item)`` in a child process; more than ``seconds`` of CPU time raises
    ``Rejected(f"{stage}_timeout")``, a child that dies raises ``Rejected(f"{stage}_crashed")``."""

    def __init__(self, fn: Callable[[Any], Any], seconds: float, stage: str):
        self.fn, self.seconds, self.stage = fn, seconds, stage
        self._process = self._conn = None
        self._ready = False

    def launch(self) -> None:
        """Start the child (or take over a spare) without waiting for its imports: children
        started together import at the same time."""
        if self._process is None:
            _launched((self.fn, self.stage))
            spares = _spares.get((self.fn, self.stage))
            self._process, self._conn, self._ready = (
                spares.pop() if spares else _launch(self.fn, self.stage))

    def start(self) -> None:
        """Launch the child if needed and wait until it is ready for items."""
        self.launch()
        if not self._ready:
            if not (self._conn.poll(_START_SECONDS) and self._conn.recv() == _READY):
                raise RuntimeError(f"the {self.stage} worker process did not start")
            self._ready = True

    def close(self, keep: bool | None = None) -> None:
        """Stop the child; ``keep`` (by default: inside ``warm()``): leave it running as a
        spare for the next ``TimeLimited`` of the same function and stage."""
        if self._process is None:
            return
        if keep is None:
            keep = _is_warm()
        if keep and self._ready and self._process.is_alive():
            _spares.setdefault((self.fn, self.stage), []).append(
                (self._process, self._conn, True))
            self._process = self._conn = None
            return
        self._conn.close()  # the child sees EOF and exits
        self._process.join(_STOP_SECONDS)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process = self._conn = None

    def _replace(self) -> None:
        self._process.kill()
        self._process.join()
        self._conn.close()
        self._process = self._conn = None
        self.start()

    def _await_answer(self, cpu_at_start: float | None) -> tuple[Any, str]:
        """The child's answer, or (None, why) once it used more than ``seconds`` of CPU
        time (or, idle, ``WALL_FACTOR`` times that in wall-clock time)."""
        pid, started = self._process.pid, time.monotonic()
        backstop = started + self.seconds * WALL_FACTOR
        wait = self.seconds  # the earliest the child can have used up its CPU time
        while not self._conn.poll(wait):
            now, cpu_now = time.monotonic(), cpu_seconds(pid)
            if cpu_at_start is None or cpu_now is None:  # no /proc: wall-clock time
                return None, f"no result within {self.seconds:g} s"
            left = self.seconds - (cpu_now - cpu_at_start)
            if left <= 0:
                return None, f"over {self.seconds:g} s of CPU time"
            if now >= backstop:
                return None, (f"no result within {now - started:.3g} s of wall-clock time "
                              f"({WALL_FACTOR} x the limit of {self.seconds:g} s)")
            wait = min(max(left, 0.01), backstop - now)
        return self._conn.recv(), ""

    def __call__(self, item: Any) -> Any:
        if self._process is None:
            self.start()
        try:
            cpu_at_start = cpu_seconds(self._process.pid)
            self._conn.send(item)
            answer, overtime = self._await_answer(cpu_at_start)
        except (EOFError, OSError, BrokenPipeError):  # the child died (crash, OOM kill)
            self._replace()
            raise Rejected(f"{self.stage}_crashed", "the worker process died on this input")
        if answer is None:
            self._replace()
            raise Rejected(f"{self.stage}_timeout", overtime)
        if answer[0] == "ok":
            return answer[1]
        if answer[0] == "rejected":
            raise Rejected(answer[1], answer[2])
        raise RuntimeError(answer[1])
