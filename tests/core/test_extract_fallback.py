"""The readability comparison is skipped only inside newsbeam's extraction, only where
the first pass is well-formed and a large share of the page, and the body is unchanged."""
from __future__ import annotations

import pytest
from lxml.html import fromstring
from trafilatura import bare_extraction

from newsbeam.core.extract import fallback
from newsbeam.core.extract.page import extract_html, parse_html
from tests.core.test_extract import PARAGRAPH, URL, page, realistic_page

OPTIONS = dict(url=URL, include_comments=False, include_tables=True, deduplicate=False)


@pytest.fixture
def readability_runs(monkeypatch):
    """How often trafilatura's readability ran (the real one: this only counts)."""
    calls = []

    def counting(tree):
        calls.append(tree)
        return real(tree)

    real = fallback._try_readability
    monkeypatch.setattr(fallback, "_try_readability", counting)
    return calls


def test_well_formed_needs_paragraph_text_and_no_more_tables_than_paragraphs():
    assert fallback.well_formed(fromstring("<div><p>text</p><table/></div>"))
    assert not fallback.well_formed(fromstring("<div><p>text</p><table/><table/></div>"))
    assert not fallback.well_formed(fromstring("<div><p></p><span>text</span></div>"))


def test_page_share_counts_all_the_pages_text_with_whitespace_collapsed():
    tree = fromstring("<html><body><nav>one  two</nav><p>three\n four</p></body></html>")
    assert fallback.page_share("x" * 9, tree) == 0.5  # of "one two three four"
    assert fallback.page_share("", fromstring("<html><body></body></html>")) == 1.0


def test_an_article_that_is_most_of_its_page_skips_readability(readability_runs):
    text = realistic_page("001_cb01ad8e5fa5d174")
    plain = bare_extraction(text, **OPTIONS).text
    assert readability_runs  # plain trafilatura, outside newsbeam's extraction: unchanged
    readability_runs.clear()
    assert extract_html(text, url=URL).text == plain
    assert not readability_runs


def test_a_short_article_on_a_long_page_still_asks_readability(readability_runs):
    links = "".join(f"<li><a href='/{i}'>Related story number {i} about other things</a></li>"
                    for i in range(200))
    text = page(body=f"<nav><ul>{links}</ul></nav><article><p>{PARAGRAPH}</p></article>")
    with fallback.skipping_needless_readability():
        bare_extraction(parse_html(text), **OPTIONS)
    assert readability_runs
