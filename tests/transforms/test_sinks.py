"""The sink: staged files per bundle and window, committed per window, nothing on failure."""
import pathlib
from datetime import datetime, timezone

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing import test_pipeline
from apache_beam.transforms import window

from newsbeam.transforms.sinks import WriteDatasets
from newsbeam.transforms.stage import reject_row
from newsbeam.records.run import RunContext
from newsbeam.schemas.tables import DATASETS

RUN = RunContext("r1", datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc))


class Item:
    source, uri = "s", "/in/x"


def rejects(n: int) -> list[dict]:
    return [{**reject_row(Item(), "read", "empty", f"e{i}", RUN.run_id), "input": f"/in/{i}"}
            for i in range(n)]


def test_committed_files_land_in_day_folders_with_their_ingest_date(tmp_path):
    with test_pipeline.TestPipeline(runner="FnApiRunner") as p:
        rows = p | beam.Create(rejects(3))
        _ = {"rejects": rows} | WriteDatasets(str(tmp_path), RUN.run_id, RUN.ingest_date, DATASETS)
    (written,) = (tmp_path / "rejects").rglob("*.parquet")
    assert written.parent.name == "2026-01-02" and written.name.startswith("r1-")
    table = pq.read_table(written)
    assert table.num_rows == 3 and set(table.column("ingest_date").to_pylist()) == {RUN.ingest_date}
    assert not [p for p in (tmp_path / "_staging").rglob("*") if p.is_file()]


def test_a_failing_run_commits_nothing(tmp_path):
    bad = rejects(1)[0]  # a rejects row as a duplicates row: no article_id, a non-null column
    with pytest.raises(pa.ArrowInvalid, match="'article_id' is declared non-nullable"):
        with test_pipeline.TestPipeline(runner="FnApiRunner") as p:
            good = p | "Good" >> beam.Create(rejects(2))
            broken = p | "Bad" >> beam.Create([bad])
            _ = ({"rejects": good, "duplicates": broken}
                 | WriteDatasets(str(tmp_path), RUN.run_id, RUN.ingest_date, DATASETS))
    assert not list(pathlib.Path(tmp_path).glob("rejects/**/*.parquet"))
    assert not list(pathlib.Path(tmp_path).glob("duplicates/**/*.parquet"))


def test_each_window_commits_into_the_partition_of_its_start(tmp_path):
    day1 = datetime(2026, 3, 1, 23, 58, tzinfo=timezone.utc).timestamp()
    day2 = datetime(2026, 3, 2, 0, 1, tzinfo=timezone.utc).timestamp()
    stamped = [(row, day1 if i < 2 else day2) for i, row in enumerate(rejects(3))]
    with test_pipeline.TestPipeline(runner="FnApiRunner") as p:
        rows = (p | beam.Create(stamped)
                | beam.MapTuple(lambda row, ts: window.TimestampedValue(row, ts))
                | beam.WindowInto(window.FixedWindows(300)))
        _ = {"rejects": rows} | WriteDatasets(str(tmp_path), RUN.run_id, RUN.ingest_date, DATASETS)
    files = sorted((tmp_path / "rejects").rglob("*.parquet"))
    assert [(f.parent.name, f.name[:19], pq.read_table(f).num_rows) for f in files] == [
        ("2026-03-01", "r1-w20260301T235500", 2),
        ("2026-03-02", "r1-w20260302T000000", 1)]
