"""Progress of a running pipeline on stderr: one updating line on a terminal, a log line
every few seconds otherwise. Counts come from the run's side channel
(``core/progress.py``), which also works when stages run in other processes."""
from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TextIO

from newsbeam.core.progress import read_progress

TERMINAL_SECONDS = 0.5  # how often the terminal line is redrawn
LOG_SECONDS = 5.0       # how often a log line is written when stderr is not a terminal
# An input is read once it has passed its first stage (a file read, a page fetched) or
# failed there; a listing (feed, sitemap) that failed is an input of its own.
_FIRST_STAGES = ("read_ok", "read_rejected", "fetch_ok", "fetch_rejected", "discover_rejected")


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def _of_total(inputs: int, total: int | None, elapsed: float) -> str:
    """``5 inputs read`` or, with a known total, ``5/40 inputs read (12%, ETA 0:35)``."""
    if not total:
        return f"{inputs} inputs read"
    eta = _clock(elapsed / inputs * max(0, total - inputs)) if inputs else "?"
    return f"{inputs}/{total} inputs read ({min(100, 100 * inputs // total)}%, ETA {eta})"


def format_progress(counts: dict[str, int], elapsed: float, total: int | None = None) -> str:
    """The progress line; ``total``: the inputs the run will read, when known."""
    inputs = sum(counts.get(key, 0) for key in _FIRST_STAGES)
    if not counts:  # nothing recorded yet: Beam is starting, the graph being built
        of = f" ({total} inputs to read)" if total else ""
        return f"newsbeam: {_clock(elapsed)} starting the pipeline{of}"
    rejects = sum(v for k, v in counts.items() if k.endswith("_rejected"))
    settled = counts.get("normalize_ok", 0) + rejects
    rate = settled / elapsed if elapsed > 0 else 0.0
    chunks = counts.get("chunks", 0)
    done = counts.get("chunks_done", 0)
    chunk = (("settling, " if done >= chunks else f"chunk {done + 1}/{chunks}, ")
             if chunks else "")
    return (f"newsbeam: {_clock(elapsed)} {chunk}{_of_total(inputs, total, elapsed)}, "
            f"{counts.get('normalize_ok', 0)} extracted, {rejects} rejects, "
            f"{counts.get('articles_rows', 0)} articles and "
            f"{counts.get('duplicates_rows', 0)} duplicates written, {rate:.1f} inputs/s")


class ProgressReporter:
    """A thread printing the counts found in ``folder`` until ``stop()``."""

    def __init__(self, folder: str, stream: TextIO | None = None, every: float | None = None,
                 clock: Callable[[], float] = time.monotonic, total: int | None = None):
        # No stream: whatever sys.stderr is when a line is written (the CLI swaps it).
        self.folder, self.stream, self.clock, self.total = folder, stream, clock, total
        self.terminal = _is_terminal(stream or sys.stderr)
        self.every = every or (TERMINAL_SECONDS if self.terminal else LOG_SECONDS)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="newsbeam-progress",
                                        daemon=True)
        self._started = clock()
        self._drawn = self._broken = False

    def __enter__(self) -> "ProgressReporter":
        self._thread.start()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.stop(final=exc_type is None)

    def stop(self, final: bool = True) -> None:
        """Stop reporting; a log gets the final counts (of a run that finished), a
        terminal a clean line."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.terminal:
            if self._drawn:
                self._write("\r\033[K")
        elif final:
            self.report()

    def report(self) -> None:
        line = format_progress(read_progress(self.folder), self.clock() - self._started,
                               self.total)
        if self.terminal:
            self._drawn = True
            self._write(f"\r{line}\033[K")
        else:
            self._write(line + "\n")

    def _loop(self) -> None:
        while not self._stopped.wait(self.every):
            self.report()

    def _write(self, text: str) -> None:
        if self._broken:
            return
        stream = self.stream or sys.stderr
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # stderr closed: progress is not worth failing for
            self._broken = True


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

