"""SCHEMA.md is generated from the schema modules: it fails here when the file and the
schemas drift (a column or manifest field added, a doc changed, a version bumped) until it
is regenerated with the command below."""
from __future__ import annotations

import pathlib
import subprocess
import sys

from newsbeam.schemas import docs
from newsbeam.schemas.manifest import KINDS
from newsbeam.schemas.tables import DATASETS

ROOT = pathlib.Path(__file__).parents[2]


def test_schema_md_is_what_the_schema_modules_generate():
    generated = docs.markdown()
    for name in [*DATASETS, *KINDS]:  # every dataset and every manifest kind has its section
        assert f"\n## {name}\n" in generated
    assert (ROOT / "SCHEMA.md").read_text(encoding="utf-8") == generated, (
        f"SCHEMA.md is out of date: regenerate it with `{docs.COMMAND}`")


def test_the_command_prints_it():
    printed = subprocess.run([sys.executable, "-m", "newsbeam.schemas"], capture_output=True,
                             text=True, check=True, cwd=ROOT).stdout
    assert printed == docs.markdown()
