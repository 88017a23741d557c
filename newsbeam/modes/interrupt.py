"""Run a pipeline so that SIGINT or SIGTERM stops it cleanly.

A signal handled while a DoFn runs in the main thread is raised inside that DoFn, where
Beam logs it with a traceback and turns it into a RuntimeError ("run failed"). So the
pipeline runs in a worker thread and the main thread only waits: there a signal raises
``Interrupted`` in the caller, which records the run as failed. The worker thread and the
processes it started cannot be stopped politely; the caller ends the process
(``stop_children`` and ``os._exit``).
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL_SECONDS = 0.2


class Interrupted(BaseException):
    """A stop signal arrived while a run was working (BaseException, like
    KeyboardInterrupt: no ``except Exception`` on the way may swallow it)."""

    def __init__(self, signum: int):
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM


def _exit_at_once(signum, _frame) -> None:
    os._exit(128 + signum)  # a second signal while the first is being handled: stop now


def _interrupt(signum, _frame) -> None:
    for stop in STOP_SIGNALS:
        signal.signal(stop, _exit_at_once)
    raise Interrupted(signum)


def raise_on_stop_signals() -> None:
    """From now on a SIGINT or SIGTERM raises ``Interrupted`` in the main thread; an
    ignored one stays ignored (a shell starts background jobs with SIGINT ignored)."""
    for stop in STOP_SIGNALS:
        if signal.getsignal(stop) != signal.SIG_IGN:
            signal.signal(stop, _interrupt)


def _may_take_over() -> bool:
    """Signals can be handled here (the main thread) and nobody else handles them: the
    handlers are Python's defaults, ours, or "ignore". A caller with its own (``newsbeam
    follow`` stops after the current run) keeps them."""
    if threading.current_thread() is not threading.main_thread():
        return False
    ours = (signal.SIG_DFL, signal.SIG_IGN, signal.default_int_handler, _interrupt,
            _exit_at_once)
    return all(signal.getsignal(stop) in ours for stop in STOP_SIGNALS)


@contextlib.contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """Inside, a SIGINT or SIGTERM raises ``Interrupted`` (unless signals cannot be taken
    over, see ``_may_take_over``: then nothing changes); the old handlers come back after."""
    if not _may_take_over():
        yield
        return
    previous = {stop: signal.getsignal(stop) for stop in STOP_SIGNALS}
    raise_on_stop_signals()
    try:
        yield
    except Interrupted:
        raise  # keeps the exit-at-once handlers: the caller is cleaning up to exit
    except BaseException:
        _restore(previous)
        raise
    _restore(previous)


def _restore(handlers: dict) -> None:
    for stop, handler in handlers.items():
        signal.signal(stop, handler)


def run_interruptibly(work: Callable[[], T]) -> T:
    """``work()`` in a worker thread; a SIGINT or SIGTERM meanwhile raises ``Interrupted``
    here. Where signals cannot be taken over (not the main thread, or the caller handles
    them its own way), work runs inline."""
    if not _may_take_over():
        return work()
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as err:  # handed to the waiting thread
            outcome["error"] = err

    with stop_signals_interrupt():
        thread = threading.Thread(target=target, name="newsbeam-pipeline", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(_POLL_SECONDS)  # a signal's handler runs here, in this thread
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def child_pids() -> list[int]:
    """Every live process this one started, and theirs (from Linux's /proc; elsewhere
    none are found)."""
    children: dict[int, list[int]] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_children() -> None:
    """Kill the processes the run started (Beam workers, extraction children): they would
    go on working, or print tracebacks, after the run is over. The abandoned threads that
    watched them fail next; what they raise is of no interest any more."""
    threading.excepthook = lambda _args: None
    for pid in child_pids():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
