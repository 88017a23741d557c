"""A real S3 API on loopback for tests: moto in server mode, reached by Beam's S3 filesystem
and boto3 through an endpoint URL (no AWS account, no internet)."""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from typing import Iterator

ACCESS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
          "region_name": "us-east-1"}


@dataclasses.dataclass(frozen=True)
class S3Server:
    endpoint: str

    def beam_args(self) -> list[str]:
        """Pipeline options that point Beam's S3 filesystem at this server."""
        return ["--s3_endpoint_url", self.endpoint, "--s3_access_key_id", ACCESS["aws_access_key_id"],
                "--s3_secret_access_key", ACCESS["aws_secret_access_key"],
                "--s3_region_name", ACCESS["region_name"]]

    def client(self):
        import boto3
        return boto3.client("s3", endpoint_url=self.endpoint, **ACCESS)

    def new_bucket(self) -> str:
        name = f"newsbeam-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                          Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def rows(self, output: str, dataset: str) -> list[dict]:
        """A dataset under ``output`` (``s3://bucket/path``), read back with pyarrow's own
        S3 client (not Beam's)."""
        import pyarrow.dataset as ds
        table = ds.dataset(f"{output.removeprefix('s3://')}/{dataset}",
                           filesystem=self.filesystem(), format="parquet").to_table()
        return table.to_pylist()

    def output_keys(self, output: str) -> list[str]:
        """The keys under ``output``, relative to it."""
        bucket, _, prefix = output.removeprefix("s3://").partition("/")
        return [k[len(prefix) + 1:] for k in self.keys(bucket, prefix + "/")]

    def manifests(self, output: str) -> list[dict]:
        """The run manifests under ``output``."""
        import json
        bucket, _, prefix = output.removeprefix("s3://").partition("/")
        client = self.client()
        return [json.loads(client.get_object(Bucket=bucket, Key=f"{prefix}/{k}")["Body"].read())
                for k in self.output_keys(output) if k.startswith("_runs/")]

    def filesystem(self):
        """pyarrow's S3 filesystem on this server (reads back what newsbeam wrote)."""
        from pyarrow import fs as pafs
        scheme, host = self.endpoint.split("://")
        return pafs.S3FileSystem(access_key=ACCESS["aws_access_key_id"],
                                 secret_key=ACCESS["aws_secret_access_key"],
                                 region=ACCESS["region_name"], endpoint_override=host,
                                 scheme=scheme)


@contextlib.contextmanager
def moto_server() -> Iterator[S3Server]:
    """moto's S3 on 127.0.0.1 and a free port, for the duration of the block (the test
    session's ``s3_api`` fixture: one server, a bucket per test)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@contextlib.contextmanager
def beam_filesystems_on(s3: S3Server) -> Iterator[S3Server]:
    """Beam's FileSystems point at ``s3`` (``FileSystems.set_options``) for store calls made
    outside a pipeline during the block, and are reset afterwards."""
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    FileSystems.set_options(PipelineOptions(s3.beam_args()))
    try:
        yield s3
    finally:
        FileSystems.set_options(PipelineOptions([]))


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    """A server of its own with Beam's FileSystems pointed at it (for bench/)."""
    with moto_server() as s3, beam_filesystems_on(s3):
        yield s3
