"""The commit point: a crash injected after each step of a commit leaves the output as before
it or, once recovered, as after it; never in between."""
from __future__ import annotations

import ast
import os
import pathlib
import signal
import subprocess
from datetime import date

import pytest

from newsbeam.schemas.manifest import problems
from newsbeam.schemas.tables import MESSAGES
from newsbeam.store import faults, log
from newsbeam.store.manifest import read_manifest, write_manifest
from newsbeam.store.recover import recover
from newsbeam.store.state import committed_messages
from tests.helpers.article_rows import article, sample
from tests.helpers.commits import commit_run
from tests.helpers.store import (
    commit_in_child_command, committed_run, reject_rows, run_files, stage_rejects)

ROOT = pathlib.Path(__file__).parents[2]
COMMIT_STEPS = faults.COMMIT_STEPS
PACKAGE = ROOT / "newsbeam"


def state(output: pathlib.Path) -> tuple[set[str], dict]:
    return run_files(output), log.live_files(str(output))


@pytest.mark.parametrize("step", COMMIT_STEPS)
def test_a_commit_killed_after_any_step_is_all_or_nothing(tmp_path, step):
    output = tmp_path / "out"
    committed_run(str(output), "r0")  # an earlier run, which must survive untouched
    before = state(output)
    env = {**os.environ, "NEWSBEAM_FAULT_AT": step, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(commit_in_child_command(str(output), "r1"), env=env, cwd=ROOT,
                          capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-500:]

    recovery = recover(str(output))
    files, live = state(output)
    if step == "staged":  # died before its record: rolled back, as if it never ran
        assert (files, live) == before and recovery.rolled_back == ["r1"]
        assert not list((output / "_staging").rglob("*.parquet"))
    else:  # its record exists: rolled forward to the whole commit
        assert len(files) == len(before[0]) + 2 and len(live["rejects"]) == 4
        assert {p.rsplit("/", 1)[1][:2] for p in live["rejects"]} == {"r0", "r1"}
        assert recovery.rolled_forward == ([] if step == "applied" else ["r1"])
    assert recover(str(output)).rolled_forward == []  # recovery is done once


@pytest.mark.parametrize("step", COMMIT_STEPS)
def test_a_commit_that_raises_at_any_step_recovers_the_same_way(tmp_path, step, monkeypatch):
    output = str(tmp_path / "out")
    staged = stage_rejects(output, "r1")
    monkeypatch.setenv("NEWSBEAM_FAULT_AT", step)
    monkeypatch.setenv("NEWSBEAM_FAULT_MODE", "raise")
    with pytest.raises(faults.InjectedFault):
        from newsbeam.store.commit import commit
        commit(output, "r1", "r1", staged)
    monkeypatch.delenv("NEWSBEAM_FAULT_AT")
    recover(output)
    expected = 0 if step == "staged" else 2
    assert len(log.live_files(output).get("rejects", [])) == expected
    assert len(run_files(tmp_path / "out")) == expected


def test_readers_see_only_applied_commits(tmp_path):
    output = str(tmp_path / "out")
    committed_run(output, "r0")
    record = log.CommitRecord("r1", "run", "r1", log.now_iso(), adds=tuple(
        log.FileEntry(s.table, s.final_path[len(output) + 1:], s.staged_path[len(output) + 1:], 3)
        for s in stage_rejects(output, "r1")))
    log.write_record(output, record)  # committed, not yet rolled forward
    assert len(log.live_files(output)["rejects"]) == 2
    log.apply(output, record)
    assert len(log.live_files(output)["rejects"]) == 4


def test_a_commit_id_names_one_set_of_files(tmp_path):
    from newsbeam.store.commit import commit
    output = str(tmp_path / "out")
    staged = stage_rejects(output, "r1")
    first = commit(output, "r1", "r1", staged)
    assert commit(output, "r1", "r1", staged) == first  # a retried commit step: same record
    with pytest.raises(RuntimeError, match="commit ids must be unique"):
        commit(output, "r1", "r1", stage_rejects(output, "r1"))


def test_once_a_stopped_run_closes_the_gate_no_commit_starts(tmp_path):
    """In a forked child: the gate is per process and stays closed."""
    from newsbeam.store.commit import CommitsClosed, close_commits, commit
    output = str(tmp_path / "out")
    staged = stage_rejects(output, "r1")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            close_commits()
            commit(output, "r1", "r1", staged)
        except CommitsClosed:
            code = 0
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert log.read_log(output).records == [] and run_files(tmp_path / "out") == set()


def step_names(node: ast.AST) -> set[str]:
    """The step names an argument of ``faults.reached`` can be (a name or a choice of two)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return step_names(node.body) | step_names(node.orelse)
    return set()


def test_every_fault_step_the_code_reaches_is_a_declared_one():
    reached = {step for path in PACKAGE.rglob("*.py")
               for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and node.func.attr == "reached" and node.args
               for step in step_names(node.args[0])}
    assert reached == set(faults.STEPS)


def test_recovery_says_a_stream_that_died_without_its_manifest_was_killed(tmp_path):
    output = str(tmp_path / "out")
    stream, day = "20260101T000000Z-s", date(2026, 1, 1)
    window = {"articles": [article(sample(1), "a", run_id=stream)],
              "rejects": reject_rows(stream, 1), MESSAGES: [
                  {"message_id": "m1", "run_id": stream}, {"message_id": "m2", "run_id": stream}]}
    commit_run(output, stream, day, window, commit_id=f"{stream}-w20260101T000000-p0",
               manifest=False)
    write_manifest(output, {"run_id": f"{stream}-w20260101T000000-p0", "window_start": "S",
                            "pane_index": 0, "counts": {"inputs": 2, "articles": 1,
                                                        "duplicates": 0, "rejects": 1}})
    # Killed between its second window's commit and that window's manifest.
    commit_run(output, stream, day, {"rejects": reject_rows(stream, 2)},
               commit_id=f"{stream}-w20260101T000010-p0", manifest=False)
    commit_run(output, "20260101T000020Z-b", day, {"rejects": reject_rows("b", 1)},
               manifest=False)  # a batch run that committed: it did succeed
    assert recover(output).manifests_written == [stream, "20260101T000020Z-b"]
    killed = read_manifest(output, stream)
    assert (killed["status"], killed["kind"], killed["recovered"]) == (
        "killed", "killed_stream", True)
    assert problems(killed) == []
    assert killed["commits"] == [f"{stream}-w20260101T000000-p0", f"{stream}-w20260101T000010-p0"]
    first, second = killed["windows"]
    assert (first["window_start"], first["counts"]["inputs"]) == ("S", 2)
    assert first["rows"] == {"articles": 1, "duplicates": 0, "rejects": 1}
    assert second["counts"] is None and second["rows"]["rejects"] == 2
    assert killed["counts"] == {"inputs": None, "articles": 1, "duplicates": 0, "rejects": 3}
    assert killed["balanced"] is False  # the second window's inputs are not known
    assert read_manifest(output, "20260101T000020Z-b")["status"] == "succeeded"
    assert committed_messages(output, set()) == {"m1", "m2"}
