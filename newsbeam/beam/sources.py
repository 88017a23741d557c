"""Sources -> RawDocuments: files read through Beam's FileSystems, live sources fetched.

Files are listed when the pipeline runs (a read step, not while the graph is built), so a
pipeline that runs again or polls sees files that appeared since. Each file is read inside
the pipeline, so a bad file becomes a reject.
"""
from __future__ import annotations

from functools import partial
from typing import Iterator

import apache_beam as beam

from newsbeam.beam.fetch import ReadLiveSources
from newsbeam.beam.stage import ApplyStage, count_input
from newsbeam.config import LIVE_SOURCES, Config, FilesSource
from newsbeam.core.files import FileInput, read_document
from newsbeam.records.documents import RawDocument
from newsbeam.records.run import RunContext
from newsbeam.store import fs


def list_files(source: FilesSource) -> Iterator[FileInput]:
    """The files a source's globs match, sorted and without repeats (globs may overlap)."""
    found = {m.path: m for pattern in source.patterns for m in fs.match(pattern)}
    for path in sorted(found):
        yield FileInput(source.name, path, found[path].size_in_bytes,
                        found[path].last_updated_in_seconds)


def read_file(item: FileInput, max_bytes: int) -> RawDocument:
    return read_document(item, fs.open_read, max_bytes)


class ReadSources(beam.PTransform):
    """Config sources -> {"documents": RawDocuments, "rejects": rows, "listings": fetch-state
    rows of the feeds and sitemaps read (see ``store/state.py``)}."""

    def __init__(self, config: Config, run: RunContext):
        super().__init__()
        self.config, self.run = config, run

    def expand(self, pipeline):
        files_sources = [s for s in self.config.sources if isinstance(s, FilesSource)]
        read = partial(read_file, max_bytes=self.config.limits.max_document_bytes)
        documents, rejects = (
            pipeline
            | "FilesSources" >> beam.Create(files_sources)
            | "ListFiles" >> beam.FlatMap(list_files)
            | "CountInputs" >> beam.Map(count_input)
            | "Spread" >> beam.Reshuffle()
            | "ReadFiles" >> ApplyStage("read", read, self.run))
        live_sources = tuple(s for s in self.config.sources if isinstance(s, LIVE_SOURCES))
        if not live_sources:
            return {"documents": documents, "rejects": rejects,
                    "listings": pipeline | "NoListings" >> beam.Create([])}
        live = pipeline | "Live" >> ReadLiveSources(
            live_sources, self.config.fetch, self.config.output, self.run)
        return {
            "documents": (documents, live["documents"]) | "AllDocuments" >> beam.Flatten(),
            "rejects": (rejects, live["rejects"]) | "AllReadRejects" >> beam.Flatten(),
            "listings": live["listings"],
        }
