"""What runs remember between runs, under ``<output>/_state/`` (schemas: ``schemas.tables``).

- ``dedup_index``: every kept article of earlier runs (ids, dates, URL, content hash, MinHash
  signature), and ``params.json``, the near-dup parameters the signatures were made with.
- ``seen``: canonical URLs of the inputs a run ingested (as an article or a duplicate);
  later runs do not fetch them again. Rejected URLs are not remembered, so a transient
  failure is retried by the next run.
- ``listings``: each feed's/sitemap's ETag and Last-Modified, sent back as a conditional
  GET next time (the newest row per URL counts).
- ``messages``: ids of the Pub/Sub messages a local stream committed, read by its relay
  (``modes/pubsub_relay.py``) to acknowledge them, and to drop them when delivered again.

Each run adds its own files, staged and committed with the datasets (``transforms/sinks.py``):
a failed run leaves no state, so its inputs are retried. Runs read these files inside the
pipeline (``transforms/``), never while the pipeline is built.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from newsbeam.config import ConfigError, NearDedupConfig
from newsbeam.core.dedup.minhash import index_params
from newsbeam.core.normalize.urls import canonicalize_url
from newsbeam.schemas.tables import DEDUP_INDEX, MESSAGES
from newsbeam.store import fs, layout
from newsbeam.store.integrity import Damaged, Problem
from newsbeam.store.parquet import read_table


def state_files(output: str, table: str) -> list[str]:
    """The committed files of one state table, sorted."""
    return fs.match_paths(layout.state_files_pattern(output, table))


def committed_messages(output: str, known_files: set[str]) -> set[str]:
    """Message ids in the committed ``messages`` files not in ``known_files`` (which it
    extends). A file is in ``_state/`` only once its commit is applied."""
    ids: set[str] = set()
    for path in state_files(output, MESSAGES):
        if path not in known_files:
            ids.update(read_table(path, columns=["message_id"]).column("message_id").to_pylist())
            known_files.add(path)
    return ids


def newest_validators(rows: Iterable[dict]) -> dict[str, tuple[str | None, str | None]]:
    """Feed/sitemap URL -> (etag, last_modified) from the newest run that saw it."""
    newest = sorted(rows, key=lambda r: (r["recorded_at"], r["run_id"]))
    return {row["url"]: (row["etag"], row["last_modified"]) for row in newest}


def listing_row(url: str, etag: str | None, last_modified: str | None,
                recorded_at: datetime, run_id: str) -> dict:
    return {"url": url, "etag": etag, "last_modified": last_modified,
            "recorded_at": recorded_at, "run_id": run_id}


def seen_row(ingested: dict) -> dict | None:
    """The seen-URL row for an articles or duplicates row whose input was a URL."""
    url = canonicalize_url(ingested["input"])
    return {"url": url, "run_id": ingested["run_id"]} if url else None


def prepare_index(output: str, params: NearDedupConfig) -> None:
    """Check the dedup index's parameters against the config (ConfigError if they differ),
    and record them for a new index. Signatures made with other permutations or shingles
    cannot be compared, so such a run is refused before it starts."""
    path = layout.params_path(output, DEDUP_INDEX)
    wanted = index_params(params)
    if state_files(output, DEDUP_INDEX) and fs.exists(path):
        try:
            recorded = json.loads(fs.read_bytes(path))
        except ValueError as err:
            raise Damaged(output, [Problem(layout.relative(output, path),
                                           f"does not parse ({err})")]) from err
        differ = [k for k in [*wanted, *recorded] if wanted.get(k) != recorded.get(k)]
        if differ:
            key = differ[0]
            raise ConfigError(
                f"dedup.near: the dedup index in {layout.state_dir(output, DEDUP_INDEX)} was "
                f"built with {key}={recorded.get(key)!r}, this config gives "
                f"{wanted.get(key)!r}; use the index's parameters or a new output directory")
        return
    fs.ensure_dir(layout.state_dir(output, DEDUP_INDEX))
    fs.write_atomically(path, json.dumps(wanted, indent=2, sort_keys=True).encode())
