"""WARC records -> documents, skips and failures: the shared corpus's real (and broken)
archives, and archives the tests write from the sample articles."""
from __future__ import annotations

import collections
import gzip
import pathlib
from datetime import datetime, timezone

import pytest

from newsbeam.core.files import FileInput
from newsbeam.core.warc import (read_archive,
                                record_start)
from newsbeam.records.documents import RawDocument
from tests.helpers.corpus import corpus_path
from tests.helpers import corpus
from tests.helpers.warcs import CRAWLED, Page, sample_pages, skipped_pages, write_warc

CORPUS = corpus_path("warc")
needs_corpus = corpus.needs_corpus("warc")


def read(path: pathlib.Path, max_bytes: int = 10_000_000, **kwargs) -> list:
    item = FileInput("s", str(path), path.stat().st_size, path.stat().st_mtime)
    with open(path, "rb") as handle:
        return list(read_archive(item, handle, max_bytes, **kwargs))


def by_type(entries: list) -> dict:
    grouped = collections.defaultdict(list)
    for entry in entries:
        grouped[type(entry).__name__].append(entry)
    return grouped


def read_in_ranges(path: pathlib.Path, size: int) -> list:
    """What readers of ``size``-byte ranges find together (each on its own handle)."""
    item = FileInput("s", str(path), path.stat().st_size, path.stat().st_mtime)
    found = []
    for first in range(0, item.size, size):
        with open(path, "rb") as handle:
            start = record_start(handle, first)
            if start is not None:
                found += read_archive(item, handle, 10_000_000, start,
                                      claim=lambda offset: first <= offset < first + size)
    return found


@needs_corpus
def test_a_crawl_archive_gives_its_html_responses_and_counts_the_rest():
    entries = read(CORPUS / "warcio/test/data/example.warc.gz")
    (doc,) = by_type(entries)["RawDocument"]
    assert doc.url == "http://example.com/" and doc.media_type == "text/html"
    assert doc.uri.endswith("example.warc.gz#784")  # the archive and the record's offset
    assert doc.fetched_at == datetime(2017, 3, 6, 4, 2, 6, tzinfo=timezone.utc)  # WARC-Date
    assert b"<title>Example Domain</title>" in doc.body
    assert collections.Counter(e.kind for e in by_type(entries)["Skipped"]) == {
        "warcinfo": 2, "request": 2, "revisit": 1}


@needs_corpus
def test_http_charset_chunked_bodies_and_bracketed_uris():
    (doc,) = by_type(read(CORPUS / "warcio/test/data/example-iana.org-chunked.warc"))["RawDocument"]
    assert doc.charset == "UTF-8" and doc.body.lstrip().lower().startswith(b"<!doctype html")
    (wget,) = by_type(read(CORPUS / "warcio/test/data/example-wget-bad-target-uri.warc.gz"))[
        "RawDocument"]
    assert wget.url == "http://example.com/"
    docs = by_type(read(CORPUS / "resiliparse/tests/data/clueweb-quirk.warc.gz"))["RawDocument"]
    assert len(docs) == 29 and {d.charset for d in docs} == {"EUC-JP"}


@needs_corpus
@pytest.mark.parametrize("name, offset, reason", [
    ("resiliparse/tests/data/clipped.warc.gz", 0, "truncated_record"),
    ("warcio/test/data/example-bad-non-chunked.warc.gz", 0, "corrupt_archive"),
    ("warcio/test/data/example-wrong-chunks.warc.gz", 0, "truncated_record"),
    ("resiliparse/tests/data/warcfile.warc.lz4", 0, "corrupt_archive"),
])
def test_a_broken_archive_ends_in_one_failure_naming_the_offset(name, offset, reason):
    entries = read(CORPUS / name)
    failures = by_type(entries)["ArchiveFailure"]
    assert len(failures) == 1 and entries[-1] is failures[0]
    assert failures[0].offset == offset and failures[0].reason == reason
    assert failures[0].uri == str(CORPUS / name)


def test_skipped_responses_are_counted_by_kind(tmp_path):
    path = write_warc(tmp_path / "crawl.warc.gz", sample_pages(), extras=skipped_pages())
    entries = by_type(read(path))
    assert len(entries["RawDocument"]) == 5
    assert collections.Counter(e.kind for e in entries["Skipped"]) == {
        "warcinfo": 1, "request": 8, "metadata": 8, "non_200": 2, "non_html": 1, "revisit": 1}
    first = entries["RawDocument"][0]
    assert first.fetched_at == CRAWLED and first.url == sample_pages()[0].url
    assert first.charset == "utf-8" and first.body == sample_pages()[0].body


def test_a_payload_over_the_limit_is_a_reject_of_its_own(tmp_path):
    big = Page("https://news.example/big", b"<html><p>" + b"word " * 5000 + b"</p></html>")
    path = write_warc(tmp_path / "crawl.warc.gz", [big, *sample_pages()])
    entries = by_type(read(path, max_bytes=20_000))
    (failure,) = entries["RecordFailure"]
    assert failure.reason == "too_large" and "#" in failure.uri
    assert len(entries["RawDocument"]) == 5  # the archive goes on after it


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
@pytest.mark.parametrize("into", [900, 4])  # into the 4th response's payload, its header
def test_an_archive_cut_short_yields_what_it_can_and_one_failure(tmp_path, name, into):
    whole = write_warc(tmp_path / f"whole-{name}", sample_pages())
    complete = by_type(read(whole))["RawDocument"]
    cut_at = complete[3].uri.rsplit("#", 1)[1]
    cut = tmp_path / name
    cut.write_bytes(whole.read_bytes()[:int(cut_at) + into])
    entries = read(cut)
    assert by_type(entries)["RawDocument"] == [
        RawDocument(**{**d.__dict__, "uri": d.uri.replace(str(whole), str(cut))})
        for d in complete[:3]]
    (failure,) = by_type(entries)["ArchiveFailure"]
    assert failure.offset == int(cut_at) and entries[-1] is failure


@pytest.mark.parametrize("size", [97, 700, 4096, 1 << 20])
def test_ranges_of_a_gzipped_archive_read_each_record_once(tmp_path, size):
    path = write_warc(tmp_path / "crawl.warc.gz", sample_pages(), extras=skipped_pages())
    assert read_in_ranges(path, size) == read(path)


@needs_corpus
def test_ranges_find_records_of_other_crawlers_archives():
    # ClueWeb's WARC/0.18 records, Common Crawl's excerpt with its metadata records
    for name in ("clueweb-quirk.warc.gz", "warcfile.warc.gz"):
        path = CORPUS / "resiliparse/tests/data" / name
        assert read_in_ranges(path, 5000) == read(path)


def test_gzip_magic_inside_compressed_data_is_not_taken_for_a_record(tmp_path):
    # A member whose content is not a WARC record (here: a plain gzip stream of HTML)
    # is not a place a range may start.
    path = tmp_path / "x.warc.gz"
    path.write_bytes(gzip.compress(b"<html>not a record</html>") + gzip.compress(b"<p>nor</p>"))
    with open(path, "rb") as handle:
        assert record_start(handle, 1) is None


@pytest.mark.parametrize("into", [4, 300])  # into the 4th response's gzip header, its body
@pytest.mark.parametrize("size", [97, 700, 4096])
def test_ranges_of_a_cut_archive_report_the_damage_once(tmp_path, size, into):
    whole = write_warc(tmp_path / "whole.warc.gz", sample_pages())
    offsets = [int(d.uri.rsplit("#", 1)[1]) for d in by_type(read(whole))["RawDocument"]]
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole.read_bytes()[:offsets[3] + into])
    assert len(by_type(read(cut))["ArchiveFailure"]) == 1
    assert read_in_ranges(cut, size) == read(cut)
