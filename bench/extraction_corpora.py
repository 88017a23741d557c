"""The two evaluation corpora in ../shared/corpus, read at run time (never copied).

Each page comes out as a ``CorpusPage``: raw HTML bytes (extractors get bytes, as the
pipeline does), the page URL, and the ground truth the corpus has for it.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import pathlib
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
TRAFILATURA = CORPUS / "trafilatura"
SCRAPINGHUB = CORPUS / "scrapinghub_aeb"


@dataclasses.dataclass
class CorpusPage:
    corpus: str
    key: str
    url: str | None
    path: pathlib.Path        # the gzipped HTML file
    truth: dict[str, Any]     # trafilatura: with/without/title/author/date; AEB: body

    def html(self) -> bytes:
        with gzip.open(self.path, "rb") as handle:
            return handle.read()


def trafilatura_pages() -> list[CorpusPage]:
    """990 pages with must/must-not snippets and some title/author/date (its MANIFEST)."""
    items = json.loads((TRAFILATURA / "evaldata.json").read_text("utf-8"))
    pages = []
    for key, item in items.items():
        cached = TRAFILATURA / "cache" / f"{item['file']}.gz"
        path = cached if cached.exists() else TRAFILATURA / "eval" / f"{item['file']}.gz"
        url = key if key.startswith(("http://", "https://")) else None  # "hard::<file>" keys
        pages.append(CorpusPage("trafilatura", key, url, path, item))
    return pages


def scrapinghub_pages() -> list[CorpusPage]:
    """181 article pages with their full expected body."""
    truth = json.loads((SCRAPINGHUB / "ground-truth.json").read_text("utf-8"))
    return [CorpusPage("scrapinghub", key, rec.get("url"),
                       SCRAPINGHUB / "html" / f"{key}.html.gz", {"body": rec["articleBody"]})
            for key, rec in sorted(truth.items())]


def all_pages() -> list[CorpusPage]:
    return trafilatura_pages() + scrapinghub_pages()
