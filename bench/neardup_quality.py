"""Quality of near-duplicate detection on a labelled corpus built from real article texts.

    python -m bench.neardup_quality [--originals 120] [--seed 1]

Originals: the five samples in tests/fixtures and the ground-truth bodies of
../shared/corpus/scrapinghub_aeb/ground-truth.json (read at run time, never copied).
Per original, syndicated variants (one cluster with it): another site's boilerplate lines
around the body, typo-level edits, a paragraph dropped, a paragraph added, truncation to
60-80%, combinations. Hard negatives (their own clusters): a different article that
reuses one or two background paragraphs of the original; and the samples 000/002 (one
event, two outlets) and 004 (reuses background of 000). Runs the real NearDedup transform
(FnApiRunner) at the default settings and prints pairwise precision, recall, F1 and ARI.
"""
from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import random
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from math import comb

ROOT = pathlib.Path(__file__).resolve().parents[1]
GROUND_TRUTH = ROOT.parent / "shared" / "corpus" / "scrapinghub_aeb" / "ground-truth.json"

TEMPLATES = [  # boilerplate lines an extractor typically lets through
    ("Share this article", "Sign up for our daily newsletter. You can unsubscribe anytime."),
    ("Advertisement", "© 2022 The Daily Wire Service. All rights reserved. Read more:"),
    ("Listen to this story", "Follow us on Twitter and Facebook for the latest updates."),
]


def paragraphs(text: str) -> list[str]:
    parts = [p.strip() for p in text.replace("\r", "").split("\n") if p.strip()]
    return parts if len(parts) > 1 else [" ".join(s) for s in _chunks(text.split(), 60)]


def _chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def typos(text: str, rng: random.Random, share: float = 0.01) -> str:
    tokens = text.split(" ")
    for i in rng.sample(range(len(tokens)), max(1, int(len(tokens) * share))):
        tokens[i] = tokens[i][::-1] if len(tokens[i]) > 3 else tokens[i] + "s"
    return " ".join(tokens)


def variants(paras: list[str], other: list[str], rng: random.Random) -> dict[str, str]:
    head, foot = rng.choice(TEMPLATES)
    cut = max(1, round(len(paras) * rng.uniform(0.6, 0.8)))
    drop = rng.randrange(len(paras))
    added = paras[:] ; added.insert(rng.randrange(len(paras) + 1),
                                    "Editor's note: this story was updated with reaction "
                                    "from local officials and additional background.")
    join = "\n\n".join
    return {
        "template": join([head, *paras, foot]),
        "typos": typos(join(paras), rng),
        "dropped": join(paras[:drop] + paras[drop + 1:]),
        "added": join(added),
        "truncated": join(paras[:cut]),
        "template+typos+truncated": join([head, *typos(join(paras[:cut]), rng).split("\n\n"), foot]),
    }


def corpus(originals: int, seed: int) -> list[tuple[str, str, str]]:
    """(name, cluster label, text) for every document."""
    from tests.helpers.article_rows import sample

    rng = random.Random(seed)
    bodies = [(f"sample{i:03d}", sample(i)) for i in range(5)]
    truth = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))
    texts = [v["articleBody"] for _, v in sorted(truth.items())]
    bodies += [(f"aeb{i:03d}", t) for i, t in enumerate(texts) if len(t.split()) >= 150]
    # Hard negatives borrow their own body from texts that are not originals here.
    bodies, spare = bodies[:originals], bodies[originals:] or bodies[:1]
    docs = []
    for index, (name, text) in enumerate(bodies):
        paras = paragraphs(text)
        docs.append((name, name, "\n\n".join(paras)))
        if name.startswith("sample"):
            continue  # the samples are also the one-event / shared-background negatives
        other = paragraphs(spare[index % len(spare)][1])  # used once: see below
        for kind, variant in variants(paras, other, rng).items():
            docs.append((f"{name}:{kind}", name, variant))
        if index >= len(spare):
            continue  # no unused text left for a hard negative
        # Hard negative: another article reusing two background paragraphs of this one.
        mixed = other[:]
        for para in rng.sample(paras, min(2, len(paras))):
            mixed.insert(rng.randrange(len(mixed) + 1), para)
        docs.append((f"{name}:background", f"{name}:background", "\n\n".join(mixed)))
    # Copies of the samples: must fold into their sample, never into another sample.
    for i in range(5):
        paras = paragraphs(sample(i))
        docs.append((f"sample{i:03d}:typos", f"sample{i:03d}", typos("\n\n".join(paras), rng)))
    return docs


def pairs_of(labels: dict[str, str]) -> set:
    groups: dict = {}
    for name, label in labels.items():
        groups.setdefault(label, []).append(name)
    return {p for members in groups.values() for p in itertools.combinations(sorted(members), 2)}


def adjusted_rand_index(truth: dict[str, str], found: dict[str, str]) -> float:
    names = sorted(truth)
    contingency = Counter((truth[n], found[n]) for n in names)
    sum_cells = sum(comb(c, 2) for c in contingency.values())
    sum_truth = sum(comb(c, 2) for c in Counter(truth[n] for n in names).values())
    sum_found = sum(comb(c, 2) for c in Counter(found[n] for n in names).values())
    expected = sum_truth * sum_found / comb(len(names), 2)
    best = (sum_truth + sum_found) / 2
    return 1.0 if best == expected else (sum_cells - expected) / (best - expected)


def detect(docs) -> dict[str, str]:
    """Name -> name of the canonical article NearDedup folds it into (itself if kept)."""
    import apache_beam as beam

    from tests.helpers.article_rows import article
    from newsbeam.config import NearDedupConfig
    from newsbeam.transforms.dedup.near import NearDedup

    rows, name_of = [], {}
    for i, (name, _, text) in enumerate(docs):
        row = article(text, f"d{i}")  # originals come first: earliest published
        row["published_at"] = datetime(2022, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=i)
        rows.append(row)
        name_of[row["article_id"]] = name
    with tempfile.TemporaryDirectory() as folder:
        with beam.Pipeline(runner="FnApiRunner") as pipeline:
            out = (pipeline | beam.Create(rows),
                   pipeline | "NoIndex" >> beam.Create([])) | NearDedup(NearDedupConfig())
            (out["duplicates"]
             | beam.Map(lambda d: json.dumps([d["article_id"], d["duplicate_of"]]))
             | beam.io.WriteToText(f"{folder}/dups"))
        found = dict(json.loads(line) for path in pathlib.Path(folder).glob("dups*")
                     for line in path.read_text().splitlines())
    return {name_of[i]: name_of[found.get(i, i)] for i in name_of}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--originals", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    docs = corpus(args.originals, args.seed)
    truth = {name: label for name, label, _ in docs}
    found = detect(docs)
    true_pairs, found_pairs = pairs_of(truth), pairs_of(found)
    hits = len(true_pairs & found_pairs)
    precision = hits / len(found_pairs) if found_pairs else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0
    samples_merged = sorted({(n, found[n]) for n in truth if n.startswith("sample")
                             and found[n].startswith("sample") and found[n][:9] != n[:9]})
    missed = Counter(n.split(":")[1] for a, b in true_pairs - found_pairs for n in (a, b)
                     if ":" in n)
    print(json.dumps({
        "documents": len(docs), "clusters": len(set(truth.values())),
        "true_pairs": len(true_pairs), "found_pairs": len(found_pairs),
        "precision": round(precision, 4), "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4),
        "ari": round(adjusted_rand_index(truth, found), 4),
        "samples_folded_into_another_sample": samples_merged,
        "missed_pairs_by_variant": dict(missed),
        "false_pairs": sorted(found_pairs - true_pairs)[:10]}, indent=1))


if __name__ == "__main__":
    main()
