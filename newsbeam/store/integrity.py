"""Is an output whole? The check every command makes before it reads or writes: each file
the log names is present with the size its record gives (one listing, no file opened), and
no record file is unreadable. ``newsbeam verify`` checks more (``store.verify``).

A command that meets damage names the file and points to ``newsbeam verify``: writers
refuse to start (``Damaged``), readers leave the damaged files out and say so. A torn
record that never applied (``torn_records``) is no damage: nothing of it is visible, and
recovery moves it aside.
"""
from __future__ import annotations

import dataclasses

from apache_beam.io.filesystems import FileSystems

from newsbeam.schemas.tables import DATASETS, STATE_TABLES
from newsbeam.store import fs, layout, log


@dataclasses.dataclass(frozen=True)
class Problem:
    path: str   # relative to the output directory
    what: str

    def line(self) -> str:
        return f"{self.path}: {self.what}"


class Damaged(RuntimeError):
    """An output a writer must not change until ``newsbeam verify --repair``; one line."""

    def __init__(self, output: str, problems: list[Problem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{output} is damaged: {problems[0].line()}{more}; run "
                         f"'newsbeam verify --output {output}' (--repair to fix it)")


def verify_hint(output: str) -> str:
    return f"run 'newsbeam verify --output {output}'"


def torn_records(state: log.LogState) -> list[str]:
    """Names of record files that do not parse and never applied: dropped by recovery."""
    return [name for name in sorted(state.damaged)
            if name.endswith(".json") and name[:-len(".json")] not in state.applied]


def stored_sizes(output: str) -> dict[str, int]:
    """Relative path -> size of every file in the dataset and state folders (one listing)."""
    patterns = [layout.dataset_files_pattern(output, name) for name in DATASETS] + \
        [layout.state_files_pattern(output, name) for name in STATE_TABLES]
    return {layout.relative(output, m.path): m.size_in_bytes
            for result in FileSystems.match(patterns) for m in result.metadata_list}


def entry_problem(entry: log.FileEntry, size: int | None) -> Problem | None:
    """What is wrong with a named file found with ``size`` bytes (None: not found)."""
    if size is None:
        return Problem(entry.final, "missing (a commit record names it)")
    if entry.size is not None and size != entry.size:
        return Problem(entry.final, f"is {size} bytes, its commit record says {entry.size} "
                                    "(cut short or overwritten)")
    return None


def log_problems(state: log.LogState) -> list[Problem]:
    torn = set(torn_records(state))
    return [Problem(f"{layout.LOG_DIR}/{name}", f"commit record {why}")
            for name, why in sorted(state.damaged.items()) if name not in torn]


def quick_problems(output: str, state: log.LogState,
                   tables: frozenset[str] | None = None) -> list[Problem]:
    """Unreadable applied records, and named files (of ``tables``: all by default) missing
    or of another size."""
    sizes = stored_sizes(output)
    found = [entry_problem(e, sizes.get(e.final)) for e in log.live_entries(state)
             if tables is None or e.table in tables]
    return log_problems(state) + [p for p in found if p]


def check(output: str, state: log.LogState) -> None:
    """Raise ``Damaged`` if the quick check finds anything."""
    problems = quick_problems(output, state)
    if problems:
        raise Damaged(output, problems)
