"""The scheduling examples in docs/examples/ run as written: the commands are parsed out of
the crontab, the systemd units and the Airflow DAG (so the docs cannot drift), then the
crontab line is run through a shell, as cron would, against the bundled samples. Neither
Airflow nor systemd is needed; the DAG is also imported when Airflow is installed."""
from __future__ import annotations

import ast
import configparser
import json
import os
import pathlib
import shlex
import subprocess
import sys

import pytest

from newsbeam.store.lock import LOCKED_EXIT_CODE, acquire
from tests.helpers.runs import read_dataset
from tests.helpers.shims import path_with_first, shim

ROOT = pathlib.Path(__file__).parents[2]
EXAMPLES = ROOT / "docs" / "examples"
# The example paths, and what a test uses instead.
CONFIG, OUTPUT, LOGS = "/etc/newsbeam/news.yaml", "/var/lib/newsbeam/news", "/var/log/newsbeam"


def newsbeam_args(command: str) -> list[str]:
    """The arguments a scheduled command hands to newsbeam (shell redirections dropped)."""
    words = shlex.split(command)
    end = next((i for i, w in enumerate(words) if w.startswith((">", "2>", "<"))), len(words))
    assert pathlib.PurePath(words[0]).name == "newsbeam", command
    return words[1:end]


def crontab() -> dict[str, str]:
    """newsbeam subcommand -> the crontab line's command (schedule fields dropped)."""
    commands = {}
    for line in (EXAMPLES / "newsbeam.crontab").read_text().splitlines():
        if not line.strip() or line.startswith("#") or "=" in line.split()[0]:
            continue  # comments and environment lines
        fields = line.split(maxsplit=5)
        assert len(fields) == 6, line
        command = fields[5]
        commands[newsbeam_args(command)[0]] = command
    return commands


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(EXAMPLES / name)
    return parser


def airflow_tasks() -> dict[str, tuple[str, int]]:
    """newsbeam subcommand -> (bash_command, skip_on_exit_code) of each BashOperator."""
    tree = ast.parse((EXAMPLES / "newsbeam_dag.py").read_text())
    constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)
                 and isinstance(n.value, ast.Constant)}
    tasks = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "BashOperator":
            kwargs = {k.arg: k.value for k in node.keywords}
            skip = kwargs["skip_on_exit_code"]
            skip = constants[skip.id] if isinstance(skip, ast.Name) else skip.value
            command = kwargs["bash_command"].value
            tasks[newsbeam_args(command)[0]] = (command, skip)
    return tasks


def test_every_scheduler_runs_the_same_commands_and_skips_on_75():
    cron, airflow = crontab(), airflow_tasks()
    service, timer = unit("newsbeam.service"), unit("newsbeam.timer")
    assert set(cron) == set(airflow) == {"run", "compact"}
    run_args = newsbeam_args(cron["run"])
    assert newsbeam_args(service["Service"]["ExecStart"]) == run_args
    assert newsbeam_args(airflow["run"][0]) == run_args
    assert newsbeam_args(airflow["compact"][0]) == newsbeam_args(cron["compact"])
    assert {skip for _, skip in airflow.values()} == {LOCKED_EXIT_CODE}
    assert service["Service"]["SuccessExitStatus"].split() == [str(LOCKED_EXIT_CODE)]
    assert service["Service"]["Type"] == "oneshot"
    assert timer["Timer"]["Unit"] == "newsbeam.service" and timer["Timer"]["OnCalendar"]


def test_the_dag_imports_where_airflow_is_installed():
    pytest.importorskip("airflow")
    import importlib.util

    spec = importlib.util.spec_from_file_location("newsbeam_dag", EXAMPLES / "newsbeam_dag.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.ingest.dag_id == "newsbeam_ingest"


@pytest.fixture
def shell_env(tmp_path: pathlib.Path) -> dict[str, str]:
    """PATH with a ``newsbeam`` that runs this checkout (the command line stays as written)."""
    bin_dir = shim(tmp_path / "bin", "newsbeam", f'exec "{sys.executable}" -m newsbeam "$@"')
    return {**os.environ, "PATH": path_with_first(bin_dir), "PYTHONPATH": str(ROOT)}


def as_here(command: str, tmp_path: pathlib.Path) -> str:
    return (command.replace(CONFIG, str(ROOT / "configs" / "fixtures.yaml"))
            .replace(OUTPUT, str(tmp_path / "news")).replace(LOGS, str(tmp_path / "log")))


def test_the_scheduled_commands_run_and_a_concurrent_one_skips_with_75(tmp_path, shell_env):
    (tmp_path / "log").mkdir()
    output = tmp_path / "news"
    cron = crontab()

    def shell(command: str) -> int:
        return subprocess.run(["bash", "-c", as_here(command, tmp_path)], env=shell_env,
                              cwd=tmp_path, timeout=600).returncode

    assert shell(cron["run"]) == 0, (tmp_path / "log" / "run.log").read_text()
    assert len(read_dataset(output, "articles")) == 5
    (manifest,) = [json.loads(p.read_text()) for p in (output / "_runs").glob("*.json")]
    assert manifest["status"] == "succeeded" and manifest["counts"]["articles"] == 5
    assert "newsbeam run" in (tmp_path / "log" / "run.log").read_text()

    with acquire(str(output), "a run still going"):  # the previous interval overran
        assert shell(cron["run"]) == LOCKED_EXIT_CODE
    log = (tmp_path / "log" / "run.log").read_text().strip().splitlines()
    assert log[-1].startswith("newsbeam: skipped:") and "a run still going" in log[-1]
    assert len(list((output / "_runs").glob("*.json"))) == 1  # the skipped run left nothing

    # As written, but without waiting out the readers' grace period (60 s by default;
    # tests/store/test_compact.py tests it): the flag comes right after the subcommand.
    compact = cron["compact"].replace("newsbeam compact ", "newsbeam compact --grace-seconds 0 ", 1)
    assert compact != cron["compact"]
    assert shell(compact) == 0, (tmp_path / "log" / "compact.log").read_text()
    assert len(read_dataset(output, "articles")) == 5
