"""Which Flink jobs a stopping stream or an interrupted run cancels (``pipelines/flink.py``), from answers of
Flink's REST API as the local cluster gave them."""
from __future__ import annotations

from newsbeam.config.validate import parse_config
from newsbeam.modes.stream import stream_options
from newsbeam.pipelines.flink import name_job, rest_address, running_jobs_named
from newsbeam.pipelines.runner import pipeline_options


def test_only_the_streams_own_running_jobs_are_cancelled():
    overview = {"jobs": [
        {"jid": "a", "name": "newsbeam-stream-x", "state": "RUNNING"},
        {"jid": "b", "name": "newsbeam-stream-x", "state": "RESTARTING"},
        {"jid": "c", "name": "newsbeam-stream-x", "state": "CANCELED"},
        {"jid": "d", "name": "BeamApp-root-1205074706-60f7d1e5", "state": "RUNNING"}]}
    assert running_jobs_named(overview, "newsbeam-stream-x") == ["a", "b"]


def test_a_run_or_stream_names_its_job_only_when_a_cluster_is_named():
    assert rest_address(pipeline_options(["--runner", "PortableRunner"])) is None
    options = pipeline_options(["--runner", "PortableRunner", "--flink_master", "h:8081"])
    assert rest_address(options) == "http://h:8081"
    assert name_job(options, "stream", "20261205T075317Z-f7ae6c39") \
        == "newsbeam-stream-20261205t075317z-f7ae6c39"
    run = pipeline_options(["--runner", "PortableRunner", "--flink_master", "h:8081"])
    assert name_job(run, "run", "20261205T075317Z-f7ae6c39") \
        == "newsbeam-run-20261205t075317z-f7ae6c39"
    named = pipeline_options(["--flink_master", "https://h", "--job_name", "mine"])
    assert name_job(named, "stream", "r") == "mine"
    assert name_job(pipeline_options(["--flink_master", "[auto]"]), "run", "r") is None


def test_a_stream_on_flink_finishes_its_bundles_before_each_checkpoint():
    """Else Beam's Flink runner held the output of a bundle open at a checkpoint until the
    operator's next bundle: PeriodicImpulse's first step, fed by an Impulse, has none."""
    config = parse_config({"output": "/tmp/out", "sources": [
        {"name": "feed", "kind": "feed", "url": "https://example.com/feed.xml"}]}, "c.yaml")
    flag = "finish_bundle_before_checkpointing"
    for args in (["--runner", "PortableRunner", "--flink_master", "h:8081"],
                 ["--runner", "FlinkRunner"],
                 ["--runner", "FlinkRunner", f"--{flag}"]):
        options = stream_options(config, args)
        assert options.get_all_options(retain_unknown_options=True).get(flag) is True
    other = stream_options(config, ["--runner", "PortableRunner", "--job_endpoint", "h:1"])
    assert not other.get_all_options(retain_unknown_options=True).get(flag)
