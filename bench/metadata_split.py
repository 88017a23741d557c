"""Metadata errors per field on the development and held-out parts of the trafilatura
corpus, from newsbeam's metadata alone (body extraction skipped: ~15 s instead of minutes).

    python -m bench.metadata_split

Same split and scoring as ``bench.metadata_holdout`` and ``bench.extraction_quality``; the
totals equal the full bench's (the body does not feed the metadata). For trying rules.
"""
from __future__ import annotations

import multiprocessing
import types

from bench.extraction_corpora import CorpusPage, trafilatura_pages
from bench.extraction_scoring import metadata_outcome
from bench.metadata_holdout import FIELDS, held_out
from newsbeam.core.extract import page as page_module
from newsbeam.records.documents import Rejected

ATTRIBUTES = {"title": "title", "author": "authors", "date": "published_at"}


def outcomes(page: CorpusPage) -> tuple[str, dict[str, str]]:
    """(page key, field -> "ok" / "wrong" / "missing") for the fields annotated on it."""
    try:
        found = page_module.extract_html(page.html(), url=page.url)
        values = {field: getattr(found, ATTRIBUTES[field]) for field in FIELDS}
    except Rejected:
        values = dict.fromkeys(FIELDS)
    scored = {field: metadata_outcome(field, page.truth.get(field), values[field])
              for field in FIELDS}
    return page.key, {field: outcome for field, outcome in scored.items() if outcome}


def _metadata_only() -> None:
    """In each worker: the body extraction answers at once (metadata comes before it)."""
    page_module._trafilatura_document = lambda tree, url: types.SimpleNamespace(text="x")


def main() -> None:
    pages = [p for p in trafilatura_pages() if any(p.truth.get(f) for f in FIELDS)]
    with multiprocessing.get_context("fork").Pool(2, initializer=_metadata_only) as pool:
        results = dict(pool.map(outcomes, pages, chunksize=8))
    print(f"{'field':8}{'part':14}{'pages':>7}{'errors':>8}")
    for field in FIELDS:
        scored = {key: out[field] for key, out in results.items() if field in out}
        held = held_out(list(scored))
        for part, keys in (("development", set(scored) - held), ("held-out", held)):
            errors = sum(scored[k] != "ok" for k in keys)
            print(f"{field:8}{part:14}{len(keys):>7}{errors:>8}")


if __name__ == "__main__":
    main()
