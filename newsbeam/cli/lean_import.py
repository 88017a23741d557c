"""Importing Beam for ``newsbeam run`` without the optional clients that run never uses.

``import apache_beam`` imports every optional library it finds installed, whether the
pipeline uses it or not: pandas (~0.5 s), the Pub/Sub client (~0.25 s), pymongo
(~0.15 s) and boto3 for the S3 filesystem (~0.25 s), about half of Beam's import on a
machine with the test extra installed. Hidden while Beam is imported, each looks missing
to Beam (as on a plain install) and is left out; afterwards they import normally again,
so only Beam's own optional features for them stay off in this process.

Hidden only where the run cannot need them: a batch run reads no Pub/Sub and writes no
MongoDB or DataFrame; boto3 is Beam's S3 filesystem, so it is kept as soon as any path of
the config (or an ``--s3_...`` option) is a URI. Only for a process that has not imported
Beam yet (a test process that has is left as it is).
"""
from __future__ import annotations

import importlib
import sys

from newsbeam.config import Config, FilesSource, UrlsSource, WarcSource, has_scheme

NEVER_USED_BY_RUN = ("pandas", "pymongo", "google.cloud.pubsub")
S3_CLIENT = ("boto3",)


def config_paths(config: Config) -> list[str]:
    """The output and every source path of ``config``."""
    paths = [config.output]
    for source in config.sources:
        if isinstance(source, (FilesSource, WarcSource)):
            paths.extend(source.patterns)
        elif isinstance(source, UrlsSource) and source.path:
            paths.append(source.path)
    return paths


def unused_by_run(config: Config, beam_args: list[str]) -> tuple[str, ...]:
    """The optional modules a batch run of ``config`` with ``beam_args`` cannot need."""
    local = not any(map(has_scheme, config_paths(config))) \
        and not any(arg.startswith("--s3") for arg in beam_args)
    return NEVER_USED_BY_RUN + (S3_CLIENT if local else ())


def import_beam_without(hidden: tuple[str, ...]) -> None:
    """Import ``apache_beam`` with the modules ``hidden`` looking uninstalled to it."""
    if "apache_beam" in sys.modules:
        return
    blocked = [name for name in hidden if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # ``import name`` raises ImportError
    try:
        importlib.import_module("apache_beam")
    finally:
        for name in blocked:
            if sys.modules.get(name, True) is None:
                del sys.modules[name]
