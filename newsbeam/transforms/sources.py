"""Sources -> RawDocument: one reader per config ``kind``.

A source is expanded into input items when the pipeline is built (a files source lists
its files), and each item is read inside the pipeline, so a bad item becomes a reject.
"""
from __future__ import annotations

import dataclasses
import gzip
import os
import zlib
from datetime import datetime, timezone
from functools import partial

import apache_beam as beam

from newsbeam.config import LIVE_SOURCES, Config, FilesSource
from newsbeam.schemas.documents import RawDocument, Rejected
from newsbeam.transforms.fetch import ReadLiveSources
from newsbeam.transforms.stage import ApplyStage, RunContext, count_input

MEDIA_TYPES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}


@dataclasses.dataclass(frozen=True)
class FileInput:
    source: str
    uri: str  # absolute path


def media_type_of(path: str) -> str:
    stem = path[:-3] if path.lower().endswith(".gz") else path
    suffix = os.path.splitext(stem)[1].lower()
    if suffix not in MEDIA_TYPES:
        raise Rejected("unsupported_file_type",
                       f"'{suffix or 'no suffix'}' is not one of .txt, .html, .htm (optionally .gz)")
    return MEDIA_TYPES[suffix]


def _read_bounded(path: str, max_bytes: int) -> bytes:
    """The file's (decompressed) bytes; refuses more than ``max_bytes`` of either."""
    if os.path.getsize(path) > max_bytes:
        raise Rejected("too_large", f"file is {os.path.getsize(path)} bytes, limit {max_bytes}")
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        body = handle.read(max_bytes + 1)  # reading one byte more tells if it is over
    if len(body) > max_bytes:
        raise Rejected("too_large", f"decompresses to more than {max_bytes} bytes")
    return body


def read_file(item: FileInput, max_bytes: int) -> RawDocument:
    media_type = media_type_of(item.uri)
    try:
        body = _read_bounded(item.uri, max_bytes)
        mtime = os.path.getmtime(item.uri)
    except (gzip.BadGzipFile, zlib.error, EOFError) as err:
        raise Rejected("corrupt_gzip", str(err)) from None
    except OSError as err:
        raise Rejected("unreadable", f"{type(err).__name__}: {err.strerror or err}") from None
    if not body.strip():
        raise Rejected("empty", "file is empty" if not body else "file holds only whitespace")
    return RawDocument(
        source=item.source, uri=item.uri, body=body, media_type=media_type,
        fetched_at=datetime.fromtimestamp(mtime, tz=timezone.utc))


def file_inputs(source: FilesSource) -> list[FileInput]:
    return [FileInput(source.name, path) for path in source.list_files()]


class ReadSources(beam.PTransform):
    """Config sources -> {"documents": RawDocuments, "rejects": rows, "listings": fetch-state
    rows of the feeds and sitemaps read (see ``fetching/state.py``)}."""

    def __init__(self, config: Config, run: RunContext):
        super().__init__()
        self.config, self.run = config, run

    def expand(self, pipeline):
        items = [item for source in self.config.sources if isinstance(source, FilesSource)
                 for item in file_inputs(source)]
        read = partial(read_file, max_bytes=self.config.limits.max_document_bytes)
        documents, rejects = (
            pipeline
            | "ListFiles" >> beam.Create(items)
            | "CountInputs" >> beam.Map(count_input)
            | "Spread" >> beam.Reshuffle()
            | "ReadFiles" >> ApplyStage("read", read, self.run))
        live_sources = tuple(s for s in self.config.sources if isinstance(s, LIVE_SOURCES))
        if not live_sources:
            return {"documents": documents, "rejects": rejects,
                    "listings": pipeline | "NoListings" >> beam.Create([])}
        live = pipeline | "Live" >> ReadLiveSources(
            live_sources, self.config.fetch, self.config.output, self.run)
        return {
            "documents": (documents, live["documents"]) | "AllDocuments" >> beam.Flatten(),
            "rejects": (rejects, live["rejects"]) | "AllReadRejects" >> beam.Flatten(),
            "listings": live["listings"],
        }
