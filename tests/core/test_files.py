"""Local files -> RawDocuments: suffixes, bounds, gzip, and every way a file can be bad."""
import gzip
import os
import pathlib

import pytest

from newsbeam.core.files import FileInput, media_type_of, printable_path, read_document
from newsbeam.records.documents import Rejected

LIMIT = 1000


def read(path, limit=LIMIT):
    size, mtime = (path.stat().st_size, path.stat().st_mtime) if path.exists() else (0, 0.0)
    return read_document(FileInput("s", str(path), size, mtime), lambda p: open(p, "rb"),
                         max_bytes=limit)


def reason_for(path, limit=LIMIT) -> str:
    with pytest.raises(Rejected) as refusal:
        read(path, limit)
    return refusal.value.reason


def test_a_text_file_is_read_with_its_mtime(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"Headline\n\nBody.")
    os.utime(path, (1_600_000_000, 1_600_000_000))
    raw = read(path)
    assert raw.body == b"Headline\n\nBody." and raw.media_type == "text/plain"
    assert raw.fetched_at.timestamp() == 1_600_000_000 and raw.fetched_at.tzinfo is not None
    assert raw.source == "s" and raw.uri == str(path)


def test_gzipped_html_is_decompressed(tmp_path):
    path = tmp_path / "page.HTML.gz"
    path.write_bytes(gzip.compress(b"<html><body><p>x</p></body></html>"))
    raw = read(path)
    assert raw.media_type == "text/html" and raw.body.startswith(b"<html>")


@pytest.mark.parametrize("name, body, reason", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b" \n\t\n", "empty"),
    ("big.txt", b"x" * (LIMIT + 1), "too_large"),
    ("bomb.txt.gz", gzip.compress(b"x" * (LIMIT * 50)), "too_large"),
    ("broken.html.gz", b"\x1f\x8b\x08\x00garbage", "corrupt_gzip"),
    ("doc.pdf", b"%PDF-1.4", "unsupported_file_type"),
])
def test_bad_files_are_rejected_with_a_reason(tmp_path, name, body, reason):
    path = tmp_path / name
    path.write_bytes(body)
    assert reason_for(path) == reason


def test_an_unreadable_file_is_rejected(tmp_path):
    path = tmp_path / "gone.txt"
    assert reason_for(path) == "unreadable"  # vanished between listing and reading


@pytest.mark.parametrize("path, media_type", [
    ("a.txt", "text/plain"), ("a.htm", "text/html"), ("a.html.gz", "text/html")])
def test_media_types_follow_the_suffix(path, media_type):
    assert media_type_of(path) == media_type


@pytest.mark.parametrize("name, printed", [
    (b"plain.txt", "plain.txt"), ("café.txt".encode(), "café.txt"),
    (b"bad\xff.txt", "bad\\xff.txt"), (b"latin-1 caf\xe9.html", "latin-1 caf\\xe9.html"),
])
def test_a_file_name_that_is_not_utf8_is_read_and_named_with_escapes(tmp_path, name, printed):
    path = os.path.join(os.fsencode(tmp_path), name)
    with open(path, "wb") as handle:
        handle.write(b"Headline\n\nBody.")
    raw = read(pathlib.Path(os.fsdecode(path)))
    assert raw.uri == f"{tmp_path}/{printed}" and raw.body == b"Headline\n\nBody."
    raw.uri.encode("utf-8")  # strict, as Beam's coders and Parquet encode
    assert printable_path(os.fsdecode(path)) == raw.uri


def test_an_unsupported_suffix_with_an_odd_byte_is_refused_in_printable_words():
    with pytest.raises(Rejected) as refusal:
        media_type_of(os.fsdecode(b"/in/odd.p\xffdf"))
    assert "'.p\\xffdf'" in refusal.value.detail
