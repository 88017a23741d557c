"""trafilatura's readability comparison, run only where it can change the body.

``bare_extraction`` compares its first pass with readability on every page (~20% of
its body time) and takes readability's text when its own is empty, less than half of
readability's, or structurally poor (no paragraph text, more tables than paragraphs).
Where the first pass is well-formed and a large share of the page's text (``readability_cannot_win``), readability
almost never wins; there it is skipped, and the rest of the comparison (the jusText
rescue of unclean or short bodies) runs as before. The thresholds were chosen on a random
half of both corpora and checked on the other half (``python -m bench.fallback_skip``;
BENCHMARKS.md, issue 13): the body of every corpus page stayed the same.

Nothing of trafilatura is changed at import. The two internals are wrapped only while some
thread is inside ``skipping_needless_readability()`` (installed on the first entry, the
originals put back on the last exit), and only where trafilatura has them exactly as the
wrappers were written for (2.3: ``compare_extraction(cleaned_tree, raw_tree, body, text,
options)``, ``try_readability(htmlinput)``); with any other trafilatura nothing is wrapped
and every page takes the full comparison. While installed, a call outside the context
(another thread's plain ``trafilatura.extract``) passes straight through: the skip is a
context variable, set only inside.
"""
from __future__ import annotations

import contextlib
import contextvars
import inspect
import threading
from typing import Iterator

import trafilatura
import trafilatura.core
import trafilatura.external
from lxml.html import HtmlElement

# Readability wins only with more than twice the first pass's text, and its text is part of
# the page's: from this share up it never won on either half of the corpora (bench.fallback_skip).
MIN_PAGE_SHARE = 0.3

_ACTIVE = contextvars.ContextVar("newsbeam_skip_readability", default=False)
_SKIP_THIS_CALL = contextvars.ContextVar("newsbeam_readability_skipped", default=False)
# The two internals this wraps, with the exact parameters and the release line the
# wrappers were written and measured for; any other trafilatura runs unwrapped.
WRAPPED_RELEASE = "2.3."
_COMPARE_PARAMETERS = ("cleaned_tree", "raw_tree", "body", "text", "options")
_READABILITY_PARAMETERS = ("htmlinput",)
_compare_extraction = getattr(trafilatura.core, "compare_extraction", None)
_try_readability = getattr(trafilatura.external, "try_readability", None)


def _parameters(function) -> tuple[str, ...] | None:
    try:
        return tuple(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # not a function, or one without a signature
        return None


def wrappable() -> bool:
    """trafilatura's internals are exactly those the wrappers were written for."""
    return (trafilatura.__version__.startswith(WRAPPED_RELEASE)
            and _parameters(_compare_extraction) == _COMPARE_PARAMETERS
            and _parameters(_try_readability) == _READABILITY_PARAMETERS
            and getattr(trafilatura.external, "compare_extraction", None) is _compare_extraction)


def well_formed(body) -> bool:
    """Paragraph text and no more tables than paragraphs (else readability may win on
    structure, whatever the lengths)."""
    return bool(body.xpath(".//p//text()")) and \
        len(body.findall(".//table")) <= len(body.findall(".//p"))


def page_share(text: str, raw_tree: HtmlElement) -> float:
    """The first pass's length as a share of all the page's text (whitespace collapsed)."""
    page_chars = len(" ".join(" ".join(raw_tree.itertext()).split()))
    return len(text) / page_chars if page_chars else 1.0


def readability_cannot_win(body, text: str, raw_tree: HtmlElement) -> bool:
    return well_formed(body) and page_share(text, raw_tree) >= MIN_PAGE_SHARE


def _compare(cleaned_tree, raw_tree, body, text, options):
    skip = (_ACTIVE.get() and options.focus == "balanced"
            and readability_cannot_win(body, text, raw_tree))
    token = _SKIP_THIS_CALL.set(skip)
    try:
        return _compare_extraction(cleaned_tree, raw_tree, body, text, options)
    finally:
        _SKIP_THIS_CALL.reset(token)


def _readability(tree: HtmlElement) -> HtmlElement:
    # An empty result is "readability found nothing": the comparison keeps the first pass.
    return HtmlElement() if _SKIP_THIS_CALL.get() else _try_readability(tree)


_WRAPPABLE = wrappable()
_INSTALLED = threading.Lock()
_users = 0  # threads inside the context: the wrappers are in place while there are any
_replaced: tuple = ()  # what the wrappers replaced, put back when the last thread leaves


def _install() -> None:
    global _users, _replaced
    with _INSTALLED:
        _users += 1
        if _users == 1:
            _replaced = (trafilatura.core.compare_extraction, trafilatura.external.try_readability)
            trafilatura.core.compare_extraction = _compare
            trafilatura.external.try_readability = _readability


def _uninstall() -> None:
    global _users
    with _INSTALLED:
        _users -= 1
        if _users == 0:
            trafilatura.core.compare_extraction, trafilatura.external.try_readability = _replaced


@contextlib.contextmanager
def skipping_needless_readability() -> Iterator[None]:
    """trafilatura's extractions in this block skip readability where it cannot win; a
    no-op where trafilatura is not the version the wrappers fit (``wrappable``)."""
    if not _WRAPPABLE:
        yield
        return
    _install()
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
        _uninstall()
