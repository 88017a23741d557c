"""Article rows built by hand for dedup tests (no extraction needed)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from newsbeam.schemas.tables import ARTICLE_SCHEMA, SCHEMA_VERSION, check_row
from tests.helpers.runs import FIXTURES



def sample(number: int) -> str:
    """Body of sample ``number`` (headline line dropped)."""
    (path,) = FIXTURES.glob(f"{number:03d}_*.txt")
    return path.read_text(encoding="utf-8").split("\n", 1)[1]


def article(text: str, name: str, day: int | None = 1, run_id: str = "run-1") -> dict:
    """A row for ``text`` published on January ``day`` 2022 (None: unknown date)."""
    url = f"https://{name}.example/story"
    return check_row(ARTICLE_SCHEMA, {
        "article_id": hashlib.sha256(url.encode()).hexdigest()[:32],
        "url": url, "canonical_url": url, "source": "test", "input": url,
        "domain": f"{name}.example", "site_name": None, "title": name, "dateline": None,
        "authors": [],
        "published_at": None if day is None else datetime(2022, 1, day, tzinfo=timezone.utc),
        "fetched_at": datetime(2022, 2, 1, tzinfo=timezone.utc), "language": "en",
        "text": text, "description": None, "tags": [], "image_url": None,
        "word_count": len(text.split()),
        "content_hash": hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:32],
        "duplicate_count": 0, "duplicate_urls": [], "run_id": run_id,
        "schema_version": SCHEMA_VERSION, "kicker": None,
    })
