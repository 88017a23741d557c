"""What the extract and normalize stages set up, started early: the extraction children
(their imports take ~0.7 s) and the language model (~0.6 s), so that both overlap other
start-up work; for runs of many pages, dateparser's regexes compiled once for all children
(``core/extract/warm_dates.py``)."""
from __future__ import annotations

import threading

from newsbeam.core.lazy import ImportedFunction
from newsbeam.core.normalize.language import warm_up
from newsbeam.core.process_pool import pool_size
from newsbeam.core.time_limit import preload, prestart

EXTRACT = "extract"
# By name: with the time limit on, only the extraction children import trafilatura.
extract_document = ImportedFunction("newsbeam.core.extract.document", "extract_document")
WARM_DATES = "newsbeam.core.extract.warm_dates"


def warm_start(extract_timeout: float | None, extract_processes: int = 0,
               many_pages: bool = False) -> None:
    """Start, in the background, the extraction children (``extract_processes``, 0: as many
    as cores; none without a time limit) and the language model's loading. The first
    ``TimeLimited`` children of the stage take the children over;
    ``time_limit.discard_spares()`` stops those nobody took. ``many_pages``: the children
    come with dateparser warm (1.4-1.8 CPU s saved a child, but the first child is ready
    that much later: worth it for a chunked run, not for a handful of pages)."""
    if extract_timeout:
        if many_pages:
            preload(WARM_DATES)
        prestart(extract_document, EXTRACT, pool_size(extract_processes))
    threading.Thread(target=warm_up, name="newsbeam-warm-up", daemon=True).start()
