"""newsbeam on a Spark standalone cluster on loopback, started by ``scripts/local-spark``:
a master with two workers, Beam's Spark job server (Beam 2.62.0's, run from the runner's
classes: no job-server jar is served) and an SDK worker pool. The sample articles and a
WARC archive give the rows of the in-process run, and the job ran as an application of
the Spark master. Marked ``spark`` and ``slow``; the first run on a machine resolves the job
server's classes from Maven Central into ~/.cache/newsbeam."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.helpers.portable import ROOT, fixtures_and_warc, local_cluster, run_on

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(1200)]
pytest.importorskip("pyspark")
SCRIPT = ROOT / "scripts" / "local-spark"


@pytest.fixture(scope="module")
def spark_options():
    with local_cluster(SCRIPT, start_timeout=900) as options:
        yield options


def finished_applications() -> list[dict]:
    """The Spark master's finished applications (its JSON status page)."""
    with urllib.request.urlopen("http://127.0.0.1:8090/json/", timeout=10) as answer:
        return [app for app in json.load(answer)["completedapps"] if app["state"] == "FINISHED"]


def test_the_fixtures_and_a_warc_on_spark_give_the_in_process_rows(spark_options, tmp_path):
    config, rows = fixtures_and_warc(tmp_path)
    finished = len(finished_applications())
    assert run_on(config, tmp_path / "spark", spark_options) == rows
    assert len(finished_applications()) == finished + 1  # the master ran it
