"""newsbeam from Airflow (2.x or 3.x): ingest every 15 minutes, compact once a day.

Copy this file into your DAGs folder and set the paths. Exit code 75 means another run (or
a compaction) holds the output: the task is marked *skipped*, not failed, and the next
interval catches up. A failed run commits nothing, so a retry is always safe.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG

try:
    from airflow.providers.standard.operators.bash import BashOperator  # Airflow 3
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

LOCKED = 75  # newsbeam's exit code for "another run holds the output"

with DAG(
    dag_id="newsbeam_ingest",
    schedule="*/15 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,          # each run reads the sources' current state: no backfill
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
) as ingest:
    BashOperator(
        task_id="run",
        bash_command="newsbeam run --config /etc/newsbeam/news.yaml --output /var/lib/newsbeam/news",
        skip_on_exit_code=LOCKED,
        execution_timeout=timedelta(hours=2),
    )

with DAG(
    dag_id="newsbeam_compact",
    schedule="30 3 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
) as nightly:
    BashOperator(
        task_id="compact",
        bash_command="newsbeam compact --output /var/lib/newsbeam/news --retention-days 90",
        skip_on_exit_code=LOCKED,
    )
