"""What a power cut needs, checked on a real run: before the commit record counts (its
rename into `_log/`), every staged data and state file it names and its own bytes are on
the disk (fsync); after each file is moved to its final place, the folder holding it is
flushed too; ``NEWSBEAM_FSYNC=0`` flushes nothing. Seen with strace, as the kernel sees it."""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parents[2]
# `1234 fsync(8</out/x.parquet>) = 0` and `1234 rename("/out/a", "/out/b") = 0`
CALL = re.compile(r'^\d+\s+(fsync|fdatasync)\(\d+<([^>]*)>\)|^\d+\s+rename\("([^"]*)", "([^"]*)"\)')

pytestmark = pytest.mark.skipif(not shutil.which("strace"), reason="needs strace")


def traced_run(tmp_path: pathlib.Path, **env: str) -> tuple[pathlib.Path, list[tuple]]:
    """``newsbeam run`` on the fixtures under strace; the output and, in order, its
    ("sync", path) and ("rename", source, target) calls."""
    output, trace = tmp_path / "out", tmp_path / "trace.txt"
    subprocess.run(["strace", "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync,rename",
                    "-o", str(trace), sys.executable, "-m", "newsbeam", "run", "--config",
                    str(ROOT / "configs" / "fixtures.yaml"), "--output", str(output), "-q"],
                   check=True, cwd=tmp_path, env={**os.environ, **env}, timeout=240,
                   capture_output=True)
    calls = []
    for line in trace.read_text().splitlines():
        found = CALL.match(line)
        if found and found[1]:
            calls.append(("sync", found[2]))
        elif found:
            calls.append(("rename", found[3], found[4]))
    return output, calls


def test_a_commit_is_on_the_disk_before_it_counts(tmp_path):
    output, calls = traced_run(tmp_path)
    (record_path,) = (output / "_log").glob("*.json")
    record = json.loads(record_path.read_text())
    commit_point = calls.index(("rename", f"{record_path}.tmp", str(record_path)))
    before = {call[1] for call in calls[:commit_point] if call[0] == "sync"}
    staged = {str(output / add["staged"]) for add in record["adds"]}
    assert len(staged) >= 5 and staged <= before, staged - before
    assert f"{record_path}.tmp" in before
    after = calls[commit_point:]
    assert ("sync", str(output / "_log")) in after
    for add in record["adds"]:  # each file moved into place, then its folder flushed
        final = str(output / add["final"])
        moved = after.index(("rename", str(output / add["staged"]), final))
        assert ("sync", os.path.dirname(final)) in after[moved:], final


def test_flushing_can_be_turned_off(tmp_path):
    output, calls = traced_run(tmp_path, NEWSBEAM_FSYNC="0")
    assert list((output / "_log").glob("*.json"))  # it committed
    assert not [call for call in calls if call[0] == "sync" and str(output) in call[1]]
