"""An SDK worker pool (Beam's EXTERNAL environment) that several TaskManagers can share.

Beam's own pool (``apache_beam.runners.worker.worker_pool_main``) keys its workers by the
worker id the runner sends, but each Flink TaskManager numbers its workers from 1, so two
TaskManagers on one machine send the same ids, and the first ``StopWorker`` kills the
other TaskManager's worker in the middle of a bundle (the task then fails with "client
cancelled"). Here a worker is keyed by the connection it was asked for on as well (each
TaskManager's environment keeps one channel for its start and stop requests).

A worker is Beam's ``sdk_worker_main`` started as Beam's container boot would start it:
with the job's pipeline options, asked from the runner's provision service, in its
environment (Beam's pool starts a bare ``SdkHarness`` without them, so a worker's
FileSystems miss e.g. ``--s3_endpoint_url`` and cannot reach the output). Workers run
this Python (``sys.executable``) and inherit this process's environment (PYTHONPATH
included); their output goes to ``--log``. A job's environment
parameters ``env.NAME`` set NAME in its workers' environment (``--environment_config
'{"url": "127.0.0.1:8096", "params": {"env.NEWSBEAM_FAULT_AT": "first_rename"}}'``:
how the tests inject a fault into a commit running on a TaskManager).

    python scripts/sdk_worker_pool.py --port 8096 --log workers.log
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from concurrent import futures

import grpc
from apache_beam.portability.api import (
    beam_fn_api_pb2, beam_fn_api_pb2_grpc, beam_provision_api_pb2, beam_provision_api_pb2_grpc)
from google.protobuf import json_format

LOG = logging.getLogger("sdk_worker_pool")
WORKER = [sys.executable, "-m", "apache_beam.runners.worker.sdk_worker_main"]


def worker_environment(request) -> dict:
    """What Beam's boot hands ``sdk_worker_main``: endpoints, worker id and the job's
    pipeline options (from the runner's provision service), plus ``env.NAME`` params."""
    with grpc.insecure_channel(request.provision_endpoint.url) as channel:
        info = beam_provision_api_pb2_grpc.ProvisionServiceStub(channel).GetProvisionInfo(
            beam_provision_api_pb2.GetProvisionInfoRequest(),
            metadata=[("worker_id", request.worker_id)], timeout=60).info
    logging_url = info.logging_endpoint.url or request.logging_endpoint.url
    return {
        **os.environ,
        "WORKER_ID": request.worker_id,
        "PIPELINE_OPTIONS": json_format.MessageToJson(info.pipeline_options),
        "CONTROL_API_SERVICE_DESCRIPTOR": f'url: "{request.control_endpoint.url}"',
        "LOGGING_API_SERVICE_DESCRIPTOR": f'url: "{logging_url}"',
        "RUNNER_CAPABILITIES": " ".join(info.runner_capabilities),
        **{name.removeprefix("env."): value for name, value in request.params.items()
           if name.startswith("env.")},
    }


class WorkerPool(beam_fn_api_pb2_grpc.BeamFnExternalWorkerPoolServicer):
    def __init__(self, log) -> None:
        self._log = log
        self._workers: dict[tuple[str, str], subprocess.Popen] = {}
        self._lock = threading.Lock()

    def StartWorker(self, request, context):
        try:
            process = subprocess.Popen(WORKER, stdout=self._log, stderr=self._log,
                                       stdin=subprocess.DEVNULL, close_fds=True,
                                       env=worker_environment(request))
        except (OSError, grpc.RpcError) as err:
            return beam_fn_api_pb2.StartWorkerResponse(error=str(err))
        with self._lock:
            self._workers[(context.peer(), request.worker_id)] = process
        LOG.info("started worker %s for %s (pid %d)", request.worker_id, context.peer(),
                 process.pid)
        return beam_fn_api_pb2.StartWorkerResponse()

    def StopWorker(self, request, context):
        with self._lock:
            process = self._workers.pop((context.peer(), request.worker_id), None)
        if process is None:  # never ours, or asked on another connection: kill nothing
            LOG.warning("no worker %s for %s", request.worker_id, context.peer())
        else:
            stop(process)
            LOG.info("stopped worker %s for %s", request.worker_id, context.peer())
        return beam_fn_api_pb2.StopWorkerResponse()

    def stop_all(self) -> None:
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for process in workers:
            stop(process)


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True, help="file the workers' output goes to")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        force=True)  # importing Beam configured the root logger
    with open(args.log, "ab", buffering=0) as log:
        pool = WorkerPool(log)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(pool, server)
        server.add_insecure_port(f"{args.host}:{args.port}")
        server.start()
        LOG.info("worker pool listening on %s:%d (python %s)", args.host, args.port,
                 sys.executable)
        done = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: done.set())
        done.wait()
        server.stop(grace=2)
        pool.stop_all()


if __name__ == "__main__":
    main()
