"""WARC archives of the corpus pages for the WARC benchmarks, built once and kept under
``out/bench/warc/`` (the pages are read from ../shared/corpus at run time, never copied
into the repository).

Each page becomes request + response + metadata records, as in Common Crawl's archives,
so a reader also pays for the records it skips. Pages past the corpus size repeat with a
varied URL.
"""
from __future__ import annotations

import pathlib

from bench.extraction_corpora import all_pages
from tests.helpers.warcs import Page, write_warc

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOLDER = ROOT / "out" / "bench" / "warc"


def corpus_pages(count: int, offset: int = 0, tag: str = "") -> list[Page]:
    """``count`` corpus pages from the ``offset``-th on; URLs of repeats (and of archives
    with a ``tag``) get a query parameter, so every page has its own URL."""
    pages = all_pages()
    chosen = []
    for n in range(offset, offset + count):
        page = pages[n % len(pages)]
        url = (page.url or f"https://corpus.example/{page.key}").replace(" ", "%20")
        variant = f"{tag}{n // len(pages) or ''}"
        if variant:
            url += f"{'&' if '?' in url else '?'}copy={variant}"
        chosen.append(Page(url, page.html()))
    return chosen


def corpus_archive(pages: int = 2000, name: str | None = None, offset: int = 0,
                   folder: pathlib.Path = FOLDER) -> pathlib.Path:
    """An archive of ``pages`` corpus pages (from the ``offset``-th on), built if missing."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"corpus-{pages}.warc.gz")
    if not path.exists():
        temp = path.with_name(path.name + ".part")
        write_warc(temp, corpus_pages(pages, offset, tag=name.split(".")[0] if name else ""),
                   revisit_first=False, gzip=True)
        temp.rename(path)
    return path
