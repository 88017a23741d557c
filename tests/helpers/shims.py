"""Small shell scripts put first on PATH: which program a bare command name starts."""
from __future__ import annotations

import os
import pathlib


def shim(bin_dir: pathlib.Path, name: str, script: str) -> str:
    """Writes the executable ``bin_dir/name`` running ``script`` (sh); returns ``bin_dir``
    for a PATH. A script, not a symlink: a venv's Python is found by the path it is run as."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return str(bin_dir)


def path_with_first(bin_dir: str) -> str:
    return os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
