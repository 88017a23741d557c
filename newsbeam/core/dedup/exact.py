"""Exact duplicates: the keys copies share (canonical URL, content fingerprint) and the
rows a settled group becomes.

Of each group the copy ``rank.row_rank`` orders first wins. Every dropped copy becomes a
``duplicates`` row pointing at the article that was kept, and the kept article records how
many copies were folded into it and their URLs.
"""
from __future__ import annotations

from typing import Iterable

from newsbeam.core.dedup.rank import row_rank
from newsbeam.schemas.tables import DUPLICATE_SCHEMA, SCHEMA_VERSION, check_row


def split_group(rows: Iterable[dict]) -> tuple[dict, list[dict]]:
    """(the copy to keep, the other copies) of one group of duplicates."""
    ordered = sorted(rows, key=row_rank)
    return ordered[0], ordered[1:]


def duplicate_row(copy: dict, kept: dict, method: str, similarity: float = 1.0) -> dict:
    return check_row(DUPLICATE_SCHEMA, {
        "article_id": copy["article_id"],
        "url": copy["url"],
        "source": copy["source"],
        "input": copy["input"],
        "duplicate_of": kept["article_id"],
        "method": method,
        "similarity": similarity,
        "run_id": copy["run_id"],
        "schema_version": SCHEMA_VERSION,
    })


def copy_label(duplicate: dict) -> str:
    """How a folded copy is named on the kept article: its URL, else its input."""
    return duplicate["url"] or duplicate["input"]


def url_key(row: dict) -> str:
    # Inputs without a URL (local files) never share one: key them by their input.
    return row["canonical_url"] or "input:" + row["input"]


def content_key(row: dict) -> str:
    return row["content_hash"]


def with_duplicates(article: dict, duplicates: Iterable[dict]) -> dict:
    labels = sorted(copy_label(d) for d in duplicates)
    return {**article, "duplicate_count": len(labels), "duplicate_urls": labels}
