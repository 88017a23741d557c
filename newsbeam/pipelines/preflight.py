"""A config checked against the world before a run: every problem found here is a
ConfigError (one line, exit 2) instead of a failed run.

- every path (output, file globs, URL lists) is one Beam has a filesystem for: a ``gs://``
  output without ``apache-beam[gcp]`` is refused, never written to a local ``gs:`` folder;
- every files glob matches a file, every URL list exists and holds only http(s) URLs;
- an existing dedup index was built with this config's near-dup parameters.
"""
from __future__ import annotations

from newsbeam.config import Config, ConfigError, FilesSource, UrlsSource, check_http_url
from newsbeam.core.fetch.pages import parse_url_list
from newsbeam.store import fs
from newsbeam.store.state import prepare_index


def _check_filesystem(path: str, where: str) -> None:
    problem = fs.unsupported(path)
    if problem:
        raise ConfigError(f"{where}: {problem} ({path})")


def check_sources(config: Config) -> None:
    for index, source in enumerate(config.sources):
        where = f"sources[{index}].path"
        if isinstance(source, FilesSource):
            for pattern in source.patterns:
                _check_filesystem(pattern, where)
                if not fs.match(pattern):
                    raise ConfigError(f"{where}: '{pattern}' matches no file")
        elif isinstance(source, UrlsSource) and source.path:
            _check_filesystem(source.path, where)
            if not fs.exists(source.path):
                raise ConfigError(f"{where}: no file {source.path}")
            try:
                text = fs.read_bytes(source.path).decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigError(f"{where}: {source.path} is not a UTF-8 text file of URLs") \
                    from None
            for url in parse_url_list(text):
                check_http_url(url, where)


def preflight(config: Config) -> None:
    """Raise ConfigError for the first thing that would make the run fail."""
    _check_filesystem(config.output, "output")
    check_sources(config)
    if config.dedup.cross_run:
        prepare_index(config.output, config.dedup.near)
