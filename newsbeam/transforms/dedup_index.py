"""The cross-run dedup index: every kept article of earlier runs, for later runs to match.

``<output>/_state/dedup_index/`` holds Parquet files (one set per run, committed with the
run's datasets by ``sinks.WriteDatasets``, so the index and the articles appear together or
not at all) and ``params.json``, the near-dup parameters the signatures were made with.
A run reads every file at its start: a new article with an earlier article's canonical URL
or content hash becomes a ``url``/``content`` duplicate of it, and one near an earlier
article a ``near`` duplicate (its signature joins the LSH buckets). Earlier articles are
never re-emitted. A run whose parameters differ from ``params.json`` is refused up front:
signatures made with other permutations or shingles cannot be compared.
"""
from __future__ import annotations

import json
from typing import Iterator

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from newsbeam.config import ConfigError, NearDedupConfig
from newsbeam.schemas.article import UTC_TIMESTAMP
from newsbeam.transforms.dedup import canonical_rank, content_key, duplicate_row
from newsbeam.transforms.neardup import Signed, index_params, rank_key
from newsbeam.transforms.sinks import ensure_dir

NAME = "dedup_index"
PARAMS_FILE = "params.json"

INDEX_SCHEMA = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("published_at", UTC_TIMESTAMP),
    pa.field("canonical_url", pa.string()),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("shingles", pa.int32()),       # null: too short for near-dup
    pa.field("signature", pa.binary()),     # uint32 MinHash values; null with shingles
    pa.field("run_id", pa.string(), nullable=False),
], metadata={"dataset": NAME})


def index_dir(output: str) -> str:
    return FileSystems.join(output, "_state", NAME)


def index_files(output: str) -> list[str]:
    """The committed index files, sorted (the reading order never matters, but be tidy)."""
    folder = index_dir(output)
    if not FileSystems.exists(folder):
        return []
    (matched,) = FileSystems.match([FileSystems.join(folder, "*.parquet")])
    return sorted(m.path for m in matched.metadata_list)


def prepare(output: str, params: NearDedupConfig) -> list[str]:
    """Check the index's parameters against the config (ConfigError if they differ),
    record them for a new index, and return the index files to read."""
    folder, files = index_dir(output), index_files(output)
    path = FileSystems.join(folder, PARAMS_FILE)
    wanted = index_params(params)
    if files and FileSystems.exists(path):
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            recorded = json.loads(handle.read())
        differ = [k for k in [*wanted, *recorded] if wanted.get(k) != recorded.get(k)]
        if differ:
            key = differ[0]
            raise ConfigError(
                f"dedup.near: the dedup index in {folder} was built with {key}="
                f"{recorded.get(key)!r}, this config gives {wanted.get(key)!r}; use the "
                f"index's parameters or a new output directory")
        return files
    ensure_dir(folder)
    staged = path + ".tmp"
    with FileSystems.create(staged, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.write(json.dumps(wanted, indent=2, sort_keys=True).encode())
    FileSystems.rename([staged], [path])
    return files


def index_row(row: dict, signed: Signed | None) -> dict:
    return {"article_id": row["article_id"], "published_at": row["published_at"],
            "canonical_url": row["canonical_url"], "content_hash": row["content_hash"],
            "shingles": signed.size if signed else None,
            "signature": signed.signature if signed else None, "run_id": row["run_id"]}


def to_signed(entry: dict) -> Iterator[Signed]:
    if entry["signature"] is not None:
        yield Signed(rank_key(entry["published_at"], entry["article_id"], True),
                     entry["shingles"], entry["signature"])


def _read(path: str) -> Iterator[dict]:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        for batch in pq.ParquetFile(handle).iter_batches(batch_size=10_000):
            yield from batch.to_pylist()


class ReadIndex(beam.PTransform):
    """The index files (listed by ``prepare`` before the run) -> index entries."""

    def __init__(self, files: list[str]):
        super().__init__()
        self.files = list(files)

    def expand(self, pipeline):
        return (pipeline
                | "Files" >> beam.Create(self.files)
                | "Reshuffle" >> beam.Reshuffle()
                | "Read" >> beam.FlatMap(_read))


# --- exact matches against earlier runs -------------------------------------------------

def _earlier_rank(entry: dict) -> tuple:
    return canonical_rank({**entry, "input": ""})


class _FoldIntoEarlier(beam.DoFn):
    """Per key: this run's articles, or duplicates of the earliest earlier article."""

    def __init__(self, method: str):
        self.method = method
        self.folded = Metrics.counter("dedup", f"duplicates_{method}_earlier_run")

    def process(self, keyed: tuple) -> Iterator:
        _, grouped = keyed
        earlier = min(grouped["earlier"], key=_earlier_rank, default=None)
        for row in grouped["new"]:
            if earlier is None:
                yield row
            else:
                self.folded.inc()
                yield beam.pvalue.TaggedOutput("duplicates",
                                               duplicate_row(row, earlier, self.method))


class _MatchOn(beam.PTransform):
    def __init__(self, method: str, key):
        super().__init__()
        self.method, self.key = method, key

    def expand(self, pcolls):
        rows, entries = pcolls
        key = self.key
        result = (
            {"new": rows | "KeyNew" >> beam.FlatMap(lambda r: [(key(r), r)] if key(r) else []),
             "earlier": entries | "KeyEarlier" >> beam.FlatMap(
                 lambda e: [(key(e), e)] if key(e) else [])}
            | "Join" >> beam.CoGroupByKey()
            | "Fold" >> beam.ParDo(_FoldIntoEarlier(self.method)).with_outputs(
                "duplicates", main="kept"))
        # Rows without a key (no canonical URL) pass untouched.
        unkeyed = rows | "Unkeyed" >> beam.Filter(lambda r: not key(r))
        kept = (result.kept, unkeyed) | "Kept" >> beam.Flatten()
        return kept, result.duplicates


class MatchEarlierRuns(beam.PTransform):
    """(article rows, index entries) -> (rows new to the index, url/content duplicates)."""

    def expand(self, pcolls):
        rows, entries = pcolls
        by_url, url_dups = (rows, entries) | "ByUrl" >> _MatchOn(
            "url", lambda r: r["canonical_url"])
        kept, content_dups = (by_url, entries) | "ByContent" >> _MatchOn("content", content_key)
        return kept, (url_dups, content_dups) | "Duplicates" >> beam.Flatten()
