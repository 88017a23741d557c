"""RawDocuments -> {"articles", "duplicates", "rejects"}: everything between read and write.

Source-agnostic: any source that yields RawDocuments plugs in before it. The dedup engine
is the caller's choice (the batch engine for bounded runs).
"""
from __future__ import annotations

import threading
from functools import partial

import apache_beam as beam

from newsbeam.transforms.stage import ApplyStage
from newsbeam.core.lazy import ImportedFunction
from newsbeam.core.normalize.article import to_article_row
from newsbeam.core.normalize.language import warm_up
from newsbeam.core.process_pool import pool_size
from newsbeam.core.time_limit import prestart
from newsbeam.records.run import RunContext


EXTRACT = "extract"
# By name: with the time limit on, only the extraction child imports trafilatura.
extract_document = ImportedFunction("newsbeam.core.extract.document", "extract_document")


def warm_start(extract_timeout: float | None, extract_processes: int = 0) -> None:
    """Start, in the background, what ``ProcessDocuments``' DoFns set up: the extraction
    children (their imports take ~0.7 s) and the language model (~0.9 s). Only for a runner
    that runs the DoFns in this process, called before the graph is built so both overlap
    it; ``time_limit.discard_spares()`` stops children no DoFn took over."""
    if extract_timeout:
        prestart(extract_document, EXTRACT, pool_size(extract_processes))
    threading.Thread(target=warm_up, name="newsbeam-warm-up", daemon=True).start()


class ProcessDocuments(beam.PTransform):
    def __init__(self, run: RunContext, dedup: beam.PTransform, min_words: int = 1,
                 extract_timeout: float | None = None, extract_processes: int = 0):
        super().__init__()
        self.run, self.dedup, self.min_words = run, dedup, min_words
        self.extract_timeout, self.extract_processes = extract_timeout, extract_processes

    def expand(self, raw_documents):
        docs, extract_rejects = raw_documents | "Extract" >> ApplyStage(
            EXTRACT, extract_document, self.run, time_limit=self.extract_timeout,
            processes=self.extract_processes)
        rows, normalize_rejects = docs | "Normalize" >> ApplyStage(
            "normalize", partial(to_article_row, run_id=self.run.run_id, min_words=self.min_words),
            self.run, setup=warm_up)
        outputs = rows | "Dedup" >> self.dedup
        rejects = (extract_rejects, normalize_rejects) | "StageRejects" >> beam.Flatten()
        return {**outputs, "rejects": rejects}
