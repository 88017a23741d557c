"""Ending a run's or a stream's job on a Flink cluster.

Beam's Flink job server (2.62, the one ``scripts/local-flink`` runs) answers a Cancel by
marking the job cancelled, yet the job goes on running on the cluster: seen on the local
cluster, where a stopped stream's job kept its slots and went on polling after the stream
had exited and released the output's lock, and a batch run's job went on after Ctrl-C.
So a run or a stream given the cluster's address (``--flink_master``) names its job
(``--job_name``, unless set) and, when it is stopped, also cancels the job by that name
through Flink's REST API.
"""
from __future__ import annotations

import json
import logging
import time
import urllib.request

from apache_beam.options.pipeline_options import (
    FlinkRunnerOptions, GoogleCloudOptions, StandardOptions)

LOG = logging.getLogger("newsbeam.flink")
NOT_A_CLUSTER = ("[auto]", "[local]", "[collection]")
ENDED = ("FINISHED", "FAILED", "CANCELED")
# Beam's Flink runner otherwise finishes a bundle open at a checkpoint barrier inside the
# snapshot and holds its output back until the operator's next bundle; an operator whose
# only input is an Impulse never has one. Seen on the local cluster: a checkpoint came
# during the bundle of PeriodicImpulse's first step, its one output (the tick sequence's
# restriction) stayed held, and the restarted stream's job ran with no element flowing.
FINISH_BUNDLE_BEFORE_CHECKPOINTING = "--finish_bundle_before_checkpointing"


def stream_flags(options, beam_args: list[str]) -> list[str]:
    """Flags a stream adds on Flink (runner FlinkRunner or ``--flink_master`` given): the
    bundle open at a checkpoint is finished, and its output sent, before the barrier."""
    runner = str(options.view_as(StandardOptions).runner or "").rsplit(".", 1)[-1]
    on_flink = runner == "FlinkRunner" or rest_address(options) is not None
    if on_flink and FINISH_BUNDLE_BEFORE_CHECKPOINTING not in beam_args:
        return [FINISH_BUNDLE_BEFORE_CHECKPOINTING]
    return []


def rest_address(options) -> str | None:
    """Flink's REST address from ``--flink_master``, or None when no cluster is named."""
    master = (options.view_as(FlinkRunnerOptions).flink_master or "").strip()
    if not master or master in NOT_A_CLUSTER:
        return None
    return master if master.startswith(("http://", "https://")) else f"http://{master}"


def name_job(options, mode: str, run_id: str) -> str | None:
    """Gives the job(s) of a run of ``mode`` ("run", "stream") a name they can be found by
    on a named Flink cluster (a name the user set is kept; a chunked run's jobs share it);
    returns the name, or None without a cluster."""
    if rest_address(options) is None:
        return None
    cloud = options.view_as(GoogleCloudOptions)
    cloud.job_name = cloud.job_name or f"newsbeam-{mode}-{run_id.lower()}"
    return cloud.job_name


def running_jobs_named(overview: dict, name: str) -> list[str]:
    """Ids of the jobs in Flink's ``/jobs/overview`` answer named ``name`` that have not
    ended."""
    return [job["jid"] for job in overview.get("jobs", [])
            if job.get("name") == name and job.get("state") not in ENDED]


def _rest(address: str, path: str, method: str = "GET") -> dict:
    request = urllib.request.Request(f"{address}{path}", method=method)
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
    return json.loads(body) if body else {}


def cancel_jobs_named(options, name: str, timeout: float = 60) -> list[str]:
    """Cancels the running jobs named ``name`` on the cluster ``--flink_master`` names and
    waits (up to ``timeout`` s) until they have ended; returns their ids."""
    address = rest_address(options)
    try:
        jobs = running_jobs_named(_rest(address, "/jobs/overview"), name)
        for job in jobs:
            LOG.info("cancelling Flink job %s (%s) at %s", job, name, address)
            _rest(address, f"/jobs/{job}?mode=cancel", method="PATCH")
        deadline = time.monotonic() + timeout
        while running_jobs_named(_rest(address, "/jobs/overview"), name):
            if time.monotonic() > deadline:
                LOG.warning("Flink job %s still running after %.0f s", name, timeout)
                break
            time.sleep(0.5)
    except OSError as err:
        LOG.warning("could not cancel Flink job %s at %s: %s", name, address, err)
        return []
    return jobs
