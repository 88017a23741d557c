"""What ``query``, ``stats``, ``compact`` and ``verify`` show a user: a mistyped output is
one line and exit 2; stats as a table, JSON or CSV; the runs view's times are timestamps
and name the failed sources; each source's health."""
from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest

from newsbeam.cli import main
from tests.helpers.loopback import LoopbackSites, Reply
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, write_config


@pytest.mark.parametrize("argv", [["query", "select 1"], ["stats"], ["compact"], ["verify"]])
def test_a_missing_output_is_one_line_and_exit_2(argv, tmp_path, capsys):
    missing = tmp_path / "out" / "nonexist"
    assert main([argv[0], "--output", str(missing), *argv[1:]]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line == (f"newsbeam: {argv[0]}: {missing} is not a newsbeam output (no such "
                    "folder); check --output")
    assert not missing.exists()
    # a folder that exists but holds no output (e.g. the parent of one) is refused too
    assert main([argv[0], "--output", str(tmp_path), *argv[1:]]) == 2
    assert "no _log/ or _runs/ in it" in capsys.readouterr().err


@pytest.fixture(scope="module")
def output_with_a_failed_source(tmp_path_factory):
    """One run: the samples deliver, a URL source on 127.0.0.1 is refused (private
    address) and so fails entirely. (stdout/stderr of the run, output folder)"""
    folder = tmp_path_factory.mktemp("health")
    with LoopbackSites(["127.0.0.1"], lambda request: Reply(200, b"<html></html>")) as site:
        config = write_config(folder, [
            {"name": "samples", "kind": "files", "path": str(SAMPLES[0].parent / "*.txt")},
            {"name": "local-site", "kind": "urls", "urls": [site.url("127.0.0.1", "/a")]}])
        err = io.StringIO()  # (a module fixture: no capsys)
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["run", "--config", str(config), "-q", *RUNNER_ARGS])
        assert site.requests == []
    return code, err.getvalue(), folder / "out"


def test_a_private_address_refusal_names_the_setting(output_with_a_failed_source):
    code, err, _ = output_with_a_failed_source
    assert code == 3
    (line,) = [line for line in err.splitlines() if "every input of" in line]
    assert line.startswith("newsbeam: every input of local-site failed")
    assert "fetch:private_address" in line and "fetch.allow_private_networks: true" in line


def test_stats_as_json_has_source_health_and_runs_with_timestamps(output_with_a_failed_source,
                                                                   capsys):
    output = output_with_a_failed_source[2]
    assert main(["stats", "--output", str(output), "--format", "json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    health = {row["source"]: row for row in stats["source_health"]}
    assert health["local-site"]["failing"] is True and health["samples"]["failing"] is False
    assert health["local-site"]["last_failure"] and health["local-site"]["last_success"] is None
    assert health["samples"]["last_success"] and health["samples"]["last_failure"] is None
    (run,) = stats["last_runs"]
    assert run["status"] == "sources_failed" and run["failed_sources"] == ["local-site"]
    assert run["finished_at"] == health["local-site"]["last_failure"]
    assert {"source": "samples", "articles": len(SAMPLES)}.items() <= \
        stats["articles_per_source_and_day"][0].items()
    # the runs view's times are timestamps, not text
    assert main(["query", "--output", str(output), "--format", "json",
                 "select typeof(started_at) as s, typeof(finished_at) as f, "
                 "finished_at > started_at as later, failed_sources from runs"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row == {"s": "TIMESTAMP WITH TIME ZONE", "f": "TIMESTAMP WITH TIME ZONE",
                   "later": True, "failed_sources": ["local-site"]}


def test_stats_as_csv_and_table(output_with_a_failed_source, capsys):
    output = output_with_a_failed_source[2]
    assert main(["stats", "--output", str(output), "--format", "csv"]) == 0
    blocks = capsys.readouterr().out.strip().split("\n\n")
    titles = [block.splitlines()[0] for block in blocks]
    assert "# source health" in titles and "# last runs" in titles
    health = blocks[titles.index("# source health")].split("\n", 1)[1]
    rows = {r["source"]: r for r in csv.DictReader(io.StringIO(health))}
    assert rows["local-site"]["failing"] == "true" and rows["samples"]["failing"] == "false"
    assert main(["stats", "--output", str(output)]) == 0
    text = capsys.readouterr().out
    assert "source health" in text and "local-site" in text and "last_success" in text
