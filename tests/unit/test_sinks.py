import pathlib

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing import test_pipeline

from newsbeam.schemas.article import REJECT_SCHEMA
from newsbeam.transforms.sinks import WriteDatasets, write_parquet
from newsbeam.transforms.stage import RunContext, reject_row
from datetime import datetime, timezone

RUN = RunContext("r1", datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc))


class Item:
    source, uri = "s", "/in/x"


def rejects(n: int) -> list[dict]:
    return [{**reject_row(Item(), "read", "empty", f"e{i}", RUN), "input": f"/in/{i}"}
            for i in range(n)]


def test_write_parquet_writes_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr("newsbeam.transforms.sinks.ROWS_PER_ROW_GROUP", 4)
    path = str(tmp_path / "x.parquet")
    assert write_parquet(path, REJECT_SCHEMA, rejects(10)) == 10
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 10 and meta.num_row_groups == 3
    assert pq.read_schema(path).equals(REJECT_SCHEMA)


def test_committed_files_land_in_hive_partitions_and_staging_is_removed(tmp_path):
    with test_pipeline.TestPipeline(runner="FnApiRunner") as p:
        rows = p | beam.Create(rejects(3))
        _ = {"rejects": rows} | WriteDatasets(str(tmp_path), RUN.run_id, RUN.ingest_date)
    (written,) = (tmp_path / "rejects").rglob("*.parquet")
    assert written.parent.name == "ingest_date=2026-01-02" and written.name.startswith("r1-")
    assert pq.read_table(written).num_rows == 3
    assert not (tmp_path / "_staging" / "r1").exists()


def test_a_failing_run_commits_nothing(tmp_path):
    bad = {**rejects(1)[0], "reason": None}  # violates the non-null 'reason' column
    with pytest.raises(Exception):
        with test_pipeline.TestPipeline(runner="FnApiRunner") as p:
            good = p | "Good" >> beam.Create(rejects(2))
            broken = p | "Bad" >> beam.Create([bad])
            _ = ({"rejects": good, "duplicates": broken}
                 | WriteDatasets(str(tmp_path), RUN.run_id, RUN.ingest_date))
    assert not list(pathlib.Path(tmp_path).glob("rejects/**/*.parquet"))
    assert not list(pathlib.Path(tmp_path).glob("duplicates/**/*.parquet"))
