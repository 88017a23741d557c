"""Metadata errors per corpus and per publisher (host), for comparing rule changes.

    python -m bench.metadata_corpora run OUT.json [--plain] [--scrapinghub]   # in the tree
    python -m bench.metadata_corpora compare BASE.json NEW.json [PLAIN.json]

Corpora with title/author/date truth: trafilatura (annotated) and newspaper4k (a
regression snapshot of newspaper4k's output: low trust, 20 pages); scrapinghub has body
truth only. ``--plain`` scores trafilatura's own ``extract_metadata`` (what
``bare_extraction(with_metadata=True)`` returns for these fields). The rules are fixed
code, not fitted, so leave-one-publisher-out is read off as the per-publisher view:
``compare`` counts the publishers (hosts) a change makes better and worse in each corpus.
"""
from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import pathlib
import types
from urllib.parse import urlsplit

from bench.extraction_corpora import CORPUS, CorpusPage, scrapinghub_pages, trafilatura_pages
from bench.extraction_scoring import metadata_outcome

FIELDS = ("title", "author", "date")
ATTRIBUTES = {"title": "title", "author": "authors", "date": "published_at"}
NEWSPAPER4K = CORPUS / "newspaper4k"


def newspaper4k_pages() -> list[CorpusPage]:
    pages = []
    for line in (NEWSPAPER4K / "index.jsonl").read_text("utf-8").splitlines():
        rec = json.loads(line)
        truth = {"title": rec.get("title"), "author": rec.get("authors") or None,
                 "date": rec.get("publish_date")}
        pages.append(CorpusPage("newspaper4k", rec["name"], rec.get("url") or None,
                                NEWSPAPER4K / rec["html_file"], truth))
    return pages


def _newsbeam(page: CorpusPage) -> dict:
    from newsbeam.core.extract import page as page_module
    from newsbeam.records.documents import Rejected
    try:
        found = page_module.extract_html(page.html(), url=page.url)
        return {field: getattr(found, ATTRIBUTES[field]) for field in FIELDS}
    except Rejected:
        return dict.fromkeys(FIELDS)


def _plain(page: CorpusPage) -> dict:
    from trafilatura.metadata import extract_metadata
    with gzip.open(page.path, "rt", encoding="utf-8", errors="replace") as handle:
        doc = extract_metadata(handle.read(), default_url=page.url)
    return {"title": doc.title, "author": doc.author, "date": doc.date}


def _score(args: tuple[CorpusPage, bool]) -> dict:
    page, plain = args
    values = _plain(page) if plain else _newsbeam(page)
    scored = {f: metadata_outcome(f, page.truth.get(f), values[f]) for f in FIELDS}
    return {"corpus": page.corpus, "key": page.key,
            "host": urlsplit(page.url or "").hostname or page.key,
            "outcomes": {f: o for f, o in scored.items() if o},
            "values": {f: str(values[f]) for f in FIELDS}}


def _metadata_only() -> None:
    """Body extraction answers at once (the metadata does not depend on it)."""
    from newsbeam.core.extract import page as page_module
    page_module._trafilatura_document = lambda tree, url: types.SimpleNamespace(text="x")


def run(out: pathlib.Path, plain: bool, scrapinghub: bool = False) -> None:
    pages = [p for p in trafilatura_pages() + newspaper4k_pages()
             if any(p.truth.get(f) for f in FIELDS)]
    if scrapinghub:  # no metadata truth: its values are for reading changed pages by hand
        pages += scrapinghub_pages()
    with multiprocessing.get_context("fork").Pool(2, initializer=_metadata_only) as pool:
        rows = pool.map(_score, [(p, plain) for p in pages], chunksize=8)
    out.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")


def _errors(rows: list[dict], corpus: str, field: str) -> dict[str, bool]:
    return {r["key"]: r["outcomes"][field] != "ok" for r in rows
            if r["corpus"] == corpus and field in r["outcomes"]}


def compare(base: list[dict], new: list[dict], plain: list[dict] | None) -> None:
    hosts = {r["key"]: r["host"] for r in new}
    print(f"{'corpus':13}{'field':7}{'pages':>6}{'plain':>7}{'base':>6}{'new':>6}"
          f"{'+pages':>8}{'-pages':>8}{'+hosts':>8}{'-hosts':>8}")
    for corpus in sorted({r["corpus"] for r in new}):
        for field in FIELDS:
            b, n = _errors(base, corpus, field), _errors(new, corpus, field)
            p = _errors(plain, corpus, field) if plain else {}
            per_host: dict[str, int] = {}
            for key in n:
                per_host[hosts[key]] = per_host.get(hosts[key], 0) + b[key] - n[key]
            print(f"{corpus:13}{field:7}{len(n):>6}{sum(p.values()) if p else '-':>7}"
                  f"{sum(b.values()):>6}{sum(n.values()):>6}"
                  f"{sum(b[k] and not n[k] for k in n):>8}{sum(n[k] and not b[k] for k in n):>8}"
                  f"{sum(v > 0 for v in per_host.values()):>8}"
                  f"{sum(v < 0 for v in per_host.values()):>8}")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run")
    one.add_argument("out", type=pathlib.Path)
    one.add_argument("--plain", action="store_true")
    one.add_argument("--scrapinghub", action="store_true",
                     help="also its 181 pages (values only, to read changes by hand)")
    two = sub.add_parser("compare")
    two.add_argument("files", type=pathlib.Path, nargs="+")
    args = parser.parse_args()
    if args.command == "run":
        run(args.out, args.plain, args.scrapinghub)
    else:
        loaded = [json.loads(f.read_text("utf-8")) for f in args.files]
        compare(loaded[0], loaded[1], loaded[2] if len(loaded) > 2 else None)


if __name__ == "__main__":
    main()
