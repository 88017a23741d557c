"""A module whose import records the process it happened in (fork-server preload tests)."""
import os

IMPORTED_IN = os.getpid()
