"""Where extraction time goes: cProfile of newsbeam's extract stage on corpus pages.

    python -m bench.profile_extraction [--pages 200] [--top 30]

Pages: every k-th page of both corpora (deterministic), bytes read before timing; one
untimed pass first (lazy imports, dateparser's caches), then the profiled pass, in CPU time.
"""
from __future__ import annotations

import argparse
import cProfile
import pathlib
import pstats
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

from bench.extraction_corpora import all_pages
from bench.extractors import EXTRACTORS


def sample_pages(count: int) -> list[tuple[bytes, str | None]]:
    pages = all_pages()
    step = max(1, len(pages) // count)
    return [(p.html(), p.url) for p in pages[::step][:count]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--extractor", default="newsbeam", choices=sorted(EXTRACTORS))
    args = parser.parse_args(argv)
    pages = sample_pages(args.pages)
    extractor = EXTRACTORS[args.extractor]
    for page in pages:  # warm caches (dateparser's per-locale regexes) outside the profile
        extractor(*page)
    profile = cProfile.Profile(time.process_time)  # CPU seconds: the machine is shared
    profile.enable()
    for html, url in pages:
        extractor(html, url)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
