"""A config checked against the world before a run: every problem found here is one line
of a ConfigError (exit 2) instead of a failed run, and all of them are reported at once.

- every path (output, file globs, URL lists) is one Beam has a filesystem for: a ``gs://``
  output without ``apache-beam[gcp]`` is refused, never written to a local ``gs:`` folder;
- a local output is a folder that can be created and written (not a file, not under a
  file, not in /proc, /sys or /dev, not read-only);
- every files glob matches a file, every URL list exists and holds only http(s) URLs;
- the output is not one an older newsbeam wrote without a commit log.
(The dedup index's parameters are checked once the run holds the output's lock.)
"""
from __future__ import annotations

from typing import Iterator

from newsbeam.config import (
    Config, ConfigError, FilesSource, UrlsSource, WarcSource, has_scheme, http_url_problem)
from newsbeam.core.fetch.pages import parse_url_list
from newsbeam.schemas.tables import DATASETS
from newsbeam.store import fs, layout

_MAX_BAD_URLS = 5  # a wrong file (not a URL list) should not print thousands of lines


def _filesystem_problem(path: str, where: str) -> str | None:
    problem = fs.unsupported(path)
    return f"{where}: {problem} ({path})" if problem else None


def output_problems(output: str) -> Iterator[str]:
    problem = _filesystem_problem(output, "output")
    if problem:
        yield problem
        return
    problem = None if has_scheme(output) else fs.local_write_problem(output)
    if problem:
        yield f"output: {problem}"
    elif not fs.dir_exists(layout.log_dir(output)) and any(
            fs.match(layout.dataset_files_pattern(output, name)) for name in DATASETS):
        yield (f"output: {output} was written by newsbeam < 0.2 (no _log/ commit log); "
               "use a new output directory")


def _url_list_problems(path: str, where: str) -> Iterator[str]:
    if not fs.exists(path):
        yield f"{where}: no file {path}"
        return
    try:
        text = fs.read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        yield f"{where}: {path} is not a UTF-8 text file of URLs"
        return
    except OSError as err:
        yield f"{where}: cannot read {path}: {err.strerror or err}"
        return
    if "\0" in text:
        yield f"{where}: {path} is a binary file, not a text file of URLs"
        return
    bad = [p for p in (http_url_problem(url, where) for url in parse_url_list(text)) if p]
    yield from bad[:_MAX_BAD_URLS]
    if len(bad) > _MAX_BAD_URLS:
        yield f"{where}: ... and {len(bad) - _MAX_BAD_URLS} more lines that are not URLs"


def source_problems(config: Config) -> Iterator[str]:
    for index, source in enumerate(config.sources):
        where = f"sources[{index}].path"
        if isinstance(source, (FilesSource, WarcSource)):
            for pattern in source.patterns:
                problem = _filesystem_problem(pattern, where)
                if problem:
                    yield problem
                elif not fs.match(pattern):
                    yield f"{where}: '{pattern}' matches no file"
        elif isinstance(source, UrlsSource) and source.path:
            problem = _filesystem_problem(source.path, where)
            yield from [problem] if problem else _url_list_problems(source.path, where)


def preflight(config: Config) -> None:
    """Raise one ConfigError listing everything that would make the run fail."""
    problems = [*output_problems(config.output), *source_problems(config)]
    if problems:
        raise ConfigError(problems)
