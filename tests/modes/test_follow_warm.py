"""``follow`` keeps its process warm: the extraction children started by the first poll
serve every later poll, and are stopped when following stops (real runs, FnApiRunner)."""
from __future__ import annotations

import multiprocessing

import pytest

from newsbeam.config import load_config
from newsbeam.modes.follow import follow
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, write_config


def extraction_children() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.name == "newsbeam-extract"}


@pytest.mark.timeout(300)
def test_polls_share_the_extraction_children_and_stopping_stops_them(tmp_path):
    config = load_config(str(write_config(
        tmp_path, [{"name": "samples", "kind": "files", "path": [str(p) for p in SAMPLES]}],
        limits={"extract_timeout_seconds": 5, "extract_processes": 2})))
    seen: list[tuple[str, int, set[int]]] = []

    def report(outcome, manifest, _error):
        seen.append((outcome, manifest["counts"]["inputs"], extraction_children()))

    assert follow(config, RUNNER_ARGS, every_seconds=0.01, max_runs=3, report=report) \
        == {"succeeded": 3, "sources_failed": 0, "skipped": 0, "failed": 0}
    (_, first_inputs, kept), *later = seen
    assert first_inputs == len(SAMPLES) and len(kept) == 2  # kept after the run, ready
    assert later == [("succeeded", 0, kept)] * 2  # the same two served the later polls
    assert not extraction_children()  # stopped with the loop
