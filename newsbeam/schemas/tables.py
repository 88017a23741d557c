"""EVERY table schema newsbeam writes: the datasets (articles, duplicates, rejects) and the
state tables runs keep under ``_state/`` (dedup index, seen URLs, feed validators).

Each dataset column is declared once, with its type, nullability and meaning; the pyarrow
schemas, the column docs in SCHEMA.md and the row validation all derive from here.
Bump SCHEMA_VERSION whenever a dataset column is added, removed or changes meaning.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

import pyarrow as pa

SCHEMA_VERSION = 3

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.string())


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    nullable: bool
    doc: str


def _schema(name: str, columns: Iterable[Column]) -> pa.Schema:
    fields = [
        pa.field(c.name, c.type, nullable=c.nullable, metadata={"doc": c.doc}) for c in columns
    ]
    return pa.schema(fields, metadata={"dataset": name, "schema_version": str(SCHEMA_VERSION)})


ARTICLE_COLUMNS = (
    Column("article_id", pa.string(), False,
           "Stable id: SHA-256 (first 32 hex chars) of the canonical URL, or for an input "
           "without an http(s) URL, of its normalized text."),
    Column("url", pa.string(), True, "URL the article was read from, as given (null for local files)."),
    Column("canonical_url", pa.string(), True,
           "Normalized URL: lowercased scheme and host, no default port, fragment or tracking "
           "parameters, sorted query. Prefers the page's declared canonical URL."),
    Column("source", pa.string(), False, "Name of the config source the article came from."),
    Column("input", pa.string(), False, "The input item it was read from (file path or URL)."),
    Column("domain", pa.string(), True, "Host of canonical_url without a leading 'www.'."),
    Column("site_name", pa.string(), True, "Publisher name as the page declares it."),
    Column("title", pa.string(), True, "Headline."),
    Column("dateline", pa.string(), True, "Dateline moved out of the body, e.g. 'ANKARA'."),
    Column("authors", STRINGS, False, "Author names, in page order; empty when unknown."),
    Column("published_at", UTC_TIMESTAMP, True, "Publication time in UTC; null when unknown."),
    Column("fetched_at", UTC_TIMESTAMP, False,
           "When the input was fetched (UTC); a local file's modification time."),
    Column("language", pa.string(), True, "ISO 639-1 code, declared by the page or detected."),
    Column("text", pa.string(), False,
           "Cleaned body text; paragraphs separated by one blank line."),
    Column("description", pa.string(), True, "Summary or standfirst, as the page or feed gives it."),
    Column("tags", STRINGS, False, "Keywords and section tags; empty when none."),
    Column("image_url", pa.string(), True, "Main image URL."),
    Column("word_count", pa.int32(), False, "Number of words in text."),
    Column("content_hash", pa.string(), False,
           "SHA-256 (first 32 hex chars) of the normalized text: equal for texts that differ "
           "only in case, punctuation or whitespace."),
    Column("duplicate_count", pa.int32(), False, "How many copies were folded into this article."),
    Column("duplicate_urls", STRINGS, False,
           "URLs (or inputs, for local files) of the copies folded into this article, sorted."),
    Column("run_id", pa.string(), False, "Id of the run that wrote the row."),
    Column("schema_version", pa.int16(), False, "Version of this schema the row follows."),
)

DUPLICATE_COLUMNS = (
    Column("article_id", pa.string(), False, "Id the dropped copy would have had."),
    Column("url", pa.string(), True, "URL of the dropped copy (null for local files)."),
    Column("source", pa.string(), False, "Config source of the dropped copy."),
    Column("input", pa.string(), False, "The input item of the dropped copy."),
    Column("duplicate_of", pa.string(), False, "article_id of the article it duplicates."),
    Column("method", pa.string(), False,
           "Why it is a duplicate: 'url' (same canonical URL), 'content' (same content_hash) "
           "or 'near' (MinHash-LSH near-duplicate; see docs/near-duplicates.md). Matches "
           "against an earlier run's article use the same methods."),
    Column("similarity", pa.float32(), False,
           "Similarity to the article it was matched with: 1.0 for exact methods; for 'near' "
           "the estimated Jaccard of word 5-gram sets, or the estimated containment of the "
           "shorter text for truncated copies."),
    Column("run_id", pa.string(), False, "Id of the run that wrote the row."),
    Column("schema_version", pa.int16(), False, "Version of this schema the row follows."),
)

REJECT_COLUMNS = (
    Column("input", pa.string(), False, "The input item that was rejected (file path or URL)."),
    Column("source", pa.string(), False, "Config source it came from."),
    Column("stage", pa.string(), False, "Stage that rejected it: read, extract, normalize, ..."),
    Column("reason", pa.string(), False, "Short reason code, e.g. 'empty', 'binary', 'no_text'."),
    Column("error", pa.string(), True, "One-line detail of the problem."),
    Column("rejected_at", UTC_TIMESTAMP, False, "When it was rejected (UTC)."),
    Column("run_id", pa.string(), False, "Id of the run that wrote the row."),
    Column("schema_version", pa.int16(), False, "Version of this schema the row follows."),
)

# Every dataset ends with the day its rows were ingested, filled by the sink (the UTC day of
# a batch run, or of the start of a streaming window); rows are built without it.
INGEST_DATE = Column("ingest_date", pa.date32(), False,
                     "UTC day the row was ingested (a batch run's start, or a streaming "
                     "window's); also the name of the day folder the file is in.")
# Version 3: a nullable column after the ingest day (new columns go at the end).
ARTICLE_COLUMNS += (INGEST_DATE, Column(
    "kicker", pa.string(), True,
    "Topline above the headline where the page marks one (the first element of its <h1>, "
    "or the 'Kicker: ' prefix of its declared title); null otherwise. Since version 3."))
DUPLICATE_COLUMNS += (INGEST_DATE,)
REJECT_COLUMNS += (INGEST_DATE,)
SINK_COLUMNS = frozenset({INGEST_DATE.name})

ARTICLE_SCHEMA = _schema("articles", ARTICLE_COLUMNS)
DUPLICATE_SCHEMA = _schema("duplicates", DUPLICATE_COLUMNS)
REJECT_SCHEMA = _schema("rejects", REJECT_COLUMNS)

#: Dataset name -> schema; the dataset name is also its folder under the output directory.
DATASETS: dict[str, pa.Schema] = {
    "articles": ARTICLE_SCHEMA,
    "duplicates": DUPLICATE_SCHEMA,
    "rejects": REJECT_SCHEMA,
}


# --- state tables (internal: read back by later runs, not by users) ----------------------

DEDUP_INDEX, SEEN, LISTINGS, FILES = "dedup_index", "seen", "listings", "files"
PENDING = "pending"
MESSAGES = "messages"

STATE_TABLES: dict[str, pa.Schema] = {
    # Every kept article of earlier runs, for later runs to match (beam/dedup/earlier.py).
    DEDUP_INDEX: pa.schema([
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("published_at", UTC_TIMESTAMP),
        pa.field("canonical_url", pa.string()),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("shingles", pa.int32()),       # null: too short for near-dup
        pa.field("signature", pa.binary()),     # uint32 MinHash values; null with shingles
        pa.field("run_id", pa.string(), nullable=False),
    ], metadata={"dataset": DEDUP_INDEX}),
    # Canonical URLs of the inputs a run ingested (article or duplicate): not fetched again.
    SEEN: pa.schema([
        pa.field("url", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ], metadata={"dataset": SEEN}),
    # Each feed's and sitemap's validators, sent back as a conditional GET next time.
    LISTINGS: pa.schema([
        pa.field("url", pa.string(), nullable=False),
        pa.field("etag", pa.string()),
        pa.field("last_modified", pa.string()),
        pa.field("recorded_at", UTC_TIMESTAMP, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ], metadata={"dataset": LISTINGS}),
    # Every local or archive file a run read (whatever became of it): later runs skip a
    # file with the same path, size and modification time, or the same bytes.
    FILES: pa.schema([
        pa.field("path", pa.string(), nullable=False),
        pa.field("size", pa.int64(), nullable=False),
        pa.field("mtime", pa.float64(), nullable=False),
        pa.field("sha256", pa.string()),          # null: the file could not be read
        pa.field("run_id", pa.string(), nullable=False),
    ], metadata={"dataset": FILES}),
    # Articles of a chunked run's chunks, extracted but not yet deduplicated: the run's
    # last commit turns them into articles and duplicates and removes them (or the next
    # run's, if it was stopped first). Their MinHash signature is made once, here.
    PENDING: pa.schema([
        *(field for field in ARTICLE_SCHEMA if field.name not in SINK_COLUMNS),
        pa.field("shingles", pa.int32()),       # null: too short for near-dup, or it is off
        pa.field("signature", pa.binary()),
    ], metadata={"dataset": PENDING}),
    # Pub/Sub message ids a local stream committed (modes/pubsub_relay.py): a message
    # delivered again after a crash is acknowledged, not ingested twice.
    MESSAGES: pa.schema([
        pa.field("message_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ], metadata={"dataset": MESSAGES}),
}


def check_row(schema: pa.Schema, row: dict[str, Any]) -> dict[str, Any]:
    """Return ``row`` if its keys are exactly the schema's columns (but those the sink adds);
    raise otherwise. Catches a misspelt or forgotten column where the row is built, not at
    write time."""
    expected = set(schema.names) - SINK_COLUMNS
    if row.keys() != expected:
        missing = sorted(expected - row.keys())
        extra = sorted(row.keys() - expected)
        raise ValueError(f"row does not match {schema.metadata[b'dataset'].decode()}: "
                         f"missing {missing}, unexpected {extra}")
    return row


def schema_markdown() -> str:
    """Column documentation for every dataset, as Markdown (SCHEMA.md is generated from it)."""
    lines = [f"# Output schema (version {SCHEMA_VERSION})", "",
             "Generated by `python -m newsbeam.schemas`; do not edit by hand.", "",
             "Every dataset's files lie in day folders, `<dataset>/YYYY-MM-DD/*.parquet`, "
             "named by their `ingest_date` column.", "",
             "Schema evolution: a new version only adds nullable columns at the end (never "
             "renames, retypes or drops one) and bumps the version; files of every version "
             "stay readable side by side (read with `union_by_name` in DuckDB, or with this "
             "schema in pyarrow: missing columns read as null). See docs/store.md.", ""]
    for name, schema in DATASETS.items():
        lines += [f"## {name}", "", "| column | type | nullable | meaning |", "|---|---|---|---|"]
        for field in schema:
            doc = field.metadata[b"doc"].decode()
            lines.append(f"| `{field.name}` | `{field.type}` | {'yes' if field.nullable else 'no'} "
                         f"| {doc} |")
        lines.append("")
    return "\n".join(lines)
