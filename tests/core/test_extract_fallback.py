"""The readability comparison is skipped only inside newsbeam's extraction, only where
the first pass is well-formed and a large share of the page, and the body is unchanged."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

import trafilatura
import trafilatura.external
from lxml.html import fromstring
from trafilatura import bare_extraction

from newsbeam.core.extract import fallback
from newsbeam.core.extract.page import extract_html, parse_html
from tests.helpers.corpus import corpus_path, missing_reason
from tests.core.test_extract import PARAGRAPH, URL, page, realistic_page

ROOT = pathlib.Path(__file__).parents[2]
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
    plain = bare_extraction(text, **OPTIONS).text  # plain trafilatura: nothing wrapped
    assert trafilatura.external.try_readability.__module__ == "trafilatura.external"
    assert extract_html(text, url=URL).text == plain
    assert not readability_runs


def test_a_short_article_on_a_long_page_still_asks_readability(readability_runs):
    links = "".join(f"<li><a href='/{i}'>Related story number {i} about other things</a></li>"
                    for i in range(200))
    text = page(body=f"<nav><ul>{links}</ul></nav><article><p>{PARAGRAPH}</p></article>")
    with fallback.skipping_needless_readability():
        bare_extraction(parse_html(text), **OPTIONS)
    assert readability_runs


# A fresh interpreter: trafilatura's own output before newsbeam is imported, after, while
# another thread is inside newsbeam's extraction (the wrappers in place), and after it.
PLAIN_OUTPUT_CHECK = """
import gzip, json, pathlib, sys, threading
import trafilatura, trafilatura.core, trafilatura.external
corpus = pathlib.Path(sys.argv[1])
pages = [gzip.decompress((corpus / json.loads(line)["html_file"]).read_bytes()).decode(
    "utf-8", "replace") for line in (corpus / "index.jsonl").read_text().splitlines()[:12]]
pages += json.loads(sys.argv[2])
internals = lambda: (trafilatura.core.compare_extraction, trafilatura.external.try_readability)
originals = internals()
before = [trafilatura.extract(p) for p in pages]
import newsbeam
from newsbeam.core.extract import fallback
from newsbeam.core.extract.page import extract_html
result = {"patched_at_import": internals() != originals,
          "after_import": [trafilatura.extract(p) for p in pages] == before}
inside, leave = threading.Event(), threading.Event()
def hold():
    with fallback.skipping_needless_readability():
        inside.set()
        leave.wait()
holder = threading.Thread(target=hold)
holder.start()
inside.wait()
result["wrapped_meanwhile"] = internals() != originals
result["while_wrapped"] = [trafilatura.extract(p) for p in pages] == before
leave.set()
holder.join()
extract_html(pages[-1])
result["restored"] = internals() == originals
result["after_use"] = [trafilatura.extract(p) for p in pages] == before
result["nonempty"] = sum(1 for text in before if text)
print(json.dumps(result))
"""


def test_plain_trafilatura_output_is_unchanged_by_importing_and_using_newsbeam():
    corpus = corpus_path("trafilatura")
    if not (corpus / "index.jsonl").exists():
        pytest.skip(missing_reason("trafilatura", "index.jsonl"))
    samples = [realistic_page(stem) for stem in ("000_78f80f7743c66845", "001_cb01ad8e5fa5d174")]
    done = subprocess.run([sys.executable, "-c", PLAIN_OUTPUT_CHECK, str(corpus),
                           json.dumps(samples)], capture_output=True, text=True, cwd=ROOT,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result.pop("nonempty") >= 10  # real pages with text: a broken extract would show
    assert result == {"patched_at_import": False, "after_import": True,
                      "wrapped_meanwhile": fallback.wrappable(), "while_wrapped": True,
                      "restored": True, "after_use": True}


def test_the_wrappers_stay_off_for_internals_they_were_not_written_for(monkeypatch):
    """trafilatura 2.0-2.2 pass a len_text the 2.3 wrapper does not take: wrapping them made
    every page a no_text reject. Such internals, or another release line, are left alone."""
    assert fallback.wrappable()  # the installed trafilatura is the one the wrappers fit

    def compare_2_2(cleaned_tree, raw_tree, body, text, len_text, options):
        raise AssertionError("never called")

    monkeypatch.setattr(fallback, "_compare_extraction", compare_2_2)
    assert not fallback.wrappable()
    monkeypatch.undo()
    monkeypatch.setattr(trafilatura, "__version__", "2.4.0")
    assert not fallback.wrappable()
    monkeypatch.setattr(fallback, "_WRAPPABLE", False)
    text = realistic_page("001_cb01ad8e5fa5d174")
    with fallback.skipping_needless_readability():
        assert trafilatura.external.try_readability.__module__ == "trafilatura.external"
        assert extract_html(text, url=URL).text == bare_extraction(text, **OPTIONS).text
