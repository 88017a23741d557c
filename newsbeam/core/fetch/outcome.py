"""What became of one fetch, as a plain record that crosses workers: a value or a refusal."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from newsbeam.core.fetch.discovery import Discovery
from newsbeam.core.fetch.fetcher import Fetcher
from newsbeam.records.documents import OfItem, Rejected


@dataclasses.dataclass(frozen=True)
class Outcome(OfItem):
    """A fetched value, or the reason it was refused. The refusal is kept as plain fields
    (exceptions with extra arguments do not survive pickling)."""

    item: Any  # ListingInput or PageInput
    value: Any = None
    reason: str | None = None
    detail: str = ""


def settle(outcome: Outcome) -> Any:
    """The stage function: the fetched value, or the refusal raised again."""
    if outcome.reason is not None:
        raise Rejected(outcome.reason, outcome.detail)
    return outcome.value


def attempt(work: Callable[[Fetcher, Any], Any], fetcher: Fetcher, item: Any) -> Outcome:
    try:
        return Outcome(item, work(fetcher, item))
    except Rejected as refusal:
        return Outcome(item, reason=refusal.reason, detail=refusal.detail)
    except Exception as err:  # a bug or a library failure must not stop the run
        return Outcome(item, reason="internal_error", detail=f"{type(err).__name__}: {err}")


def host_of(item: Any) -> str:
    return urlsplit(item.uri).netloc.lower()


def with_failed_children(outcome: Outcome) -> Iterator[Outcome]:
    """A discovery, then one refused outcome per child sitemap that failed."""
    yield outcome
    if isinstance(outcome.value, Discovery):
        for child, refusal in outcome.value.failed_children:
            yield Outcome(child, reason=refusal.reason, detail=refusal.detail)
