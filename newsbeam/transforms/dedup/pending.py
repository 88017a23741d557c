"""A chunked run in Beam: chunks commit pending rows, the run's last step settles them.

``ToPending`` stands in for the dedup engine in a chunk's pipeline; ``ReadPending`` and
``WriteSettled`` surround the batch dedup engine in the settling pipeline, which sees the
whole run (and any rows a stopped run left pending) as one run would. Why: docs/chunked-runs.md.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow

from newsbeam.config import NearDedupConfig
from newsbeam.core.dedup.minhash import Permutations, sign_text
from newsbeam.core.dedup.pending import (
    DEDUP_COLUMNS, REF, SIGNATURE_COLUMNS, dedup_view, pending_row, settled)
from newsbeam.core.progress import ProgressWriter, progress_folder
from newsbeam.schemas.tables import ARTICLE_SCHEMA, PENDING
from newsbeam.store.parquet import iter_rows, read_table
from newsbeam.store.state import state_files
from newsbeam.transforms.sinks import RemovedFile, write_staged

CHUNKS = "chunks"  # metrics namespace


class _SignPending(beam.DoFn):
    def __init__(self, params: NearDedupConfig):
        self.params = params

    def setup(self):
        self.perms = Permutations.create(self.params.num_perm, self.params.seed)

    def process(self, row: dict) -> Iterator[dict]:
        signed = sign_text(row["text"], self.params, self.perms) if self.params.enabled \
            else None
        yield pending_row(row, signed)


class ToPending(beam.PTransform):
    """Article rows -> {PENDING: the rows with their signature; no articles or duplicates
    yet}: the dedup engine of a chunk."""

    def __init__(self, params: NearDedupConfig):
        super().__init__()
        self.params = params

    def expand(self, rows):
        nothing = rows | "NothingSettled" >> beam.FlatMap(lambda _: ())
        return {"articles": nothing, "duplicates": nothing,
                PENDING: rows | "Sign" >> beam.ParDo(_SignPending(self.params))}


REMOVED = "removed"


class _ReadPendingFile(beam.DoFn):
    """A pending file -> the dedup view of each row, and the file as a RemovedFile (the
    settling commit deletes it)."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        self.rows = Metrics.counter(CHUNKS, "pending_rows")
        self.resumed = Metrics.counter(CHUNKS, "resumed_rows")

    def process(self, path: str) -> Iterator:
        for number, row in enumerate(iter_rows(path, [*DEDUP_COLUMNS, *SIGNATURE_COLUMNS])):
            self.rows.inc()
            if row["run_id"] != self.run_id:  # left by a run stopped before it settled
                self.resumed.inc()
            yield dedup_view(row, path, number)
        yield beam.pvalue.TaggedOutput(REMOVED, RemovedFile(PENDING, path))


class ReadPending(beam.PTransform):
    """The output's committed pending rows, listed and read when the pipeline runs ->
    {"rows": dedup views, REMOVED: the files read}."""

    def __init__(self, output: str, run_id: str):
        super().__init__()
        self.output, self.run_id = output, run_id

    def expand(self, pipeline):
        output = self.output
        read = (pipeline
                | "Start" >> beam.Impulse()
                | "List" >> beam.FlatMap(lambda _: state_files(output, PENDING))
                | "Spread" >> beam.Reshuffle()
                | "Read" >> beam.ParDo(_ReadPendingFile(self.run_id)).with_outputs(
                    REMOVED, main="rows"))
        return {"rows": read.rows, REMOVED: read[REMOVED]}


class PendingTexts:
    """The text of a row, or of the pending row its dedup view stands for (read from the
    pending file; the last file read is kept, as views of one file come together)."""

    def __init__(self):
        self.path, self.texts = None, None

    def text(self, row: dict) -> str:
        if "text" in row:
            return row["text"]
        path, number = row[REF]
        if path != self.path:
            self.path, self.texts = path, read_table(path, columns=["text"]).column("text")
        return self.texts[number].as_py()


class _WriteSettledFile(beam.DoFn):
    """(pending file, its kept dedup views) -> one staged articles file of the kept rows,
    read from the pending file: only one file's full rows are in memory at a time."""

    def __init__(self, output: str, run_id: str, run_date: date):
        self.output, self.run_id, self.run_date = output, run_id, run_date
        self.written = Metrics.counter("sinks", "articles_rows")

    def setup(self):
        self.progress = ProgressWriter(progress_folder())

    def process(self, keyed: tuple) -> Iterator:
        path, kept = keyed
        by_number = {view[REF][1]: view for view in kept}
        rows = (settled(row, by_number[number]) for number, row in enumerate(iter_rows(path))
                if number in by_number)
        staged = write_staged(self.output, self.run_id, "articles", ARTICLE_SCHEMA, rows,
                              GlobalWindow(), self.run_date)
        self.written.inc(staged.rows)
        self.progress.add("articles_rows", staged.rows)
        self.progress.flush()
        yield staged


class WriteSettled(beam.PTransform):
    """Kept dedup views -> staged articles files (StagedFile), one per pending file."""

    def __init__(self, output: str, run_id: str, run_date: date):
        super().__init__()
        self.args = output, run_id, run_date

    def expand(self, kept):
        return (kept
                | "ByFile" >> beam.Map(lambda view: (view[REF][0], view))
                | "Gather" >> beam.GroupByKey()
                | "Write" >> beam.ParDo(_WriteSettledFile(*self.args)))
