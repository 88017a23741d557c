"""Parquet through Beam's FileSystems: row groups bounded, the schema kept, rows read back."""
from datetime import date, datetime, timezone

import pyarrow.parquet as pq

from newsbeam.schemas.tables import REJECT_SCHEMA
from newsbeam.store.parquet import iter_rows, row_count, write_parquet

WHEN = datetime(2026, 1, 2, tzinfo=timezone.utc)


def rejects(n: int) -> list[dict]:
    return [{"input": f"/in/{i}", "source": "s", "stage": "read", "reason": "empty",
             "error": None, "rejected_at": WHEN, "run_id": "r1", "schema_version": 2,
             "ingest_date": date(2026, 1, 2)}
            for i in range(n)]


def test_write_parquet_writes_row_groups_and_reads_back(tmp_path, monkeypatch):
    monkeypatch.setattr("newsbeam.store.parquet.ROWS_PER_ROW_GROUP", 4)
    path = str(tmp_path / "x.parquet")
    assert write_parquet(path, REJECT_SCHEMA, rejects(10)) == 10
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 10 and meta.num_row_groups == 3
    assert pq.read_schema(path).equals(REJECT_SCHEMA)
    assert list(iter_rows(path)) == rejects(10) and row_count(path) == 10


def test_no_rows_still_make_a_readable_file(tmp_path):
    path = str(tmp_path / "empty.parquet")
    assert write_parquet(path, REJECT_SCHEMA, []) == 0
    assert pq.read_schema(path).equals(REJECT_SCHEMA) and list(iter_rows(path)) == []
