"""How often each source of a publication date is right, where the page has it, and who is
right where two sources disagree: the evidence for the order of date sources.

    python -m bench.date_sources

Sources, each computed on every annotated page whatever the precedence: ``declared``
(JSON-LD, then meta), ``printed`` (a date after a publication label, ``labelled_date``),
``guess`` (htmldate's search, what trafilatura falls back on). Corpora with date truth:
trafilatura and newspaper4k. No corpus here holds a feed entry beside its page, so a feed's
date cannot be scored: see docs/live-sources.md for what follows from these counts.
"""
from __future__ import annotations

import itertools
import multiprocessing

from bench.extraction_corpora import CorpusPage, trafilatura_pages
from bench.extraction_scoring import metadata_outcome
from bench.metadata_corpora import newspaper4k_pages

SOURCES = ("declared", "printed", "guess")


def _dates(page: CorpusPage) -> tuple[str, dict[str, str | None]]:
    """(corpus, source -> "ok" / "wrong" / None where the source has no date)."""
    from newsbeam.core.extract.fields import first_usable
    from newsbeam.core.extract.metadata import (
        jsonld_candidates, meta_candidates, trafilatura_metadata)
    from newsbeam.core.extract.page import parse_html
    from newsbeam.core.extract.visible_dates import labelled_date
    from newsbeam.records.documents import Rejected
    try:
        tree = parse_html(page.html())
    except Rejected:
        return page.corpus, dict.fromkeys(SOURCES)
    declared = first_usable([jsonld_candidates(tree), meta_candidates(tree)], page.url,
                            ("published_at",))["published_at"]
    printed = labelled_date(tree)
    guess = trafilatura_metadata(tree, page.url, {"published_at"}).date
    truth = page.truth["date"]
    return page.corpus, {
        name: (metadata_outcome("date", truth, value) if value else None)
        for name, value in (("declared", declared), ("printed", printed), ("guess", guess))}


def main() -> None:
    pages = [p for p in trafilatura_pages() + newspaper4k_pages() if p.truth.get("date")]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(_dates, pages, chunksize=8)
    for corpus in sorted({c for c, _ in results}):
        rows = [r for c, r in results if c == corpus]
        print(f"{corpus}: {len(rows)} pages with a date in the truth")
        for name in SOURCES:
            have = [r[name] for r in rows if r[name]]
            print(f"  {name:9} present {len(have):4}  right {have.count('ok'):4}"
                  f"  ({have.count('ok') / len(have):.1%})" if have else f"  {name:9} none")
        undeclared = [r for r in rows if not r["declared"]]
        for name in ("printed", "guess"):  # where a feed's date would compete with them
            have = [r[name] for r in undeclared if r[name]]
            if have:
                print(f"  {name} where nothing is declared: present {len(have)},"
                      f" right {have.count('ok')} ({have.count('ok') / len(have):.1%})")
        for a, b in itertools.combinations(SOURCES, 2):
            both = [r for r in rows if r[a] and r[b]]
            split = [r for r in both if r[a] != r[b]]
            print(f"  {a} and {b}: both on {len(both)}, one right one wrong on {len(split)}:"
                  f" {a} right {sum(r[a] == 'ok' for r in split)},"
                  f" {b} right {sum(r[b] == 'ok' for r in split)}")


if __name__ == "__main__":
    main()
