"""The stream (TestStream on BundleBasedDirectRunner --streaming) and the batch pipeline
(FnApiRunner) write the same articles for the same inputs; a restarted stream resumes from
what was committed and ingests nothing twice."""
from __future__ import annotations

import dataclasses
import pathlib

import pytest

from newsbeam.modes.run import run_once
from tests.helpers.loopback import LoopbackSites, free_loopback
from tests.helpers.runs import RUNNER_ARGS, read_dataset
from tests.helpers.streams import RUNNER, Events, page_route, run_stream, stream_config

pytestmark = pytest.mark.skipif(not free_loopback(), reason="needs 127.0.0.2 on loopback")
PATHS = ["/a0", "/a1", "/a2", "/a3", "/b0"]  # b0: a0's text at another URL


def summary(output) -> tuple[dict, dict]:
    output = pathlib.Path(output)
    articles = {a["url"]: (a["article_id"], a["title"], a["text"], a["duplicate_count"],
                           a["duplicate_urls"]) for a in read_dataset(output, "articles")}
    duplicates = {d["url"]: (d["duplicate_of"], d["method"])
                  for d in read_dataset(output, "duplicates")}
    return articles, duplicates


def stream_rows_run(output) -> str:
    """The first stream's run id (its articles' run_id, the earliest)."""
    return min(a["run_id"] for a in read_dataset(pathlib.Path(output), "articles"))


def test_stream_and_batch_write_the_same_rows_and_a_restarted_stream_resumes_on_bundle_based_direct_runner(tmp_path):
    assert RUNNER == "BundleBasedDirectRunner"
    with LoopbackSites(["127.0.0.2"], page_route) as sites:
        urls = [sites.url("127.0.0.2", path) for path in PATHS]
        streamed = stream_config(tmp_path / "stream")
        run_stream(streamed, Events().at(5, *urls), 120)
        batched = dataclasses.replace(
            stream_config(tmp_path / "batch"),
            sources=(dataclasses.replace(streamed.sources[0], urls=urls),))
        run_once(batched, RUNNER_ARGS)
        stream_rows, batch_rows = summary(streamed.output), summary(batched.output)
        assert stream_rows == batch_rows
        assert len(stream_rows[0]) == 4 and len(stream_rows[1]) == 1

        # Restarted on its output, the stream knows what it committed (the dedup index).
        again = [sites.url("127.0.0.2", "/a0"), sites.url("127.0.0.2", "/a4")]
        run_stream(streamed, Events().at(600, *again), 720)
    articles, _ = summary(streamed.output)
    assert len(articles) == 5 and again[1] in articles
    assert len(read_dataset(pathlib.Path(streamed.output), "articles")) == 5  # a0 not twice
    copies = [d for d in read_dataset(pathlib.Path(streamed.output), "duplicates")
              if d["run_id"] != stream_rows_run(streamed.output)]
    kept_ids = {row[0] for row in articles.values()}
    assert [d["url"] for d in copies] == [again[0]] and copies[0]["duplicate_of"] in kept_ids
