"""SCHEMA.md is generated from the schema module: it fails here when the two drift (a column
added, a doc changed, the version bumped) until it is regenerated with the command below."""
from __future__ import annotations

import pathlib

from newsbeam.schemas.tables import schema_markdown

ROOT = pathlib.Path(__file__).parents[2]
COMMAND = "python -m newsbeam.schemas.tables > SCHEMA.md"


def test_schema_md_is_what_the_schema_module_prints():
    generated = schema_markdown() + "\n"  # the module's __main__ prints it
    assert "## articles" in generated and "`ingest_date`" in generated
    assert (ROOT / "SCHEMA.md").read_text(encoding="utf-8") == generated, (
        f"SCHEMA.md is out of date: regenerate it with `{COMMAND}`")
