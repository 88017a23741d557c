"""What live sources remember between runs, under ``<output>/_state/``.

- ``_state/listings/<run_id>-*.parquet``: each feed's/sitemap's ETag and Last-Modified,
  sent back as a conditional GET next time (the newest row per URL counts).
- ``_state/seen/<run_id>-*.parquet``: canonical URLs of the inputs a run ingested (as an
  article or a duplicate); later runs do not fetch them again. Rejected URLs are not
  remembered, so a transient failure is retried by the next run.

Each run adds its own files, written with the datasets and committed with them (see
``transforms/sinks.py``): a failed run leaves no state, so its inputs are retried.
"""
from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.normalize import canonicalize_url

STATE_DIR = "_state"
LISTINGS_TABLE, SEEN_TABLE = "listings", "seen"
TABLES = {
    LISTINGS_TABLE: pa.schema([
        pa.field("url", pa.string(), nullable=False),
        pa.field("etag", pa.string()),
        pa.field("last_modified", pa.string()),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]),
    SEEN_TABLE: pa.schema([
        pa.field("url", pa.string(), nullable=False),  # canonical URL of the input
        pa.field("run_id", pa.string(), nullable=False),
    ]),
}


def table_dir(output: str, table: str) -> str:
    return FileSystems.join(output, STATE_DIR, table)


def _read(output: str, table: str) -> list[dict]:
    pattern = FileSystems.join(table_dir(output, table), "*.parquet")
    rows = []
    for match in FileSystems.match([pattern])[0].metadata_list:
        with FileSystems.open(match.path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            rows += pq.read_table(handle, schema=TABLES[table]).to_pylist()
    return rows


def load_validators(output: str) -> dict[str, tuple[str | None, str | None]]:
    """Feed/sitemap URL -> (etag, last_modified) from the newest run that saw it."""
    newest = sorted(_read(output, LISTINGS_TABLE), key=lambda r: (r["recorded_at"], r["run_id"]))
    return {row["url"]: (row["etag"], row["last_modified"]) for row in newest}


def load_seen(output: str) -> frozenset[str]:
    return frozenset(row["url"] for row in _read(output, SEEN_TABLE))


def listing_row(url: str, etag: str | None, last_modified: str | None,
                recorded_at: datetime, run_id: str) -> dict:
    return {"url": url, "etag": etag, "last_modified": last_modified,
            "recorded_at": recorded_at, "run_id": run_id}


def seen_row(ingested: dict) -> dict | None:
    """The seen-URL row for an articles or duplicates row whose input was a URL."""
    url = canonicalize_url(ingested["input"])
    return {"url": url, "run_id": ingested["run_id"]} if url else None
