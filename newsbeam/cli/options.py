"""Options the commands that run pipelines (run, follow, stream) share."""
from __future__ import annotations

import argparse


def add_extract_processes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--extract-processes", type=int, metavar="N",
                        help="extraction child processes per worker (default: the config's "
                             "limits.extract_processes; 0: as many as cores)")


def load_run_config(args: argparse.Namespace):
    """The config of ``--config``, with ``--output`` and ``--extract-processes`` over its
    own; raises ``ConfigError``."""
    from newsbeam.config import load_config, with_extract_processes

    return with_extract_processes(load_config(args.config, output=args.output),
                                  args.extract_processes)
