"""THE rule for which copy of an article wins: every dedup step orders copies with it.

An article an earlier run already wrote always wins (it is published downstream); then the
earliest published (unknown dates last); then the smallest article id; then the smallest
input. A total order of plain ints and strings: it compares and encodes the same on every
worker, so the winner never depends on bundle order or worker count.
"""
from __future__ import annotations

from datetime import datetime, timezone

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NEVER_MICROS = 2 ** 62  # sorts unknown dates after every real one


def rank(published_at: datetime | None, article_id: str, *, earlier_run: bool = False,
         input: str = "") -> tuple:
    """Sort key of one copy: the smallest key is the copy to keep."""
    micros = (_NEVER_MICROS if published_at is None
              else int((published_at - _EPOCH).total_seconds() * 1_000_000))
    return (0 if earlier_run else 1, micros, article_id, input)


def row_rank(row: dict, earlier_run: bool = False) -> tuple:
    """``rank`` of an articles row (or a dedup index entry, which has no input)."""
    return rank(row["published_at"], row["article_id"], earlier_run=earlier_run,
                input=row.get("input") or "")


def is_earlier_run(key: tuple) -> bool:
    return key[0] == 0


def article_id_of(key: tuple) -> str:
    return key[2]
