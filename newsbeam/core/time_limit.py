"""Run a function of one item in a child process, with a wall-clock limit per call.

Beam runs DoFns in worker threads, where ``signal.alarm`` cannot interrupt them, and a
thread stuck in C code (lxml, regexes) cannot be stopped at all. A child process can be
killed: on timeout it is, a fresh one takes its place, and the item is rejected with
``<stage>_timeout``. The child is started once (``spawn``: no forking of a threaded Beam
worker) and reused, so the cost per item is pickling it there and the result back.
"""
from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any, Callable

from newsbeam.records.documents import Rejected

_CONTEXT = multiprocessing.get_context("spawn")
_STOP_SECONDS = 5  # how long a finished child gets to exit before it is killed
_START_SECONDS = 120  # a child that cannot import its function in this time is broken
_READY = "ready"


def _serve(fn: Callable[[Any], Any], conn: Connection) -> None:
    """Child loop: item in, ("ok", result) / ("rejected", reason, detail) / ("error", text) out."""
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


class TimeLimited:
    """``fn(item)`` in a child process; longer than ``seconds`` raises
    ``Rejected(f"{stage}_timeout")``, a child that dies raises ``Rejected(f"{stage}_crashed")``."""

    def __init__(self, fn: Callable[[Any], Any], seconds: float, stage: str):
        self.fn, self.seconds, self.stage = fn, seconds, stage
        self._process = self._conn = None

    def start(self) -> None:
        parent, child = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(target=_serve, args=(self.fn, child), daemon=True,
                                         name=f"newsbeam-{self.stage}")
        self._process.start()
        child.close()
        self._conn = parent
        if not (parent.poll(_START_SECONDS) and parent.recv() == _READY):
            raise RuntimeError(f"the {self.stage} worker process did not start")

    def close(self) -> None:
        if self._process is None:
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

    def __call__(self, item: Any) -> Any:
        if self._process is None:
            self.start()
        try:
            self._conn.send(item)
            ready = self._conn.poll(self.seconds)
            answer = self._conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError):  # the child died (crash, OOM kill)
            self._replace()
            raise Rejected(f"{self.stage}_crashed", "the worker process died on this input")
        if answer is None:
            self._replace()
            raise Rejected(f"{self.stage}_timeout", f"no result within {self.seconds:g} s")
        if answer[0] == "ok":
            return answer[1]
        if answer[0] == "rejected":
            raise Rejected(answer[1], answer[2])
        raise RuntimeError(answer[1])
