"""``FirstSeen`` (the stream's exact dedup across windows) looks keys up in the cross-run
index, a multimap side input, on a runner that serves side inputs over the Fn API state
channel: the FnApiRunner here, as Flink, Dataflow's runner v2 and Prism do. There Beam's
view has only ``__getitem__``, so ``key in view`` iterated it by integer index without
end (on Flink an SDK worker grew to 10 GB in two minutes and was killed)."""
from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.dedup.streaming import FirstSeen

pytestmark = pytest.mark.timeout(60)  # the bug was a loop without end


def article(article_id: str, url: str) -> dict:
    return {"article_id": article_id, "url": url, "canonical_url": url, "source": "s",
            "input": url, "published_at": None, "run_id": "now"}


def global_window() -> beam.WindowInto:
    return beam.WindowInto(beam.window.GlobalWindows())


def test_a_key_the_index_holds_is_a_duplicate_of_its_entry_and_a_new_key_is_kept():
    rows = [article("new-a", "https://e.com/a"), article("new-b", "https://e.com/b")]
    entries = [{"article_id": "old-a", "canonical_url": "https://e.com/a",
                "published_at": None}]
    with beam.Pipeline("FnApiRunner") as pipeline:
        kept, duplicates = (
            pipeline | "Rows" >> beam.Create(rows),
            pipeline | "Entries" >> beam.Create(entries),
        ) | FirstSeen("url", lambda r: r["canonical_url"], 3600, global_window)
        assert_that(kept | beam.Map(lambda r: r["article_id"]), equal_to(["new-b"]),
                    label="Kept")
        assert_that(duplicates | beam.Map(lambda d: (d["article_id"], d["duplicate_of"])),
                    equal_to([("new-a", "old-a")]), label="Duplicates")
