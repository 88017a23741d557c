"""The Python API (``newsbeam.run``, ``load_config``, ``connect``) as a user calls it, and
the Airflow example DAG that uses it."""
from __future__ import annotations

import importlib.util
import json
import pathlib
import subprocess
import sys
import types

import pytest

import newsbeam
from newsbeam.config import ConfigError
from newsbeam.store.lock import Locked, acquire
from tests.helpers.runs import SAMPLES, write_config

ROOT = pathlib.Path(__file__).parents[1]


def test_import_newsbeam_is_cheap():
    done = subprocess.run([sys.executable, "-c", "import sys, newsbeam; print(sorted({m.split('.')[0] "
                           "for m in sys.modules} & {'apache_beam', 'duckdb', 'pyarrow', "
                           "'trafilatura', 'yaml'}))"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.stdout.strip() == "[]", done.stderr


def test_beam_options_become_flags():
    assert newsbeam.beam_args(runner="FnApiRunner", pipeline_type_check=True, streaming=False,
                              experiments=["a", "b"], project=None) == [
        "--runner", "FnApiRunner", "--pipeline_type_check", "--experiments", "a",
        "--experiments", "b"]


def test_load_config_lists_every_problem(tmp_path):
    config = newsbeam.load_config(ROOT / "configs" / "fixtures.yaml", output=tmp_path / "o")
    assert config.output == str(tmp_path / "o") and config.sources[0].name == "samples"
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [{name: a, kind: bogus}]\nlimits: {max_document_bytes: -1}\n")
    with pytest.raises(ConfigError) as refused:
        newsbeam.load_config(bad)
    assert len(refused.value.problems) == 3


@pytest.fixture(scope="module")
def api_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    config = write_config(folder, [{"name": "samples", "kind": "files",
                                    "path": str(SAMPLES[0].parent / "*.txt")}])
    return config, newsbeam.run(str(config), runner="FnApiRunner")


def test_run_returns_the_manifest_and_connect_reads_what_it_committed(api_run):
    config, manifest = api_run
    output = pathlib.Path(manifest["output"])
    assert manifest["status"] == "succeeded" and manifest["counts"]["articles"] == len(SAMPLES)
    assert json.loads(pathlib.Path(manifest["manifest_path"]).read_text())["run_id"] \
        == manifest["run_id"]
    con = newsbeam.connect(output)
    assert con.sql("select count(*) from articles").fetchall()[0][0] == len(SAMPLES)
    assert con.sql("select status, typeof(started_at) from runs").fetchall() == [
        ("succeeded", "TIMESTAMP WITH TIME ZONE")]
    assert con.sql("select source, failing from source_health").fetchall() == [("samples", False)]
    with pytest.raises(FileNotFoundError, match="is not a newsbeam output"):
        newsbeam.connect(output / "typo")


def test_a_locked_output_raises_locked_and_changes_nothing(api_run):
    config, manifest = api_run
    output = manifest["output"]
    before = sorted(p.name for p in pathlib.Path(output, "_runs").iterdir())
    with acquire(output, "someone else"):
        with pytest.raises(Locked):
            newsbeam.run(newsbeam.load_config(config), runner="FnApiRunner")
    assert sorted(p.name for p in pathlib.Path(output, "_runs").iterdir()) == before


def _airflow_dag_module(monkeypatch):
    """The example DAG, loaded with a minimal stand-in for Airflow (not installed here):
    only the names it imports; the task function then runs for real."""
    class Skip(Exception):
        pass

    class Failed(Exception):
        pass

    class DAG:
        def __init__(self, dag_id, **kwargs):
            self.dag_id, self.tasks = dag_id, []

        def __enter__(self):
            DAG.current = self
            return self

        def __exit__(self, *exc):
            DAG.current = None

    class PythonOperator:
        def __init__(self, task_id, python_callable, **kwargs):
            self.task_id, self.python_callable = task_id, python_callable
            DAG.current.tasks.append(self)

    modules = {"airflow": types.SimpleNamespace(DAG=DAG),
               "airflow.exceptions": types.SimpleNamespace(AirflowSkipException=Skip,
                                                           AirflowException=Failed),
               "airflow.providers.standard.operators.python":
                   types.SimpleNamespace(PythonOperator=PythonOperator)}
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    path = ROOT / "docs" / "examples" / "newsbeam_python_dag.py"
    spec = importlib.util.spec_from_file_location("newsbeam_python_dag", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, Skip, Failed


def test_the_airflow_python_dag_runs_skips_when_locked_and_fails_a_dead_source(
        tmp_path, monkeypatch):
    dag, skip, failed = _airflow_dag_module(monkeypatch)
    (task,) = dag.ingest_python.tasks
    assert dag.ingest_python.dag_id == "newsbeam_ingest_python" and task.python_callable is dag.ingest
    config = write_config(tmp_path, [
        {"name": "samples", "kind": "files", "path": str(SAMPLES[0].parent / "*.txt")},
        # refused as a private address: the source delivers nothing (no server needed)
        {"name": "local-site", "kind": "urls", "urls": ["http://127.0.0.1:9/a"]}])
    output = tmp_path / "news"
    with acquire(str(output), "another run"):
        with pytest.raises(skip, match="skipped"):
            task.python_callable(str(config), str(output))
    with pytest.raises(failed, match="every input of local-site failed; the other sources' "
                                     "data is in"):
        task.python_callable(str(config), str(output))
    assert newsbeam.connect(output).sql("select count(*) from articles").fetchall()[0][0] \
        == len(SAMPLES)
