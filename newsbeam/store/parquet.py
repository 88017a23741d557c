"""Parquet files written and read through ``store.fs``, in bounded row groups."""
from __future__ import annotations

from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from newsbeam.store import fs

ROWS_PER_ROW_GROUP = 10_000   # bounds the rows a writer or reader holds in memory


def write_parquet(path: str, schema: pa.Schema, rows: Iterable[dict]) -> int:
    """Write ``rows`` to one Parquet file in row groups; returns the row count."""
    return write_parquet_checked(path, schema, rows)[0]


def write_parquet_checked(path: str, schema: pa.Schema,
                          rows: Iterable[dict]) -> tuple[int, fs.Written]:
    """``write_parquet``, also returning the file's size and checksum (flushed to disk)."""
    count, batch = 0, []
    handle = fs.create_checked(path)
    with handle, pq.ParquetWriter(handle, schema, compression="zstd") as writer:
        for row in rows:
            batch.append(row)
            if len(batch) == ROWS_PER_ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count, handle.written


def write_table(path: str, table: pa.Table) -> tuple[int, fs.Written]:
    """Write an Arrow table to one Parquet file in bounded row groups; returns its rows and
    the file's size and checksum (flushed to disk)."""
    with fs.create_checked(path) as handle:
        pq.write_table(table, handle, row_group_size=ROWS_PER_ROW_GROUP, compression="zstd")
    return table.num_rows, handle.written


def iter_rows(path: str, columns: list[str] | None = None) -> Iterator[dict]:
    """The rows of one Parquet file as dicts, a row group's worth at a time."""
    with fs.open_read(path) as handle:
        for batch in pq.ParquetFile(handle).iter_batches(ROWS_PER_ROW_GROUP, columns=columns):
            yield from batch.to_pylist()


def read_table(path: str, columns: list[str] | None = None) -> pa.Table:
    with fs.open_read(path) as handle:
        return pq.read_table(handle, columns=columns)


def row_count(path: str) -> int:
    with fs.open_read(path) as handle:
        return pq.ParquetFile(handle).metadata.num_rows
