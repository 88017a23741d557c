"""``newsbeam compact`` as a cron log shows it: one line saying what it waits for and why,
printed before the grace starts, and nothing at WARNING for a normal compaction."""
from __future__ import annotations

import subprocess
import sys
import time

from newsbeam.modes.lifecycle import holding
from tests.helpers.store import committed_run

GRACE = 3.0


def test_compact_says_what_it_waits_for_and_warns_about_nothing(tmp_path):
    output = str(tmp_path / "out")
    for run in ("r1", "r2"):
        committed_run(output, run)
    with holding(output, "test"):  # writes their manifests (the helper commits only data)
        pass
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbeam", "compact", "--output", output,
         "--grace-seconds", str(GRACE)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()
    said_at = time.monotonic()
    out, err = process.communicate(timeout=120)
    ended_at = time.monotonic()
    assert process.returncode == 0, err
    assert first.startswith("newsbeam compact compact-") and first.rstrip().endswith(
        f"committed; waiting {GRACE:g} s (--grace-seconds) before deleting the replaced "
        "files, for readers that listed them before the commit")
    assert ended_at - said_at >= GRACE - 0.5  # said before the wait, not after
    assert out.splitlines()[0].startswith("newsbeam compact compact-")  # then the summary
    assert "rejects" in out
    # the deletion after the grace is normal operation: nothing at WARNING (cron mails it)
    assert "WARNING" not in err and err.strip() == "", err
