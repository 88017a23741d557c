import pathlib
import subprocess
import sys

import pytest

from newsbeam.cli import build_parser, main, unknown_beam_options

ROOT = pathlib.Path(__file__).parents[2]


def test_help_explains_every_run_option(capsys):
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--config", "--output", "--verbose", "--runner", "--direct_running_mode",
                   "--direct_num_workers", "_runs/<run_id>.json", "Exit status"):
        assert option in text
    assert "run" in build_parser().format_help()


@pytest.mark.parametrize("argv, message", [
    (["run", "--config", "missing.yaml"], "config error: config file not found: missing.yaml"),
    (["run", "--config", str(ROOT / "configs" / "fixtures.yaml"), "--runer", "X"],
     "unknown option --runer"),
])
def test_bad_invocations_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_console_script_bad_config_prints_no_traceback(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("output: o\nsources:\n  - {name: a, kind: files, path: 'none/*.txt'}\n")
    done = subprocess.run([sys.executable, "-m", "newsbeam", "run", "--config", str(config)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"newsbeam: config error: sources[0].path: '{tmp_path}/none/*.txt' matches no file"]


def test_beam_options_are_recognized():
    assert unknown_beam_options(["--runner", "FnApiRunner", "--direct_num_workers=2",
                                 "--direct_running_mode", "multi_processing"]) == []
    assert unknown_beam_options(["--direct_num_worker=2"]) == ["--direct_num_worker"]
    assert unknown_beam_options(["--pipeline_type_check"]) == []  # newsbeam's own
