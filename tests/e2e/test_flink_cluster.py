"""newsbeam on a real Flink cluster on loopback, started by ``scripts/local-flink``: a
JobManager scheduling onto two TaskManagers (parallelism 2), Beam's Flink job server and
an SDK worker pool. The sample articles and a WARC archive give the rows of the in-process
run, the manifest balances and carries the counters that came back through the job
service; every DoFn, the commit step included, ran on the TaskManagers' SDK workers. An
interrupted run cancels its job on the cluster; a polling stream commits windows, stops on
SIGTERM and resumes after a restart with its job checkpointing.

The first run on a machine downloads Flink (PyPI) and the job server's classes (Maven
Central) into ~/.cache/newsbeam; later runs use that cache. Marked ``flink`` and ``slow``
(about 4 minutes on 2 cores)."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from newsbeam.cli import main
from tests.helpers.comparable import comparable_rows
from tests.e2e.test_crash_and_lock import assert_every_input_once, inputs_config
from tests.helpers.loopback import LoopbackSites, free_loopback
from tests.helpers.portable import ROOT, fixtures_and_warc, local_cluster, run_on
from tests.helpers.pubsub import wait_until
from tests.helpers.runs import read_dataset, read_manifests, write_config
from tests.modes.test_follow import GrowingFeed

pytestmark = [pytest.mark.flink, pytest.mark.slow, pytest.mark.timeout(1800)]
# Beam's S3 filesystem imported now, with boto3: a run in this process imports Beam with
# boto3 hidden when its config is all local (cli/lean_import.py), and the S3 test comes after.
pytest.importorskip("apache_beam.io.aws.s3filesystem")
SCRIPT = ROOT / "scripts" / "local-flink"


@pytest.fixture(scope="module")
def flink_options():
    with local_cluster(SCRIPT, start_timeout=1200) as options:
        yield options


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """(config, rows of its in-process run): the samples and a WARC archive."""
    return fixtures_and_warc(tmp_path_factory.mktemp("flink"))


def test_the_fixtures_and_a_warc_on_flink_give_the_in_process_rows(flink_options, reference,
                                                                    tmp_path):
    assert "--parallelism" in flink_options and "EXTERNAL" in flink_options
    config, rows = reference
    finished = finished_jobs()
    assert run_on(config, tmp_path / "flink", flink_options) == rows
    assert finished_jobs() == finished + 1  # the cluster ran it, commit step included


def finished_jobs() -> int:
    """Jobs the cluster's JobManager finished (its REST API)."""
    return rest("/overview")["jobs-finished"]


def test_an_output_on_s3_written_from_the_task_managers_has_the_same_rows(
        flink_options, reference, s3_api):
    """The way a real cluster is deployed: output and state on an object store (moto's S3
    on loopback) that the launcher and every TaskManager's workers reach."""
    from tests.helpers.s3 import beam_filesystems_on

    config, rows = reference
    output = f"s3://{s3_api.new_bucket()}/news"
    with beam_filesystems_on(s3_api):
        assert main(["run", "--config", str(config), "--output", output, *flink_options,
                     *s3_api.beam_args()]) == 0
    (manifest,) = s3_api.manifests(output)
    assert manifest["balanced"] and manifest["metrics"]["warc:records"] == 26
    assert comparable_rows(output, s3_api.rows) == rows
    assert not [k for k in s3_api.output_keys(output) if k.startswith(("_staging/", "_lock/"))]


def with_worker_env(options: list[str], **env: str) -> list[str]:
    """``options`` with ``env`` set in the job's SDK workers (scripts/sdk_worker_pool.py
    takes environment parameters ``env.NAME``)."""
    at = options.index("--environment_config") + 1
    config = {"url": options[at], "params": {f"env.{k}": v for k, v in env.items()}}
    return [*options[:at], json.dumps(config), *options[at + 1:]]


def test_a_commit_killed_on_a_task_manager_is_finished_and_nothing_is_doubled(
        flink_options, samples_dir, tmp_path):
    """The SDK worker running the commit on a TaskManager is killed after the commit
    record is written, at its first rename: the run is finished (by the retried task or by
    the launcher's recovery), every input ends once, and a second run reads nothing again."""
    config, output = inputs_config(tmp_path, samples_dir), tmp_path / "out"
    inputs = sorted(str(p) for p in samples_dir.iterdir())
    killing = with_worker_env(flink_options, NEWSBEAM_FAULT_AT="first_rename")
    assert main(["run", "--config", str(config), "--output", str(output), *killing]) == 0
    assert_every_input_once(output, inputs)
    (first,) = read_manifests(output)
    assert first["status"] == "succeeded" and first["counts"]["inputs"] == len(inputs)
    assert main(["run", "--config", str(config), "--output", str(output),
                 *flink_options]) == 0
    assert_every_input_once(output, inputs)
    second = [m for m in read_manifests(output) if m["run_id"] != first["run_id"]]
    assert [m["counts"]["inputs"] for m in second] == [0]


def jobs() -> dict[str, dict]:
    """The cluster's jobs by id (its REST API)."""
    return {job["jid"]: job for job in rest("/jobs/overview")["jobs"]}


def test_a_run_interrupted_on_flink_cancels_its_job_and_the_next_run_finishes_it(
        flink_options, samples_dir, tmp_path):
    """SIGTERM to ``newsbeam run`` while its job runs on the cluster: the job is cancelled
    on Flink (Beam's job server alone leaves it running), the run is recorded as
    interrupted, and the next run ingests every input exactly once."""
    config, output = inputs_config(tmp_path, samples_dir), tmp_path / "out"
    inputs = sorted(str(p) for p in samples_dir.iterdir())
    before = set(jobs())
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbeam", "run", "--config", str(config), "--output",
         str(output), *flink_options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        wait_until(lambda: [j for i, j in jobs().items()
                            if i not in before and j["state"] == "RUNNING"], 300,
                   "the run's job running on the cluster")
        time.sleep(3)  # its tasks under way (the whole job takes ~30 s here)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM, out[-3000:]
    (first,) = read_manifests(output)
    assert first["status"] == "failed" and first["reason"] == "interrupted"
    (job,) = [j for i, j in jobs().items() if i not in before]
    assert job["state"] == "CANCELED"  # already when the interrupted run has exited
    assert job["name"] == f"newsbeam-run-{first['run_id'].lower()}"
    assert main(["run", "--config", str(config), "--output", str(output),
                 *flink_options]) == 0
    assert_every_input_once(output, inputs)
    second = [m for m in read_manifests(output) if m["run_id"] != first["run_id"]]
    assert [(m["status"], m["counts"]["inputs"]) for m in second] == [
        ("succeeded", len(inputs))]


FEED_HOST = "127.0.0.2"


def start_stream(config, options: list[str]) -> tuple[subprocess.Popen, list[str]]:
    """``newsbeam stream`` as a child process; its output lines are collected as they come."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbeam", "stream", "--config", str(config), *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    return process, lines


def stop_stream(process: subprocess.Popen, lines: list[str]) -> dict:
    """SIGTERM, then the stream's own manifest once it exited."""
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=180) == 0, "".join(lines[-30:])
    (summary,) = [line for line in lines if " stopped: " in line]
    return json.loads(pathlib.Path(summary.rsplit("manifest ", 1)[1].strip()).read_text())


@pytest.mark.skipif(not free_loopback(), reason="needs 127.0.0.2 on loopback")
def test_a_polling_stream_on_flink_commits_windows_stops_on_sigterm_and_resumes(
        flink_options, tmp_path):
    """``newsbeam stream`` polling a loopback feed (PeriodicImpulse) on the cluster, with a
    Flink-only option passed through the job server (``--checkpointing_interval``): windows
    commit while it runs, SIGTERM stops it with its manifest, and a restart after the feed
    gained an entry ingests just that entry: nothing lost, nothing doubled."""
    feed = GrowingFeed()
    feed.entries = ["/a0", "/a1"]
    options = [*flink_options, "--checkpointing_interval", "10000"]
    with LoopbackSites([FEED_HOST], feed) as site:
        feed.port = site.port
        config = write_config(
            tmp_path, [{"name": "feed", "kind": "feed", "url": site.url(FEED_HOST, "/feed.xml")}],
            fetch={"allow_private_networks": True, "respect_robots": False,
                   "per_host_delay_seconds": 0, "max_retries": 0},
            stream={"poll_every": "5s", "window": "10s"})
        output = tmp_path / "out"
        urls = lambda: sorted(a["url"].rsplit("/", 1)[1]  # noqa: E731
                              for a in read_dataset(output, "articles"))
        started = time.monotonic()
        process, lines = start_stream(config, options)
        try:
            wait_until(lambda: urls() == ["a0", "a1"], 300, "the first entries committed")
            print(f"first articles committed {time.monotonic() - started:.1f} s after the "
                  "stream was started")
            assert checkpoint_intervals() == [10000]  # the Flink-only option reached Flink
            feed.entries.append("/a2")
            wait_until(lambda: urls() == ["a0", "a1", "a2"], 120, "a new entry committed")
            assert process.poll() is None, "windows commit while the stream runs"
            first = stop_stream(process, lines)
            feed.entries.append("/a3")  # while no stream runs
            process, lines = start_stream(config, options)
            wait_until(lambda: urls() == ["a0", "a1", "a2", "a3"], 300, "the restart's entry")
            # Its job checkpoints with state from the first run (Beam 2.62's Flink runner
            # declined every checkpoint of a stage whose side input held rows: the job
            # restarted in a loop, and once ingested a0-a2 again).
            wait_until(lambda: running_job_health()[0] >= 1, 60, "a completed checkpoint")
            assert running_job_health()[1:] == ([], [])  # none declined, no task failed
            second = stop_stream(process, lines)
        finally:
            if process.poll() is None:
                process.kill()
                cancel_running_jobs()  # a killed stream cannot cancel its job itself
        pages = sorted(p for p in site.paths() if not p.endswith("/feed.xml"))
    assert first["status"] == second["status"] == "stopped"
    assert first["counts"] == {"inputs": 3, "articles": 3, "duplicates": 0, "rejects": 0}
    assert second["counts"] == {"inputs": 1, "articles": 1, "duplicates": 0, "rejects": 0}
    assert first["commits"] and second["commits"]
    assert pages == [f"{FEED_HOST}/a{i}" for i in range(4)]  # each page fetched once
    assert not read_dataset(output, "duplicates") and not read_dataset(output, "rejects")


def running_job_health() -> tuple[int, list[str], list[str]]:
    """Of the one running job (its REST API): checkpoints completed, the failure messages
    of checkpoints that failed once triggered, and the exceptions that failed a task (each
    restarts the job). A trigger refused while the tasks still deploy is none of these."""
    (job,) = [i for i, j in jobs().items() if j["state"] == "RUNNING"]
    checkpoints = rest(f"/jobs/{job}/checkpoints")
    failed = [c.get("failure_message", "") for c in checkpoints["history"]
              if c["status"] == "FAILED"]
    failures = rest(f"/jobs/{job}/exceptions")["exceptionHistory"]["entries"]
    return (checkpoints["counts"]["completed"], failed,
            [e.get("exceptionName", "") for e in failures])


def cancel_running_jobs() -> None:
    for job, about in jobs().items():
        if about["state"] == "RUNNING":
            request = urllib.request.Request(f"http://127.0.0.1:8081/jobs/{job}?mode=cancel",
                                             method="PATCH")
            urllib.request.urlopen(request, timeout=10).close()


def checkpoint_intervals() -> list[int]:
    """The checkpoint interval (ms) of each running job on the cluster (its REST API)."""
    jobs = rest("/jobs")["jobs"]
    return [rest(f"/jobs/{job['id']}/checkpoints/config")["interval"]
            for job in jobs if job["status"] == "RUNNING"]


def rest(path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:8081{path}", timeout=10) as answer:
        return json.load(answer)
