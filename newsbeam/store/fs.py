"""Files through Beam's FileSystems, so an output or source may be local or on any filesystem
Beam has (gs://, s3://, hdfs://, ...). The one place that opens, lists and moves files."""
from __future__ import annotations

from typing import BinaryIO

from apache_beam.io.filesystem import CompressionTypes, FileMetadata
from apache_beam.io.filesystems import FileSystems

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


def open_read(path: str) -> BinaryIO:
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def create(path: str) -> BinaryIO:
    return FileSystems.create(path, mime_type="application/octet-stream",
                              compression_type=CompressionTypes.UNCOMPRESSED)


def read_bytes(path: str) -> bytes:
    with open_read(path) as handle:
        return handle.read()


def write_atomically(path: str, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file, then a rename)."""
    temp = path + ".tmp"
    with create(temp) as handle:
        handle.write(data)
    FileSystems.rename([temp], [path])


def ensure_dir(path: str) -> None:
    if not FileSystems.exists(path):
        try:
            FileSystems.mkdirs(path)
        except IOError:
            if not FileSystems.exists(path):  # lost a race with another worker: fine
                raise


def match(pattern: str) -> list[FileMetadata]:
    """Files matching a glob, sorted by path (none: an empty list).

    Beam reads ``**`` as "any characters" and ``*`` as "any but /"; as in shell globs, a
    ``/**/`` may also stand for no folder at all (``in/**/*.html`` matches ``in/a.html``).
    """
    patterns = dict.fromkeys([pattern, pattern.replace("/**/", "/")])
    found = {m.path: m for result in FileSystems.match(list(patterns))
             for m in result.metadata_list}
    return [found[path] for path in sorted(found)]


def match_paths(pattern: str) -> list[str]:
    return [m.path for m in match(pattern)]


def rename(source: str, destination: str) -> None:
    FileSystems.rename([source], [destination])


def delete(path: str) -> None:
    if FileSystems.exists(path):
        FileSystems.delete([path])


def delete_all(paths: list[str]) -> None:
    """Delete the files that still exist (a repeated delete is not an error)."""
    present = [p for p in paths if FileSystems.exists(p)]
    if present:
        FileSystems.delete(present)
