"""Date text -> aware UTC datetime: ISO-8601, RFC 822 and what news sites print."""
from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

from dateutil import parser as dateparser

# dateutil fills missing parts from this default: a fixed one keeps parsing deterministic
# (and text without a year is not taken as a date at all).
_DATE_DEFAULT = datetime(1970, 1, 1)
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# Zone names dateutil does not know (it knows only GMT/UT): those RFC 822 defines (feeds
# and Last-Modified use them) and the unambiguous European and East Asian ones news sites
# print. Other names (IST is India, Ireland or Israel) are read as UTC, without a warning.
_ZONE_NAMES = {name: int(hours * 3600) for name, hours in (
    ("EST", -5), ("EDT", -4), ("CST", -6), ("CDT", -5), ("MST", -7), ("MDT", -6),
    ("PST", -8), ("PDT", -7), ("WET", 0), ("WEST", 1), ("BST", 1), ("CET", 1),
    ("CEST", 2), ("EET", 2), ("EEST", 3), ("MSK", 3), ("JST", 9), ("KST", 9))}
# A publication date before the web's first news sites is a placeholder (the Unix epoch,
# 0001-01-01) or a mistake, and one more than a day ahead is a typo or a time zone gone
# wrong: htmldate draws the same lines (1995-01-01, and no future dates).
EARLIEST_PUBLISHED = datetime(1995, 1, 1, tzinfo=timezone.utc)
LATEST_AHEAD = timedelta(days=1)


def parse_date(value: Any) -> datetime | None:
    """ISO-8601 or RFC-822 text (or a datetime) -> aware UTC datetime; naive means UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            if not _YEAR.search(text):
                return None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
                    parsed = dateparser.parse(text, default=_DATE_DEFAULT, tzinfos=_ZONE_NAMES)
            except (ValueError, OverflowError):
                return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def plausible_date(value: Any, now: datetime | None = None) -> datetime | None:
    """``parse_date(value)`` when it can be a publication date: from 1995 to a day after
    ``now`` (default: the current time); otherwise None, so the next candidate is used."""
    parsed = parse_date(value)
    if parsed is None:
        return None
    latest = (now or datetime.now(timezone.utc)) + LATEST_AHEAD
    return parsed if EARLIEST_PUBLISHED <= parsed <= latest else None
