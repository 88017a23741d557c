"""The shared corpus is found through NEWSBEAM_CORPUS; where it is missing, the skip says
where it looked and names the variable."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).parents[1]


def test_a_missing_corpus_is_skipped_naming_the_variable(tmp_path):
    env = {**os.environ, "NEWSBEAM_CORPUS": str(tmp_path / "nowhere")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "tests/core/test_fetch_encodings.py"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (f"shared corpus not found at {tmp_path / 'nowhere' / 'newspaper4k'} "
            "(set NEWSBEAM_CORPUS to the corpus folder") in done.stdout
