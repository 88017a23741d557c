"""The store on S3: a real S3 API (moto in server mode on loopback) reached through Beam's
S3 filesystem, as a user's ``--output s3://bucket/news`` would be. Commit, incremental runs,
lock, recovery after injected faults and compaction; read back with pyarrow and boto3."""
from __future__ import annotations

from datetime import date

import pytest

from newsbeam.cli import main
from newsbeam.schemas.tables import DATASETS, FILES
from newsbeam.store import log
from newsbeam.modes.compact import compact
from newsbeam.store.faults import InjectedFault
from newsbeam.store.lock import LOCKED_EXIT_CODE, Locked, acquire
from newsbeam.store.recover import recover
from tests.helpers.article_rows import article, sample
from tests.helpers.commits import commit_run
from tests.helpers.runs import FIXTURES, RUNNER_ARGS

pytest.importorskip("moto.server")
pytest.importorskip("apache_beam.io.aws.s3filesystem")

from tests.helpers.s3 import beam_filesystems_on  # noqa: E402  (needs moto)

CONFIG = str(FIXTURES.parents[1] / "configs" / "fixtures.yaml")
DAY = date(2026, 1, 5)


@pytest.fixture(scope="module")
def s3(s3_api):
    """The session's S3 server, with Beam's FileSystems pointed at it for this module."""
    with beam_filesystems_on(s3_api) as server:
        yield server


@pytest.fixture
def output(s3):
    return f"s3://{s3.new_bucket()}/news"


def rows(s3, output: str, dataset: str) -> list[dict]:
    return s3.rows(output, dataset)


def keys(s3, output: str) -> list[str]:
    return s3.output_keys(output)


def manifests(s3, output: str) -> list[dict]:
    return s3.manifests(output)


def run_cli(s3, output: str) -> int:
    return main(["run", "--config", CONFIG, "--output", output, *RUNNER_ARGS, *s3.beam_args()])


@pytest.fixture(scope="module")
def two_runs(s3):
    """The fixtures run twice into one S3 output: (output, exit codes)."""
    output = f"s3://{s3.new_bucket()}/news"
    return output, [run_cli(s3, output), run_cli(s3, output)]


def test_a_batch_run_commits_a_consistent_output_on_s3(s3, two_runs):
    output, codes = two_runs
    assert codes == [0, 0]
    articles = rows(s3, output, "articles")
    assert len(articles) == 5 and len({a["article_id"] for a in articles}) == 5
    assert {a["ingest_date"] for a in articles} == {articles[0]["ingest_date"]}
    for name in DATASETS:  # every dataset has its folder and schema from the first run
        assert any(k.startswith(f"{name}/") and k.endswith(".parquet") for k in keys(s3, output))
    names = keys(s3, output)
    assert not [k for k in names if k.startswith(("_staging/", "_lock/")) or k.endswith(".tmp")]
    first = log.read_log(output)
    assert first.applied == {r.commit_id for r in first.records}


def test_a_second_run_on_s3_is_incremental(s3, two_runs):
    output, _ = two_runs
    first, second = sorted(manifests(s3, output), key=lambda m: m["run_id"])
    assert first["counts"]["articles"] == 5 and first["balanced"]
    assert second["counts"] == {"inputs": 0, "articles": 0, "duplicates": 0, "rejects": 0}
    assert len(rows(s3, output, "articles")) == 5
    assert len(rows(s3, output, "duplicates")) == 0


def test_the_lock_refuses_a_second_writer_on_s3(s3, output, capsys):
    with acquire(output, "test holder"):
        with pytest.raises(Locked, match="test holder"):
            acquire(output, "second writer")
        assert run_cli(s3, output) == LOCKED_EXIT_CODE
        err = capsys.readouterr().err.strip()
        assert "skipped" in err and "\n" not in err
        assert len([k for k in keys(s3, output) if k.startswith("_lock/")]) == 1
    assert not [k for k in keys(s3, output) if k.startswith("_lock/")]
    acquire(output, "next writer").release()  # released: the next one gets it


def _commit_three_articles(output: str, run_id: str = "20260105T000000Z-aaaa") -> None:
    commit_run(output, run_id, DAY, {
        "articles": [article(sample(n), f"site{n}", day=n) for n in (3, 1, 2)],
        "rejects": [], "duplicates": [],
        FILES: [{"path": f"/in/{n}.txt", "size": n, "mtime": 1.0, "sha256": None,
                 "run_id": run_id} for n in range(3)]})


@pytest.mark.parametrize("step, committed", [
    ("staged", False), ("record_written", True), ("first_rename", True), ("renamed", True),
    ("applied", True)])
def test_recovery_after_a_fault_at_each_commit_step_on_s3(s3, output, monkeypatch, step,
                                                         committed):
    monkeypatch.setenv("NEWSBEAM_FAULT_AT", step)
    monkeypatch.setenv("NEWSBEAM_FAULT_MODE", "raise")
    with pytest.raises(InjectedFault):
        _commit_three_articles(output)
    monkeypatch.delenv("NEWSBEAM_FAULT_AT")
    done = recover(output)
    assert not [k for k in keys(s3, output) if k.startswith("_staging/")]
    live = log.live_files(output)
    if committed:  # rolled forward: every file once, in place
        assert len(rows(s3, output, "articles")) == 3
        assert len(live["articles"]) == 1 and len(live[FILES]) == 1
        assert (step == "applied") or done.rolled_forward == ["20260105T000000Z-aaaa"]
    else:  # rolled back: nothing of the run anywhere
        assert live == {} and not [k for k in keys(s3, output) if k.startswith("articles/")]
        assert done.rolled_back == ["20260105T000000Z-aaaa"]


def test_a_crash_inside_a_rename_leaves_a_copy_that_recovery_finishes(s3, output,
                                                                      monkeypatch):
    """On S3 a rename is a copy then a delete: a crash between them leaves the file in both
    places. Recovery keeps the copy in place and drops the staged one: every row once."""
    monkeypatch.setenv("NEWSBEAM_FAULT_AT", "record_written")
    monkeypatch.setenv("NEWSBEAM_FAULT_MODE", "raise")
    with pytest.raises(InjectedFault):
        _commit_three_articles(output)
    monkeypatch.delenv("NEWSBEAM_FAULT_AT")
    (record,) = log.read_log(output).records
    entry = next(e for e in record.adds if e.table == "articles")
    bucket, _, prefix = output.removeprefix("s3://").partition("/")
    s3.client().copy_object(Bucket=bucket, Key=f"{prefix}/{entry.final}",
                            CopySource={"Bucket": bucket, "Key": f"{prefix}/{entry.staged}"})
    assert {entry.final, entry.staged} <= set(keys(s3, output))  # in both places
    recover(output)
    names = keys(s3, output)
    assert entry.final in names and entry.staged not in names
    assert len(rows(s3, output, "articles")) == 3


def test_compaction_on_s3_rewrites_small_files_sorted_with_the_same_rows(s3, output):
    for n, hour in ((1, 1), (2, 2), (3, 3)):
        run_id = f"20260105T0{hour}0000Z-run{n}"
        commit_run(output, run_id, DAY, {
            "articles": [article(sample(m), f"site{n}-{m}", day=10 - m, run_id=run_id)
                         for m in (1, 2)],
            FILES: [{"path": f"/in/{n}.txt", "size": n, "mtime": 1.0, "sha256": None,
                     "run_id": run_id}]})
    before = sorted(a["article_id"] for a in rows(s3, output, "articles"))
    assert len(before) == 6
    done = compact(output, grace_seconds=0)
    assert done.files_before["articles"] == 3 and done.files_after["articles"] == 1
    assert done.files_before[FILES] == 3 and done.files_after[FILES] == 1
    after = rows(s3, output, "articles")
    assert sorted(a["article_id"] for a in after) == before
    published = [a["published_at"] for a in after]
    assert published == sorted(published)
    names = keys(s3, output)
    assert len([k for k in names if k.startswith(f"articles/{DAY}/")]) == 1  # vacuumed
    assert len([k for k in names if k.startswith("_state/files/")]) == 1
    assert not [k for k in names if k.startswith(("_staging/", "_lock/"))]
    assert [k for k in names if k.startswith("_log/")] == [f"_log/{done.commit_id}.checkpoint"]
    assert len(log.read_log(output).records) == 4  # 3 runs and the compaction, folded
    assert recover(output).rolled_forward == []  # nothing left half-done


def test_compact_command_takes_the_s3_settings(s3, output, capsys):
    _commit_three_articles(output, "20260105T000000Z-aaaa")
    _commit_three_articles(output, "20260105T010000Z-bbbb")
    assert main(["compact", "--output", output, "--grace-seconds", "0", *s3.beam_args()]) == 0
    assert "articles" in capsys.readouterr().out
    assert len(rows(s3, output, "articles")) == 6


@pytest.mark.parametrize("command", [["query", "select 1"], ["stats"]])
def test_query_and_stats_refuse_an_object_store_output_in_one_line(command, capsys):
    assert main([command[0], "--output", "s3://bucket/news", *command[1:]]) == 2
    err = capsys.readouterr().err.strip()
    assert "reads local outputs only" in err and "\n" not in err


def test_garbage_as_the_lock_on_s3_is_taken_over_and_a_second_writer_refused(s3, output):
    from newsbeam.store.lock import lock_path

    bucket, _, prefix = output.removeprefix("s3://").partition("/")
    s3.client().put_object(Bucket=bucket, Key=f"{prefix}/{lock_path('x').split('/', 1)[1]}",
                           Body=b"\x00 not a lock")
    with acquire(output, "first"):  # the conditional PUT succeeds once the garbage is gone
        with pytest.raises(Locked, match="first"):
            acquire(output, "second")  # If-None-Match: * refuses it


def test_verify_and_repair_on_s3_name_and_quarantine_a_lost_object(s3, output, capsys):
    _commit_three_articles(output)
    (lost,) = [k for k in keys(s3, output) if k.startswith("articles/")]
    bucket, _, prefix = output.removeprefix("s3://").partition("/")
    s3.client().delete_object(Bucket=bucket, Key=f"{prefix}/{lost}")
    capsys.readouterr()
    assert main(["verify", "--output", output, *s3.beam_args()]) == 1
    assert f"{lost}: missing" in capsys.readouterr().out
    assert main(["verify", "--output", output, "--repair", *s3.beam_args()]) == 0
    assert "files: forgot 3 entries" in capsys.readouterr().out
    assert main(["verify", "--output", output, *s3.beam_args()]) == 0
