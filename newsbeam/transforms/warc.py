"""WARC archives in Beam: listed archives -> RawDocuments, rejects and ``files`` state rows.

- Archives an earlier run read (same path, size and modification time) are skipped before
  they get here (``transforms/sources.py``, like files); the rows of the archives read here are
  recorded in the same ``files`` state table, without a content hash.
- A ``.warc.gz`` is read by a splittable DoFn over byte ranges of ``split_bytes``: each
  range starts at its first gzip member holding a record and claims records by their
  offset, so one large archive is read by several workers and the runner may split it
  further while it runs. A plain ``.warc`` has no verifiable record boundaries, so it is
  read whole (one restriction that refuses splits).
- The documents are reshuffled before extraction, which costs far more than reading.
- Every HTML response (and every place an archive stops being readable) is an input;
  other records are counted per kind under the ``warc`` metrics namespace.
"""
from __future__ import annotations

from typing import Iterator

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider

from newsbeam.transforms.stage import ApplyStage, count_input
from newsbeam.core.files import FileInput, refuse_special
from newsbeam.core.warc import (ArchiveFailure, Entry, RecordFailure, Skipped, is_gzipped,
                                failure_at, read_archive, record_start)
from newsbeam.records.documents import RawDocument, Rejected
from newsbeam.records.run import RunContext
from newsbeam.store import fs

WARC = "warc"  # metrics namespace


class _WholeArchive(OffsetRange):
    """The range of an archive without verifiable record boundaries (a plain .warc)."""


class _WholeArchiveTracker(OffsetRestrictionTracker):
    def try_split(self, fraction_of_remainder):
        return None  # a reader starting mid-file could not tell a record from a payload


class _ReadArchive(beam.DoFn, RestrictionProvider):
    """(archive, byte range) -> the entries of the records that start in the range. Its
    own restriction provider: the ranges are ``split_bytes[source]`` long."""

    def __init__(self, split_bytes: dict[str, int], max_bytes: int):
        self.split_bytes, self.max_bytes = split_bytes, max_bytes

    def initial_restriction(self, item: FileInput) -> OffsetRange:
        if item.special:  # one range: one reject, and nothing is opened
            return _WholeArchive(0, 1)
        whole = OffsetRange if is_gzipped(item.uri) else _WholeArchive
        return whole(0, max(item.size, 1))

    def create_tracker(self, restriction: OffsetRange) -> OffsetRestrictionTracker:
        if isinstance(restriction, _WholeArchive):
            return _WholeArchiveTracker(restriction)
        return OffsetRestrictionTracker(restriction)

    def split(self, item: FileInput, restriction: OffsetRange) -> Iterator[OffsetRange]:
        if isinstance(restriction, _WholeArchive):
            yield restriction
        else:
            yield from restriction.split(self.split_bytes[item.source])

    def restriction_size(self, item: FileInput, restriction: OffsetRange) -> int:
        return restriction.size()

    def process(self, item: FileInput,
                tracker=beam.DoFn.RestrictionParam()) -> Iterator[Entry]:
        claims = _Claims(tracker)
        first = tracker.current_restriction().start
        try:
            refuse_special(item)
            with fs.open_read(item.uri) as handle:
                start = record_start(handle, first) if is_gzipped(item.uri) else first
                if start is not None:
                    yield from self._entries(item, handle, start, claims)
        except Exception as err:  # opening the archive or finding the range's first record
            if claims.last is None and claims(first):
                yield failure_at(item, first, err)
        claims.rest()

    def _entries(self, item, handle, start, claims) -> Iterator[Entry]:
        for entry in read_archive(item, handle, self.max_bytes, start, claims):
            Metrics.counter(WARC, "records").inc()
            if isinstance(entry, Skipped):
                Metrics.counter(WARC, f"skipped_{entry.kind}").inc()
                continue
            if isinstance(entry, ArchiveFailure):
                Metrics.counter(WARC, f"cut_short_{entry.reason}").inc()
            yield entry


class _Claims:
    """Claims record offsets on a tracker and, when reading stops, the rest of the range
    (a range must be claimed to its end, even where it holds no record of ours)."""

    def __init__(self, tracker: OffsetRestrictionTracker):
        self.tracker, self.last = tracker, None

    def __call__(self, offset: int) -> bool:
        self.last = offset
        return self.tracker.try_claim(offset)

    def rest(self) -> None:
        stop = self.tracker.current_restriction().stop
        if self.last is None or self.last < stop:
            self.tracker.try_claim(stop)


def _settle(entry: Entry) -> RawDocument:
    """The read stage: a document goes on, a failure becomes its reject."""
    if isinstance(entry, ArchiveFailure):
        raise Rejected(entry.reason, f"{entry.uri} at offset {entry.offset}: {entry.detail}")
    if isinstance(entry, RecordFailure):
        raise Rejected(entry.reason, entry.detail)
    return entry


def archive_row(item: FileInput, run: RunContext) -> dict:
    """The ``files`` state row of an archive read (no content hash: not read whole)."""
    return {"path": item.uri, "size": item.size, "mtime": item.mtime, "sha256": None,
            "run_id": run.run_id}


def _counted(item: FileInput) -> FileInput:
    Metrics.counter(WARC, "archives_read").inc()
    return item


def _remembered(keyed: tuple, run: RunContext) -> Iterator[dict]:
    """An archive read in this run, unless reading it failed for a reason that may pass
    (an I/O error): the next run tries that one again."""
    _, grouped = keyed
    if grouped["archives"] and not grouped["unreadable"]:
        yield archive_row(grouped["archives"][0], run)


class ReadArchives(beam.PTransform):
    """Listed archives (FileInputs) -> {"documents": RawDocuments, "rejects": rows,
    "archives": ``files`` state rows of the archives this run read}."""

    def __init__(self, split_bytes: dict[str, int], max_bytes: int, run: RunContext):
        super().__init__()
        self.split_bytes, self.max_bytes, self.run = split_bytes, max_bytes, run

    def expand(self, listed):
        archives = listed | "CountArchives" >> beam.Map(_counted)
        entries = (archives
                   | "SpreadArchives" >> beam.Reshuffle()
                   | "ReadRecords" >> beam.ParDo(_ReadArchive(self.split_bytes, self.max_bytes))
                   | "CountInputs" >> beam.Map(count_input)
                   | "SpreadRecords" >> beam.Reshuffle())
        documents, rejects = entries | "Settle" >> ApplyStage("read", _settle, self.run.run_id)
        failed_reads = (entries
                        | "Unreadable" >> beam.Filter(
                            lambda e: isinstance(e, ArchiveFailure) and e.reason == "unreadable")
                        | "UnreadableKeys" >> beam.Map(lambda e: (e.uri, True)))
        rows = ({"archives": archives | "ByPath" >> beam.WithKeys(lambda item: item.uri),
                 "unreadable": failed_reads}
                | "JoinFailures" >> beam.CoGroupByKey()
                | "Remember" >> beam.FlatMap(_remembered, run=self.run))
        return {"documents": documents, "rejects": rejects, "archives": rows}
