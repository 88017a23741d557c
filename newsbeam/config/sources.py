"""The source kinds of a run config (files, warc, feed, urls, sitemap): their keys, defaults
and value checks, and the path, URL and duration rules they share."""
from __future__ import annotations

import dataclasses
import os
import re
from typing import Any, ClassVar, Iterator, Union
from urllib.parse import urlsplit


@dataclasses.dataclass(frozen=True)
class SourceConfig:
    """Keys every source has; each kind adds its own."""

    KIND: ClassVar[str] = ""
    name: str
    kind: str

    def problems(self, where: str) -> Iterator[str]:
        """What is wrong with the kind-specific keys, one line each."""
        return iter(())

    def resolved(self, base_dir: str) -> "SourceConfig":
        """The source with its paths resolved against the config's folder."""
        return self


@dataclasses.dataclass(frozen=True)
class FilesSource(SourceConfig):
    """Local files: .txt (headline line + body) or .html/.htm, each optionally gzipped."""

    KIND: ClassVar[str] = "files"
    path: Union[str, list[str]] = ""

    @property
    def patterns(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)

    def problems(self, where: str) -> Iterator[str]:
        if not self.patterns or not all(self.patterns):
            yield f"{where}.path: give a glob or a list of globs"

    def resolved(self, base_dir: str) -> "FilesSource":
        return dataclasses.replace(self, path=[resolve_path(p, base_dir) for p in self.patterns])


@dataclasses.dataclass(frozen=True)
class WarcSource(SourceConfig):
    """WARC archives (.warc, .warc.gz), e.g. Common Crawl's CC-NEWS: each HTML response
    record is an input. Large gzipped archives are read in ranges of ``split_mb``."""

    KIND: ClassVar[str] = "warc"
    path: Union[str, list[str]] = ""
    split_mb: float = 64.0  # a .warc.gz larger than this is read by several workers

    patterns = FilesSource.patterns  # the same globs as files sources
    resolved = FilesSource.resolved

    def problems(self, where: str) -> Iterator[str]:
        yield from FilesSource.problems(self, where)
        if self.split_mb <= 0:
            yield f"{where}.split_mb: must be positive"


def has_scheme(path: str) -> bool:
    """True for a URI such as ``gs://bucket/x`` or ``s3://b/k`` (kept as written)."""
    head, sep, _ = path.partition("://")
    return bool(sep) and head.isalnum()


def resolve_path(path: str, base_dir: str) -> str:
    """A local path made absolute against ``base_dir``; a URI with a scheme unchanged."""
    if has_scheme(path):
        return path
    return os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))


def http_url_problem(url: Any, where: str) -> str | None:
    """Why ``url`` is not an http(s) URL with a host (one line), or None."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        host = parts and parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        parts = host = None
    if not parts or parts.scheme not in ("http", "https") or not host:
        return f"{where}: {url!r} is not an http or https URL"
    return None


@dataclasses.dataclass(frozen=True)
class FeedSource(SourceConfig):
    """An RSS 0.9x/1.0/2.0, Atom or JSON Feed: its entries' links are fetched."""

    KIND: ClassVar[str] = "feed"
    url: str = ""

    def problems(self, where: str) -> Iterator[str]:
        yield from _present(http_url_problem(self.url, f"{where}.url"))


@dataclasses.dataclass(frozen=True)
class UrlsSource(SourceConfig):
    """Article URLs: listed in the config (``urls``) or in a file, one a line (``path``)."""

    KIND: ClassVar[str] = "urls"
    urls: list[str] = dataclasses.field(default_factory=list)
    path: str = ""

    def problems(self, where: str) -> Iterator[str]:
        if bool(self.urls) == bool(self.path):
            yield f"{where}: give either 'urls' (a list) or 'path' (a file of URLs)"
        for index, url in enumerate(self.urls):
            yield from _present(http_url_problem(url, f"{where}.urls[{index}]"))

    def resolved(self, base_dir: str) -> "UrlsSource":
        return dataclasses.replace(self, path=resolve_path(self.path, base_dir)) if self.path \
            else self


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclasses.dataclass(frozen=True)
class SitemapSource(SourceConfig):
    """A sitemap, news sitemap or sitemap index (plain or gzipped)."""

    KIND: ClassVar[str] = "sitemap"
    url: str = ""
    since: str = ""         # e.g. "2d": skip entries last modified or published earlier
    max_depth: int = 2      # how many levels of sitemap indexes are followed
    max_urls: int = 50_000  # entries taken from the sitemap and its children together

    @property
    def since_seconds(self) -> int | None:
        return duration_seconds(self.since)

    def problems(self, where: str) -> Iterator[str]:
        yield from _present(http_url_problem(self.url, f"{where}.url"))
        if self.since and self.since_seconds is None:
            yield f"{where}.since: '{self.since}' is not an age like 30m, 12h, 2d, 1w"
        if self.max_depth < 0 or self.max_urls < 1:
            yield f"{where}: max_depth must be >= 0 and max_urls >= 1"


def duration_seconds(text: str) -> int | None:
    """Seconds of an age or interval like 30s, 10m, 12h, 2d, 1w (None if not one)."""
    match = _DURATION.match(text)
    return int(match[1]) * _SECONDS_PER_UNIT[match[2]] if match else None


LIVE_SOURCES = (FeedSource, UrlsSource, SitemapSource)
SOURCE_KINDS: dict[str, type[SourceConfig]] = {
    cls.KIND: cls for cls in (FilesSource, WarcSource, *LIVE_SOURCES)}


def _present(problem: str | None) -> Iterator[str]:
    if problem:
        yield problem
