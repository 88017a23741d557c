"""Leave-one-publisher-out verdicts for metadata rules, per corpus, from
``bench.metadata_corpora run`` outputs (one per step: the rule off, then on).

    python -m bench.metadata_lopo PLAIN.json BASE.json STEP1.json [STEP2.json ...]
        [--field author] [--names base rule1 rule2 ...]

Each step is one rule added to the step before it. Per rule: pages and publishers it fixes
and breaks, per corpus. Held out in turn, each publisher gets the rule only if the rest
(every other publisher of every corpus) gains from it; the held-out publisher's errors
under that decision, summed, are the leave-one-publisher-out errors. A rule is kept only
if every publisher it touches would still be decided for it without itself (so a rule
that helps one publisher alone is refused) and none is made worse. "missing -> wrong"
counts pages where a rule puts a wrong value in place of none: not more errors, but worse
data (read them, with the unannotated pages a rule changes): a rule with more of them than
pages fixed is refused.

A publisher is the page's site ("edition.cnn.com" and "cnn.com" are cnn.com; a blog
host's subdomain is its own); an archive's pages count under the archived site
("web.archive.org/web/2019/https://example.de/x" is example.de).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
from collections import defaultdict
from urllib.parse import urlsplit

_ARCHIVED = re.compile(r"^/web/[^/]+/(?P<url>.+)$")


def publisher(row: dict) -> str:
    """The publisher of a page: its host, or the archived page's host, "www." dropped."""
    key = row["key"]
    parts = urlsplit(key)
    host = parts.hostname or row.get("host") or ""
    archived = _ARCHIVED.match(parts.path) if host == "web.archive.org" else None
    if archived:
        inner = archived["url"]
        host = urlsplit(inner if "//" in inner else "http://" + inner).hostname or host
    return _site(host) if host else f"{row['corpus']}:{key}"


# Second-level labels under a country code ("co.uk", "com.cn") and hosts whose subdomains
# are separate publishers (blogs).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "ne", "or", "gv"})
_HOSTING = frozenset({"wordpress.com", "blogspot.com", "tumblr.com", "medium.com"})


def _site(host: str) -> str:
    """ "edition.cnn.com" -> "cnn.com", "www.bbc.co.uk" -> "bbc.co.uk"; a blog host's
    subdomain is its own publisher ("x.wordpress.com")."""
    labels = host.removeprefix("www.").split(".")
    size = 3 if len(labels) > 2 and labels[-2] in _SECOND_LEVEL else 2
    site = ".".join(labels[-size:])
    return ".".join(labels[-size - 1:]) if site in _HOSTING else site


def errors_by_publisher(rows: list[dict], field: str) -> dict[tuple[str, str], int]:
    """(corpus, publisher) -> pages wrong or missing for ``field``."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        outcome = row["outcomes"].get(field)
        if outcome:
            counts[(row["corpus"], publisher(row))] += outcome != "ok"
    return counts


def page_outcomes(rows: list[dict], field: str) -> dict[str, str]:
    return {r["key"]: r["outcomes"][field] for r in rows if field in r["outcomes"]}


def verdict(before: dict, after: dict) -> dict:
    """Per publisher the change (errors before - after: > 0 fixed); held out in turn, the
    rule's decision from the rest and the held-out publisher's errors under it."""
    gain = {pub: before.get(pub, 0) - after.get(pub, 0) for pub in before}
    total = sum(gain.values())
    lopo = {}
    decided_against = []
    for pub, own in gain.items():
        adopted = total - own > 0  # the decision without this publisher
        lopo[pub] = after[pub] if adopted else before[pub]
        if own and not adopted:
            decided_against.append(pub)
    worse = [pub for pub, g in gain.items() if g < 0]
    return {"gain": gain, "lopo": lopo, "kept": total > 0 and not worse and not decided_against,
            "worse": worse, "decided_against": decided_against}


def _page_changes(before_rows: list[dict], after_rows: list[dict], field: str,
                  corpus: str) -> tuple[int, int, int]:
    """Pages of ``corpus`` fixed, broken, and turned from missing to wrong."""
    before = page_outcomes([r for r in before_rows if r["corpus"] == corpus], field)
    after = page_outcomes([r for r in after_rows if r["corpus"] == corpus], field)
    keys = [k for k in after if k in before]
    fixed = sum(before[k] != "ok" and after[k] == "ok" for k in keys)
    broken = sum(before[k] == "ok" and after[k] != "ok" for k in keys)
    invented = sum(before[k] == "missing" and after[k] == "wrong" for k in keys)
    return fixed, broken, invented


def report(runs: list[list[dict]], names: list[str], field: str) -> None:
    plain, steps = runs[0], runs[1:]
    corpora = sorted({r["corpus"] for r in plain})
    plain_counts = errors_by_publisher(plain, field)
    base_counts = errors_by_publisher(steps[0], field)
    for corpus in corpora:
        plain_total = sum(v for (c, _), v in plain_counts.items() if c == corpus)
        base_total = sum(v for (c, _), v in base_counts.items() if c == corpus)
        print(f"{corpus}: {field} errors plain {plain_total}, {names[0]} {base_total}")
    lopo_totals = {c: sum(v for (k, _), v in base_counts.items() if k == c) for c in corpora}
    for name, before_rows, after_rows in zip(names[1:], steps, steps[1:]):
        before = errors_by_publisher(before_rows, field)
        after = errors_by_publisher(after_rows, field)
        result = verdict(before, after)
        lines, fixed_total, invented_total = [], 0, 0
        for corpus in corpora:
            fixed, broken, invented = _page_changes(before_rows, after_rows, field, corpus)
            fixed_total, invented_total = fixed_total + fixed, invented_total + invented
            gains = {p: g for (c, p), g in result["gain"].items() if c == corpus}
            old = sum(v for (c, _), v in before.items() if c == corpus)
            new = sum(v for (c, _), v in after.items() if c == corpus)
            lopo_change = sum(before[(corpus, p)] - result["lopo"][(corpus, p)] for p in gains)
            lines.append((corpus, lopo_change, f"  {corpus:12} {old:>4} -> {new:<4} pages "
                          f"+{fixed} -{broken}; publishers +{sum(g > 0 for g in gains.values())}"
                          f" -{sum(g < 0 for g in gains.values())}; held out in turn: "
                          f"{old - lopo_change}; missing -> wrong: {invented}"))
        # A rule that puts more wrong values where there were none than it fixes is refused.
        kept = result["kept"] and invented_total < fixed_total
        print(f"\n{name}: {'KEPT' if kept else 'refused'}")
        for corpus, lopo_change, line in lines:
            lopo_totals[corpus] -= lopo_change if kept else 0
            print(line)
        for label in ("worse", "decided_against"):
            if result[label]:
                print(f"  {label}: {', '.join(p for _, p in result[label])}")
        touched = sorted(p for (_, p), g in result["gain"].items() if g)
        print(f"  publishers changed: {', '.join(touched) or '-'}")
    print("\nleave-one-publisher-out errors with the kept rules: " + ", ".join(
        f"{c} {lopo_totals[c]} (plain {sum(v for (k, _), v in plain_counts.items() if k == c)})"
        for c in corpora))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=pathlib.Path, nargs="+")
    parser.add_argument("--field", default="author", choices=("title", "author", "date"))
    parser.add_argument("--names", nargs="*")
    args = parser.parse_args(argv)
    if len(args.files) < 2:
        parser.error("PLAIN.json BASE.json [STEP.json ...]")
    names = args.names or [f.stem for f in args.files[1:]]
    runs = [json.loads(f.read_text("utf-8")) for f in args.files]
    report(runs, names, args.field)


if __name__ == "__main__":
    main()
