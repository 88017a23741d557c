"""Chunked runs (modes/run.py): the same rows whatever the chunk size, every input once when
a run is killed between chunks and run again."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from newsbeam.config import load_config
from newsbeam.modes.run import run_once
from tests.helpers.comparable import comparable_rows
from tests.helpers.news_sites import article_page
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, read_dataset, write_config

ROOT = pathlib.Path(__file__).parents[2]


def write_inputs(folder: pathlib.Path, same_bytes: bool = True) -> list[pathlib.Path]:
    """Files named so that the copy dedup keeps comes in a LATER chunk than a copy it
    folds (it was published earlier): what chunks seen as earlier runs would get wrong.
    ``same_bytes``: two files with equal bytes (a run that resumes another skips the
    second if the other run read the first, as any later run does)."""
    folder.mkdir()
    files = {
        "00_story.html": article_page(0, published="2025-05-22T09:00:00+00:00"),
        "01_wire.html": article_page(1, published="2025-05-21T09:00:00+00:00"),
        "02_same_bytes.txt": SAMPLES[2].read_bytes(),
        "03_other.txt": SAMPLES[3].read_bytes(),
        "04_empty.html": b"",
        "05_other.txt": SAMPLES[4].read_bytes(),
        "06_same_bytes.txt": SAMPLES[2].read_bytes() if same_bytes else b"Other\n" * 40,
        "07_wire_edited.html": article_page(1, published="2025-05-20T09:00:00+00:00",
                                            edited=True),  # near copy, published first
        "08_story_first.html": article_page(0, published="2025-05-20T09:00:00+00:00"),
        "09_binary.html": bytes(range(256)) * 4,
    }
    for name, body in files.items():
        (folder / name).write_bytes(body)
    return [folder / name for name in sorted(files)]


def run_with_chunks(tmp_path: pathlib.Path, inputs: pathlib.Path, name: str,
                    chunk_inputs: int, **limits) -> tuple[pathlib.Path, dict]:
    folder = tmp_path / name
    folder.mkdir()
    config = load_config(str(write_config(
        folder, [{"name": "files", "kind": "files", "path": f"{inputs}/*"}],
        limits={"chunk_inputs": chunk_inputs, **limits})))
    return folder / "out", run_once(config, RUNNER_ARGS)


def check_once(output: pathlib.Path, inputs: list[pathlib.Path]) -> None:
    """Every input is in exactly one row of articles, duplicates or rejects."""
    seen = [row["input"] for name in ("articles", "duplicates", "rejects")
            for row in read_dataset(output, name)]
    assert sorted(seen) == sorted(str(path) for path in inputs)


def test_chunks_give_the_rows_of_one_run(tmp_path):
    inputs = write_inputs(tmp_path / "in")
    whole, whole_manifest = run_with_chunks(tmp_path, tmp_path / "in", "whole", 0)
    chunked, manifest = run_with_chunks(tmp_path, tmp_path / "in", "chunked", 3)
    assert "chunks" not in whole_manifest
    assert manifest["chunks"]["planned"] == manifest["chunks"]["committed"] == 4
    assert manifest["balanced"] and manifest["counts"] == whole_manifest["counts"]
    # The later chunks' copies won, as in one run.
    duplicates = {pathlib.Path(d["input"]).name: d["method"]
                  for d in read_dataset(chunked, "duplicates")}
    assert duplicates == {"00_story.html": "content", "01_wire.html": "near",
                          "06_same_bytes.txt": "content"}
    assert comparable_rows(chunked) == comparable_rows(whole)
    check_once(chunked, inputs)
    assert not list((chunked / "_state" / "pending").glob("*.parquet"))
    # The next run finds nothing new and settles nothing.
    again = run_once(load_config(str(tmp_path / "chunked" / "config.yaml")), RUNNER_ARGS)
    assert again["counts"]["inputs"] == 0 and again["metrics"]["sources:skipped_unchanged"] == 10


def first_chunk_labels(config) -> set[str]:
    """The transform labels of the first chunk's graph, as a run would plan it now."""
    import apache_beam as beam

    from newsbeam.modes.chunks import plan
    from newsbeam.pipelines.runner import new_run

    steps = plan(config, new_run(), reprocess=False).steps
    assert len(steps) > 2  # chunks and the settle step
    pipeline = beam.Pipeline(argv=RUNNER_ARGS)
    steps[0].build(pipeline)
    labels: set[str] = set()

    class Labels(beam.pipeline.PipelineVisitor):
        def enter_composite_transform(self, node):
            labels.add(node.full_label)

        def visit_transform(self, node):
            labels.add(node.full_label)

    pipeline.visit(Labels())
    return labels


def joins_state(labels: set[str]) -> bool:
    return any("SkipSameBytes" in label or "ReadState" in label for label in labels)


def test_a_chunk_joins_the_files_it_reads_with_the_state_only_after_earlier_runs(tmp_path):
    # On a fresh output nothing can be skipped: the same-bytes join, which sends every
    # page's bytes through a shuffle, and the state read are left out of the chunks.
    inputs = tmp_path / "in"
    write_inputs(inputs)
    config = load_config(str(write_config(tmp_path, [
        {"name": "files", "kind": "files", "path": f"{inputs}/*"}],
        limits={"chunk_inputs": 3})))
    assert not joins_state(first_chunk_labels(config))
    run_once(config, RUNNER_ARGS)
    (inputs / "10_copy.txt").write_bytes(SAMPLES[3].read_bytes())  # 03_other's bytes
    for number in range(11, 14):
        (inputs / f"{number}_new.txt").write_text(f"New story {number}\n" + "Words. " * 60)
    assert joins_state(first_chunk_labels(config))
    # ... and the join skips the file whose bytes the earlier run read under another name.
    manifest = run_once(config, RUNNER_ARGS)
    assert manifest["chunks"]["planned"] == 2 and manifest["counts"]["inputs"] == 3
    assert manifest["metrics"]["sources:skipped_same_bytes"] == 1


@pytest.mark.timeout(240)
def test_chunks_extracted_early_by_the_pool_give_the_rows_of_one_run(tmp_path):
    # The extraction pool on (time limit, two children): each chunk's first files are read
    # and extracted before its pipeline asks for them (modes/chunks.EarlyExtraction).
    write_inputs(tmp_path / "in")
    whole, _ = run_with_chunks(tmp_path, tmp_path / "in", "whole", 0)
    chunked, manifest = run_with_chunks(tmp_path, tmp_path / "in", "early", 3,
                                        extract_timeout_seconds=5, extract_processes=2)
    assert manifest["chunks"]["committed"] == 4 and manifest["balanced"]
    assert manifest["metrics"]["chunks:extracted_early"] > 0
    assert comparable_rows(chunked) == comparable_rows(whole)


@pytest.mark.slow
def test_any_chunk_size_gives_the_same_rows(tmp_path):
    write_inputs(tmp_path / "in")
    outputs = [run_with_chunks(tmp_path, tmp_path / "in", f"c{size}", size)[0]
               for size in (0, 1, 4)]
    rows = [comparable_rows(output) for output in outputs]
    assert rows[1] == rows[0] and rows[2] == rows[0]


def _cli(config: pathlib.Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "newsbeam", "run", "--config", str(config), "--quiet",
            *extra, *RUNNER_ARGS]


@pytest.mark.timeout(240)
def test_killed_between_chunks_then_resumed(tmp_path):
    inputs = write_inputs(tmp_path / "in", same_bytes=False)
    config = write_config(tmp_path, [{"name": "files", "kind": "files",
                                      "path": f"{tmp_path / 'in'}/*"}])
    output = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(_cli(config, "--chunk-inputs", "2"), env=env,
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    marker = None
    deadline = time.monotonic() + 180
    while marker is None and process.poll() is None and time.monotonic() < deadline:
        marker = next(iter((output / "_log").glob("*-chunk00002.applied")), None)
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the run and its extraction children
    process.wait()
    assert marker is not None, "the run ended before its second chunk was committed"
    log = sorted(p.name for p in (output / "_log").glob("*.applied"))
    assert not any(name.endswith("-settle.applied") for name in log)
    chunks = [name for name in log if "-chunk" in name]
    assert 2 <= len(chunks) < 5
    assert not read_dataset(output, "articles")  # settled only at the end
    pending = read_dataset(output / "_state", "pending")
    rejected = read_dataset(output, "rejects")
    first = len(pending) + len(rejected)
    assert first == 2 * len(chunks)

    # A compaction meanwhile folds the pending files into one: their rows stay pending.
    compact = subprocess.run([sys.executable, "-m", "newsbeam", "compact", "--output",
                              str(output), "--grace-seconds", "0"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert compact.returncode == 0, compact.stderr
    assert len(list((output / "_state" / "pending").glob("*.parquet"))) == 1
    assert len(read_dataset(output / "_state", "pending")) == len(pending)

    done = subprocess.run(_cli(config, "--chunk-inputs", "2"), env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    manifests = [json.loads(p.read_text()) for p in (output / "_runs").glob("*.json")]
    stopped = [m for m in manifests if m["status"] == "failed"]
    (resumed,) = [m for m in manifests if m["status"] == "succeeded"]
    assert len(stopped) == 1 and stopped[0]["reason"] == "stopped"
    # The second run read only what the first did not commit, and settled both.
    assert resumed["counts"]["inputs"] == len(inputs) - first
    assert resumed["metrics"]["sources:skipped_unchanged"] == first
    assert resumed["counts"]["resumed"] == len(pending)
    assert resumed["balanced"]
    check_once(output, inputs)
    articles = read_dataset(output, "articles")
    assert len({a["article_id"] for a in articles}) == len(articles)
    assert "chunks" in done.stdout


def test_settling_checks_uncertain_pairs_on_the_pending_texts(tmp_path):
    """A near pair the estimate rejects within its margin is checked on the exact texts:
    a chunked run reads them back from its pending rows, and folds it as one run does."""
    from tests.transforms.test_near_exact_check import PARAMS, uncertain_pair

    first, second = uncertain_pair(edits=4, exact_passes=True)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, text, day in (("a.html", first, 21), ("b.html", second, 20)):
        words = text.split()
        body = "".join(f"<p>{' '.join(words[i:i + 50])}.</p>" for i in range(0, 300, 50))
        (inputs / name).write_text(
            f"<html><head><title>Story {name}</title><meta property='article:published_time' "
            f"content='2025-05-{day}T09:00:00+00:00'></head><body><article><h1>Story</h1>"
            f"{body}</article></body></html>")
    rows, checked = [], []
    for size in (0, 1):
        folder = tmp_path / f"c{size}"
        folder.mkdir()
        config = load_config(str(write_config(
            folder, [{"name": "files", "kind": "files", "path": f"{inputs}/*"}],
            limits={"chunk_inputs": size}, dedup={"near": {"num_perm": PARAMS.num_perm}})))
        manifest = run_once(config, RUNNER_ARGS)
        checked.append(manifest["metrics"].get("neardup:exact_verified_pairs", 0))
        rows.append(comparable_rows(folder / "out"))
    assert checked == [1, 1]
    assert [d["input"].rsplit("/", 1)[1] for d in rows[1]["duplicates"]] == ["a.html"]
    assert rows[1] == rows[0]
