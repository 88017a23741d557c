"""The same pipeline, unchanged, on other runners: the fixtures and a WARC archive give the
same rows in process, on two worker processes (multi_processing) and on a portable runner
(Beam's job service with a separate SDK worker pool). Everything crossing a worker
boundary is pickled there, so a DoFn that leaned on module state would show here.
Slow (each runner starts its own worker processes, which import Beam): ``-m slow``."""
from __future__ import annotations

import contextlib
import pathlib

import pytest

from tests.helpers.portable import (
    ROOT, ServiceFailed, fixtures_and_warc, portable_services, run_on)
from tests.helpers.shims import path_with_first, shim

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[pathlib.Path, dict]:
    return fixtures_and_warc(tmp_path_factory.mktemp("portable"))


@pytest.fixture
def another_python_on_path(tmp_path, monkeypatch):
    """A ``python`` first on PATH that is not this interpreter (as in a venv that is not
    activated): a worker started as a bare ``python`` fails instead of passing by luck."""
    other = shim(tmp_path / "other-bin", "python",
                 "echo 'not the Python running the tests' >&2; exit 1")
    monkeypatch.setenv("PATH", path_with_first(other))


def test_two_worker_processes_write_the_same_rows(reference, tmp_path, monkeypatch,
                                                  another_python_on_path):
    config, rows = reference
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the workers import this tree's newsbeam
    assert run_on(config, tmp_path / "out", [
        "--runner", "FnApiRunner", "--direct_running_mode=multi_processing",
        "--direct_num_workers=2"]) == rows


@pytest.mark.timeout(600)
def test_a_portable_runner_with_an_external_worker_pool_writes_the_same_rows(
        reference, tmp_path, another_python_on_path):
    config, rows = reference
    with contextlib.ExitStack() as stack:
        try:
            runner_args = stack.enter_context(portable_services(tmp_path))
        except ServiceFailed as failure:
            pytest.skip(f"Beam's job service or worker pool could not start here: {failure}")
        assert run_on(config, tmp_path / "out", runner_args) == rows
