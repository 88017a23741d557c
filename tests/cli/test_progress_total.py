"""Progress with a total, percentage and ETA when the run's inputs are known beforehand
(local files), a 'starting' line before the first count, and -v showing newsbeam's own
stage logs."""
from __future__ import annotations

import re
import shutil

from newsbeam.cli import main
from newsbeam.cli.progress import format_progress
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, write_config


def test_the_line_has_total_percentage_and_eta():
    assert format_progress({"read_ok": 2, "normalize_ok": 2}, 10.0, total=8) == (
        "newsbeam: 0:10 2/8 inputs read (25%, ETA 0:30), 2 extracted, 0 rejects, "
        "0 articles and 0 duplicates written, 0.2 inputs/s")
    assert "0/8 inputs read (0%, ETA ?)" in format_progress({"fetch_ok": 0}, 3.0, total=8)
    assert format_progress({}, 4.0, total=8) == "newsbeam: 0:04 starting the pipeline (8 inputs to read)"
    assert format_progress({}, 4.0) == "newsbeam: 0:04 starting the pipeline"


def test_a_run_shows_its_total_and_v_shows_newsbeams_stages(tmp_path, samples_dir, capsys):
    shutil.copy(SAMPLES[0], samples_dir / "again.txt")  # 6 files, one a copy
    config = write_config(tmp_path, [{"name": "local", "kind": "files",
                                      "path": str(samples_dir / "*.txt")}])
    assert main(["run", "--config", str(config), "-v", "--progress-every", "0.3",
                 *RUNNER_ARGS]) == 0
    err = capsys.readouterr().err.splitlines()
    progress = [line for line in err if line.startswith("newsbeam: ")]
    assert progress[-1].startswith("newsbeam: ") and " 6/6 inputs read (100%, ETA 0:00), " \
        in progress[-1]
    assert all(re.search(r" (\d+/6 inputs read \(\d+%, ETA [\d:?]+\)|starting the pipeline "
                         r"\(6 inputs to read\))", line) for line in progress), progress
    stages = [line.split(": ", 1)[1] for line in err if line.startswith("INFO newsbeam.run: ")]
    assert stages[0].startswith(f"config {config} checked: 1 sources")
    assert stages[1] == "holding the output's lock; recovered to the newest committed state"
    assert re.fullmatch(r"run \S+: executing", stages[2])
    assert re.fullmatch(r"run \S+: succeeded; manifest .*\.json", stages[-1])
    # a second run: the files read before are skipped, so the total is what is left
    (samples_dir / "new.txt").write_bytes(SAMPLES[1].read_bytes() + b"\nOne more line.\n")
    assert main(["run", "--config", str(config), "--progress-every", "0.3", *RUNNER_ARGS]) == 0
    last = [line for line in capsys.readouterr().err.splitlines()
            if line.startswith("newsbeam: ")][-1]
    assert " 1/1 inputs read (100%, ETA 0:00), " in last
