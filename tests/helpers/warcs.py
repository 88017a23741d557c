"""WARC archives written for tests and benchmarks (with warcio's writer), shaped like a
crawl's: request, response and metadata records per page, plus the records a reader
must skip (revisit, non-200, non-HTML)."""
from __future__ import annotations

import dataclasses
import html
import io
import pathlib
from datetime import datetime, timedelta, timezone
from typing import Iterable

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.helpers.runs import SAMPLES

CRAWLED = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


@dataclasses.dataclass(frozen=True)
class Page:
    url: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: str = "200 OK"


def sample_pages(host: str = "news.example") -> list[Page]:
    """The bundled sample articles (tests/fixtures) as HTML pages."""
    pages = []
    for path in SAMPLES:
        headline, body = path.read_text(encoding="utf-8").split("\n", 1)
        paragraphs = "".join(f"<p>{html.escape(p.strip())}</p>"
                             for p in body.split("\n\n") if p.strip())
        page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(headline)}</title></head><body><article>"
                f"<h1>{html.escape(headline)}</h1>{paragraphs}</article></body></html>")
        pages.append(Page(f"https://{host}/{path.stem}", page.encode("utf-8")))
    return pages


def skipped_pages(host: str = "news.example") -> list[Page]:
    """Responses a reader must skip: one not found, one redirect, one image."""
    return [Page(f"https://{host}/missing", b"<html>gone</html>", status="404 Not Found"),
            Page(f"https://{host}/moved", b"", status="301 Moved Permanently"),
            Page(f"https://{host}/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")]


def _http_headers(page: Page) -> StatusAndHeaders:
    return StatusAndHeaders(page.status, [("Content-Type", page.content_type),
                                          ("Content-Length", str(len(page.body)))],
                            protocol="HTTP/1.1")


def write_warc(path: pathlib.Path, pages: Iterable[Page], *, extras: Iterable[Page] = (),
               revisit_first: bool = True, gzip: bool | None = None) -> pathlib.Path:
    """``pages`` as request + response + metadata records (what Common Crawl writes), then
    ``extras`` (responses to skip) and a revisit of the first page. Gzipped per record when
    the name ends in ``.gz``."""
    gzip = path.name.endswith(".gz") if gzip is None else gzip
    pages = list(pages)
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for number, page in enumerate([*pages, *extras]):
            date = (CRAWLED + timedelta(seconds=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
            request = writer.create_warc_record(
                page.url, "request", payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(f"GET /{number} HTTP/1.1", [("Host", "x")],
                                              is_http_request=True),
                warc_headers_dict={"WARC-Date": date})
            response = writer.create_warc_record(
                page.url, "response", payload=io.BytesIO(page.body),
                http_headers=_http_headers(page), warc_headers_dict={"WARC-Date": date})
            metadata = writer.create_warc_record(
                page.url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 12\r\n"),
                warc_content_type="application/warc-fields",
                warc_headers_dict={"WARC-Date": date})
            for record in (request, response, metadata):
                writer.write_record(record)
        if revisit_first and pages:
            writer.write_record(writer.create_revisit_record(
                pages[0].url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                refers_to_uri=pages[0].url, refers_to_date="2024-03-01T12:00:00Z",
                http_headers=_http_headers(pages[0])))
    return path
