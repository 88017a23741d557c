"""What every row of one run shares: domain facts only (how a run is shown is the command
line's: ``core/progress.py``)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime


@dataclasses.dataclass(frozen=True)
class RunContext:
    run_id: str          # YYYYMMDDTHHMMSSZ-<8 hex>: orders by start second, not within one
    started_at: datetime  # UTC

    @property
    def ingest_date(self) -> date:
        """The ``ingest_date`` of a batch run's rows: the UTC day it started."""
        return self.started_at.date()
