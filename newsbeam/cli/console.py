"""What a command prints on stderr: newsbeam's own lines, not its libraries' logging.

Beam's ``multi_processing`` workers are subprocesses that log 20-odd INFO lines each to the
stderr they inherit, and a Ctrl-C from the terminal reaches every child process (each then
prints its own traceback). So, unless ``-v``, a run points file descriptor 2 at a log
file while it works: every child process writes there, and newsbeam's own messages go to
the terminal through a copy of the original descriptor. The log is kept when the run
fails, to read its workers' side of the story.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Iterator

# Beam logs every string type hint it converts at INFO (241 lines at -v for one run), and
# warns on import about optional GCP clients this tool never uses.
_NOISE = ("Converting string literal type hint", "apitools not found")


class _ConsoleFilter(logging.Filter):
    def __init__(self, verbose: bool):
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith(_NOISE):
            return False
        return self.verbose or record.name.split(".")[0] == "newsbeam"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (``capture_children`` swaps it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure_logging(verbose: bool) -> None:
    """-v: everything at INFO (Beam's own messages too); otherwise newsbeam's warnings."""
    handler = _StderrHandler()
    handler.addFilter(_ConsoleFilter(verbose))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        handlers=[handler], force=True)


@contextlib.contextmanager
def capture_children(log_path: str) -> Iterator[None]:
    """While inside, file descriptor 2 (inherited by every child process) writes to
    ``log_path``; ``sys.stderr`` keeps writing where it wrote before."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(2)
    original = sys.stderr
    if _writes_to_fd2(original):  # e.g. not under pytest's capsys, which is no descriptor
        sys.stderr = open(saved, "w", buffering=1, closefd=False,
                          encoding=getattr(original, "encoding", None) or "utf-8",
                          errors="backslashreplace")
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 2)
    os.close(log)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        sys.stderr = original


def _writes_to_fd2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False
