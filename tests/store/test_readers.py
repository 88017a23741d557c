"""Readers never trip: the README's reading examples run against a real output, every dataset
folder exists from the first run, ingest_date is a date everywhere; newsbeam query and stats."""
from __future__ import annotations

import json
import pathlib
import re

import pyarrow.parquet as pq
import pytest

from newsbeam.cli import main
from newsbeam.config import load_config
from newsbeam.modes.run import run_once
from tests.helpers.runs import RUNNER_ARGS

ROOT = pathlib.Path(__file__).parents[2]


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> pathlib.Path:
    """The fixtures run once: five articles, and no duplicate or reject yet."""
    out = tmp_path_factory.mktemp("readers") / "out"
    run_once(load_config(str(ROOT / "configs" / "fixtures.yaml"), output=str(out)), RUNNER_ARGS)
    return out


def readme_block() -> tuple[str, str]:
    """The README's reading examples: (the Python readers', Spark's)."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- readers:.*?-->\n```python\n(.*?)```", text, re.S)[1]
    python, spark = block.split("# Spark", 1)
    return python, spark.split("\n", 1)[1]


def test_the_readme_reading_examples_run(output):
    scope = {"OUT": str(output)}
    exec(readme_block()[0], scope)  # noqa: S102 - our own README, run as a user would
    import duckdb
    rows = duckdb.sql(f"select typeof(ingest_date), count(*) from '{output}/articles/*/*.parquet' "
                      "group by 1").fetchall()
    assert rows == [("DATE", 5)]


def test_every_dataset_is_readable_from_the_first_run(output):
    import duckdb
    import pandas
    import polars
    for name in ("duplicates", "rejects"):
        assert duckdb.sql(f"select count(*) from '{output}/{name}/*/*.parquet'").fetchall() == [(0,)]
        assert len(pandas.read_parquet(output / name)) == 0
        frame = polars.scan_parquet(f"{output}/{name}/*/*.parquet").collect()
        assert frame.height == 0 and "ingest_date" in frame.columns
    (articles,) = (output / "articles").glob("*/*.parquet")
    assert str(pq.read_schema(articles).field("ingest_date").type) == "date32[day]"
    assert pandas.read_parquet(output / "articles")["ingest_date"].map(type).nunique() == 1


def test_query_prints_committed_rows_in_every_format(output, capsys, tmp_path):
    assert main(["query", "--output", str(output), "--format", "csv",
                 "select count(*) as n from articles"]) == 0
    assert capsys.readouterr().out.splitlines() == ['"n"', "5"]
    assert main(["query", "--output", str(output), "--format", "json",
                 "select status, inputs from runs"]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"status": "succeeded", "inputs": 5}]
    target = tmp_path / "r.parquet"
    assert main(["query", "--output", str(output), "--format", "parquet", "--to", str(target),
                 "select title from articles"]) == 0
    assert pq.read_table(target).num_rows == 5
    assert main(["query", "--output", str(output), "select * from nope"]) == 2
    assert "query failed" in capsys.readouterr().err


def test_select_star_as_csv_writes_list_columns_as_json_text(output, capsys):
    """CSV has no lists: authors, tags and duplicate_urls become one JSON cell each."""
    import csv
    import io

    assert main(["query", "--output", str(output), "--format", "csv",
                 "select * from articles"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 5
    assert main(["query", "--output", str(output), "--format", "json",
                 "select * from articles"]) == 0
    by_json = {row["article_id"]: row for row in map(
        json.loads, capsys.readouterr().out.splitlines())}
    for row in rows:
        for column in ("authors", "tags", "duplicate_urls"):
            assert json.loads(row[column]) == by_json[row["article_id"]][column]
    # Lists that hold text with commas and quotes, a struct and a null, read back as written.
    assert main(["query", "--output", str(output), "--format", "csv",
                 "select ['Ann, Jr.', 'Bo \"B\"'] as authors, {'n': 1} as s, "
                 "null::varchar[] as none from articles limit 1"]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert json.loads(row["authors"]) == ["Ann, Jr.", 'Bo "B"']
    assert json.loads(row["s"]) == {"n": 1} and row["none"] == ""


def test_stats_summarises_sources_duplicates_rejects_and_runs(output, capsys):
    assert main(["stats", "--output", str(output)]) == 0
    text = capsys.readouterr().out
    for heading in ("articles per source and day", "duplicate_rate_pct", "rejects by reason",
                    "last runs", "samples", "succeeded"):
        assert heading in text


def test_files_of_the_next_schema_version_are_read_beside_these(output, tmp_path, capsys):
    """Schema evolution: a column added at the end reads as null in the older files."""
    import shutil

    copy = tmp_path / "evolved"
    shutil.copytree(output, copy)
    (older,) = (copy / "articles").glob("*/*.parquet")
    table = pq.read_table(older)
    newer = table.append_column("sentiment", __import__("pyarrow").array([0.5] * table.num_rows))
    staged = copy / "_staging" / "next" / "articles" / "next.parquet"
    staged.parent.mkdir(parents=True)
    pq.write_table(newer, staged)
    from newsbeam.store.commit import StagedFile, commit
    commit(str(copy), "next", "next", [StagedFile(
        "articles", str(staged), str(older.parent / "next.parquet"), table.num_rows)])
    assert main(["query", "--output", str(copy), "--format", "csv",
                 "select count(*), count(sentiment) from articles"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "10,5"


def test_articles_of_schema_version_2_are_read_beside_version_3(output, tmp_path, capsys):
    """Version 3 added ``kicker`` at the end: files without it read as null beside these."""
    import shutil

    copy = tmp_path / "mixed"
    shutil.copytree(output, copy)
    (newer,) = (copy / "articles").glob("*/*.parquet")
    table = pq.read_table(newer)
    older = table.drop_columns(["kicker"]).set_column(
        table.schema.get_field_index("schema_version"), "schema_version",
        __import__("pyarrow").array([2] * table.num_rows, "int16"))
    staged = copy / "_staging" / "v2" / "articles" / "v2.parquet"
    staged.parent.mkdir(parents=True)
    pq.write_table(older, staged)
    from newsbeam.store.commit import StagedFile, commit
    commit(str(copy), "v2", "v2", [StagedFile(
        "articles", str(staged), str(newer.parent / "v2.parquet"), table.num_rows)])
    kickers = table.column("kicker").null_count
    assert main(["query", "--output", str(copy), "--format", "csv",
                 "select schema_version, count(*), count(kicker) from articles "
                 "group by 1 order by 1"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert lines == [f"2,{table.num_rows},0", f"3,{table.num_rows},{table.num_rows - kickers}"]
    read = pq.ParquetDataset(str(copy / "articles"), schema=table.schema).read()
    assert read.num_rows == 2 * table.num_rows and "kicker" in read.column_names


@pytest.mark.slow  # a JVM: 20-60 s
@pytest.mark.timeout(600)
def test_the_readme_spark_line_reads_every_article_with_its_types(output):
    pyspark = pytest.importorskip("pyspark.sql")
    spark = (pyspark.SparkSession.builder.master("local[1]").appName("newsbeam-readers")
             .config("spark.ui.enabled", "false").getOrCreate())
    try:
        (line,) = [line for line in readme_block()[1].splitlines() if line.strip()]
        frame = eval(line.split("  #")[0], {"spark": spark, "OUT": str(output)})  # noqa: S307
        recursive = spark.read.option("recursiveFileLookup", "true").parquet(f"{output}/articles")
        for read in (frame, recursive):
            types = dict(read.dtypes)
            assert read.count() == 5
            assert (types["ingest_date"], types["published_at"], types["authors"]) == (
                "date", "timestamp", "array<string>")
    finally:
        spark.stop()
