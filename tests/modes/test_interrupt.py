"""Where a run takes the stop signals over, and where it leaves them to its caller."""
from __future__ import annotations

import signal
import threading

from newsbeam.modes.interrupt import run_interruptibly


def test_work_runs_in_a_worker_thread_and_the_handlers_come_back():
    # Python's own handlers (other tests in this process may have left theirs).
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    previous = {s: signal.signal(s, handler) for s, handler in defaults.items()}
    try:
        assert run_interruptibly(threading.current_thread) is not threading.main_thread()
        assert {s: signal.getsignal(s) for s in defaults} == defaults
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)


def test_a_caller_with_its_own_handlers_keeps_them():
    """``newsbeam follow`` stops after the current run: its handler must stay in place."""
    def own(_signum, _frame):
        pass

    previous = signal.signal(signal.SIGTERM, own)
    try:
        assert run_interruptibly(threading.current_thread) is threading.main_thread()
        assert signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, previous)
