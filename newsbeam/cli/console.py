"""What a command prints on stderr: newsbeam's own lines, not its libraries' logging (what
worker processes print goes to a log file meanwhile: ``modes/scratch.py``)."""
from __future__ import annotations

import logging
import sys

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
    """Writes to whatever ``sys.stderr`` is now (``modes.scratch.capture_children`` swaps
    it)."""

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
