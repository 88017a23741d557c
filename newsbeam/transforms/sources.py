"""Sources -> RawDocuments: files read through Beam's FileSystems, live sources fetched.

Files are listed when the pipeline runs (a read step, not while the graph is built), so a
pipeline that runs again or polls sees files that appeared since. Each file is read inside
the pipeline, so a bad file becomes a reject. Runs are incremental: a file an earlier run
read (same path, size and modification time, or same bytes; the ``files`` state table) is
skipped and counted, not an input, unless the run reprocesses everything. WARC archives
are listed, skipped when unchanged and recorded the same way, and read by ``transforms/warc.py``.
The ``files`` state is read once for both checks, by the caller (``state.ReadStates``).
"""
from __future__ import annotations

from typing import Iterator

import apache_beam as beam

from newsbeam.transforms.fetch import ReadLiveSources
from newsbeam.transforms.stage import ApplyStage, count_input
from newsbeam.transforms.state import SkipKnown
from newsbeam.transforms.warc import WARC, ReadArchives
from newsbeam.config import LIVE_SOURCES, Config, FilesSource, WarcSource
from newsbeam.core.files import FileInput, LoadedFile, load, to_raw_document
from newsbeam.records.run import RunContext
from newsbeam.store import fs

SOURCES = "sources"  # metrics namespace


def list_files(source: FilesSource | WarcSource) -> Iterator[FileInput]:
    """The files a source's globs match, sorted and without repeats (globs may overlap)."""
    found = {m.path: m for pattern in source.patterns for m in fs.match(pattern)}
    for path in sorted(found):
        yield FileInput(source.name, path, found[path].size_in_bytes,
                        found[path].last_updated_in_seconds, fs.special_kind(path))


def load_file(item: FileInput, max_bytes: int) -> LoadedFile:
    return load(item, fs.open_read, max_bytes)


def files_row(loaded: LoadedFile, run: RunContext) -> dict:
    item = loaded.item
    return {"path": item.uri, "size": item.size, "mtime": item.mtime,
            "sha256": loaded.sha256, "run_id": run.run_id}


def file_key(row: dict) -> str:
    """The ``FileInput.key`` of a ``files`` state row."""
    return FileInput("", row["path"], row["size"], row["mtime"]).key


def listed_files(sources: list) -> list[FileInput]:
    return [item for source in sources for item in list_files(source)]


def _listed(pipeline, sources: list, label: str, items: list[FileInput] | None = None):
    """The files of ``sources``, listed when the pipeline runs (or ``items``, listed
    before: a chunk of a run)."""
    return (pipeline
            | f"Start{label}" >> beam.Impulse()
            | label >> beam.FlatMap(
                lambda _: listed_files(sources) if items is None else items))


class ReadFiles(beam.PTransform):
    """Files sources -> (documents, rejects, ``files`` state rows of the files read).
    ``known``: ``files`` state rows of earlier runs, whose files are skipped (or None)."""

    def __init__(self, sources: list[FilesSource], max_bytes: int, run: RunContext, known=None,
                 items: list[FileInput] | None = None):
        super().__init__()
        self.sources, self.max_bytes, self.run, self.known = sources, max_bytes, run, known
        self.items = items

    def expand(self, pipeline):
        known = self.known
        listed = _listed(pipeline, self.sources, "List", self.items)
        if known is not None:
            listed = (listed, known) | "SkipUnchanged" >> SkipKnown(
                item_key=lambda item: item.key, row_key=file_key,
                counter=(SOURCES, "skipped_unchanged"))
        loaded = (listed
                  | "Spread" >> beam.Reshuffle()
                  | "Load" >> beam.Map(load_file, max_bytes=self.max_bytes))
        if known is not None:
            loaded = (loaded, known) | "SkipSameBytes" >> SkipKnown(
                item_key=lambda loaded: loaded.sha256,
                row_key=lambda row: row["sha256"], counter=(SOURCES, "skipped_same_bytes"))
        documents, rejects = (loaded
                              | "CountInputs" >> beam.Map(count_input)
                              | "Read" >> ApplyStage("read", to_raw_document, self.run.run_id))
        return documents, rejects, loaded | "FilesState" >> beam.Map(files_row, run=self.run)


def empty(pipeline, label: str):
    """An empty PCollection (``beam.Create([])`` costs twice the transforms)."""
    return pipeline | label >> beam.Impulse() | f"{label}Nothing" >> beam.FlatMap(lambda _: ())


class ReadSources(beam.PTransform):
    """Config sources -> {"documents": RawDocuments, "rejects": rows, "listings": fetch-state
    rows of the feeds and sitemaps read, "files": rows of the files and WARC archives read}.

    ``known_files``: the ``files`` state rows of earlier runs (``state.ReadStates``): files
    and archives they read unchanged are skipped; None reads everything again.
    ``files``: the files to read (a chunk of a run), instead of the files sources' listing."""

    def __init__(self, config: Config, run: RunContext, known_files=None,
                 files: list[FileInput] | None = None):
        super().__init__()
        self.config, self.run, self.known_files, self.files = config, run, known_files, files

    def expand(self, pipeline):
        files_sources = [s for s in self.config.sources if isinstance(s, FilesSource)]
        documents, rejects, files = pipeline | "Files" >> ReadFiles(
            files_sources, self.config.limits.max_document_bytes, self.run, self.known_files,
            self.files)
        documents, rejects, files = self._warc(pipeline, documents, rejects, files)
        live_sources = tuple(s for s in self.config.sources if isinstance(s, LIVE_SOURCES))
        if not live_sources:
            return {"documents": documents, "rejects": rejects, "files": files,
                    "listings": empty(pipeline, "NoListings")}
        live = pipeline | "Live" >> ReadLiveSources(
            live_sources, self.config.fetch, self.config.output, self.run)
        return {
            "documents": (documents, live["documents"]) | "AllDocuments" >> beam.Flatten(),
            "rejects": (rejects, live["rejects"]) | "AllReadRejects" >> beam.Flatten(),
            "listings": live["listings"],
            "files": files,
        }

    def _warc(self, pipeline, documents, rejects, files):
        """Adds the WARC sources' documents, rejects and ``files`` rows to the files'."""
        warc_sources = [s for s in self.config.sources if isinstance(s, WarcSource)]
        if not warc_sources:
            return documents, rejects, files
        listed = _listed(pipeline, warc_sources, "ListArchives")
        if self.known_files is not None:
            listed = (listed, self.known_files) | "SkipUnchangedArchives" >> SkipKnown(
                item_key=lambda item: item.key, row_key=file_key,
                counter=(WARC, "archives_skipped_unchanged"))
        warc = listed | "Warc" >> ReadArchives(
            {s.name: max(1, int(s.split_mb * 2**20)) for s in warc_sources},
            self.config.limits.max_document_bytes, self.run)
        return ((documents, warc["documents"]) | "FilesAndWarc" >> beam.Flatten(),
                (rejects, warc["rejects"]) | "FilesAndWarcRejects" >> beam.Flatten(),
                (files, warc["archives"]) | "FilesAndArchives" >> beam.Flatten())
