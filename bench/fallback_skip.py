"""When can trafilatura's readability comparison be skipped? Its decision on every page
of both corpora, next to the first pass's features, on a development and a held-out half.

    python -m bench.fallback_skip [--workers 2] [--shares 0.1 0.2 0.3 0.4 0.5]

Every corpus page runs through newsbeam's extract stage with the skip switched off; at
each comparison (balanced focus) it records the first pass's length, whether it is
well-formed (``fallback.well_formed``), the page's text
length, and whether readability won. A skip rule "well-formed and first pass >= share x
page text" loses the pages where readability won; choose the share on the development
half (``random.Random(13)``, half of the sorted page keys), and check the held-out half.
"""
from __future__ import annotations

import argparse
import multiprocessing
import random

import trafilatura.external

from bench.extraction_corpora import CorpusPage, all_pages
from bench.extractors import newsbeam_extraction
from newsbeam.core.extract import fallback

SEED = 13
_CALLS: list[dict] = []
_prefer_readability = trafilatura.external._prefer_readability


def _recording_prefer(body, algo_body, algo_text, len_text, len_algo, options) -> bool:
    won = _prefer_readability(body, algo_body, algo_text, len_text, len_algo, options)
    if _CALLS and "won" not in _CALLS[-1]:
        _CALLS[-1]["won"] = won
    return won


def _recording_rule(body, text, raw_tree) -> bool:
    """Records the features; never skips (readability runs, so its decision is known)."""
    _CALLS.append({"share": fallback.page_share(text, raw_tree),
                   "well_formed": fallback.well_formed(body)})
    return False


def _features(page: CorpusPage) -> tuple[str, list[dict]]:
    _CALLS.clear()
    newsbeam_extraction(page.html(), page.url)
    return f"{page.corpus}|{page.key}", [call for call in _CALLS if "won" in call]


def _init_worker() -> None:
    trafilatura.external._prefer_readability = _recording_prefer
    fallback.readability_cannot_win = _recording_rule


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shares", type=float, nargs="+",
                        default=[0.1, 0.2, 0.25, 0.3, 0.4, 0.5])
    args = parser.parse_args(argv)
    with multiprocessing.Pool(args.workers, initializer=_init_worker) as pool:
        per_page = dict(pool.map(_features, all_pages(), chunksize=8))
    keys = sorted(per_page)
    development = set(random.Random(SEED).sample(keys, len(keys) // 2))
    print(f"{'part':12}{'share >=':>9}{'comparisons':>13}{'skipped':>9}{'readability won':>17}"
          f"{'won, but skipped':>18}")
    for part, in_part in (("development", lambda k: k in development),
                          ("held-out", lambda k: k not in development)):
        calls = [call for key in keys if in_part(key) for call in per_page[key]]
        won = sum(call["won"] for call in calls)
        for share in args.shares:
            skipped = [c for c in calls if c["well_formed"] and c["share"] >= share]
            lost = sum(c["won"] for c in skipped)
            print(f"{part:12}{share:>9.2f}{len(calls):>13}{len(skipped) / len(calls):>9.0%}"
                  f"{won:>17}{lost:>18}")
    print(f"newsbeam's rule: well-formed and share >= {fallback.MIN_PAGE_SHARE}")


if __name__ == "__main__":
    main()
