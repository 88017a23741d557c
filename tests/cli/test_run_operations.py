"""What an operator sees of a run: exit statuses, signals, progress, quiet workers.

Signals go to the console script in a subprocess, as a scheduler or a terminal sends them;
the rest calls ``main`` in-process (stderr read at the file-descriptor level where worker
processes are involved). Runs skip the extraction child process where the test is not
about extraction (``extract_timeout_seconds: 0``): it costs seconds to start."""
from __future__ import annotations

import os
import pathlib
import re
import signal
import socket
import subprocess
import sys

import pytest

from newsbeam.cli import main
from tests.helpers.accounting import assert_every_input_once, query_rows
from tests.helpers.loopback import LoopbackSites, Reply
from tests.helpers.news_sites import article_page, rss
from tests.helpers.runs import RUNNER_ARGS, read_manifest, write_config
from tests.helpers.slow_site import FETCH_SETTINGS, HOST, page_urls, slow_site

NO_CHILD = {"extract_timeout_seconds": 0}

ROOT = pathlib.Path(__file__).parents[2]
# A count, or with local files only a count of a known total; "starting" before any count.
PROGRESS = re.compile(r"^newsbeam: \d+:\d\d (starting the pipeline( \(\d+ inputs to read\))?|"
                      r"\d+(/\d+)? inputs read( \(\d+%, ETA [\d:?]+\))?, \d+ extracted, "
                      r"\d+ rejects, \d+ articles and \d+ duplicates written, \d+\.\d inputs/s)$")


def newsbeam(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newsbeam", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def dead_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def committed_files(output: pathlib.Path) -> list[pathlib.Path]:
    return [p for p in output.rglob("*.parquet") if "_staging" not in p.parts]


def test_a_source_that_failed_entirely_exits_3_and_progress_is_shown_meanwhile(
        tmp_path, samples_dir, capsys):
    site, _ = slow_site(delay=0.3)  # slow enough for several progress lines
    with site:
        dead = [f"http://127.0.0.1:{dead_port()}/news/{i}" for i in range(2)]
        config = write_config(tmp_path, [
            {"name": "samples", "kind": "files", "path": str(samples_dir / "*.txt")},
            {"name": "slow", "kind": "urls", "urls": page_urls(site, 4)},
            {"name": "dead", "kind": "urls", "urls": dead}],
            fetch=FETCH_SETTINGS, limits=NO_CHILD)
        assert main(["run", "--config", str(config), "--progress-every", "0.1",
                     *RUNNER_ARGS]) == 3
    out, err = capsys.readouterr()
    *progress, last = err.splitlines()
    assert last == "newsbeam: every input of dead failed (see the rejects: fetch:connection_refused)"
    assert len(progress) >= 3 and all(PROGRESS.match(line) for line in progress), progress
    assert all("/" not in line.split(" inputs read")[0] for line in progress)  # no total: live
    # The slow pages wrap the samples: same text, so duplicates of them.
    assert " 11 inputs read, 9 extracted, 2 rejects, 5 articles and 4 duplicates written" \
        in progress[-1]
    manifest = read_manifest(tmp_path / "out")
    assert manifest["status"] == "sources_failed" and manifest["failed_sources"] == ["dead"]
    assert manifest["sources"] == {"dead": {"rejects": 2, "unreached": 2},
                                   "samples": {"articles": 1, "duplicates": 4},
                                   "slow": {"articles": 4}}  # dated pages win
    assert out.startswith(f"newsbeam run {manifest['run_id']}: sources_failed in ")


def test_a_two_worker_run_exits_0_with_progress_from_its_workers_and_no_beam_lines(
        tmp_path, samples_dir, capfd):
    config = write_config(tmp_path, [
        {"name": "samples", "kind": "files", "path": str(samples_dir / "*.txt")}],
        limits=NO_CHILD)
    # The workers are processes: their counts reach the progress line through the side
    # channel, and their own logging (20-odd lines each) stays out of stderr.
    assert main(["run", "--config", str(config), "--direct_running_mode", "multi_processing",
                 "--direct_num_workers", "2", *RUNNER_ARGS]) == 0
    lines = capfd.readouterr().err.splitlines()
    assert lines and all(PROGRESS.match(line) for line in lines), lines
    assert " 5/5 inputs read (100%, ETA 0:00), 5 extracted, 0 rejects, 5 articles and 0 " \
        "duplicates written" in lines[-1]
    assert read_manifest(tmp_path / "out")["failed_sources"] == []


def _sigint(disposition):
    """Start the child with this SIGINT disposition, whatever this process has (a shell
    starts background jobs, and so perhaps this test run, with SIGINT ignored)."""
    return lambda: signal.signal(signal.SIGINT, disposition)


# SIGTERM is sent to a run started as a background job (SIGINT ignored): it still stops
# cleanly (it once ran on, or died without a manifest).
@pytest.mark.parametrize("stop, code, sigint", [(signal.SIGINT, 130, signal.SIG_DFL),
                                                (signal.SIGTERM, 143, signal.SIG_IGN)])
def test_a_signal_stops_the_run_cleanly(tmp_path, stop, code, sigint):
    site, pages = slow_site(delay=120)  # the run is stuck fetching when the signal comes
    with site:
        config = write_config(tmp_path, [{"name": "slow", "kind": "urls",
                                          "urls": page_urls(site, 3)}],
                              fetch=FETCH_SETTINGS, limits=NO_CHILD)
        # --quiet: with progress every 0.05 s, lines would be printed before the signal.
        run = newsbeam("run", "--config", str(config), "--quiet", "--progress-every", "0.05",
                       *RUNNER_ARGS, preexec_fn=_sigint(sigint))
        try:
            assert pages.requested.wait(120), "the run never fetched a page"
            run.send_signal(stop)
            returncode, out, err = finish(run)
        finally:
            run.kill()
    output = tmp_path / "out"
    manifest = read_manifest(output)
    assert returncode == code
    assert err.splitlines() == [
        f"newsbeam: interrupted by {stop.name}; the run stopped and committed nothing "
        f"(failed run recorded in {output / '_runs' / manifest['run_id']}.json)"]
    assert out == ""
    assert manifest["status"] == "failed" and manifest["reason"] == "interrupted"
    assert manifest["error"] == f"interrupted by {stop.name}"
    assert committed_files(output) == []


def test_config_problems_are_all_printed_one_a_line_with_exit_2(tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    config = tmp_path / "c.yaml"
    config.write_text(f"output: {tmp_path / 'a-file'}\nlimits: {{extract_timeout_seconds: .nan}}\n"
                      "sources:\n  - {name: f, kind: feed, url: 'http://[::1'}\n"
                      "  - {name: s, kind: files, path: 'none/*.txt'}\n")
    assert main(["run", "--config", str(config), *RUNNER_ARGS]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "newsbeam: config error: limits.extract_timeout_seconds: must be a finite number, got nan",
        "newsbeam: config error: sources[0].url: 'http://[::1' is not an http or https URL"]
    config.write_text(f"output: {tmp_path / 'a-file'}\n"
                      "sources:\n  - {name: s, kind: files, path: 'none/*.txt'}\n")
    assert main(["run", "--config", str(config), *RUNNER_ARGS]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [
        f"newsbeam: config error: output: {tmp_path / 'a-file'} is a file, not a folder",
        f"newsbeam: config error: sources[0].path: '{tmp_path}/none/*.txt' matches no file"]


@pytest.mark.timeout(300)
def test_a_failed_run_with_v_reports_its_failure_and_the_next_run_succeeds(
        tmp_path, samples_dir):
    """-v sends the workers' messages to the terminal: there is no workers' log to name
    (the command once crashed looking for one)."""
    config = write_config(tmp_path, [
        {"name": "samples", "kind": "files", "path": str(samples_dir / "*.txt")}],
        limits=NO_CHILD)
    fault = {**os.environ, "NEWSBEAM_FAULT_AT": "staged",
             "NEWSBEAM_FAULT_MODE": "raise"}
    returncode, out, err = finish(newsbeam("run", "-v", "--config", str(config), *RUNNER_ARGS,
                                           env=fault))
    assert returncode == 1, err[-2000:]
    assert err.splitlines()[-1].startswith(  # the last line: nothing crashed after it
        "newsbeam: run failed: InjectedFault: injected fault at staged")
    assert "FileNotFoundError" not in err and out == ""
    assert read_manifest(tmp_path / "out")["status"] == "failed"
    assert committed_files(tmp_path / "out") == []
    returncode, out, err = finish(newsbeam("run", "-q", "--config", str(config), *RUNNER_ARGS))
    assert returncode == 0, err[-2000:]
    assert_every_input_once(tmp_path / "out", [str(p) for p in samples_dir.glob("*.txt")])


def feed_site(request):
    """One news site: ``/feed.xml`` lists three articles."""
    if request.path == "/feed.xml":
        items = [(f"Story {i}", f"http://{request.headers['host']}/a-{i}") for i in range(3)]
        return Reply(200, rss(items), {"Content-Type": "application/rss+xml"})
    return Reply(200, article_page(int(request.path.rsplit("-", 1)[1])),
                 {"Content-Type": "text/html"})


@pytest.mark.timeout(300)
def test_a_run_whose_every_source_failed_says_so_everywhere_and_the_next_run_succeeds(
        tmp_path, capsys):
    port = dead_port()  # the feed's server is down
    feed = f"http://127.0.0.1:{port}/feed.xml"
    config = write_config(tmp_path, [{"name": "news", "kind": "feed", "url": feed}],
                          fetch=FETCH_SETTINGS, limits=NO_CHILD)
    output = tmp_path / "out"
    assert main(["run", "--config", str(config), "-q", *RUNNER_ARGS]) == 3
    out, err = capsys.readouterr()
    assert re.match(r"newsbeam run \S+: sources_failed in ", out), out
    assert err.splitlines()[-1] == ("newsbeam: every input of news failed "
                                  "(see the rejects: discover:connection_refused)")
    manifest = read_manifest(output)
    assert manifest["status"] == "sources_failed" and manifest["failed_sources"] == ["news"]
    assert query_rows(output, "select status from runs") == [{"status": "sources_failed"}]
    assert main(["stats", "--output", str(output)]) == 0
    stats = capsys.readouterr().out
    assert "sources_failed" in stats and "succeeded" not in stats

    with LoopbackSites([HOST], feed_site, port=port):  # the site is back
        assert main(["run", "--config", str(config), "-q", *RUNNER_ARGS]) == 0
    assert re.match(r"newsbeam run \S+: succeeded in ", capsys.readouterr().out)
    assert [r["status"] for r in query_rows(output, "select status from runs order by finished_at")] \
        == ["sources_failed", "succeeded"]
    pages = [f"http://127.0.0.1:{port}/a-{i}" for i in range(3)]
    assert_every_input_once(output, [feed, *pages])
