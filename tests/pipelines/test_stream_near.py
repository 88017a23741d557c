"""Near duplicates between the stream and batch runs on one output, through the cross-run
index: a stream (TestStream on BundleBasedDirectRunner --streaming) started on a batch
output folds a near copy of a batch article, and its index rows carry signatures, so a
later batch run (FnApiRunner) folds a near copy of a stream article."""
from __future__ import annotations

import dataclasses
import pathlib

import pyarrow.parquet as pq
import pytest

from newsbeam.modes.run import run_once
from tests.helpers.loopback import LoopbackSites, free_loopback
from tests.helpers.runs import RUNNER_ARGS, read_dataset
from tests.helpers.streams import RUNNER, Events, page_route, run_stream, stream_config

pytestmark = pytest.mark.skipif(not free_loopback(), reason="needs 127.0.0.2 on loopback")


def with_urls(config, urls: list[str]):
    return dataclasses.replace(config, sources=(dataclasses.replace(config.sources[0], urls=urls),))


def test_stream_on_batch_output_and_batch_after_stream_fold_near_copies_on_bundle_based_direct_runner(tmp_path):
    assert RUNNER == "BundleBasedDirectRunner" and RUNNER_ARGS[-1] == "FnApiRunner"
    config = stream_config(tmp_path)
    with LoopbackSites(["127.0.0.2"], page_route) as sites:
        url = lambda path: sites.url("127.0.0.2", path)  # noqa: E731
        run_once(with_urls(config, [url("/a0")]), RUNNER_ARGS)
        run_stream(config, Events().at(5, url("/n0"), url("/a1")), 120)
        run_once(with_urls(config, [url("/n1")]), RUNNER_ARGS)
    out = pathlib.Path(config.output)
    articles = {a["url"]: a for a in read_dataset(out, "articles")}
    assert sorted(articles) == [url("/a0"), url("/a1")]
    dups = {d["url"]: (d["duplicate_of"], d["method"], d["run_id"])
            for d in read_dataset(out, "duplicates")}
    # n0 (stream) names the batch run's a0; n1 (batch) names the stream's a1.
    assert dups[url("/n0")][:2] == (articles[url("/a0")]["article_id"], "near")
    assert dups[url("/n0")][2] == articles[url("/a1")]["run_id"] != articles[url("/a0")]["run_id"]
    assert dups[url("/n1")][:2] == (articles[url("/a1")]["article_id"], "near")
    index = [e for path in (out / "_state" / "dedup_index").glob("*.parquet")
             for e in pq.read_table(path).to_pylist()]
    assert {e["article_id"] for e in index} == {a["article_id"] for a in articles.values()}
    assert all(e["signature"] and e["shingles"] for e in index)
