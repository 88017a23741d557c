"""A config checked against the world before a run: every problem found here is a
ConfigError (one line, exit 2) instead of a failed run.

- every path (output, file globs, URL lists) is one Beam has a filesystem for: a ``gs://``
  output without ``apache-beam[gcp]`` is refused, never written to a local ``gs:`` folder;
- every files glob matches a file, every URL list exists and holds only http(s) URLs;
- the output is not one an older newsbeam wrote without a commit log.
(The dedup index's parameters are checked once the run holds the output's lock.)
"""
from __future__ import annotations

from newsbeam.config import Config, ConfigError, FilesSource, UrlsSource, WarcSource, check_http_url
from newsbeam.core.fetch.pages import parse_url_list
from newsbeam.records.schema import DATASETS
from newsbeam.store import fs, layout


def _check_filesystem(path: str, where: str) -> None:
    problem = fs.unsupported(path)
    if problem:
        raise ConfigError(f"{where}: {problem} ({path})")


def check_sources(config: Config) -> None:
    for index, source in enumerate(config.sources):
        where = f"sources[{index}].path"
        if isinstance(source, (FilesSource, WarcSource)):
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


def check_output(output: str) -> None:
    _check_filesystem(output, "output")
    if not fs.dir_exists(layout.log_dir(output)) and any(
            fs.match(layout.dataset_files_pattern(output, name)) for name in DATASETS):
        raise ConfigError(f"output: {output} was written by newsbeam < 0.2 (no _log/ commit "
                          "log); use a new output directory")


def preflight(config: Config) -> None:
    """Raise ConfigError for the first thing that would make the run fail."""
    check_output(config.output)
    check_sources(config)
