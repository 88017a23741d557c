"""``newsbeam compact``: one compaction commit (``store.compact``) under the output's lock,
through the lifecycle's ``holding`` (lock, then recover) that every writer shares."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

from newsbeam.modes.lifecycle import holding
from newsbeam.store import log
from newsbeam.store.compact import (DEFAULT_GRACE_SECONDS, DEFAULT_TARGET_BYTES, Compaction,
                                    commit_compaction, compaction_id)
from newsbeam.store.lock import Locked


def compact(output: str, target_bytes: int = DEFAULT_TARGET_BYTES,
            grace_seconds: float = DEFAULT_GRACE_SECONDS, retention_days: float | None = None,
            now: datetime | None = None,
            waiting: Callable[[Compaction, float], None] = lambda *_: None) -> Compaction:
    """Compact ``output``: one commit under its lock; the files it replaced are deleted
    ``grace_seconds`` later, under the lock again (scheduled runs go on meanwhile; if one
    holds the output then, a later writer's recovery deletes them). ``waiting(done,
    grace_seconds)`` is called once committed, before the grace starts."""
    now = now or datetime.now(timezone.utc)
    done = Compaction(compaction_id(now))
    with holding(output, "newsbeam compact", grace_seconds):
        committed = commit_compaction(output, done, target_bytes, retention_days, now)
    if not committed:
        return done
    waiting(done, grace_seconds)
    time.sleep(grace_seconds)  # readers that listed the replaced files finish with them
    try:
        # Its recovery deletes what this compaction replaced.
        with holding(output, "newsbeam compact", grace_seconds):
            # Runs read the whole log: fold every finished record into one file (store.log).
            log.checkpoint(output, done.commit_id)
    except Locked:
        pass  # a run holds the output: a later writer's recovery deletes them
    return done
