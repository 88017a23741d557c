"""Crash injection for tests: ``NEWSBEAM_FAULT_AT=<step>`` kills (or with
``NEWSBEAM_FAULT_MODE=raise`` fails, with ``NEWSBEAM_FAULT_MODE=enospc`` fails as a full
disk would) the process that reaches that step of a commit. ``NEWSBEAM_FAULT_MODE=fill``
fills the filesystem holding the file ``NEWSBEAM_FAULT_FILL`` instead (a small tmpfs in
tests), so what comes next meets a real full disk.

An environment variable, read at each step, so it reaches Beam worker processes too and
needs no module state. Unset (always, outside tests) it costs one dictionary lookup.
"""
from __future__ import annotations

import errno
import os
import signal

# The steps of one commit, in order, then the steps around it (tests/store/test_commit.py
# checks every ``reached`` in the package names one of them).
COMMIT_STEPS = ("staged", "record_written", "first_rename", "renamed", "applied")
STEPS = COMMIT_STEPS + ("writing_manifest", "manifest_written", "compact_written",
                        "compact_applied")


class InjectedFault(RuntimeError):
    pass


def reached(step: str) -> None:
    if os.environ.get("NEWSBEAM_FAULT_AT") != step:
        return
    if os.environ.get("NEWSBEAM_FAULT_MODE") == "raise":
        raise InjectedFault(f"injected fault at {step}")
    if os.environ.get("NEWSBEAM_FAULT_MODE") == "enospc":
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (injected at {step})")
    if os.environ.get("NEWSBEAM_FAULT_MODE") == "fill":
        _fill(os.environ["NEWSBEAM_FAULT_FILL"])
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _fill(path: str) -> None:
    """Write zeros to ``path`` until its filesystem has no space left, down to a page."""
    with open(path, "wb", buffering=0) as handle:
        for size in (1 << 20, 1 << 12):
            block = bytes(size)
            try:
                while True:
                    handle.write(block)
            except OSError as err:
                if err.errno != errno.ENOSPC:
                    raise
