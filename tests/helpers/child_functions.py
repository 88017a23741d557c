"""Stage functions for time-limit tests. A module of its own: the child process that runs
them (``spawn``) imports them by name, so they cannot live in a test file's locals."""
from __future__ import annotations

import dataclasses
import os
import time

from newsbeam.records.documents import Rejected


def nap(seconds: float) -> float:
    """Sleeps ``seconds``, returns them; negative: refuses, NaN: the process dies."""
    if seconds != seconds:
        os._exit(3)
    if seconds < 0:
        raise Rejected("negative", f"{seconds}")
    time.sleep(seconds)
    return seconds


def spin(_item=None) -> None:
    """Computes for ever: what a page that sends a parser into an endless loop does."""
    while True:
        pass


def slow_page(paragraphs: int = 8000) -> str:
    """A real page that makes trafilatura work for seconds (~1 MB of nested paragraphs)."""
    text = "The ministers discussed the crisis at length and agreed that more talks were needed."
    body = "\n".join(f"<div><p>{i}</p><p>{text}</p></div>" for i in range(paragraphs))
    return f"<html><body><article>{body}</article></body></html>"


@dataclasses.dataclass(frozen=True)
class Job:
    """An item for a stage in a pipeline test: what ``reject_row`` needs (source, uri) and
    the seconds ``nap_job`` naps (NaN: the child dies; 3600: it hangs)."""

    source: str
    uri: str
    seconds: float


def nap_job(job: Job) -> str:
    return f"{job.uri} napped {nap(job.seconds)}"


def imported_where(module: str) -> tuple[int, int]:
    """(the pid ``module`` was imported in, this process's pid): whether a child got the
    module from its fork server or imported it itself."""
    import importlib

    return importlib.import_module(module).IMPORTED_IN, os.getpid()


def compiled_locales(_item=None) -> int:
    """How many locales dateparser has compiled its split regex for in this process."""
    from dateparser.languages.dictionary import Dictionary

    return sum(len(names) for names in Dictionary._split_regex_cache.values())


def burn(seconds: float) -> float:
    """Computes for ``seconds`` of CPU time, returns them."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds
