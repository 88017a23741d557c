"""What every row of one run shares."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime


@dataclasses.dataclass(frozen=True)
class RunContext:
    run_id: str          # orders by start time: YYYYMMDDTHHMMSSZ-<8 hex>
    started_at: datetime  # UTC
    # A local folder where stages leave progress counts for the command line to show
    # (``core/progress.py``); None: no progress is recorded.
    progress_dir: str | None = None

    @property
    def ingest_date(self) -> date:
        """The ``ingest_date`` of a batch run's rows: the UTC day it started."""
        return self.started_at.date()
