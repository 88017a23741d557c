"""Parquet datasets that appear atomically.

Rows are written per bundle into ``<output>/_staging/<run_id>/`` (readers never look
there: the datasets' folders hold only finished files). Once every bundle of every dataset
has finished, one commit step renames the staged files into
``<output>/<dataset>/ingest_date=YYYY-MM-DD/`` and removes the staging folder. A run that
fails or is killed before the commit leaves nothing in the datasets; files of retried
bundles that were never reported are never committed. All I/O goes through Beam's
FileSystems, so the output directory may be local or on any filesystem Beam supports.
"""
from __future__ import annotations

import dataclasses
import posixpath
import uuid
from typing import Iterable, Iterator

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from newsbeam.schemas.article import DATASETS, PARTITION_COLUMN
from newsbeam.transforms.stage import in_global_window
from newsbeam.transforms.stage import in_global_window

STAGING_DIR = "_staging"
ROWS_PER_ROW_GROUP = 10_000   # bounds the rows a writer holds in memory
ROWS_PER_FILE = 500_000       # keeps files a size downstream engines split well


@dataclasses.dataclass(frozen=True)
class StagedFile:
    dataset: str
    staged_path: str
    final_path: str
    rows: int


def partition_dir(output: str, dataset: str, ingest_date: str) -> str:
    return FileSystems.join(output, dataset, f"{PARTITION_COLUMN}={ingest_date}")


def staging_dir(output: str, run_id: str) -> str:
    return FileSystems.join(output, STAGING_DIR, run_id)


def ensure_dir(path: str) -> None:
    if not FileSystems.exists(path):
        try:
            FileSystems.mkdirs(path)
        except IOError:
            if not FileSystems.exists(path):  # lost a race with another worker: fine
                raise


def write_parquet(path: str, schema: pa.Schema, rows: Iterable[dict]) -> int:
    """Write ``rows`` to one Parquet file in row groups; returns the row count."""
    count, batch = 0, []
    handle = FileSystems.create(path, mime_type="application/octet-stream",
                                compression_type=CompressionTypes.UNCOMPRESSED)
    with handle, pq.ParquetWriter(handle, schema, compression="zstd") as writer:
        for row in rows:
            batch.append(row)
            if len(batch) == ROWS_PER_ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


class _WriteStaged(beam.DoFn):
    """Buffers a bundle's rows and writes them to staged files; emits what it wrote."""

    def __init__(self, output: str, dataset: str, run_id: str, schema: pa.Schema,
                 final_dir: str):
        self.output, self.dataset, self.run_id = output, dataset, run_id
        self.schema, self.final_dir = schema, final_dir
        self.rows_written = Metrics.counter("sinks", f"{dataset}_rows")

    def start_bundle(self):
        self.rows: list[dict] = []

    def process(self, row: dict) -> Iterator[StagedFile]:
        self.rows.append(row)
        if len(self.rows) >= ROWS_PER_FILE:
            yield from self._flush()

    def finish_bundle(self) -> Iterator:
        for staged in self._flush():
            yield in_global_window(staged)

    def _flush(self) -> Iterator[StagedFile]:
        if not self.rows:
            return
        name = f"{self.run_id}-{uuid.uuid4().hex[:12]}.parquet"
        staged = FileSystems.join(staging_dir(self.output, self.run_id), self.dataset, name)
        rows = write_parquet(staged, self.schema, self.rows)
        self.rows_written.inc(rows)
        self.rows = []
        yield StagedFile(self.dataset, staged, FileSystems.join(self.final_dir, name), rows)


class _Commit(beam.DoFn):
    """Moves every staged file into its dataset, then drops the run's staging folder."""

    def __init__(self, output: str, run_id: str):
        self.output, self.run_id = output, run_id

    def process(self, staged_files: list[StagedFile]) -> Iterator[StagedFile]:
        for folder in sorted({posixpath.dirname(s.final_path) for s in staged_files}):
            ensure_dir(folder)
        for staged in sorted(staged_files, key=lambda s: s.final_path):
            FileSystems.rename([staged.staged_path], [staged.final_path])
            yield staged
        scratch = staging_dir(self.output, self.run_id)
        if FileSystems.exists(scratch):
            FileSystems.delete([scratch])


class WriteDatasets(beam.PTransform):
    """{dataset name: PCollection of rows} -> committed Parquet files (a PCollection).

    ``state`` names extra tables committed in the same step, as {name: (schema, folder)}:
    run state such as the dedup index, which must appear exactly when the datasets do.
    """

    def __init__(self, output: str, run_id: str, ingest_date: str,
                 state: dict[str, tuple[pa.Schema, str]] | None = None):
        super().__init__()
        self.output, self.run_id, self.ingest_date = output, run_id, ingest_date
        self.state = dict(state or {})

    def _target(self, name: str) -> tuple[pa.Schema, str]:
        if name in self.state:
            return self.state[name]
        return DATASETS[name], partition_dir(self.output, name, self.ingest_date)

    def expand(self, rows_by_dataset: dict):
        staged = [
            rows | f"Write{name.title()}" >> beam.ParDo(
                _WriteStaged(self.output, name, self.run_id, *self._target(name)))
            for name, rows in rows_by_dataset.items()
        ]
        return (
            tuple(staged)
            | "AllStaged" >> beam.Flatten()
            | "Gather" >> beam.combiners.ToList()
            | "Commit" >> beam.ParDo(_Commit(self.output, self.run_id)))
