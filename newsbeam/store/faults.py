"""Crash injection for tests: ``NEWSBEAM_FAULT_AT=<step>`` kills (or with
``NEWSBEAM_FAULT_MODE=raise`` fails, with ``NEWSBEAM_FAULT_MODE=enospc`` fails as a full
disk would) the process that reaches that step of a commit.

An environment variable, read at each step, so it reaches Beam worker processes too and
needs no module state. Unset (always, outside tests) it costs one dictionary lookup.
"""
from __future__ import annotations

import errno
import os
import signal

STEPS = ("staged", "record_written", "first_rename", "renamed", "applied", "manifest_written",
         "compact_written", "compact_applied", "writing_manifest")


class InjectedFault(RuntimeError):
    pass


def reached(step: str) -> None:
    if os.environ.get("NEWSBEAM_FAULT_AT") != step:
        return
    if os.environ.get("NEWSBEAM_FAULT_MODE") == "raise":
        raise InjectedFault(f"injected fault at {step}")
    if os.environ.get("NEWSBEAM_FAULT_MODE") == "enospc":
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (injected at {step})")
    os.kill(os.getpid(), signal.SIGKILL)
