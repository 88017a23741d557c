"""Scale of near-duplicate detection: signature speed, and the Beam stage on N documents.

    python -m bench.neardup_scale --sizes 10000 100000 [1000000]
    python -m bench.neardup_scale --sizes 10000 100000 --baseline main --skip-signatures
    python -m bench.neardup_scale --recall 20000 [--baseline REF]

Synthetic ~500-word documents (Zipf-distributed vocabulary; 10% are lightly edited copies
of an earlier document). Prints, per size, wall time, docs/s and peak RSS of the NearDedup
stage alone (FnApiRunner, one process, in its own subprocess so peaks do not mix), the time
ratio between sizes, and signature throughput against datasketch's MinHash. The documents
are generated inside the timed pipeline (like a real source's reads): by inverse-CDF
lookups and one byte gather per chunk, ~90 us a document (numpy's rejection-sampling
``zipf`` took ~300 us, more than signing), so figures before that change are not
comparable: compare with ``--baseline``, which runs both sides on the same documents.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench.compare_outputs import source_tree
from bench.machine import peak_rss_mb

ROOT = pathlib.Path(__file__).resolve().parents[1]

VOCABULARY = 50_000
CHUNK = 2_000
ZIPF_EXPONENT = 1.2


WORDS = [f"w{r}" for r in range(VOCABULARY + 1)]
_WORD_BYTES = np.frombuffer("".join(w + " " for w in WORDS).encode(), dtype=np.uint8)
_WORD_LENGTHS = np.array([len(w) + 1 for w in WORDS])  # with its trailing space
_WORD_STARTS = np.concatenate(([0], np.cumsum(_WORD_LENGTHS)[:-1]))


def _zipf_cdf(exponent: float, top: int) -> np.ndarray:
    """CDF over 1..top of min(Zipf(exponent), top): numpy's ``zipf`` draws by rejection,
    ~200 us a document, more than the stage's own work; inverse-CDF lookups draw the
    same distribution in a tenth of that. The tail sum_{k>=top} k**-s (all of it lands on
    ``top``) by Euler-Maclaurin, exact to double precision at this ``top``."""
    weights = np.arange(1, top + 1, dtype=float) ** -exponent
    weights[-1] = (top ** (1 - exponent) / (exponent - 1) + top ** -exponent / 2
                   + exponent * top ** (-exponent - 1) / 12)
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


_CDF = _zipf_cdf(ZIPF_EXPONENT, VOCABULARY)


def _joined(ranks: np.ndarray) -> list[str]:
    """" ".join(WORDS[r] for r in row) of every row, gathered as one byte array."""
    lengths = _WORD_LENGTHS[ranks].ravel()
    ends = np.cumsum(lengths)
    offsets = np.repeat(_WORD_STARTS[ranks.ravel()] - (ends - lengths), lengths)
    data = _WORD_BYTES[offsets + np.arange(ends[-1])].tobytes()
    doc_ends = ends[ranks.shape[1] - 1::ranks.shape[1]].tolist()
    return [data[start:end - 1].decode() for start, end in zip([0] + doc_ends[:-1], doc_ends)]


def documents(chunk: int, words: int = 500) -> list[tuple[str, str]]:
    """(id, text) of one chunk, reproducible from its number."""
    rng = np.random.default_rng(chunk)
    ranks = np.searchsorted(_CDF, rng.random((CHUNK, words)), side="right") + 1
    texts = _joined(np.minimum(ranks, VOCABULARY))
    for i in range(0, CHUNK, 10):  # every tenth: a copy of its neighbour with 5 words changed
        tokens = texts[i + 1].split()
        for pos in rng.integers(0, words, size=5):
            tokens[pos] = f"edit{pos}"
        texts[i] = " ".join(tokens)
    # ids like newsbeam's (128-bit hex of the URL): incompressible like real ones
    return [(hashlib.sha256(f"https://bench.example/{chunk}/{i}".encode()).hexdigest()[:32], t)
            for i, t in enumerate(texts)]


REPEATS = 3


def _rate(sign, texts) -> float:
    started = time.perf_counter()
    for text in texts:
        sign(text)
    return len(texts) / (time.perf_counter() - started)


def signature_speed(count: int) -> dict:
    """Median docs/s of newsbeam's signatures and datasketch's, over REPEATS passes."""
    from datasketch import MinHash

    from newsbeam.config import NearDedupConfig
    from newsbeam.core.dedup.minhash import Permutations, normalized_bytes, sign_text

    params = NearDedupConfig()
    perms = Permutations.create(params.num_perm, params.seed)
    texts = [t for c in range(max(1, count // CHUNK)) for _, t in documents(c)][:count]
    ours = statistics.median(_rate(lambda t: sign_text(t, params, perms), texts)
                             for _ in range(REPEATS))
    sample = texts[: min(len(texts), 2000)]

    def datasketch(text):  # datasketch on the same shingles (bytes of each 5-gram)
        tokens = normalized_bytes(text).split()
        minhash = MinHash(num_perm=params.num_perm, seed=params.seed)
        minhash.update_batch([b" ".join(tokens[i:i + 5]) for i in range(len(tokens) - 4)])

    theirs = statistics.median(_rate(datasketch, sample) for _ in range(REPEATS))
    return {"newsbeam_docs_per_s": round(ours), "datasketch_docs_per_s": round(theirs),
            "docs": len(texts)}


def stage(size: int) -> dict:
    """NearDedup alone on ``size`` documents, in this process."""
    import apache_beam as beam
    from apache_beam.metrics import MetricsFilter

    from newsbeam.config import NearDedupConfig
    from newsbeam.transforms.dedup.near import NearDedup

    def rows(chunk):
        for article_id, text in documents(chunk):
            yield {"article_id": article_id, "published_at": None, "text": text,
                   "url": None, "source": "bench", "input": article_id, "run_id": "bench"}

    started = time.perf_counter()
    pipeline = beam.Pipeline(runner="FnApiRunner")
    out = (pipeline | beam.Create(range(size // CHUNK)) | beam.Reshuffle() | beam.FlatMap(rows),
           pipeline | "NoIndex" >> beam.Create([])) | NearDedup(NearDedupConfig())
    for name in ("articles", "duplicates"):
        out[name] | f"Count{name}" >> beam.combiners.Count.Globally() | f"Drop{name}" >> beam.Map(
            lambda n: None)
    result = pipeline.run()
    result.wait_until_finish()
    seconds = time.perf_counter() - started
    counters = {c.key.metric.name: c.committed
                for c in result.metrics().query(MetricsFilter())["counters"]}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"docs": size, "seconds": round(seconds, 1), "docs_per_s": round(size / seconds),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(peak_rss_mb()),
            "load_avg_1m": round(os.getloadavg()[0], 1),  # the machine is shared: say how busy
            "newsbeam": str(pathlib.Path(sys.modules["newsbeam"].__file__).parents[1]),
            "counters": counters}


def true_pairs(size: int) -> set[frozenset]:
    """The corpus's near-duplicate pairs: each tenth document and its neighbour."""
    pairs = set()
    for chunk in range(size // CHUNK):
        ids = [doc_id for doc_id, _ in documents(chunk)]
        pairs.update(frozenset(ids[i:i + 2]) for i in range(0, CHUNK, 10))
    return pairs


def recall(size: int) -> dict:
    """NearDedup on ``size`` documents, its pairs (copy, kept) against the true pairs."""
    import apache_beam as beam

    from newsbeam.config import NearDedupConfig
    from newsbeam.transforms.dedup.near import NearDedup

    def rows(chunk):
        for article_id, text in documents(chunk):
            yield {"article_id": article_id, "published_at": None, "text": text,
                   "url": None, "source": "bench", "input": article_id, "run_id": "bench"}

    with tempfile.TemporaryDirectory(prefix="neardup-recall-") as scratch:
        prefix = os.path.join(scratch, "pairs")
        pipeline = beam.Pipeline(runner="FnApiRunner")
        out = (pipeline | beam.Create(range(size // CHUNK)) | beam.FlatMap(rows),
               pipeline | "NoIndex" >> beam.Create([])) | NearDedup(NearDedupConfig())
        (out["duplicates"] | beam.Map(lambda d: json.dumps([d["article_id"], d["duplicate_of"]]))
         | beam.io.WriteToText(prefix))
        pipeline.run().wait_until_finish()
        found = {frozenset(json.loads(line)) for path in pathlib.Path(scratch).glob("pairs*")
                 for line in path.read_text().splitlines()}
    truth = true_pairs(size)
    return {"docs": size, "true_pairs": len(truth), "found": len(found),
            "missed": len(truth - found), "false": len(found - truth),
            "newsbeam": str(pathlib.Path(sys.modules["newsbeam"].__file__).parents[1])}


def stage_in(tree: pathlib.Path, size: int) -> dict:
    """The stage from ``tree``'s newsbeam, in a child process (peaks do not mix)."""
    child = subprocess.run(
        [sys.executable, "-m", __spec__.name, "--stage", str(size), "--tree", str(tree)],
        capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(child.stdout.strip().splitlines()[-1])


def run_sizes(sizes: list[int], baseline: pathlib.Path | None) -> list[dict]:
    results = []
    for size in sizes:
        if baseline is not None:
            old = stage_in(baseline, size)
            print("baseline stage:", json.dumps(old), flush=True)
        results.append(stage_in(ROOT, size))
        print("stage:", json.dumps(results[-1]), flush=True)
        if baseline is not None:
            new = results[-1]
            print(f"  {size} docs: {new['seconds'] / old['seconds']:.2f}x the baseline's wall "
                  f"time, {new['cpu_seconds'] / old['cpu_seconds']:.2f}x its CPU time, "
                  f"{new['peak_rss_mb'] / old['peak_rss_mb']:.2f}x its peak RSS", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--signature-docs", type=int, default=10_000)
    parser.add_argument("--baseline", metavar="REF",
                        help="also run the stage from this git ref or directory, "
                             "alternating with this tree, size by size")
    parser.add_argument("--skip-signatures", action="store_true")
    parser.add_argument("--stage", type=int, help=argparse.SUPPRESS)  # child process...
    parser.add_argument("--tree", help=argparse.SUPPRESS)  # ...of this tree's newsbeam
    parser.add_argument("--recall", type=int, metavar="DOCS",
                        help="only: recall and false pairs of the stage on DOCS documents "
                             "(with --baseline, of both trees)")
    parser.add_argument("--recall-in", help=argparse.SUPPRESS)  # child process of a tree
    args = parser.parse_args()
    if args.stage or args.recall_in:
        sys.path.insert(0, args.tree)  # before anything imports newsbeam
        print(json.dumps(stage(args.stage) if args.stage else recall(int(args.recall_in))))
        return
    if args.recall:
        with tempfile.TemporaryDirectory(prefix="neardup-scale-") as scratch, \
                source_tree(args.baseline, pathlib.Path(scratch), "baseline") as baseline:
            for tree in ([baseline] if args.baseline else []) + [ROOT]:
                child = subprocess.run(
                    [sys.executable, "-m", __spec__.name, "--recall-in", str(args.recall),
                     "--tree", str(tree)], capture_output=True, text=True, check=True, cwd=ROOT)
                print("recall:", child.stdout.strip().splitlines()[-1], flush=True)
        return
    if not args.skip_signatures:
        print("signatures (one core):", json.dumps(signature_speed(args.signature_docs)),
              flush=True)
    with tempfile.TemporaryDirectory(prefix="neardup-scale-") as scratch, \
            source_tree(args.baseline, pathlib.Path(scratch), "baseline") as baseline:
        results = run_sizes(args.sizes, baseline if args.baseline else None)
    for small, big in zip(results, results[1:]):
        print(f"time {big['docs']}/{small['docs']}: {big['seconds'] / small['seconds']:.1f}x "
              f"for {big['docs'] / small['docs']:.0f}x the documents")


if __name__ == "__main__":
    main()
