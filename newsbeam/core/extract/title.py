"""The headline inside a longer page title: "Headline - Site: Section" -> "Headline" when
the page's own ``<h1>`` says "Headline", and "Headline | site.com" -> "Headline" when the
segment names the page's host."""
from __future__ import annotations

import re
from typing import Iterable

from lxml.html import HtmlElement

from newsbeam.core.extract.fields import clean_inline, names_site

# What separates a headline from what a site adds before or after it in a title.
_SEPARATORS = "-|:–—·»›/~•"
_SEPARATOR = re.compile(r"^\s*[" + re.escape(_SEPARATORS) + "]")
_SEPARATOR_CHARS = " \t\n\xa0" + _SEPARATORS
_MIN_HEADLINE_WORDS = 2  # one-word <h1>s are mostly logos and section names


def _split_kicker(h1: HtmlElement) -> tuple[str, str] | None:
    """``<h1><span>Kicker</span><span>: </span><span>Headline</span></h1>`` ->
    ("Kicker", "Headline"): news sites put a kicker (Dachzeile, topic label) in the first
    child element."""
    children = [child for child in h1 if isinstance(child.tag, str)]
    if not children or (h1.text or "").strip():
        return None  # text before the first element: that element is not a kicker
    whole = clean_inline(h1.text_content()) or ""
    kicker = clean_inline(children[0].text_content())
    if not kicker or not whole.startswith(kicker):
        return None
    headline = clean_inline(whole[len(kicker):].lstrip(_SEPARATOR_CHARS))
    return (kicker, headline) if headline else None


def _without_kicker(h1: HtmlElement) -> str | None:
    split = _split_kicker(h1)
    return split[1] if split else None


_MAX_KICKER_WORDS = 6
_KICKER_PREFIX = re.compile(r"^(.+?)\s*:\s+(.+)$")


def kicker(tree: HtmlElement, declared_titles: list[str], site_names: list[str]) -> str | None:
    """The page's kicker (topline): the first child of an ``<h1>`` marked as above, else
    the prefix of a declared title ("Kicker: Headline", ``og:title`` or JSON-LD
    ``headline``) whose rest is an ``<h1>``. Kept as data: the title stays as chosen."""
    h1s = list(tree.iter("h1"))
    found = [split[0] for split in map(_split_kicker, h1s) if split]
    heads = {_fold(clean_inline(h1.text_content()) or "") for h1 in h1s}
    found += [match[1] for match in map(_KICKER_PREFIX.match, declared_titles)
              if match and _fold(match[2]) in heads]
    return next(filter(None, (_plausible_kicker(text, site_names) for text in found)), None)


def _plausible_kicker(text: str, site_names: list[str]) -> str | None:
    """A short label with letters ("27.01.2022" is a date) that is not the site's name
    (an ``<h1>`` holding the logo)."""
    text = text.rstrip(_SEPARATOR_CHARS)
    if not any(ch.isalpha() for ch in text) or len(text.split()) > _MAX_KICKER_WORDS \
            or names_site(text, site_names):
        return None
    return text


def headings(tree: HtmlElement) -> list[str]:
    """The page's ``<h1>`` texts, cleaned, in order; each also without its kicker."""
    found = []
    for h1 in tree.iter("h1"):
        found += [text for text in (clean_inline(h1.text_content()), _without_kicker(h1))
                  if text]
    return found


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def headline_in_title(title: str, candidates: Iterable[str]) -> str:
    """The longest candidate (an ``<h1>``) that ``title`` starts or ends with, where a
    separator parts it from the rest; else ``title``. Measured on the trafilatura corpus
    (title errors 208 -> 170; development and held-out thirds alike: BENCHMARKS.md)."""
    folded = _fold(title)
    found = []
    for candidate in candidates:
        head = _fold(candidate)
        if len(head) >= len(folded) or len(head.split()) < _MIN_HEADLINE_WORDS:
            continue
        if folded.startswith(head):
            rest = folded[len(head):]
        elif folded.endswith(head):
            rest = folded[:-len(head)][::-1]  # reversed: the separator comes first
        else:
            continue
        if _SEPARATOR.match(rest):
            found.append(candidate)
    return max(found, key=len) if found else title


# " | ", " - " and the like between a title's segments (a hyphen inside a word is not one).
_SEGMENTS = re.compile(r"\s+[-|–—·•]\s+|\s*\|\s*")
def strip_site_segments(title: str, names: list[str]) -> str:
    """ "BMAS - Headline" and "Headline | petri-heil.ch | Claim" -> "Headline": a short
    segment naming the host goes, with what lies beyond it, when a headline remains."""
    if not names:
        return title
    pieces = _SEGMENTS.split(title)
    if len(pieces) < 2:
        return title
    separators = _SEGMENTS.findall(title)
    start, end = 0, len(pieces)
    if names_site(pieces[0], names):
        start = 1
    for index in range(max(start, 1), len(pieces)):
        if names_site(pieces[index], names):
            end = index
            break
    if start >= end:
        return title
    kept = pieces[start] + "".join(sep + piece for sep, piece in
                                   zip(separators[start:end - 1], pieces[start + 1:end]))
    return kept.strip() if len(kept.split()) >= _MIN_HEADLINE_WORDS else title
