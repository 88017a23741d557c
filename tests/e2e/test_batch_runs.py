"""End-to-end runs of the batch pipeline through the CLI, read back with pyarrow and DuckDB."""
from __future__ import annotations

import gzip
import os
import re
import pathlib
import shutil

import duckdb

from tests.helpers.child_functions import slow_page
from tests.helpers.comparable import comparable_rows
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, read_dataset, read_manifest, write_config
from newsbeam.cli import main

ROOT = pathlib.Path(__file__).parents[2]
FURNITURE = ["Evelyn Hockstein/Pool via AP", "(Reuters Photo)", "daily newsletter",
             "You can unsubscribe anytime", "Comments are closed.", "Diplomacy, US,"]


def run(config: pathlib.Path, output: pathlib.Path, *extra: str) -> int:
    return main(["run", "--config", str(config), "--output", str(output), *RUNNER_ARGS, *extra])


def files_config(tmp_path, pattern, **extra) -> pathlib.Path:
    return write_config(tmp_path, [{"name": "samples", "kind": "files", "path": str(pattern)}], **extra)


def test_fixtures_config_writes_five_clean_articles(tmp_path, capsys):
    output = tmp_path / "out"
    assert run(ROOT / "configs" / "fixtures.yaml", output) == 0

    headlines = sorted(p.read_text(encoding="utf-8").strip().splitlines()[0] for p in SAMPLES)
    rows = duckdb.sql(f"select title, text, ingest_date, authors, source from read_parquet("
                      f"'{output}/articles/**/*.parquet')").fetchall()
    assert sorted(r[0] for r in rows) == headlines
    for title, text, _, authors, source in rows:
        assert source == "samples" and authors == []
        assert not any(f in text for f in FURNITURE), title
        assert not text.startswith(title)
    articles = read_dataset(output, "articles")
    assert len({a["article_id"] for a in articles}) == 5
    assert all(a["language"] == "en" and a["word_count"] > 200 for a in articles)
    assert {a["dateline"] for a in articles} == {None, "ANKARA"}

    manifest = read_manifest(output)
    assert manifest["status"] == "succeeded" and manifest["balanced"]
    assert manifest["counts"] == {"inputs": 5, "articles": 5, "duplicates": 0, "rejects": 0}
    assert set(manifest["stage_seconds"]) >= {"read", "extract", "normalize"}
    summary = capsys.readouterr().out
    assert "articles" in summary and "articles/s" in summary and manifest["run_id"] in summary
    assert not (output / "_staging" / manifest["run_id"]).exists()


def html_page(title: str, paragraphs: list[str], canonical: str, published: str) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><title>{title} | Example News</title>
<link rel="canonical" href="{canonical}">
<meta property="article:published_time" content="{published}"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1>{body}</article>
<footer>© Example News. All rights reserved.</footer></body></html>"""


def test_copies_of_samples_become_duplicates_of_the_kept_article(samples_dir, tmp_path):
    # One sample again under another path, with whitespace changes.
    original = (samples_dir / SAMPLES[1].name).read_text(encoding="utf-8")
    (samples_dir / "copies").mkdir()
    respaced = original.replace("\n\n", "\n\n\n").replace(". ", ".  ")
    (samples_dir / "copies" / "respaced.txt").write_text("  " + respaced + "\n\n", encoding="utf-8")
    # Another sample wrapped in an HTML page that has a publication date: it wins.
    lines = [l for l in SAMPLES[4].read_text(encoding="utf-8").splitlines() if l.strip()]
    page = html_page(lines[0], lines[2:], "https://example.com/world/call?utm_source=rss",
                     "2022-01-05T10:00:00+03:00")
    (samples_dir / "copies" / "call.html.gz").write_bytes(gzip.compress(page.encode()))

    output = tmp_path / "out"
    assert run(files_config(tmp_path, samples_dir / "**" / "*.*"), output) == 0

    articles = {a["input"]: a for a in read_dataset(output, "articles")}
    duplicates = read_dataset(output, "duplicates")
    assert len(articles) == 5 and len(duplicates) == 2
    html = articles[str(samples_dir / "copies" / "call.html.gz")]
    assert html["canonical_url"] == "https://example.com/world/call"
    assert html["published_at"].isoformat() == "2022-01-05T07:00:00+00:00"
    assert html["duplicate_count"] == 1 and html["duplicate_urls"] == [str(samples_dir / SAMPLES[4].name)]
    by_input = {d["input"]: d for d in duplicates}
    assert by_input[str(samples_dir / SAMPLES[4].name)]["duplicate_of"] == html["article_id"]
    respaced_dup = by_input[str(samples_dir / "copies" / "respaced.txt")]
    kept = articles[str(samples_dir / SAMPLES[1].name)]
    assert respaced_dup["duplicate_of"] == kept["article_id"] and respaced_dup["method"] == "content"
    assert read_manifest(output)["counts"] == {"inputs": 7, "articles": 5, "duplicates": 2, "rejects": 0}


BAD_FILES = {
    "empty.txt": (b"", "read:empty"),
    "binary.txt": (b"\x00\x01\x02PNG\x00\x00garbage\x00" * 20, "extract:binary"),
    "undecodable.txt": ("Başlık\n\nDışişleri Bakanı görüştü.".encode("iso-8859-9"), "extract:undecodable"),
    "huge.txt": (b"Headline\n\n" + b"word " * 20_000, "read:too_large"),
    "broken.html.gz": (b"\x1f\x8b\x08\x00\x00\x00\x00\x00garbage", "read:corrupt_gzip"),
    "nothing.html": (b"<html><head><title>x</title></head><body><nav>Home</nav></body></html>",
                     "normalize:too_short"),
}


def test_bad_inputs_become_rejects_and_the_run_goes_on(samples_dir, tmp_path, capsys):
    for name, (body, _) in BAD_FILES.items():
        (samples_dir / name).write_bytes(body)
    output = tmp_path / "out"
    config = files_config(tmp_path, samples_dir / "*", limits={"max_document_bytes": 50_000})
    assert run(config, output) == 0

    rejects = {pathlib.Path(r["input"]).name: r for r in read_dataset(output, "rejects")}
    assert {name: f"{r['stage']}:{r['reason']}" for name, r in rejects.items()} == {
        name: reason for name, (_, reason) in BAD_FILES.items()}
    assert all(r["error"] and "\n" not in r["error"] for r in rejects.values())
    assert len(read_dataset(output, "articles")) == 5
    manifest = read_manifest(output)
    assert manifest["counts"]["rejects"] == len(BAD_FILES) and manifest["balanced"]
    summary = capsys.readouterr().out
    assert re.search(rf"^\s+rejects\s+{len(BAD_FILES)}$", summary, re.M)
    assert re.search(r"^\s+read:too_large\s+1$", summary, re.M)


def test_file_names_that_are_not_utf8_never_stop_a_run(samples_dir, tmp_path):
    # A Linux file name is bytes; Python shows undecodable ones as lone surrogates (PEP 383),
    # which Beam's coders and Parquet refuse. Rows name them with backslash escapes.
    folder = os.fsencode(samples_dir)
    os.rename(samples_dir / SAMPLES[0].name, os.path.join(folder, b"bad\xff.txt"))
    with open(os.path.join(folder, b"caf\xe9.html"), "wb") as page:
        page.write(html_page("Ein Caf\xe9", ["Text " * 30] * 3, "https://example.com/cafe",
                             "2022-01-05T10:00:00Z").encode())
    with open(os.path.join(folder, b"odd\xfe.pdf"), "wb") as pdf:
        pdf.write(b"%PDF-1.4")
    output = tmp_path / "out"
    assert run(files_config(tmp_path, samples_dir / "*"), output) == 0

    inputs = {row["input"] for row in read_dataset(output, "articles")}
    assert {f"{samples_dir}/bad\\xff.txt", f"{samples_dir}/caf\\xe9.html"} <= inputs
    (reject,) = read_dataset(output, "rejects")
    assert (reject["input"], reject["reason"]) == (f"{samples_dir}/odd\\xfe.pdf",
                                                   "unsupported_file_type")
    manifest = read_manifest(output)
    assert manifest["counts"] == {"inputs": 7, "articles": 6, "duplicates": 0, "rejects": 1}
    assert manifest["balanced"]


def test_a_page_that_takes_too_long_to_extract_is_cut_off_and_rejected(samples_dir, tmp_path):
    (samples_dir / "slow.html").write_text(slow_page(), encoding="utf-8")  # seconds of work
    output = tmp_path / "out"
    config = files_config(tmp_path, samples_dir / "*", limits={"extract_timeout_seconds": 0.4})
    assert run(config, output) == 0

    (reject,) = read_dataset(output, "rejects")
    assert (pathlib.Path(reject["input"]).name, reject["stage"], reject["reason"]) == (
        "slow.html", "extract", "extract_timeout")
    assert "0.4 s" in reject["error"]
    assert len(read_dataset(output, "articles")) == 5  # the run went on
    assert read_manifest(output)["balanced"]


def test_one_or_three_extraction_processes_give_identical_rows(samples_dir, tmp_path):
    (samples_dir / "slow.html").write_text(slow_page(), encoding="utf-8")  # cut off in both
    shutil.copy2(samples_dir / SAMPLES[0].name, samples_dir / "copy-of-000.txt")
    config = files_config(tmp_path, samples_dir / "*", limits={"extract_timeout_seconds": 0.4})
    one, three = tmp_path / "one", tmp_path / "three"
    assert run(config, one, "--extract-processes", "1") == 0
    assert run(config, three, "--extract-processes", "3") == 0
    rows = comparable_rows(one)
    assert rows == comparable_rows(three)
    assert [len(rows[name]) for name in ("articles", "duplicates", "rejects")] == [5, 1, 1]


def test_a_run_whose_input_is_all_bad_still_writes_its_manifest(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    output = tmp_path / "out"
    assert run(files_config(tmp_path, tmp_path / "in" / "*.txt"), output) == 0
    manifest = read_manifest(output)
    assert manifest["counts"] == {"inputs": 1, "articles": 0, "duplicates": 0, "rejects": 1}
    assert read_dataset(output, "articles") == []


def comparable(rows: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k != "run_id"} for r in rows),
                  key=lambda r: (r.get("article_id"), r["input"]))


def test_runs_with_other_worker_counts_and_input_order_give_identical_rows(samples_dir, tmp_path):
    shutil.copy2(samples_dir / SAMPLES[0].name, samples_dir / "copy-of-000.txt")
    (samples_dir / "empty.txt").write_bytes(b"")
    forward = files_config(tmp_path, samples_dir / "*.txt")
    reverse_dir = tmp_path / "reverse"
    reverse_dir.mkdir()
    reverse = write_config(reverse_dir, [{"name": "samples", "kind": "files", "path": sorted(
        (str(p) for p in samples_dir.glob("*.txt")), reverse=True)}])
    one, two = tmp_path / "one", tmp_path / "two"
    assert run(forward, one) == 0
    assert run(reverse, two, "--direct_running_mode", "multi_processing",
               "--direct_num_workers", "2") == 0
    for dataset in ("articles", "duplicates"):
        assert comparable(read_dataset(one, dataset)) == comparable(read_dataset(two, dataset))
    assert len(read_dataset(one, "duplicates")) == 1
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("run_id", "rejected_at")} for r in rows]
    assert strip(read_dataset(one, "rejects")) == strip(read_dataset(two, "rejects"))


def test_a_failed_run_exits_1_leaves_no_files_and_records_why(tmp_path, monkeypatch, capsys):
    def fail(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("newsbeam.transforms.sinks.commit", fail)
    output = tmp_path / "out"
    assert run(ROOT / "configs" / "fixtures.yaml", output) == 1
    assert "run failed" in capsys.readouterr().err
    assert not list(output.glob("articles/**/*.parquet"))
    assert not list(output.glob("_staging/*"))
    manifest = read_manifest(output)
    assert manifest["status"] == "failed" and "disk on fire" in manifest["error"]
