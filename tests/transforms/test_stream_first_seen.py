"""``FirstSeen`` (the stream's exact dedup across windows) looks keys up in the cross-run
index its workers read from the output's committed ``dedup_index`` files, on the
FnApiRunner (a runner with separate bundle processors, as Flink's SDK workers are).

It used to be a multimap side input: there Beam's view has only ``__getitem__``, so
``key in view`` iterated it by integer index without end (on Flink an SDK worker grew to
10 GB in two minutes), and Beam 2.62's Flink runner cannot checkpoint a stream stage whose
side input holds rows (``state.WorkerSnapshot``)."""
from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.schemas.tables import DEDUP_INDEX, STATE_TABLES
from newsbeam.store import layout
from newsbeam.store.parquet import write_parquet
from newsbeam.transforms.dedup.streaming import FirstSeen

pytestmark = pytest.mark.timeout(60)  # the bug was a loop without end


def article(article_id: str, url: str) -> dict:
    return {"article_id": article_id, "url": url, "canonical_url": url, "source": "s",
            "input": url, "published_at": None, "run_id": "now"}


def global_window() -> beam.WindowInto:
    return beam.WindowInto(beam.window.GlobalWindows())


def index_entry(article_id: str, url: str, run_id: str) -> dict:
    return {"article_id": article_id, "canonical_url": url, "published_at": None,
            "content_hash": f"h-{article_id}", "shingles": None, "signature": None,
            "run_id": run_id}


def test_a_key_an_earlier_run_indexed_is_a_duplicate_of_its_entry_and_a_new_key_is_kept(tmp_path):
    rows = [article("new-a", "https://e.com/a"), article("new-b", "https://e.com/b")]
    output = str(tmp_path)
    write_parquet(layout.state_dir(output, DEDUP_INDEX) + "/earlier.parquet",
                  STATE_TABLES[DEDUP_INDEX],
                  [index_entry("old-a", "https://e.com/a", "earlier"),
                   # this stream's own commit (a worker reading late): its state holds it
                   index_entry("now-b", "https://e.com/b", "now")])
    with beam.Pipeline("FnApiRunner") as pipeline:
        kept, duplicates = (
            pipeline | "Rows" >> beam.Create(rows)
            | FirstSeen("url", lambda r: r["canonical_url"], 3600, global_window, output,
                         run_id="now"))
        assert_that(kept | beam.Map(lambda r: r["article_id"]), equal_to(["new-b"]),
                    label="Kept")
        assert_that(duplicates | beam.Map(lambda d: (d["article_id"], d["duplicate_of"])),
                    equal_to([("new-a", "old-a")]), label="Duplicates")
