"""Pending rows: a chunked run's articles, extracted but not yet deduplicated.

Dedup decides which copy wins over the whole run at once, after the last chunk (a later
chunk's copy may outrank an earlier chunk's), so each chunk commits its articles as
pending rows, each with its MinHash signature. The run's last step deduplicates a small
view of every pending row (``dedup_view``: the fields dedup reads, the signature, and
where the row lies), then writes each kept article from its full row (``settled``).
"""
from __future__ import annotations

from newsbeam.core.dedup.minhash import PRESIGNED
from newsbeam.schemas.tables import ARTICLE_SCHEMA, SINK_COLUMNS, check_row

# What the dedup rules read of a row (``rank``, ``exact``, ``index``): no text.
DEDUP_COLUMNS = ("article_id", "url", "canonical_url", "source", "input", "published_at",
                 "content_hash", "run_id")
SIGNATURE_COLUMNS = ("shingles", "signature")
REF = "_pending"  # (pending file, row number) of the row a dedup view stands for


def pending_row(row: dict, signed: tuple[int, bytes] | None) -> dict:
    """An articles row (before dedup) with its signature (None: unsigned)."""
    shingles, signature = signed if signed is not None else (None, None)
    return {**row, "shingles": shingles, "signature": signature}


def dedup_view(pending: dict, path: str, number: int) -> dict:
    """What dedup needs of a pending row read with ``DEDUP_COLUMNS + SIGNATURE_COLUMNS``."""
    view = {name: pending[name] for name in DEDUP_COLUMNS}
    signed = pending["signature"]
    view[PRESIGNED] = None if signed is None else (pending["shingles"], signed)
    view[REF] = (path, number)
    return view


def settled(pending: dict, kept: dict) -> dict:
    """The articles row of a pending row whose dedup view was kept as ``kept`` (which
    carries the copies folded into it)."""
    row = {name: pending[name] for name in ARTICLE_SCHEMA.names if name not in SINK_COLUMNS}
    row["duplicate_count"] = kept["duplicate_count"]
    row["duplicate_urls"] = kept["duplicate_urls"]
    return check_row(ARTICLE_SCHEMA, row)
