"""``newsbeam validate`` and ``run|follow --dry-run``: a config checked and what a run would
read listed, with nothing run or written; Beam's own ``--dry_run`` is never reached."""
from __future__ import annotations

import pathlib
import shutil

import pytest
import yaml

from newsbeam.cli import main
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, write_config


def _files_config(tmp_path: pathlib.Path, samples_dir: pathlib.Path) -> pathlib.Path:
    return write_config(tmp_path, [{"name": "local", "kind": "files",
                                    "path": str(samples_dir / "*.txt")}])


def test_validate_says_valid_and_writes_nothing(tmp_path, samples_dir, capsys):
    config = _files_config(tmp_path, samples_dir)
    assert main(["validate", "--config", str(config)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"newsbeam validate: {config} is valid: 1 source [local (files)]")
    assert not (tmp_path / "out").exists()


def test_validate_prints_every_problem_at_once_exit_2(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump({
        "output": "/proc/newsbeam-out",
        "sources": [{"name": "a", "kind": "files", "path": str(tmp_path / "none" / "*.html")},
                    {"name": "b", "kind": "urls", "path": str(tmp_path / "no-list.txt")}]}))
    assert main(["validate", "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 3 and all(line.startswith("newsbeam: config error: ") for line in lines)
    assert "output: /proc/newsbeam-out is in /proc" in lines[0]
    assert "matches no file" in lines[1] and "no file" in lines[2]
    config.write_text("sources: [{name: a, kind: bogus}]\nlimits: {max_document_bytes: -1}\n")
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "limits.max_document_bytes" in err and "'bogus' is not one of" in err
    assert "output: set an output directory" in err
    # the YAML's mistakes and the paths' in one listing
    config.write_text(yaml.safe_dump({
        "output": "/proc/newsbeam-out", "limits": {"max_document_bytes": -1},
        "sources": [{"name": "a", "kind": "bogus"},
                    {"name": "b", "kind": "files", "path": str(tmp_path / "none" / "*.txt")}]}))
    assert main(["validate", "--config", str(config)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4, lines
    assert "limits.max_document_bytes" in lines[0] and "'bogus' is not one of" in lines[1]
    assert "output: /proc/newsbeam-out is in /proc" in lines[2]
    assert lines[3].startswith("newsbeam: config error: sources[1].path: ")  # the YAML's index
    assert "matches no file" in lines[3]


def test_dry_run_lists_what_would_be_read_and_skipped_and_writes_nothing(
        tmp_path, samples_dir, capsys):
    config = _files_config(tmp_path, samples_dir)
    output = tmp_path / "out"
    assert main(["run", "--config", str(config), "--dry-run", *RUNNER_ARGS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"newsbeam run --dry-run: {config} is valid; nothing was run or written"
    assert lines[1] == f"  local (files): {len(SAMPLES)} files to read"
    assert lines[2:5] == [f"    {samples_dir / p.name}" for p in SAMPLES[:3]]
    assert lines[5] == f"    ... and {len(SAMPLES) - 3} more"
    assert not output.exists()  # nothing written, not even the folder
    # after a real run, the same files are listed as skipped; a new one is to read
    assert main(["run", "--config", str(config), "-q", *RUNNER_ARGS]) == 0
    shutil.copy(SAMPLES[0], samples_dir / "new.txt")
    before = sorted(p.relative_to(output) for p in output.rglob("*"))
    capsys.readouterr()
    assert main(["follow", "--config", str(config), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("newsbeam follow --dry-run: ")
    assert lines[1] == (f"  local (files): 1 files to read, {len(SAMPLES)} skipped "
                        "(read by earlier runs)")
    assert lines[2] == f"    {samples_dir / 'new.txt'}"
    assert sorted(p.relative_to(output) for p in output.rglob("*")) == before


def test_beams_dry_run_is_refused_not_run(tmp_path, samples_dir, capsys):
    config = _files_config(tmp_path, samples_dir)
    assert main(["run", "--config", str(config), "--dry_run", *RUNNER_ARGS]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "--dry_run is Beam's option; newsbeam's is --dry-run" in line
    assert not (tmp_path / "out").exists()


def test_a_pubsub_only_config_is_valid_for_stream_and_refused_by_run(tmp_path, capsys):
    config = tmp_path / "stream.yaml"
    config.write_text(yaml.safe_dump({"output": str(tmp_path / "out"), "stream": {
        "subscription": "projects/p/subscriptions/s", "window": "10s"}}))
    assert main(["validate", "--config", str(config)]) == 0
    assert "stream.subscription projects/p/subscriptions/s" in capsys.readouterr().out
    for argv in (["run", "--config", str(config), *RUNNER_ARGS],
                 ["run", "--config", str(config), "--dry-run"],
                 ["follow", "--config", str(config), "--max-runs", "1"]):
        assert main(argv) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert "sources: this config has none (only stream.subscription)" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["run", "follow", "validate"])
def test_dry_run_and_validate_refuse_a_bad_config_with_exit_2(command, tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("output: o\nsources:\n  - {name: a, kind: files, path: 'none/*.txt'}\n")
    argv = [command, "--config", str(config)] + ([] if command == "validate" else ["--dry-run"])
    assert main(argv) == 2
    assert "matches no file" in capsys.readouterr().err
