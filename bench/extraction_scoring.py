"""Scoring for extraction benchmarks: one implementation for every extractor compared.

- Snippets (trafilatura corpus, as its MANIFEST describes upstream's eval): whitespace
  collapsed in text and snippets; a ``with`` snippet found is a TP (missing: FN), a
  ``without`` snippet found is an FP (absent: TN); P/R/F1/accuracy over all snippets.
- Body shingles (scrapinghub AEB, upstream ``evaluate.py`` re-implemented): ``\\w+``
  tokens, case kept, 4-token shingles as multisets; per page TP/FP/FN normalized to sum 1;
  P and R are means over pages, F1 the harmonic mean of those means.
- Metadata (trafilatura corpus, where the annotators gave a value):
  title: equal after NFKC + casefold + punctuation removed + whitespace collapsed
    (``normalize_for_hash``); a "Headline | Site" title is wrong.
  author: the truth is split into names ("A, B", "A und B", "A and B", "A; B"); correct when
    every true name matches an extracted name and every extracted name a true one, names
    matching when one's words are a subset of the other's ("Heiko" ~ "Heiko Adams").
  date: the same calendar day. A date-only value compares as is; a timestamp (newsbeam
    stores UTC instants) is correct when it falls on that day in some real time zone
    (UTC-12..UTC+14), since converting "00:30+02:00" to UTC moves it to the day before.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

from newsbeam.core.text.clean import normalize_for_hash

# --- snippets -------------------------------------------------------------------------------


def collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def snippet_counts(text: str | None, with_: Iterable[str], without: Iterable[str]) -> Counter:
    text = collapse(text)
    counts = Counter(tp=0, fn=0, fp=0, tn=0)
    for snippet in with_:
        counts["tp" if collapse(snippet) in text else "fn"] += 1
    for snippet in without:
        counts["fp" if collapse(snippet) in text else "tn"] += 1
    return counts


def snippet_scores(counts: Counter) -> dict[str, float]:
    tp, fn, fp, tn = (counts[k] for k in ("tp", "fn", "fp", "tn"))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "accuracy": (tp + tn) / max(1, tp + fn + fp + tn), **counts}


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# --- body shingles --------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


def shingles(text: str | None, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    # Fewer than n tokens still give one (short) shingle, as upstream does.
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))
                   if tokens[i:i + n])


def shingle_tp_fp_fn(truth: str, predicted: str | None) -> tuple[float, float, float]:
    true, pred = shingles(truth), shingles(predicted)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def shingle_scores(per_page: list[tuple[float, float, float]]) -> dict[str, float]:
    precisions = [_precision(*t) for t in per_page if t[0] + t[1] > 0]
    recalls = [_recall(*t) for t in per_page if t[0] + t[2] > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "pages": len(per_page)}


# --- metadata -------------------------------------------------------------------------------

_NAME_SEPARATORS = re.compile(r"\s*(?:[,;|&/]|\b(?:and|und|et)\b)\s*", re.IGNORECASE)


def title_correct(truth: str, found: str | None) -> bool:
    return bool(found) and normalize_for_hash(found) == normalize_for_hash(truth)


def _names(value: Any) -> list[frozenset[str]]:
    values = value if isinstance(value, (list, tuple)) else [value or ""]
    parts = [p for v in values for p in _NAME_SEPARATORS.split(v)]
    return [frozenset(words) for words in (normalize_for_hash(p).split() for p in parts)
            if words]


def author_correct(truth: Any, found: Any) -> bool:
    true, got = _names(truth), _names(found)
    if not got:
        return False

    def matches(a: frozenset, b: frozenset) -> bool:
        return a <= b or b <= a

    return (all(any(matches(t, g) for g in got) for t in true)
            and all(any(matches(g, t) for t in true) for g in got))


_EARLIEST_ZONE, _LATEST_ZONE = timedelta(hours=14), timedelta(hours=12)


def date_correct(truth: str, found: Any) -> bool:
    try:
        day = date.fromisoformat(truth.strip()[:10])
    except ValueError:
        return False
    if isinstance(found, datetime) and found.tzinfo is not None:
        start = datetime.combine(day, time(), timezone.utc)
        return start - _EARLIEST_ZONE <= found < start + timedelta(days=1) + _LATEST_ZONE
    if isinstance(found, datetime):
        return found.date() == day
    if isinstance(found, str) and found.strip():
        return found.strip()[:10] == day.isoformat()
    return False


METADATA_CHECKS = {"title": title_correct, "author": author_correct, "date": date_correct}


def metadata_outcome(field: str, truth: Any, found: Any) -> str | None:
    """"ok", "missing" or "wrong"; None when the ground truth has no value."""
    if not truth or (isinstance(truth, str) and not truth.strip()):
        return None
    if not found:
        return "missing"
    return "ok" if METADATA_CHECKS[field](truth, found) else "wrong"
