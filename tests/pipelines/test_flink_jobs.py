"""Which Flink jobs a stopping stream cancels (``pipelines/flink.py``), from answers of
Flink's REST API as the local cluster gave them."""
from __future__ import annotations

from newsbeam.pipelines.flink import name_stream_job, rest_address, running_jobs_named
from newsbeam.pipelines.runner import pipeline_options


def test_only_the_streams_own_running_jobs_are_cancelled():
    overview = {"jobs": [
        {"jid": "a", "name": "newsbeam-stream-x", "state": "RUNNING"},
        {"jid": "b", "name": "newsbeam-stream-x", "state": "RESTARTING"},
        {"jid": "c", "name": "newsbeam-stream-x", "state": "CANCELED"},
        {"jid": "d", "name": "BeamApp-root-1205074706-60f7d1e5", "state": "RUNNING"}]}
    assert running_jobs_named(overview, "newsbeam-stream-x") == ["a", "b"]


def test_a_stream_names_its_job_only_when_a_cluster_is_named():
    assert rest_address(pipeline_options(["--runner", "PortableRunner"])) is None
    options = pipeline_options(["--runner", "PortableRunner", "--flink_master", "h:8081"])
    assert rest_address(options) == "http://h:8081"
    assert name_stream_job(options, "20261205T075317Z-f7ae6c39") \
        == "newsbeam-stream-20261205t075317z-f7ae6c39"
    named = pipeline_options(["--flink_master", "https://h", "--job_name", "mine"])
    assert name_stream_job(named, "r") == "mine"
    assert name_stream_job(pipeline_options(["--flink_master", "[auto]"]), "r") is None
