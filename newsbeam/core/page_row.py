"""One page -> its article row: extract, then normalize, in one call. ``newsbeam extract``
runs it in its time-limited child process, so that the command's own process imports
neither the extractor (trafilatura) nor the normalizers (courlan, numpy for the language
model, pyarrow): for one page those imports are most of the work."""
from __future__ import annotations

from newsbeam.core.extract.document import extract_document
from newsbeam.core.normalize.article import to_article_row
from newsbeam.records.documents import PageJob, Rejected


def page_row(job: PageJob) -> tuple:
    """("row", row), or ("normalize", reason, detail) when normalize refuses the page;
    a refusal by extract raises ``Rejected`` (so each keeps its stage)."""
    document = extract_document(job.raw)
    try:
        return ("row", to_article_row(document, job.run_id, job.min_words))
    except Rejected as refusal:
        return ("normalize", refusal.reason, refusal.detail)
