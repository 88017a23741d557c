"""Metadata errors on a development and a held-out part of the trafilatura corpus, before
and after a change, from two ``bench.extraction_quality`` page files.

    python -m bench.extraction_quality --details old_pages.json   # in the old tree
    python -m bench.extraction_quality --details new_pages.json   # in the new tree
    python -m bench.metadata_holdout old_pages.json new_pages.json [--extractor newsbeam]

Per field, a third of the annotated pages (``random.Random(13)``, sampled from their sorted
keys) is held out: choose rules on the development part, report both, and distrust a
rule that helps only where it was chosen.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import random

FIELDS = ("title", "author", "date")
SEED = 13


def outcomes(path: pathlib.Path, extractor: str, field: str) -> dict[str, str]:
    """Page key -> "ok" / "wrong" / "missing" where the page is annotated for ``field``."""
    pages = json.loads(path.read_text(encoding="utf-8"))
    return {page["key"]: page[extractor][field] for page in pages
            if page["corpus"] == "trafilatura" and field in page[extractor]}


def held_out(keys: list[str]) -> set[str]:
    return set(random.Random(SEED).sample(sorted(keys), len(keys) // 3))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=pathlib.Path)
    parser.add_argument("new", type=pathlib.Path)
    parser.add_argument("--extractor", default="newsbeam")
    args = parser.parse_args(argv)
    print(f"{'field':8}{'part':14}{'pages':>7}{'errors before':>15}{'after':>7}")
    for field in FIELDS:
        old = outcomes(args.old, args.extractor, field)
        new = outcomes(args.new, args.extractor, field)
        held = held_out(list(old))
        for part, keys in (("development", sorted(set(old) - held)), ("held-out", sorted(held))):
            before = sum(old[k] != "ok" for k in keys)
            after = sum(new.get(k) != "ok" for k in keys)
            print(f"{field:8}{part:14}{len(keys):>7}{before:>15}{after:>7}")


if __name__ == "__main__":
    main()
