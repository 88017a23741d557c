"""Whole runs killed in their commit, locked out, rerun: every input ends exactly once."""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

import duckdb

from newsbeam.cli import main
from newsbeam.store import lock
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, read_manifest, read_manifests, write_config

ROOT = pathlib.Path(__file__).parents[2]


def inputs_config(tmp_path: pathlib.Path, samples_dir: pathlib.Path) -> pathlib.Path:
    (samples_dir / "copy.txt").write_bytes(SAMPLES[0].read_bytes() + b"\n")  # a duplicate
    (samples_dir / "empty.txt").write_bytes(b"")                             # a reject
    return write_config(tmp_path, [{"name": "in", "kind": "files", "path": str(samples_dir / "*")}],
                        limits={"extract_timeout_seconds": 0}, dedup={"near": {"enabled": False}})


def assert_every_input_once(output: pathlib.Path, inputs: list[str]) -> None:
    sql = duckdb.connect()
    ended = sql.sql(f"""
        select input from read_parquet('{output}/articles/*/*.parquet') union all
        select input from read_parquet('{output}/duplicates/*/*.parquet') union all
        select input from read_parquet('{output}/rejects/*/*.parquet')""").fetchall()
    assert sorted(i for (i,) in ended) == sorted(inputs)
    dangling = sql.sql(f"""
        select d.duplicate_of from read_parquet('{output}/duplicates/*/*.parquet') d
        anti join read_parquet('{output}/articles/*/*.parquet') a
        on d.duplicate_of = a.article_id""").fetchall()
    assert dangling == []
    assert sql.sql(f"select article_id from read_parquet('{output}/articles/*/*.parquet') "
                   "group by 1 having count(*) > 1").fetchall() == []


def test_a_run_killed_in_its_commit_is_finished_by_the_next(tmp_path, samples_dir):
    config, output = inputs_config(tmp_path, samples_dir), tmp_path / "out"
    inputs = sorted(str(p) for p in samples_dir.iterdir())
    env = {**os.environ, "NEWSBEAM_FAULT_AT": "first_rename", "PYTHONPATH": str(ROOT)}
    killed = subprocess.run([sys.executable, "-m", "newsbeam", "run", "--config", str(config),
                             "--output", str(output), *RUNNER_ARGS],
                            env=env, capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert not (output / "_runs").exists()  # it died before any manifest
    assert main(["run", "--config", str(config), "--output", str(output), *RUNNER_ARGS]) == 0
    assert_every_input_once(output, inputs)
    manifests = read_manifests(output)
    recovered = [m for m in manifests if m.get("recovered")]
    assert len(recovered) == 1 and recovered[0]["counts"]["inputs"] == len(inputs)
    rerun = [m for m in manifests if not m.get("recovered")]
    assert rerun[0]["counts"]["inputs"] == 0  # every file was read by the killed run
    assert rerun[0]["metrics"]["sources:skipped_unchanged"] == len(inputs)


def test_a_locked_output_is_skipped_at_once_with_exit_75(tmp_path, samples_dir, capsys):
    config, output = inputs_config(tmp_path, samples_dir), tmp_path / "out"
    with lock.acquire(str(output), "newsbeam run"):
        assert main(["run", "--config", str(config), "--output", str(output), *RUNNER_ARGS]) == 75
    error = capsys.readouterr().err.strip()
    assert error.startswith("newsbeam: skipped:") and "\n" not in error
    assert not list(output.glob("articles/*/*.parquet")) and not (output / "_runs").exists()


def test_a_run_that_fails_after_its_commit_point_is_finished_not_lost(tmp_path, samples_dir,
                                                                      monkeypatch):
    config, output = inputs_config(tmp_path, samples_dir), tmp_path / "out"
    monkeypatch.setenv("NEWSBEAM_FAULT_AT", "record_written")
    monkeypatch.setenv("NEWSBEAM_FAULT_MODE", "raise")
    assert main(["run", "--config", str(config), "--output", str(output), *RUNNER_ARGS]) == 0
    manifest = read_manifest(output)
    assert manifest["status"] == "succeeded" and "finished by recovery" in manifest["warning"]
    assert_every_input_once(output, sorted(str(p) for p in samples_dir.iterdir()))
