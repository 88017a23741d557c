"""A run's rows without what differs between two runs of the same input (run ids, the
moment a reject was written, the ingest day), for comparing runs across runners."""
from __future__ import annotations

import pathlib

from tests.helpers.runs import read_dataset

PER_RUN = {"run_id", "rejected_at", "ingest_date"}


def comparable_rows(output: pathlib.Path, read=read_dataset) -> dict[str, list[dict]]:
    """{dataset: rows without per-run columns, sorted}; ``read(output, dataset)`` reads a
    dataset's rows (a local output's by default)."""
    tables = {}
    for name in ("articles", "duplicates", "rejects"):
        rows = [{k: v for k, v in row.items() if k not in PER_RUN}
                for row in read(output, name)]
        tables[name] = sorted(rows, key=lambda r: sorted((k, repr(v)) for k, v in r.items()))
    return tables
