"""A listed file -> its bytes -> RawDocument: type from the name, bytes bounded, gzip
inflated.

``.txt`` (headline line + body) and ``.html``/``.htm`` files, each optionally gzipped.
Empty, unreadable, oversized, corrupt-gzip or wrongly-typed files, and files that are not
regular files (FIFOs, sockets, devices: never opened), are refused with their reason. Loading never raises: a file that cannot be read is a ``LoadedFile`` with a reason,
so a run can record it and ``to_raw_document`` turns it into a reject. The file is opened
by the caller's ``open_file`` (Beam's FileSystems in a pipeline), so it may live on any
filesystem.
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import zlib
from datetime import datetime, timezone
from typing import BinaryIO, Callable

from newsbeam.records.documents import OfItem, RawDocument, Rejected

MEDIA_TYPES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}


@dataclasses.dataclass(frozen=True)
class FileInput:
    """One listed file: an input of the run."""

    source: str
    path: str         # absolute path or URI, as the filesystem names it
    size: int         # bytes on disk
    mtime: float      # modification time, seconds since the epoch
    special: str | None = None  # what it is when not a regular file ("a FIFO"): never opened

    @property
    def uri(self) -> str:
        """The path as records store it (see ``printable_path``)."""
        return printable_path(self.path)

    @property
    def key(self) -> str:
        """Same path, size and modification time: the same file as far as a listing tells."""
        return f"{self.uri}\0{self.size}\0{self.mtime!r}"


@dataclasses.dataclass(frozen=True)
class LoadedFile(OfItem):
    """A file's (decompressed) bytes, or why it could not be read."""

    item: FileInput
    body: bytes | None = None
    reason: str | None = None
    detail: str = ""

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.body is not None else None


def printable_path(path: str) -> str:
    """``path`` as valid UTF-8 text, for rows and logs.

    A local file name may hold bytes that are not UTF-8 (``bad\xff.html``); Python keeps
    them as lone surrogates (PEP 383), which no UTF-8 encoder (Beam's coders, Parquet)
    accepts. They become backslash escapes, ``bad\\xff.html``, as ``ls -b`` and Python's
    ``repr`` show them: readable, and the same every run (printing twice changes nothing,
    so the ``files`` state table's paths key the same files again). The file itself is
    still opened by its real ``path``."""
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file system decode makes: escape it too
        return path.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def media_type_of(path: str) -> str:
    stem = path[:-3] if path.lower().endswith(".gz") else path
    suffix = os.path.splitext(stem)[1].lower()
    if suffix not in MEDIA_TYPES:
        raise Rejected("unsupported_file_type", f"'{printable_path(suffix) or 'no suffix'}' "
                       "is not one of .txt, .html, .htm (optionally .gz)")
    return MEDIA_TYPES[suffix]


def _read_bounded(item: FileInput, handle: BinaryIO, max_bytes: int) -> bytes:
    """The file's (decompressed) bytes; refuses more than ``max_bytes`` of either."""
    if item.size > max_bytes:
        raise Rejected("too_large", f"file is {item.size} bytes, limit {max_bytes}")
    if item.path.lower().endswith(".gz"):
        handle = gzip.GzipFile(fileobj=handle, mode="rb")
    body = handle.read(max_bytes + 1)  # reading one byte more tells if it is over
    if len(body) > max_bytes:
        raise Rejected("too_large", f"decompresses to more than {max_bytes} bytes")
    return body


def refuse_special(item: FileInput) -> None:
    """A FIFO, socket or device matched by a glob is bad input, refused unopened."""
    if item.special:
        raise Rejected("not_a_regular_file", f"{item.special}, not a regular file: not opened")


def _read(item: FileInput, open_file: Callable[[str], BinaryIO], max_bytes: int) -> bytes:
    refuse_special(item)
    media_type_of(item.path)  # a wrong type is refused before any reading
    try:
        with open_file(item.path) as handle:
            body = _read_bounded(item, handle, max_bytes)
    except (gzip.BadGzipFile, zlib.error, EOFError) as err:
        raise Rejected("corrupt_gzip", str(err)) from None
    except OSError as err:
        raise Rejected("unreadable", f"{type(err).__name__}: {err.strerror or err}") from None
    if not body.strip():
        raise Rejected("empty", "file is empty" if not body else "file holds only whitespace")
    return body


def load(item: FileInput, open_file: Callable[[str], BinaryIO], max_bytes: int) -> LoadedFile:
    try:
        return LoadedFile(item, _read(item, open_file, max_bytes))
    except Rejected as refusal:
        return LoadedFile(item, reason=refusal.reason, detail=refusal.detail)


def to_raw_document(loaded: LoadedFile) -> RawDocument:
    """The read stage: the document, or the reason the file could not be read."""
    if loaded.reason is not None:
        raise Rejected(loaded.reason, loaded.detail)
    item = loaded.item
    return RawDocument(
        source=item.source, uri=item.uri, body=loaded.body, media_type=media_type_of(item.path),
        fetched_at=datetime.fromtimestamp(item.mtime, tz=timezone.utc))


def read_document(item: FileInput, open_file: Callable[[str], BinaryIO],
                  max_bytes: int) -> RawDocument:
    """Load and read one file in one call (raises ``Rejected``)."""
    return to_raw_document(load(item, open_file, max_bytes))
