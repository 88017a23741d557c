"""Extraction quality: newsbeam's extract stage next to plain trafilatura, same scoring.

    python -m bench.extraction_quality [--workers 2] [--json out/bench/extraction_quality.json]
                                       [--details out/bench/extraction_quality_pages.json]

Corpora (../shared/corpus, read at run time): trafilatura (990 pages; snippet P/R/F1/accuracy
and title/author/date where annotated) and scrapinghub_aeb (181 pages; body shingle P/R/F1,
the upstream metric). Scoring rules: bench/extraction_scoring.py. Every extractor runs on
the same bytes in the same run (pages spread over ``--workers`` processes).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import pathlib
import time
from collections import Counter, defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[1]

from bench.extraction_corpora import CorpusPage, all_pages
from bench.extraction_scoring import (
    metadata_outcome, shingle_scores, shingle_tp_fp_fn, snippet_counts, snippet_scores,
)
from bench.extractors import BODY_ONLY, EXTRACTORS, Extraction
from bench.machine import describe, machine_info

FIELDS = ("title", "author", "date")


def extract_page(page: CorpusPage) -> tuple[CorpusPage, dict[str, Extraction], dict[str, float]]:
    """Every extractor on one page; also each one's seconds for it."""
    html = page.html()
    results, seconds = {}, {}
    for name, extractor in EXTRACTORS.items():
        started = time.perf_counter()
        results[name] = extractor(html, page.url)
        seconds[name] = time.perf_counter() - started
    return page, results, seconds


def page_scores(page: CorpusPage, found: Extraction) -> dict:
    """Scores of one extraction of one page (kept per page for diffs between extractors)."""
    if page.corpus == "scrapinghub":
        return {"shingles": shingle_tp_fp_fn(page.truth["body"], found.text)}
    scores = {"snippets": dict(snippet_counts(found.text, page.truth.get("with", []),
                                              page.truth.get("without", [])))}
    for field in FIELDS:
        outcome = metadata_outcome(field, page.truth.get(field), getattr(found, field))
        if outcome:
            scores[field] = outcome
    return scores


def summarize(per_page: list[dict]) -> dict:
    snippets, shingles, fields = Counter(), [], defaultdict(Counter)
    for scores in per_page:
        snippets.update(scores.get("snippets", {}))
        if "shingles" in scores:
            shingles.append(scores["shingles"])
        for field in FIELDS:
            if field in scores:
                fields[field][scores[field]] += 1
    metadata = {}
    for field in FIELDS:
        counts = fields[field]
        total = sum(counts.values())
        metadata[field] = {"annotated": total, "ok": counts["ok"], "wrong": counts["wrong"],
                           "missing": counts["missing"],
                           "errors": counts["wrong"] + counts["missing"],
                           "accuracy": counts["ok"] / total if total else 0.0}
    return {"trafilatura_snippets": snippet_scores(snippets),
            "scrapinghub_shingles": shingle_scores(shingles), "metadata": metadata}


def run(workers: int) -> tuple[dict, list[dict]]:
    pages = all_pages()
    per_extractor = defaultdict(list)
    seconds = Counter()
    details = []
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for page, results, timing in pool.imap(extract_page, pages, chunksize=4):
            seconds.update(timing)
            row = {"corpus": page.corpus, "key": page.key}
            for name, found in results.items():
                scores = page_scores(page, found)
                per_extractor[name].append(scores)
                row[name] = {**scores, "rejected": found.rejected,
                             "found": {"title": found.title, "author": found.author,
                                       "date": str(found.date) if found.date else None}}
            details.append(row)
    summary = {name: {**summarize(rows), "cpu_seconds": round(seconds[name], 1),
                      "rejected": sum(1 for d in details if d[name]["rejected"])}
               for name, rows in per_extractor.items()}
    for name in BODY_ONLY & summary.keys():
        del summary[name]["metadata"]
    return summary, details


def table(summary: dict) -> str:
    names = list(summary)
    width = max(map(len, names)) + 2
    lines = [f"{'':<34}" + "".join(f"{n:>{width}}" for n in names)]

    def row(label: str, values: list, fmt: str = "{:.4f}") -> None:
        lines.append(f"{label:<34}" + "".join(f"{fmt.format(v):>{width}}" for v in values))

    for metric in ("precision", "recall", "f1", "accuracy"):
        row(f"trafilatura snippets {metric}", [s["trafilatura_snippets"][metric] for s in summary.values()])
    for metric in ("precision", "recall", "f1"):
        row(f"scrapinghub shingles {metric}", [s["scrapinghub_shingles"][metric] for s in summary.values()])
    for field in FIELDS:
        meta = [s.get("metadata", {}).get(field) for s in summary.values()]
        annotated = next(m["annotated"] for m in meta if m)
        row(f"{field} accuracy (n={annotated})", [f"{m['accuracy']:.4f}" if m else "-" for m in meta], "{}")
        row(f"{field} errors: wrong / missing",
            [f"{m['wrong']} / {m['missing']}" if m else "-" for m in meta], "{}")
    row("pages rejected / empty", [s["rejected"] for s in summary.values()], "{}")
    row("CPU seconds (all pages)", [s["cpu_seconds"] for s in summary.values()], "{}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=pathlib.Path,
                        default=ROOT / "out" / "bench" / "extraction_quality.json")
    parser.add_argument("--details", type=pathlib.Path,
                        default=ROOT / "out" / "bench" / "extraction_quality_pages.json")
    args = parser.parse_args(argv)
    info = machine_info()
    started = time.perf_counter()
    summary, details = run(args.workers)
    result = {"machine": info, "wall_seconds": round(time.perf_counter() - started, 1),
              "extractors": summary}
    print(f"Extraction quality ({describe(info)})")
    print("(metadata: only pages of the trafilatura corpus where the annotators gave a value)")
    print(table(summary))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.details.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str))
    args.details.write_text(json.dumps(details, indent=1, default=str, ensure_ascii=False))
    print(f"wrote {args.json} and {args.details}")
    return result


if __name__ == "__main__":
    main()
