"""Entries of the cross-run dedup index: what a later run needs of each kept article."""
from __future__ import annotations

from typing import Iterator

from newsbeam.core.dedup.minhash import Signed
from newsbeam.core.dedup.rank import rank


# What ``index_entry`` reads of a row: all a kept row must keep to become an index row.
INDEX_FIELDS = ("article_id", "published_at", "canonical_url", "content_hash", "run_id")


def index_fields(row: dict) -> dict:
    """The ``INDEX_FIELDS`` of ``row`` (None where it has none)."""
    return {name: row.get(name) for name in INDEX_FIELDS}


def index_entry(row: dict, signed: Signed | None) -> dict:
    """The index row of a kept article (``signed``: its signature; None for a short text)."""
    return {"article_id": row["article_id"], "published_at": row["published_at"],
            "canonical_url": row["canonical_url"], "content_hash": row["content_hash"],
            "shingles": signed.size if signed else None,
            "signature": signed.signature if signed else None, "run_id": row["run_id"]}


def signed_of(entry: dict) -> Iterator[Signed]:
    """An index entry's signature, ranked as an earlier run's article (none if unsigned)."""
    if entry["signature"] is not None:
        yield Signed(rank(entry["published_at"], entry["article_id"], earlier_run=True),
                     entry["shingles"], entry["signature"])
