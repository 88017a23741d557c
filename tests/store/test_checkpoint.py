"""Compaction folds finished commit records into one checkpoint file, so a run's start-up
(which reads the whole log) stops growing with the number of earlier commits; the log reads
the same before and after, also after a crash between writing the checkpoint and deleting
what it folded."""
from __future__ import annotations

import shutil

from newsbeam.store import log
from newsbeam.modes.compact import compact
from newsbeam.store.recover import recover
from tests.helpers.store import committed_run


def summary(state: log.LogState) -> tuple:
    return ([r.commit_id for r in state.records], sorted(state.applied),
            sorted(state.vacuumed))


def test_compaction_folds_finished_records_into_one_checkpoint(tmp_path):
    output = str(tmp_path / "out")
    for hour in range(3):
        committed_run(output, f"20260102T0{hour}0000Z-run{hour}")
    files_before = log.live_files(output)
    done = compact(output, grace_seconds=0)
    state = log.read_log(output)
    names = sorted(p.name for p in (tmp_path / "out" / "_log").iterdir())
    assert names == [f"{done.commit_id}.checkpoint"]  # 3 runs + 1 compaction, folded
    assert len(state.records) == 4 and state.folded == {r.commit_id for r in state.records}
    assert state.pending() == [] and state.unvacuumed() == []
    assert sum(len(p) for p in log.live_files(output).values()) < \
        sum(len(p) for p in files_before.values())
    assert not recover(output)  # nothing to finish, no manifest re-checked or rewritten

    committed_run(output, "20260102T040000Z-run4")  # later commits sit beside it
    assert [r.commit_id for r in log.read_log(output).records][-1] == "20260102T040000Z-run4"
    second = compact(output, grace_seconds=0)
    names = sorted(p.name for p in (tmp_path / "out" / "_log").iterdir())
    assert names == [f"{second.commit_id}.checkpoint"]  # the older checkpoint folded in
    assert len(log.read_log(output).records) == 6


def test_a_crash_before_the_folded_files_are_deleted_reads_the_same(tmp_path):
    output = tmp_path / "out"
    for hour in range(2):
        committed_run(str(output), f"20260102T0{hour}0000Z-run{hour}")
    compact(str(output), grace_seconds=0)
    shutil.copytree(output / "_log", tmp_path / "log-after")
    folded = summary(log.read_log(str(output)))
    # As if the checkpoint were written but the records not yet deleted: put them back.
    for hour in range(2):
        committed_run(str(tmp_path / "twin"), f"20260102T0{hour}0000Z-run{hour}")
    for path in (tmp_path / "twin" / "_log").iterdir():
        shutil.copy2(path, output / "_log" / path.name)
    # ...and an older checkpoint beside the new one.
    (checkpoint,) = (tmp_path / "log-after").iterdir()
    shutil.copy2(checkpoint, output / "_log" / "compact-20000101T000000Z-0.checkpoint")
    assert summary(log.read_log(str(output)))[1:] == folded[1:]
    assert {r.commit_id for r in log.read_log(str(output)).records} == set(folded[0])


def test_compaction_with_no_files_to_rewrite_still_folds_the_log(tmp_path):
    output = str(tmp_path / "out")
    committed_run(output, "20260102T000000Z-run0", files=1)
    done = compact(output, grace_seconds=0)
    assert done.files_before == {}
    names = sorted(p.name for p in (tmp_path / "out" / "_log").iterdir())
    assert names == [f"{done.commit_id}.checkpoint"]
    assert compact(output, grace_seconds=0).files_before == {}  # and then nothing new
    assert sorted(p.name for p in (tmp_path / "out" / "_log").iterdir()) == names


def test_a_reader_whose_listing_a_compaction_folded_away_reads_the_log_again(tmp_path,
                                                                            monkeypatch):
    """Readers take no lock: the record files they listed may be folded and deleted
    before they read them."""
    from newsbeam.store import fs, layout

    output = str(tmp_path / "out")
    for hour in range(2):
        committed_run(output, f"20260102T0{hour}0000Z-run{hour}")
    stale = fs.match_paths(layout.log_path(output, "*"))  # listed before the compaction
    compact(output, grace_seconds=0)
    expected = summary(log.read_log(output))
    listings = iter([stale])
    real = fs.match_paths
    monkeypatch.setattr(fs, "match_paths", lambda pattern: next(listings, None) or real(pattern))
    assert summary(log.read_log(output)) == expected
