"""Imported by the extraction children's fork server (``time_limit.preload``) before it forks
them, for runs of many pages: dateparser compiles a regex per locale (205) the first time a
date string reaches it that no early locale reads, 1.4-1.8 CPU s in every process that
extracts. Compiled here once, the children share it instead of each compiling its own.

Only the speed changes: dateparser's answers do not depend on what it has seen
(htmldate's parser does not try previous locales first).
"""
from __future__ import annotations

import logging

LOG = logging.getLogger(__name__)
# No locale reads it, so every locale's regexes are compiled while looking.
UNREADABLE = "Zzqx 12 blorf 2020"


def warm_dates() -> bool:
    """Compile dateparser's per-locale regexes as htmldate's parser uses them; False (and
    nothing warmed) where htmldate's parser cannot be had."""
    try:
        from htmldate.extractors import get_external_parser

        get_external_parser().get_date_data(UNREADABLE)
    except Exception as err:  # a warm-up: the children then compile it themselves
        LOG.debug("dateparser not warmed: %s", err)
        return False
    return True


warm_dates()
