"""Faults an operator meets, injected for real (a torn record, a truncated or deleted state or
dataset file, a staged file gone, a full disk after the commit point), then checked through
the command line: each command names the damaged file, ``newsbeam verify --repair`` makes
the store whole, and afterwards every input is accounted for exactly once and the next run
succeeds."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest

from newsbeam.cli import main
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, write_config

ROOT = pathlib.Path(__file__).parents[2]


@pytest.fixture
def store(tmp_path, samples_dir):
    """A config over the samples (plus a copy: a duplicate, and an empty file: a reject)."""
    (samples_dir / "copy.txt").write_bytes(SAMPLES[0].read_bytes() + b"\n")
    (samples_dir / "empty.txt").write_bytes(b"")
    config = write_config(tmp_path, [{"name": "in", "kind": "files",
                                      "path": str(samples_dir / "*")}],
                          dedup={"near": {"enabled": False}})
    return Store(config, tmp_path / "out", samples_dir)


class Store:
    def __init__(self, config, output, inputs):
        self.config, self.output, self.inputs = config, output, inputs

    def run(self) -> int:
        return main(["run", "--config", str(self.config), "--output", str(self.output),
                     "-q", *RUNNER_ARGS])

    def run_killed_at(self, step: str) -> None:
        env = {**os.environ, "NEWSBEAM_FAULT_AT": step, "PYTHONPATH": str(ROOT)}
        killed = subprocess.run([sys.executable, "-m", "newsbeam", "run", "--config",
                                 str(self.config), "--output", str(self.output), "-q",
                                 *RUNNER_ARGS], env=env, capture_output=True, timeout=300)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    def command(self, *args: str) -> int:
        return main([args[0], "--output", str(self.output), *args[1:]])

    def query(self, capsys, sql: str) -> list[dict]:
        capsys.readouterr()
        assert self.command("query", "--format", "json", sql) == 0
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    def add_input(self, name: str = "new.txt") -> None:
        (self.inputs / name).write_text("A new story arrived today. " * 40)

    def assert_every_input_once(self, capsys) -> None:
        """Through ``newsbeam query``: articles + duplicates + rejects = distinct inputs, no
        input twice, no article id twice, no duplicate naming a missing article."""
        rows = self.query(capsys, """
            select input, article_id, 'a' as kind, null as duplicate_of from articles
            union all select input, article_id, 'd', duplicate_of from duplicates
            union all select input, null, 'r', null from rejects""")
        inputs = sorted(str(p) for p in self.inputs.iterdir())
        assert sorted(r["input"] for r in rows) == inputs  # each exactly once
        ids = [r["article_id"] for r in rows if r["kind"] == "a"]
        assert len(ids) == len(set(ids))
        articles = {r["article_id"] for r in rows if r["kind"] == "a"}
        assert all(r["duplicate_of"] in articles for r in rows if r["kind"] == "d")


def files(output: pathlib.Path, pattern: str) -> list[pathlib.Path]:
    return sorted(output.glob(pattern))


def truncate(path: pathlib.Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.slow  # a run in a child process, killed at its commit point
def test_a_torn_record_that_never_applied_is_dropped_by_recovery(store, capsys):
    store.run_killed_at("record_written")
    (record,) = files(store.output, "_log/*.json")
    truncate(record)  # what a power cut leaves of a record not yet on the disk
    assert store.command("stats") == 0  # readers see nothing of it, and do not fail
    assert store.command("verify") == 1
    assert f"_log/{record.name}: commit record does not parse" in capsys.readouterr().out
    assert store.run() == 0
    assert not record.exists() and list(store.output.glob(f"_quarantine/*/_log/{record.name}"))
    store.assert_every_input_once(capsys)
    assert store.command("verify") == 0


def test_a_torn_record_that_had_applied_is_named_and_repaired(store, capsys):
    assert store.run() == 0
    (record,) = files(store.output, "_log/*.json")
    truncate(record)
    capsys.readouterr()
    assert store.command("query", "select count(*) from articles") == 0
    assert f"_log/{record.name}" in capsys.readouterr().err
    assert store.run() == 1
    error = capsys.readouterr().err
    assert f"_log/{record.name}" in error and "newsbeam verify" in error
    assert store.command("compact") == 1
    assert f"_log/{record.name}" in capsys.readouterr().err
    assert store.command("verify", "--repair") == 0
    said = capsys.readouterr().out
    assert "moved to quarantine" in said and "no commit record names it" in said
    store.add_input()
    assert store.run() == 0  # reads every input again: its files were quarantined
    store.assert_every_input_once(capsys)
    assert store.command("verify") == 0


@pytest.mark.parametrize("table", ["files", "dedup_index"])
@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_damaged_state_file_is_named_and_rebuilt(store, capsys, table, damage):
    assert store.run() == 0
    (state_file,) = files(store.output, f"_state/{table}/*.parquet")
    truncate(state_file) if damage == "truncate" else state_file.unlink()
    relative = str(state_file.relative_to(store.output))
    capsys.readouterr()
    assert store.run() == 1
    error = capsys.readouterr().err
    assert relative in error and "newsbeam verify" in error and "Traceback" not in error
    assert store.command("compact") == 1
    assert relative in capsys.readouterr().err
    assert store.command("stats") == 0  # state is not what readers read
    assert store.command("verify") == 1
    assert relative in capsys.readouterr().out
    assert store.command("verify", "--repair") == 0
    said = capsys.readouterr().out
    assert f"{table}: restored" in said
    store.add_input()
    assert store.run() == 0
    store.assert_every_input_once(capsys)
    (new,) = [r for r in store.query(capsys, "select * from runs") if r["inputs"] == 1]
    assert new["articles"] == 1  # only the new input was read: the state was rebuilt
    assert store.command("verify") == 0


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_damaged_articles_file_is_named_and_its_inputs_read_again(store, capsys, damage):
    assert store.run() == 0
    (articles,) = [p for p in files(store.output, "articles/*/*.parquet")]
    truncate(articles) if damage == "truncate" else articles.unlink()
    relative = str(articles.relative_to(store.output))
    capsys.readouterr()
    assert store.run() == 1  # never again a run that exits 0 over a lost file
    assert relative in capsys.readouterr().err
    assert store.command("query", "select count(*) from rejects") == 0
    assert relative in capsys.readouterr().err  # named, left out, and the query answers
    assert store.command("verify", "--repair") == 0
    said = capsys.readouterr().out
    assert "files: forgot" in said and "dedup_index: forgot" in said
    assert store.run() == 0  # reads the lost articles' inputs again
    store.assert_every_input_once(capsys)
    assert store.command("verify") == 0


def test_recovery_does_not_die_on_a_record_whose_staged_file_is_gone(store, capsys):
    store.run_killed_at("record_written")
    staged = files(store.output, "_staging/*/rejects/*.parquet")[0]
    staged.unlink()
    capsys.readouterr()
    assert store.run() == 1  # recovery finished the commit and names the missing file
    error = capsys.readouterr().err
    assert "missing" in error and "rejects/" in error and "Traceback" not in error
    assert store.command("verify", "--repair") == 0
    assert store.run() == 0
    store.assert_every_input_once(capsys)


def test_garbage_as_the_lock_never_stops_runs(store, capsys):
    (store.output / "_lock").mkdir(parents=True)
    (store.output / "_lock" / "lock.json").write_bytes(b"\x00garbage")
    (store.output / "_lock" / "00000000000000000000-0000.json").write_bytes(b"{")
    assert store.run() == 0
    store.assert_every_input_once(capsys)


def test_a_full_disk_after_the_commit_point_reports_committed(store, capsys, monkeypatch):
    monkeypatch.setenv("NEWSBEAM_FAULT_AT", "writing_manifest")  # after the commit point
    monkeypatch.setenv("NEWSBEAM_FAULT_MODE", "enospc")
    capsys.readouterr()
    assert store.run() == 5
    error = capsys.readouterr().err
    assert "committed its data" in error and "No space left on device" in error
    assert "nothing committed" not in error
    monkeypatch.delenv("NEWSBEAM_FAULT_AT")
    store.add_input()
    assert store.run() == 0  # its recovery writes the lost manifest
    runs = store.query(capsys, "select * from runs order by finished_at")
    assert [r["inputs"] for r in runs] == [7, 1]
    store.assert_every_input_once(capsys)


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MB tmpfs mounted for the test (needs root; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                          capture_output=True)
    if made.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_real_full_disk_after_the_commit_point_reports_committed(store, small_disk,
                                                                   capsys, monkeypatch):
    """The output on a small tmpfs, filled up right after the commit: the manifest's write
    meets a real ENOSPC."""
    store.output = small_disk / "out"
    filler = small_disk / "filler"
    monkeypatch.setenv("NEWSBEAM_FAULT_AT", "writing_manifest")
    monkeypatch.setenv("NEWSBEAM_FAULT_MODE", "fill")
    monkeypatch.setenv("NEWSBEAM_FAULT_FILL", str(filler))
    capsys.readouterr()
    assert store.run() == 5
    error = capsys.readouterr().err
    assert "committed its data" in error and "No space left on device" in error
    assert "injected" not in error  # the disk's own ENOSPC
    assert filler.stat().st_size > 0 and not list(store.output.glob("_runs/*.json"))
    monkeypatch.delenv("NEWSBEAM_FAULT_AT")
    filler.unlink()  # the operator frees the disk
    assert store.run() == 0  # its recovery writes the lost manifest; nothing is read again
    # by finish time, not run_id: both runs may start in the same second (ids name seconds)
    runs = store.query(capsys, "select * from runs order by finished_at")
    assert [r["inputs"] for r in runs] == [7, 0]
    store.assert_every_input_once(capsys)
    assert store.command("verify") == 0


def test_verify_of_a_missing_output_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["verify", "--output", str(tmp_path / "nothing")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "nothing" in error


def test_a_damaged_manifest_and_index_parameters_are_named_and_repaired(store, capsys):
    assert store.run() == 0
    (manifest,) = files(store.output, "_runs/*.json")
    params = store.output / "_state" / "dedup_index" / "params.json"
    truncate(manifest)
    truncate(params)
    capsys.readouterr()
    assert store.run() == 1  # refused before anything ran, naming the file
    error = capsys.readouterr().err
    assert "params.json: does not parse" in error and "newsbeam verify" in error
    assert store.command("verify") == 1
    said = capsys.readouterr().out
    assert f"_runs/{manifest.name}: does not parse" in said and "params.json" in said
    assert store.command("verify", "--repair") == 0
    assert json.loads(manifest.read_text())["recovered"] is True  # written again
    store.add_input()
    assert store.run() == 0
    store.assert_every_input_once(capsys)
    assert store.command("verify") == 0


def test_repair_is_skipped_with_75_while_a_writer_holds_the_output(tmp_path, capsys):
    from newsbeam.store import lock

    output = tmp_path / "out"
    (output / "_log").mkdir(parents=True)  # an output no run has committed to yet
    with lock.acquire(str(output), "newsbeam run"):
        assert main(["verify", "--output", str(output), "--repair"]) == 75
    assert "skipped" in capsys.readouterr().err
    assert main(["verify", "--output", str(output), "--repair"]) == 0
