"""WARC archive -> entries: a RawDocument per HTML response, a Skipped per other record, and
at most one ArchiveFailure where the archive cannot be read further. No Beam.

Read with warcio (see docs/scale-out.md for why not FastWARC), streaming: one record's
payload at a time, at most ``max_bytes`` of it. A range of a gzipped archive can be read
on its own: ``record_start`` finds the first record (gzip member) at or after a byte
offset, and ``read_archive`` asks its caller to ``claim`` each record's offset before
reading it, so ranges split anywhere in the file read each record exactly once.
"""
from __future__ import annotations

import dataclasses
import zlib
from datetime import datetime, timezone
from typing import BinaryIO, Callable, Iterator, Union

from warcio.archiveiterator import ArchiveIterator

from newsbeam.core.files import FileInput
from newsbeam.records.documents import RawDocument, Rejected

HTML_TYPES = ("text/html", "application/xhtml+xml")
GZIP_MEMBER = b"\x1f\x8b\x08"
_SCAN_BLOCK = 1 << 16
_DRAIN_BLOCK = 1 << 16


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A record that is not an article page; ``kind``: its WARC type (``revisit``,
    ``request``, ``metadata``, ...) or, for responses, ``non_200`` / ``non_html``."""

    kind: str


@dataclasses.dataclass(frozen=True)
class RecordFailure:
    """An HTML response that cannot be an input (too large): one reject of its own."""

    source: str
    uri: str
    reason: str
    detail: str


@dataclasses.dataclass(frozen=True)
class ArchiveFailure:
    """Where an archive stops being readable: the rest of it (or of its range) is lost."""

    source: str
    uri: str      # the archive
    offset: int   # byte offset of the record (or gzip member) that could not be read
    reason: str   # corrupt_archive, truncated_record, unreadable, not_a_regular_file
    detail: str


Entry = Union[RawDocument, Skipped, RecordFailure, ArchiveFailure]


def is_gzipped(uri: str) -> bool:
    return uri.lower().endswith(".gz")


def record_uri(archive: str, offset: int) -> str:
    """The input name of one record: the archive and the record's byte offset."""
    return f"{archive}#{offset}"


def target_url(value: str | None) -> str | None:
    """WARC-Target-URI as written; wget (WARC 1.0 drafts) wraps it in angle brackets."""
    value = (value or "").strip()
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value or None


def media_type_and_charset(content_type: str | None) -> tuple[str, str | None]:
    media_type, _, params = (content_type or "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'")
    return media_type.strip().lower(), charset


def warc_date(value: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(
        timezone.utc)


def record_start(handle: BinaryIO, start: int) -> int | None:
    """The offset of the first gzip member at or after ``start`` whose content begins a
    WARC record (None: there is none). A member's magic bytes can occur inside compressed
    data by chance; inflating a few bytes and finding ``WARC/`` rules that out."""
    if start == 0:
        return 0
    position = start
    while True:
        handle.seek(position)
        block = handle.read(_SCAN_BLOCK + len(GZIP_MEMBER) - 1)
        if len(block) < len(GZIP_MEMBER):
            return None
        found = block.find(GZIP_MEMBER)
        while found != -1:
            if _begins_record(handle, position + found):
                return position + found
            found = block.find(GZIP_MEMBER, found + 1)
        position += _SCAN_BLOCK


def _begins_record(handle: BinaryIO, offset: int) -> bool:
    handle.seek(offset)
    try:
        head = zlib.decompressobj(wbits=31).decompress(handle.read(4096), 16)
    except zlib.error:
        return False
    return head.startswith(b"WARC/")


def _drain(record) -> None:
    """Read what is left of a record's block, so a record cut short shows (limit > 0)."""
    while record.raw_stream.read(_DRAIN_BLOCK):
        pass


def _classify(record) -> str | None:
    """Why a record is skipped, or None for an HTML response with status 200."""
    if record.rec_type != "response":
        return record.rec_type or "unknown"
    if record.http_headers is None:
        return "non_http"
    if record.http_headers.get_statuscode() != "200":
        return "non_200"
    media_type, _ = media_type_and_charset(record.http_headers.get_header("Content-Type"))
    return None if media_type in HTML_TYPES else "non_html"


def _document(item: FileInput, record, offset: int, body: bytes) -> RawDocument:
    headers = record.rec_headers
    _, charset = media_type_and_charset(record.http_headers.get_header("Content-Type"))
    fetched_at = (warc_date(headers.get_header("WARC-Date"))
                  or datetime.fromtimestamp(item.mtime, tz=timezone.utc))
    return RawDocument(source=item.source, uri=record_uri(item.uri, offset), body=body,
                       media_type="text/html", fetched_at=fetched_at,
                       url=target_url(headers.get_header("WARC-Target-URI")), charset=charset)


def _entry(item: FileInput, record, offset: int, max_bytes: int) -> Entry:
    skipped = _classify(record)
    if not skipped:
        body = record.content_stream().read(max_bytes + 1)
        if len(body) > max_bytes:
            return RecordFailure(item.source, record_uri(item.uri, offset), "too_large",
                                 f"payload is more than {max_bytes} bytes")
    _drain(record)
    if record.raw_stream.limit:
        return ArchiveFailure(item.source, item.uri, offset, "truncated_record",
                              f"the record ends {record.raw_stream.limit} bytes short of "
                              f"its {record.length}")
    return Skipped(skipped) if skipped else _document(item, record, offset, body)


def read_archive(item: FileInput, handle: BinaryIO, max_bytes: int, start: int = 0,
                 claim: Callable[[int], bool] = lambda offset: True) -> Iterator[Entry]:
    """Entries of the records from byte ``start`` (a record boundary) on, while ``claim``
    accepts each record's offset. A record that cannot be read ends the iteration with one
    ArchiveFailure naming its offset. ``handle`` is a seekable binary file.

    Damage between records is reported once, however the archive is cut into ranges: by
    the reader of the record before it (``_between_records``)."""
    handle.seek(start)
    records = ArchiveIterator(handle)
    claimed = None  # offset of the last record claimed; before a record is read, warcio's
    while True:     # offset is where it starts (an offset in the file)
        try:
            record = next(records)
        except StopIteration:
            if records.offset < item.size:  # warcio ends quietly in a member cut short
                failure = ArchiveFailure(
                    item.source, item.uri, records.offset, "truncated_record",
                    f"the last {item.size - records.offset} bytes hold no whole record")
                yield from _between_records(failure, start, claimed)
            return
        except Exception as err:  # warcio meets damage with any error (AttributeError too)
            yield from _between_records(failure_at(item, records.offset, err), start, claimed)
            return
        if claimed is not None and records.offset <= claimed:  # records share a member
            yield _corrupt(item, claimed, ValueError("record offsets do not advance"))
            return
        claimed = records.offset
        if not claim(claimed):
            return
        try:
            entry = _entry(item, record, claimed, max_bytes)
        except Exception as err:
            entry = failure_at(item, claimed, err)
        yield entry
        if isinstance(entry, ArchiveFailure):
            return


def _between_records(failure: ArchiveFailure, start: int,
                     claimed: int | None) -> Iterator[ArchiveFailure]:
    """A failure where the next record should start. Only the reader that claimed the
    record before it reports it (one reader does: it read everything up to there), or at
    the start of the file the first range's. When warcio's offset did not move past the
    last record (a gzip member holding several records leaves it meaningless), the failure
    is put at that record."""
    if claimed is None:
        if start == 0:
            yield dataclasses.replace(failure, offset=0)
    else:
        yield dataclasses.replace(failure, offset=max(failure.offset, claimed))


def failure_at(item: FileInput, offset: int, err: Exception) -> ArchiveFailure:
    """Any error reading at ``offset``: an I/O error may pass (``unreadable``, read again
    next run); anything else is damage in the archive."""
    if isinstance(err, Rejected):  # refused before reading, e.g. not a regular file
        return ArchiveFailure(item.source, item.uri, offset, err.reason, err.detail)
    return unreadable(item, offset, err) if isinstance(err, OSError) \
        else _corrupt(item, offset, err)


def _corrupt(item: FileInput, offset: int, err: Exception) -> ArchiveFailure:
    detail = " ".join(str(err).split())[:300] or type(err).__name__
    return ArchiveFailure(item.source, item.uri, offset, "corrupt_archive", detail)


def unreadable(item: FileInput, offset: int, err: OSError) -> ArchiveFailure:
    return ArchiveFailure(item.source, item.uri, offset, "unreadable",
                          f"{type(err).__name__}: {err.strerror or err}")
