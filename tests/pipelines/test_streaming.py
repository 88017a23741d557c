"""The stream pipeline on TestStream, runner BundleBasedDirectRunner --streaming (named in
every test): windows, dedup across windows, TTL, late data, per-window commits."""
from __future__ import annotations

import pytest

from tests.helpers.loopback import LoopbackSites, free_loopback
from tests.helpers.runs import read_dataset
from tests.helpers.streams import (
    RUNNER, WINDOW, Events, at_seconds, page_route, run_stream, stream_config, window_manifests)

pytestmark = pytest.mark.skipif(not free_loopback(), reason="needs 127.0.0.2 on loopback")


@pytest.fixture(scope="module")
def site():
    with LoopbackSites(["127.0.0.2"], page_route) as sites:
        yield lambda path: sites.url("127.0.0.2", path)


def test_items_in_several_windows_commit_one_pane_each_on_bundle_based_direct_runner(tmp_path, site):
    assert RUNNER == "BundleBasedDirectRunner"
    config = stream_config(tmp_path)
    events = (Events().at(5, site("/a0"), site("/a1")).watermark(WINDOW + 1)
              .at(WINDOW + 5, site("/a2")).watermark(2 * WINDOW + 1)
              .at(2 * WINDOW + 5, site("/a3"), site("/missing")))
    run_stream(config, events, 10 * WINDOW)
    out = tmp_path / "out"
    manifests = window_manifests(out)
    assert [m["window_start"] for m in manifests] == [at_seconds(0), at_seconds(WINDOW),
                                                      at_seconds(2 * WINDOW)]
    assert [m["counts"]["articles"] for m in manifests] == [2, 1, 1]
    assert [m["counts"]["rejects"] for m in manifests] == [0, 0, 1]
    assert all(m["balanced"] and m["pane_timing"] == "on_time" for m in manifests)
    assert len(read_dataset(out, "articles")) == 4
    assert [r["reason"] for r in read_dataset(out, "rejects")] == ["http_404"]
