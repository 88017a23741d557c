"""Every command and option explains itself, and the exit-code table is the same in
``newsbeam --help``, README.md, docs/scheduling.md and docs/cli.md (one source:
``newsbeam/cli/status.py``)."""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

import pytest

from newsbeam.cli import build_parser
from newsbeam.cli.status import EXIT_CODES, MARKERS, markdown_table

ROOT = pathlib.Path(__file__).parents[2]


def _commands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_command_and_option_has_help_text():
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    described = {action.dest: action.help for action in sub._choices_actions}
    missing = [name for name in sub.choices if not described.get(name)]
    for name, command in sub.choices.items():
        missing += [f"{name} {action.option_strings or action.dest}"
                    for action in command._actions if not action.help]
    assert missing == []


@pytest.mark.parametrize("path", ["README.md", "docs/scheduling.md", "docs/cli.md"])
def test_the_exit_code_table_in_the_docs_is_the_generated_one(path):
    text = (ROOT / path).read_text()
    assert f"{MARKERS[0]}\n{markdown_table()}\n{MARKERS[1]}" in text, (
        f"regenerate: python -m newsbeam.cli.status {path}")


def test_help_prints_every_exit_code():
    done = subprocess.run([sys.executable, "-m", "newsbeam", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    codes = [line.split()[0].rstrip(",") for line in done.stdout.split("Exit status:")[1]
             .splitlines() if line.startswith("  ") and line[2] != " "]
    assert codes == [row.codes.split(",")[0] for row in EXIT_CODES]
    assert "130, 143" in done.stdout and "75" in codes
    run_help = subprocess.run([sys.executable, "-m", "newsbeam", "run", "--help"],
                              capture_output=True, text=True, timeout=60).stdout
    assert done.stdout.split("Exit status:")[1].split("\n\n")[0] in run_help


@pytest.mark.parametrize("command", ["follow", "stream"])
def test_follow_and_stream_say_beam_options_pass_through(command):
    assert "go to Apache Beam" in " ".join(_commands()[command].format_help().split())
