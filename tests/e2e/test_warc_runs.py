"""Runs with a `warc` source: articles from archives the tests write, read in small ranges;
broken archives as one reject each; skipped records counted; archives ingested before
skipped."""
from __future__ import annotations

import json
import os
import pathlib
import shutil

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbeam.cli import main
from newsbeam.cli.summary import format_summary
from tests.helpers.runs import RUNNER_ARGS, read_dataset, read_manifest, write_config
from tests.helpers.corpus import corpus_path
from tests.helpers.warcs import CRAWLED, sample_pages, skipped_pages, write_warc

CLIPPED = corpus_path("warc", "resiliparse", "tests", "data", "clipped.warc.gz")


def run(config: pathlib.Path, output: pathlib.Path, *extra: str) -> int:
    return main(["run", "--config", str(config), "--output", str(output), *RUNNER_ARGS, *extra])


def write_archives(folder: pathlib.Path) -> pathlib.Path:
    """A crawl of the samples (with records to skip) and a copy cut inside its 4th page."""
    folder.mkdir()
    whole = write_warc(folder / "crawl-1.warc.gz", sample_pages(), extras=skipped_pages())
    with open(whole, "rb") as handle:
        responses = [record_offset for record_offset, kind in record_kinds(handle)
                     if kind == "response"]
    (folder / "crawl-2-cut.warc.gz").write_bytes(whole.read_bytes()[:responses[3] + 300])
    return folder


def record_kinds(handle) -> list[tuple[int, str]]:
    records = ArchiveIterator(handle)
    return [(records.offset, record.rec_type) for record in records]


def warc_config(folder: pathlib.Path, archives: pathlib.Path, **source) -> pathlib.Path:
    folder.mkdir(exist_ok=True)
    sources = [{"name": "crawl", "kind": "warc", "path": str(archives / "*.warc.gz"), **source}]
    if CLIPPED.exists():  # a real archive, cut short upstream
        sources.append({"name": "cc", "kind": "warc", "path": str(CLIPPED)})
    return write_config(folder, sources)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[pathlib.Path, pathlib.Path]:
    """(archives folder, output) of one run, shared by the tests below."""
    tmp = tmp_path_factory.mktemp("warc")
    archives = write_archives(tmp / "warc")
    output = tmp / "out"
    # Ranges of ~2 KB: a record lost or read twice between ranges would show in the counts.
    assert run(warc_config(tmp / "whole", archives, split_mb=0.002), output) == 0
    return archives, output


def test_html_responses_become_articles_and_a_cut_archive_one_reject(first_run):
    archives, output = first_run
    articles = read_dataset(output, "articles")
    assert len(articles) == 5 and {a["url"] for a in articles} == {p.url for p in sample_pages()}
    assert all(a["input"].startswith(str(archives / "crawl-1.warc.gz#")) for a in articles)
    assert {a["fetched_at"] for a in articles} <= {  # each record's WARC-Date
        CRAWLED.replace(second=s) for s in range(5)}
    # The cut copy: its first records are copies (same URLs), then one reject for the rest.
    rejects = {r["input"]: r for r in read_dataset(output, "rejects")}
    cut = rejects.pop(str(archives / "crawl-2-cut.warc.gz"))
    assert cut["reason"] == "truncated_record" and "at offset" in cut["error"]
    if CLIPPED.exists():
        clipped = rejects.pop(str(CLIPPED))
        assert clipped["reason"] == "truncated_record" and "at offset 0:" in clipped["error"]
    assert rejects == {}

    manifest = read_manifest(output)
    assert manifest["balanced"]
    # 5 pages + 3 of the cut copy (the 4th is cut) + one reject each for the cut archives
    assert manifest["counts"] == {"inputs": 9 + CLIPPED.exists(), "articles": 5,
                                  "duplicates": 3, "rejects": 1 + CLIPPED.exists()}
    metrics = manifest["metrics"]
    # crawl-1: warcinfo, 8 x (request, response, metadata), revisit; the cut copy: warcinfo,
    # 3 x 3, the 4th request, the cut response; clipped: its one (cut) record
    assert metrics["warc:records"] == 26 + 12 + CLIPPED.exists()
    assert metrics["warc:skipped_revisit"] == 1 and metrics["warc:skipped_non_200"] == 2
    assert metrics["warc:skipped_non_html"] == 1
    summary = format_summary(manifest)
    assert "  warc\n" in summary and "archives cut short" in summary


def test_an_archive_ingested_before_is_skipped_until_it_changes(first_run, tmp_path):
    archives, first_output = first_run
    output = tmp_path / "out"
    shutil.copytree(first_output, output)
    # The cut archive is touched (as if a new copy arrived), the others are not.
    config = warc_config(tmp_path / "again", archives)
    cut = archives / "crawl-2-cut.warc.gz"
    stat = cut.stat()
    os.utime(cut, (stat.st_atime, stat.st_mtime + 60))
    try:
        assert run(config, output) == 0
    finally:
        os.utime(cut, (stat.st_atime, stat.st_mtime))
    (second,) = [p for p in (output / "_runs").glob("*.json")
                 if p.name != read_manifest(first_output)["run_id"] + ".json"]
    manifest = json.loads(second.read_text())
    metrics = manifest["metrics"]
    assert metrics["warc:archives_read"] == 1
    assert metrics["warc:archives_skipped_unchanged"] == (2 if CLIPPED.exists() else 1)
    # The touched copy's records come again: the first run's articles win.
    assert manifest["counts"]["articles"] == 0 and manifest["counts"]["duplicates"] >= 1
