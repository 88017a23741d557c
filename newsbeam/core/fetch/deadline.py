"""A hard deadline on blocking socket reads.

A socket timeout bounds each read, not their sum: a server that sends its headers one byte
a second never trips a 15 s read timeout and holds the request for ever. ``Watchdog``
shuts down the socket of a request whose deadline has passed, so the blocked read returns
at once and the client, seeing its deadline gone, reports a timeout. One daemon thread per
watchdog sleeps until the earliest deadline; arming and disarming are a heap push and a flag.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Iterator


class _Guard:
    __slots__ = ("sock", "fired")

    def __init__(self, sock):
        self.sock, self.fired = sock, False


class Watchdog:
    """Shuts down guarded sockets at their deadline (``time.monotonic()`` seconds).

    ``until(deadline)`` sets the calling thread's deadline; ``guard(sock)`` then watches a
    socket for the span of a ``with`` block, e.g. while urllib3 reads a response's headers
    deep inside its own code, where no deadline can be passed in."""

    def __init__(self):
        self._heap: list[tuple[float, int, _Guard]] = []
        self._order = itertools.count()  # ties: never compare guards
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._local = threading.local()

    @contextlib.contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        previous = getattr(self._local, "deadline", None)
        self._local.deadline = deadline
        try:
            yield
        finally:
            self._local.deadline = previous

    @contextlib.contextmanager
    def guard(self, sock, deadline: float | None = None) -> Iterator[_Guard]:
        """Watch ``sock`` until the block ends; at ``deadline`` (default: the thread's, see
        ``until``) it is shut down. Without a socket or a deadline this does nothing."""
        deadline = deadline if deadline is not None else getattr(self._local, "deadline", None)
        guard = _Guard(sock)
        if sock is None or deadline is None:
            yield guard
            return
        with self._wake:
            heapq.heappush(self._heap, (deadline, next(self._order), guard))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="newsbeam-fetch-deadlines")
                self._thread.start()
            elif self._heap[0][2] is guard:  # earlier than what the thread sleeps towards
                self._wake.notify()
        try:
            yield guard
        finally:
            with self._wake:  # under the lock: the thread never shuts a socket handed back
                guard.sock = None

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        with self._wake:
            while not self._closed:
                now = time.monotonic()
                while self._heap and (self._heap[0][0] <= now or self._heap[0][2].sock is None):
                    guard = heapq.heappop(self._heap)[2]
                    if guard.sock is not None:
                        _shut_down(guard.sock)
                        guard.fired, guard.sock = True, None
                self._wake.wait(self._heap[0][0] - now if self._heap else None)


def _shut_down(sock) -> None:
    """Ends every read and write on ``sock`` (the base method: for TLS sockets too, without
    touching their SSL state from this thread)."""
    try:
        if isinstance(sock, socket.socket):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed: nothing left to stop
        pass
