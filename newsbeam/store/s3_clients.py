"""One boto3 client per S3 configuration, shared by Beam's S3 filesystem in this process.

Beam 2.77 builds a new boto3 session and client for every S3 call (each ``exists``,
``rename``, ``open``, ``match``): 0.2-0.7 s of model loading each on this machine, which
made a five-document run on S3 take 50 s. boto3 clients are thread-safe, so handing the
same one back for the same settings changes nothing but the time. Installed once, from
``store.fs``; a Beam without its AWS extra (or with another client layout) is left alone.
"""
from __future__ import annotations

import threading


class _SharedClients:
    """Stands in for the ``boto3`` module inside Beam's client: ``session.Session()``
    returns this object, whose ``client(**settings)`` returns the cached client."""

    def __init__(self, boto3):
        self._boto3 = boto3
        self._clients: dict = {}
        self._lock = threading.Lock()
        self.session = self

    def Session(self):  # noqa: N802 - boto3's name
        return self

    def client(self, **settings):
        key = tuple(sorted((name, repr(value)) for name, value in settings.items()))
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._boto3.session.Session().client(**settings)
            return self._clients[key]


def install() -> None:
    try:
        from apache_beam.io.aws.clients.s3 import boto3_client
    except ImportError:
        return
    boto3 = getattr(boto3_client, "boto3", None)
    if boto3 is not None and not isinstance(boto3, _SharedClients):
        boto3_client.boto3 = _SharedClients(boto3)
