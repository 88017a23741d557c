"""newsbeam from Airflow through its Python API (beside newsbeam_dag.py, which runs the
command line with BashOperator): ingest every 15 minutes in the worker's own process.

Copy this file into your DAGs folder and set the paths. ``ingest`` is a plain function:
another run (or a compaction) holding the output marks the task *skipped*, a source that
delivered nothing fails it after the other sources' data was committed (as exit 3 does),
and the manifest goes to XCom. A failed run commits nothing, so a retry is always safe.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowSkipException

try:
    from airflow.providers.standard.operators.python import PythonOperator  # Airflow 3
except ImportError:  # Airflow 2
    from airflow.operators.python import PythonOperator

CONFIG = "/etc/newsbeam/news.yaml"
OUTPUT = "/var/lib/newsbeam/news"


def ingest(config: str = CONFIG, output: str = OUTPUT) -> dict:
    """One newsbeam run; its manifest (a dict) is the task's return value."""
    import newsbeam  # imported by the task, not when the scheduler parses this file
    from newsbeam.store.lock import Locked

    try:
        manifest = newsbeam.run(config, output=output)
    except Locked as err:  # the CLI's exit 75
        raise AirflowSkipException(f"skipped: {err}") from err
    if manifest["status"] == "sources_failed":  # the CLI's exit 3
        raise AirflowException(f"every input of {', '.join(manifest['failed_sources'])} "
                               f"failed; the other sources' data is in: "
                               f"{manifest['manifest_path']}")
    return {"run_id": manifest["run_id"], "status": manifest["status"],
            "counts": manifest["counts"]}


with DAG(
    dag_id="newsbeam_ingest_python",
    schedule="*/15 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,          # each run reads the sources' current state: no backfill
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
) as ingest_python:
    PythonOperator(task_id="run", python_callable=ingest,
                   execution_timeout=timedelta(hours=2))
