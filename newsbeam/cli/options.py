"""Options the commands that run pipelines (run, follow, stream) share."""
from __future__ import annotations

import argparse


def add_extract_processes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--extract-processes", type=int, metavar="N",
                        help="extraction child processes per worker (default: the config's "
                             "limits.extract_processes; 0: as many as cores)")


def add_chunk_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chunk-inputs", type=int, metavar="N",
                        help="work through local files in chunks of at most N files, each "
                             "committed as it ends (default: the config's "
                             "limits.chunk_inputs, 500; 0: no bound; docs/chunked-runs.md)")
    parser.add_argument("--chunk-mb", type=float, metavar="MB",
                        help="...and of at most MB megabytes of files (default: "
                             "limits.chunk_mb, 256; 0: no bound)")


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true",
                        help="check the config, list what would be read and skipped per "
                             "source (counts, first names), then stop: nothing runs, nothing "
                             "is written (exit 0, or 2 with every config problem)")


def load_run_config(args: argparse.Namespace):
    """The config of ``--config``, with ``--output``, ``--extract-processes`` and the
    chunk bounds (where the command has them) over its own; raises ``ConfigError``."""
    from newsbeam.config import load_config, with_chunk_bounds, with_extract_processes

    config = with_extract_processes(load_config(args.config, output=args.output),
                                    args.extract_processes)
    return with_chunk_bounds(config, getattr(args, "chunk_inputs", None),
                             getattr(args, "chunk_mb", None))
