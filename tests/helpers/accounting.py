"""Every input accounted for exactly once, read back through ``newsbeam query`` (the
committed snapshot, as a user sees it)."""
from __future__ import annotations

import json
import pathlib
import tempfile

from newsbeam.cli import main


def query_rows(output: pathlib.Path, sql: str) -> list[dict]:
    """The rows of ``sql`` over ``output``, by ``newsbeam query --format json``."""
    with tempfile.TemporaryDirectory() as scratch:
        result = pathlib.Path(scratch) / "rows.json"
        assert main(["query", "--output", str(output), sql, "--format", "json",
                     "--to", str(result)]) == 0
        return [json.loads(line) for line in result.read_text().splitlines()]


def assert_every_input_once(output: pathlib.Path, inputs: list[str]) -> None:
    """Each of ``inputs`` is one article, duplicate or reject; no article id twice; every
    duplicate names a kept article."""
    ended = query_rows(output, "select input from articles union all select input from "
                               "duplicates union all select input from rejects")
    assert sorted(row["input"] for row in ended) == sorted(inputs)
    assert query_rows(output, "select article_id from articles group by 1 "
                              "having count(*) > 1") == []
    assert query_rows(output, "select d.duplicate_of from duplicates d anti join articles a "
                              "on d.duplicate_of = a.article_id") == []
