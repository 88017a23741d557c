"""RawDocuments -> {"articles", "duplicates", "rejects"}: everything between read and write.

Source-agnostic: any source that yields RawDocuments plugs in before it. The dedup engine
is the caller's choice (the batch engine for bounded runs).
"""
from __future__ import annotations

from functools import partial

import apache_beam as beam

from newsbeam.transforms.stage import ApplyStage
from newsbeam.core.normalize.article import to_article_row
from newsbeam.core.normalize.language import warm_up
from newsbeam.core.warm import EXTRACT, extract_document
from newsbeam.records.run import RunContext


class ProcessDocuments(beam.PTransform):
    def __init__(self, run: RunContext, dedup: beam.PTransform, min_words: int = 1,
                 extract_timeout: float | None = None, extract_processes: int = 0):
        super().__init__()
        self.run, self.dedup, self.min_words = run, dedup, min_words
        self.extract_timeout, self.extract_processes = extract_timeout, extract_processes

    def expand(self, raw_documents):
        docs, extract_rejects = raw_documents | "Extract" >> ApplyStage(
            EXTRACT, extract_document, self.run.run_id, time_limit=self.extract_timeout,
            processes=self.extract_processes)
        rows, normalize_rejects = docs | "Normalize" >> ApplyStage(
            "normalize", partial(to_article_row, run_id=self.run.run_id, min_words=self.min_words),
            self.run.run_id, setup=warm_up)
        outputs = rows | "Dedup" >> self.dedup
        rejects = (extract_rejects, normalize_rejects) | "StageRejects" >> beam.Flatten()
        return {**outputs, "rejects": rejects}
