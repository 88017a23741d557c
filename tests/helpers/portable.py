"""Beam's Python job service and an SDK worker pool as separate processes: a portable
runner on this machine (what Flink's or Spark's job server is elsewhere)."""
from __future__ import annotations

import contextlib
import os
import pathlib
import re
import subprocess
import sys
import time
from typing import Iterator

from newsbeam.cli import main
from tests.helpers.comparable import comparable_rows
from tests.helpers.runs import FIXTURES, read_manifest, write_config
from tests.helpers.shims import path_with_first, shim
from tests.helpers.warcs import sample_pages, skipped_pages, write_warc

ROOT = pathlib.Path(__file__).parents[2]
_POOL_PORT = re.compile(r"worker pool servicer at port: (\S+:\d+)")


class ServiceFailed(RuntimeError):
    """A service did not start; the message carries the end of its log."""


def _wait_for(check, process: subprocess.Popen, log: pathlib.Path, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.2)
    tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
    raise ServiceFailed(f"{' '.join(process.args[1:4])} did not start: {tail or 'no output'}")


def _start(args: list[str], log: pathlib.Path, env: dict) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", *args], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=ROOT)


def _this_python_first(folder: pathlib.Path) -> str:
    """A PATH whose ``python`` is this interpreter. Beam's worker pool starts each SDK
    worker as a bare ``python`` from PATH: in a venv that is not activated that is another
    Python (without Beam, or without this tree), the worker never starts and the job
    waits forever."""
    return path_with_first(shim(folder / "python-bin", "python", f'exec "{sys.executable}" "$@"'))


@contextlib.contextmanager
def portable_services(folder: pathlib.Path, timeout: float = 60.0) -> Iterator[list[str]]:
    """Starts a job service and a worker pool (both finding this tree's newsbeam on their
    PYTHONPATH); yields the pipeline options that submit to them; stops both."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": _this_python_first(folder)}
    port_file, job_log, pool_log = folder / "job.port", folder / "job.log", folder / "pool.log"
    processes = []
    try:
        processes.append(_start(["apache_beam.runners.portability.local_job_service_main",
                                 "--port", "0", "--port_file", str(port_file)], job_log, env))
        processes.append(_start(["apache_beam.runners.worker.worker_pool_main",
                                 "--service_port", "0"], pool_log, env))
        job_port = _wait_for(lambda: port_file.exists() and port_file.read_text().strip(),
                             processes[0], job_log, timeout)
        pool = _wait_for(lambda: (m := _POOL_PORT.search(pool_log.read_text(errors="replace")))
                         and m[1], processes[1], pool_log, timeout)
        yield ["--runner", "PortableRunner", f"--job_endpoint=localhost:{job_port}",
               "--environment_type=EXTERNAL", f"--environment_config={pool}"]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def fixtures_and_warc(tmp: pathlib.Path) -> tuple[pathlib.Path, dict]:
    """(config, rows of its in-process run): the sample articles plus a WARC archive of
    copies of them under another host (so dedup has work), read in ranges of 4 KB."""
    (tmp / "warc").mkdir()
    write_warc(tmp / "warc" / "crawl.warc.gz", sample_pages("wire.example"),
               extras=skipped_pages())
    config = write_config(tmp, [
        {"name": "samples", "kind": "files", "path": str(FIXTURES / "*.txt")},
        {"name": "crawl", "kind": "warc", "path": str(tmp / "warc" / "*.warc.gz"),
         "split_mb": 0.004}])  # several ranges per archive
    assert main(["run", "--config", str(config), "--output", str(tmp / "in-process"),
                 "--runner", "FnApiRunner"]) == 0
    rows = comparable_rows(tmp / "in-process")
    assert len(rows["articles"]) == 5 and len(rows["duplicates"]) == 5
    return config, rows


def run_on(config: pathlib.Path, output, runner_args: list[str]) -> dict:
    """The comparable rows of a run of ``config`` (fixtures_and_warc's) on another runner,
    after checking its manifest: balanced, and the WARC counters came back."""
    assert main(["run", "--config", str(config), "--output", str(output), *runner_args]) == 0
    manifest = read_manifest(output)
    assert manifest["balanced"] and manifest["metrics"]["warc:records"] == 26
    return comparable_rows(output)


@contextlib.contextmanager
def local_cluster(script: pathlib.Path, start_timeout: float) -> Iterator[list[str]]:
    """A cluster started by ``scripts/local-flink`` or ``scripts/local-spark``: yields the
    Beam options its ``start`` printed last, and stops it (skips without java or mvn)."""
    import shlex
    import shutil

    import pytest

    missing = [tool for tool in ("java", "mvn") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"{script.name} needs {' and '.join(missing)}")
    try:
        started = subprocess.run([sys.executable, str(script), "start"], capture_output=True,
                                 text=True, timeout=start_timeout)
        assert started.returncode == 0, started.stderr[-3000:]
        yield shlex.split(started.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run([sys.executable, str(script), "stop"], capture_output=True, timeout=120)
