"""Non-UTF-8 pages over HTTP: the charset from the header, the <meta> or the BOM is honoured.

Pages from the shared newspaper4k corpus (Thai, Arabic, Chinese, Japanese), re-encoded to
their legacy encodings and served from loopback; read in place, never copied here.
"""
from __future__ import annotations

import gzip
import json
import pathlib
import re

import pytest

from tests.helpers.corpus import corpus_path, needs_corpus
from tests.helpers.loopback import LoopbackSites, Reply
from newsbeam.config import FetchSettings
from newsbeam.core.fetch.fetcher import Fetcher
from newsbeam.core.fetch.pages import PageInput, fetch_page
from newsbeam.core.extract.document import extract_document

CORPUS = corpus_path("newspaper4k")
META_CHARSET = re.compile(r"charset=utf-8", re.I)
# name -> (encoding, charset in the HTTP header or None, charset written into <meta> or None)
PAGES = {
    "thai_article": ("cp874", None, "TIS-620"),
    "arabic_article": ("cp1256", "windows-1256", None),  # the page's <meta> still says UTF-8
    "chinese_article_001": ("gb18030", "GB18030", None),
    "japanese_article": ("shift_jis", None, "Shift_JIS"),
    "spanish_article": ("utf-16", None, None),            # only the BOM tells
}
pytestmark = needs_corpus("newspaper4k")


def served(name: str) -> tuple[bytes, str]:
    encoding, header, meta = PAGES[name]
    page = gzip.decompress((CORPUS / "html" / f"{name}.html.gz").read_bytes()).decode("utf-8")
    if meta:
        page = META_CHARSET.sub(f"charset={meta}", page)
    if encoding == "utf-16":
        page = META_CHARSET.sub("", page)
    body = page.encode(encoding, errors="xmlcharrefreplace")
    return body, "text/html" + (f"; charset={header}" if header else "")


def expected_titles() -> dict[str, str]:
    index = [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines()]
    return {record["name"]: record["title"] for record in index if record["name"] in PAGES}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_legacy_encodings_fetch_and_extract_intact(name):
    body, content_type = served(name)
    assert body.decode(PAGES[name][0]) and b"\xef\xbf\xbd" not in body

    with LoopbackSites(["127.0.0.1"], lambda request: Reply(
            body=body, headers={"Content-Type": content_type})) as site:
        fetcher = Fetcher(FetchSettings(allow_private_networks=True, per_host_delay_seconds=0))
        try:
            raw = fetch_page(fetcher, PageInput("corpus", site.url("127.0.0.1", f"/{name}")))
        finally:
            fetcher.close()
    doc = extract_document(raw)
    title = expected_titles()[name]
    assert doc.title and (doc.title in title or title in doc.title), (doc.title, title)
    assert "\ufffd" not in doc.text and len(doc.text) > 100
