"""The lifecycle every writing mode shares (``modes/lifecycle.py``), without a pipeline:
what an execution leaves uncommitted is dropped, the manifest is written whatever happened,
and a held output refuses at once."""
from __future__ import annotations

import json
import os
import pathlib

import pytest

from newsbeam.config import load_config
from newsbeam.modes.lifecycle import Outcome, holding, run_lifecycle
from newsbeam.pipelines.runner import pipeline_options
from newsbeam.store import layout
from newsbeam.store.lock import Locked

ROOT = pathlib.Path(__file__).parents[2]


def fixtures_config(tmp_path):
    return load_config(str(ROOT / "configs" / "fixtures.yaml"), output=str(tmp_path / "out"))


def test_a_failed_execution_leaves_no_staging_and_a_written_manifest(tmp_path):
    config = fixtures_config(tmp_path)
    staged = []

    def execute(run):
        path = os.path.join(layout.staging_dir(config.output, run.run_id), "articles", "x.parquet")
        os.makedirs(os.path.dirname(path))
        pathlib.Path(path).write_bytes(b"never committed")
        staged.append(path)
        return Outcome(failure=RuntimeError("boom"), error="RuntimeError: boom", reason="error")

    def describe(run, outcome):
        assert not os.path.exists(staged[0])  # recovered before it is described
        return {"run_id": run.run_id, "status": "failed", "error": outcome.error}

    manifest, outcome = run_lifecycle(config, pipeline_options([]), "test", execute, describe)
    assert outcome.failed and outcome.reason == "error"
    assert not os.path.exists(layout.staging_dir(config.output, manifest["run_id"]))
    written = json.loads(pathlib.Path(manifest["manifest_path"]).read_text())
    assert written == {"run_id": manifest["run_id"], "status": "failed",
                       "error": "RuntimeError: boom"}


def test_a_held_output_refuses_before_anything_executes(tmp_path):
    config = fixtures_config(tmp_path)
    executed = []
    with holding(config.output, "another writer"):
        with pytest.raises(Locked, match="another writer"):
            run_lifecycle(config, pipeline_options([]), "test",
                          lambda run: executed.append(run) or Outcome(),
                          lambda run, outcome: {"run_id": run.run_id})
    assert not executed
