"""The headline inside a longer page title: "Headline - Site: Section" -> "Headline" when
the page's own ``<h1>`` says "Headline"."""
from __future__ import annotations

import re
from typing import Iterable

from lxml.html import HtmlElement

from newsbeam.core.extract.fields import clean_inline

# What separates a headline from what a site adds before or after it in a title.
_SEPARATOR = re.compile(r"^\s*[-|:–—·»›/~•]")
_MIN_HEADLINE_WORDS = 2  # one-word <h1>s are mostly logos and section names


def headings(tree: HtmlElement) -> list[str]:
    """The page's ``<h1>`` texts, cleaned, in order."""
    texts = (clean_inline(h1.text_content()) for h1 in tree.iter("h1"))
    return [text for text in texts if text]


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
