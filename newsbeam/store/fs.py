"""Files through Beam's FileSystems, so an output or source may be local or on any filesystem
Beam has (gs://, s3://, hdfs://, ...). The one place that opens, lists and moves files.

Object stores (S3, GCS, Azure: Beam's filesystems without directories) differ from a disk
in three ways handled here: an object appears whole when its upload completes (so a write
needs no temporary file, and a rename is a copy then a delete); folders do not exist apart
from the objects under them (``ensure_dir`` does nothing, ``dir_exists`` and ``delete_tree``
work on the prefix); and an upload of zero bytes fails in Beam's S3 client (write at least
one byte).
See docs/store-object-storage.md."""
from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import tempfile
from typing import BinaryIO

from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.localfilesystem import LocalFileSystem

from newsbeam.store import s3_clients

s3_clients.install()

# What to install for the filesystems Beam ships behind an extra.
_EXTRAS = {"gs": "apache-beam[gcp]", "s3": "apache-beam[aws]", "azfs": "apache-beam[azure]",
           "hdfs": "apache-beam[hadoop] (and --hdfs_host/--hdfs_port)"}

join = FileSystems.join
exists = FileSystems.exists


def unsupported(path: str) -> str | None:
    """Why Beam cannot read or write ``path`` here (one line), or None when it can."""
    try:
        FileSystems.get_filesystem(path)
    except Exception:  # ValueError for unknown schemes, BeamIOError for a missing import
        scheme = path.partition("://")[0].lower()
        needs = _EXTRAS.get(scheme)
        return (f"{scheme}:// needs {needs}" if needs
                else f"Beam has no filesystem for {scheme}:// paths")
    return None


# Kernel interfaces, not places for data: a run writing there fails late or harms the machine.
_VIRTUAL_ROOTS = ("/proc", "/sys", "/dev")


def local_write_problem(path: str) -> str | None:
    """Why a run could not create and fill the folder ``path`` on this machine (one line),
    or None. For local paths only; the check leaves nothing behind."""
    real = os.path.realpath(path)
    root = next((r for r in _VIRTUAL_ROOTS if real == r or real.startswith(r + "/")), None)
    if root:
        return f"{path} is in {root}, a kernel interface, not a folder for data"
    existing = real
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return (f"{path} is a file, not a folder" if existing == real
                else f"{path} is under {existing}, which is a file")
    try:  # the one sure test of writability (permissions, read-only mounts, quotas)
        os.rmdir(tempfile.mkdtemp(prefix=".newsbeam-check-", dir=existing))
    except OSError as err:
        return f"{path} cannot be written: {err.strerror} ({existing})"
    return None


def open_read(path: str) -> BinaryIO:
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def create(path: str) -> BinaryIO:
    return FileSystems.create(path, mime_type="application/octet-stream",
                              compression_type=CompressionTypes.UNCOMPRESSED)


def read_bytes(path: str) -> bytes:
    with open_read(path) as handle:
        return handle.read()


def is_object_store(path: str) -> bool:
    """True where there are no real folders and no atomic rename (S3, GCS, Azure)."""
    return not FileSystems.get_filesystem(path).has_dirs()


# --- durability -----------------------------------------------------------------------------
#
# On a local disk a file's bytes and its folder entry reach the disk only when the kernel
# flushes them: a power cut may leave a file that was "written" empty or cut short, or a
# rename undone. The store flushes (fsync) every file it writes and every folder it adds a
# file to before the commit point counts. On object stores a completed upload is durable:
# nothing to do. ``NEWSBEAM_FSYNC=0`` turns flushing off (what it costs: BENCHMARKS.md).

def _syncing(path: str) -> bool:
    return os.environ.get("NEWSBEAM_FSYNC", "1") != "0" and "://" not in path


def sync(path: str) -> None:
    """Flush a local file or folder to the disk; nothing on object stores."""
    if not _syncing(path):
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folders(paths, up_to: str) -> None:
    """Flush the folders holding ``paths`` and their parents up to ``up_to`` (a new folder
    is an entry in its parent): once each, however many paths share them."""
    if not paths or not _syncing(up_to):
        return
    top, folders = up_to.rstrip("/"), set()
    for path in paths:
        folder = os.path.dirname(path)
        while folder not in folders and len(folder) >= len(top):
            folders.add(folder)
            folder = os.path.dirname(folder)
    for folder in sorted(folders, key=len, reverse=True):
        if os.path.isdir(folder):
            sync(folder)


@dataclasses.dataclass(frozen=True)
class Written:
    """What a reader can check a written file against: its size and SHA-256."""
    size: int
    sha256: str


class _CheckedWriter:
    """A write handle that counts and hashes what goes through it and, on a local disk,
    flushes the file to the disk when closed (``written`` is set then)."""

    def __init__(self, path: str):
        self.path, self._handle = path, create(path)
        self._hash, self._size, self.written = hashlib.sha256(), 0, None

    def write(self, data) -> int:
        self._hash.update(data)
        self._size += len(data)
        return self._handle.write(data)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        self._handle.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        if self._handle.closed:
            return
        self._handle.flush()
        if _syncing(self.path) and hasattr(self._handle, "fileno"):
            os.fsync(self._handle.fileno())
        self._handle.close()
        self.written = Written(self._size, self._hash.hexdigest())

    def __enter__(self) -> "_CheckedWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def create_checked(path: str) -> _CheckedWriter:
    """``create``, and after ``close`` the handle's ``written`` says the size and SHA-256."""
    return _CheckedWriter(path)


def checksum(path: str) -> Written:
    """Size and SHA-256 of a stored file, read in 1 MB blocks."""
    digest, size = hashlib.sha256(), 0
    with open_read(path) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return Written(size, digest.hexdigest())


def write_atomically(path: str, data: bytes) -> None:
    """Write ``path`` whole or not at all, durably: a temporary file, flushed, then a rename
    and its folder flushed, on a disk; one upload on an object store, where an object
    appears only once its upload completes (a rename there would be a copy and a delete:
    two more requests, and a leftover on a crash)."""
    if is_object_store(path):
        with create(path) as handle:
            handle.write(data)
        return
    temp = path + ".tmp"
    with create_checked(temp) as handle:
        handle.write(data)
    FileSystems.rename([temp], [path])
    sync(os.path.dirname(path))


def ensure_dir(path: str) -> None:
    if is_object_store(path):  # a prefix exists once an object is under it
        return
    if not FileSystems.exists(path):
        missing = path.rstrip("/")
        while "://" not in path and not os.path.exists(os.path.dirname(missing)):
            missing = os.path.dirname(missing)
        try:
            FileSystems.mkdirs(path)
        except IOError:
            if not FileSystems.exists(path):  # lost a race with another worker: fine
                raise
        sync_folders([path + "/"], os.path.dirname(missing))  # the new folders' entries


def match(pattern: str) -> list[FileMetadata]:
    """Files matching a glob, sorted by path (none: an empty list).

    Beam reads ``**`` as "any characters" and ``*`` as "any but /"; as in shell globs, a
    ``/**/`` may also stand for no folder at all (``in/**/*.html`` matches ``in/a.html``).
    """
    patterns = dict.fromkeys([pattern, pattern.replace("/**/", "/")])
    found = {m.path: m for result in FileSystems.match(list(patterns))
             for m in result.metadata_list}
    return [found[path] for path in sorted(found)]


_SPECIAL_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                  (stat.S_ISDIR, "a folder"))


def special_kind(path: str) -> str | None:
    """What a local ``path`` is when it is not a regular file ("a FIFO", "a socket", ...),
    else None. Such a file must never be opened: a FIFO blocks ``open`` until a writer
    comes, a device may never end. Objects on other filesystems are files; a path that is
    gone is left to its reader to report."""
    if not isinstance(FileSystems.get_filesystem(path), LocalFileSystem):
        return None
    try:
        mode = os.stat(path).st_mode  # follows links: a link to a regular file is one
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return next((name for is_kind, name in _SPECIAL_KINDS if is_kind(mode)), "a special file")


def match_paths(pattern: str) -> list[str]:
    return [m.path for m in match(pattern)]


def rename(source: str, destination: str) -> None:
    FileSystems.rename([source], [destination])


def dir_exists(path: str) -> bool:
    """A folder on a disk; on an object store, any object under the prefix."""
    if is_object_store(path):
        return bool(FileSystems.match([path.rstrip("/") + "/**"])[0].metadata_list)
    return FileSystems.exists(path)


def delete(path: str) -> None:
    """Delete one file if it exists."""
    if FileSystems.exists(path):
        FileSystems.delete([path])


def delete_tree(path: str) -> None:
    """Delete a folder and everything under it, if there is anything."""
    if is_object_store(path):  # Beam deletes every object under a prefix ending in "/"
        FileSystems.delete([path.rstrip("/") + "/"])
    elif FileSystems.exists(path):
        FileSystems.delete([path])


def delete_all(paths: list[str]) -> None:
    """Delete the files that still exist (a repeated delete is not an error)."""
    if paths and is_object_store(paths[0]):  # one batch request; missing keys are no error
        FileSystems.delete(paths)
        return
    present = [p for p in paths if FileSystems.exists(p)]
    if present:
        FileSystems.delete(present)
