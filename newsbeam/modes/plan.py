"""What a run would read, without running it: ``newsbeam run|follow --dry-run`` and the
progress line's total.

Files and WARC archives are listed as the run lists them (``transforms.sources``) and
checked against the ``files`` state earlier runs committed (same path, size and
modification time: skipped); URL lists are counted and checked against the ``seen`` state.
Feeds and sitemaps are only named: their entries are known once they are fetched.
Nothing is written."""
from __future__ import annotations

import dataclasses

from newsbeam.config import (Config, FeedSource, FilesSource, SitemapSource, UrlsSource,
                             WarcSource, has_scheme)
from newsbeam.core.fetch.pages import parse_url_list
from newsbeam.core.files import FileInput
from newsbeam.core.normalize.urls import canonicalize_url
from newsbeam.schemas.tables import FILES, SEEN
from newsbeam.store import fs
from newsbeam.store.parquet import iter_rows
from newsbeam.store.state import state_files
from newsbeam.transforms.sources import list_files

EXAMPLES = 3  # names shown per source


@dataclasses.dataclass
class SourcePlan:
    name: str
    kind: str
    unit: str                  # what is counted: "files", "archives", "URLs", "listing"
    to_read: int               # inputs (or archives) the run would read
    skipped: int = 0           # read by earlier runs: skipped unless --reprocess
    examples: list[str] = dataclasses.field(default_factory=list)
    known: bool = True         # False: the count is not the inputs (feeds, sitemaps, WARC)


def _state_keys(output: str, table: str, key) -> set[str]:
    if not fs.dir_exists(output):
        return set()
    return {key(row) for path in state_files(output, table) for row in iter_rows(path)}


def _file_key(row: dict) -> str:
    return FileInput("", row["path"], row["size"], row["mtime"]).key


def _files_plan(source, known: set[str], reprocess: bool) -> SourcePlan:
    items = list(list_files(source))
    fresh = [item for item in items if reprocess or item.key not in known]
    warc = isinstance(source, WarcSource)
    return SourcePlan(source.name, source.KIND, "archives" if warc else "files", len(fresh),
                      len(items) - len(fresh), [item.uri for item in fresh[:EXAMPLES]],
                      known=not warc)


def _urls_plan(source: UrlsSource, seen: set[str], reprocess: bool) -> SourcePlan:
    urls = list(source.urls) or parse_url_list(fs.read_bytes(source.path).decode("utf-8"))
    fresh = [u for u in urls if reprocess or canonicalize_url(u) not in seen]
    return SourcePlan(source.name, source.KIND, "URLs", len(fresh), len(urls) - len(fresh),
                      fresh[:EXAMPLES])


def plan(config: Config, reprocess: bool = False) -> list[SourcePlan]:
    """One ``SourcePlan`` per source of ``config`` (checked by ``preflight`` first)."""
    files = _state_keys(config.output, FILES, _file_key) if not reprocess else set()
    seen = _state_keys(config.output, SEEN, lambda row: row["url"]) \
        if any(isinstance(s, UrlsSource) for s in config.sources) else set()
    plans = []
    for source in config.sources:
        if isinstance(source, (FilesSource, WarcSource)):
            plans.append(_files_plan(source, files, reprocess))
        elif isinstance(source, UrlsSource):
            plans.append(_urls_plan(source, seen, reprocess))
        elif isinstance(source, (FeedSource, SitemapSource)):
            plans.append(SourcePlan(source.name, source.KIND, "listing", 1, 0, [source.url],
                                    known=False))
    return plans


def known_total(plans: list[SourcePlan]) -> int | None:
    """How many inputs the run will read, when every source's count is its inputs."""
    return sum(p.to_read for p in plans) if plans and all(p.known for p in plans) else None


def progress_total(config: Config, reprocess: bool = False) -> int | None:
    """The inputs a run of ``config`` will read, for its progress line: known when every
    source is local files (listed once more here, which is cheap on a disk; an object
    store's listing is not repeated for it); None otherwise or when listing fails."""
    if not config.sources or not all(
            isinstance(s, FilesSource) and not any(has_scheme(p) for p in s.patterns)
            for s in config.sources):  # feeds, URL lists, sitemaps have no patterns
        return None
    try:
        return known_total(plan(config, reprocess))
    except Exception:  # noqa: BLE001 - the run itself reports what is wrong
        return None
