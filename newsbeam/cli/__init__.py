"""Command line: ``newsbeam run|follow|stream|compact|query|stats``.

Parsing and printing only: the run itself is ``pipelines.batch.run``, the store commands are
in ``cli/store_commands.py``."""
from __future__ import annotations

import argparse
import logging
import sys

from newsbeam import __version__
from newsbeam.cli.store_commands import STORE_COMMANDS, add_store_commands
from newsbeam.cli.stream_commands import STREAM_COMMANDS, add_stream_commands
from newsbeam.cli.summary import format_summary

DESCRIPTION = """\
newsbeam: ingest news (local files, feeds, article URLs and news sitemaps) into a clean,
deduplicated Parquet dataset with Apache Beam."""

RUN_EPILOG = """\
Any other option is handed to Apache Beam as a pipeline option, for example:
  --runner DirectRunner|FnApiRunner|DataflowRunner|FlinkRunner|SparkRunner
  --direct_running_mode in_memory|multi_threading|multi_processing
  --direct_num_workers N
Without --runner, newsbeam runs locally: on Beam's DirectRunner when its Prism binary is
available, otherwise directly on the in-process FnApiRunner the DirectRunner falls back to
offline (saving its failed download attempt).

Output (under --output or the config's 'output'):
  articles/YYYY-MM-DD/*.parquet      one row per kept article (ingest_date is a column)
  duplicates/YYYY-MM-DD/*.parquet    one row per dropped copy, naming the kept one
  rejects/YYYY-MM-DD/*.parquet       one row per bad input: stage, reason, error
  _runs/<run_id>.json                the run manifest: config, counts, timings
  _log/, _state/, _lock/             commit records, state kept across runs, the lock

Exit status: 0 when the run finished (even with rejects), 2 for a bad config or
option, 1 when the pipeline failed, 75 when another run holds the output (skip this one:
it committed nothing and changed nothing)."""


class _DropBeamImportNoise(logging.Filter):
    """Beam warns on import about optional GCP clients this tool never uses."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("apitools not found")


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_DropBeamImportNoise())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        handlers=[handler], force=True)
    # Beam warns about optional filesystems and clients it could not load (GCS without
    # google-cloud-storage, ...): nothing a user of this run can act on; -v shows them.
    logging.getLogger("apache_beam").setLevel(logging.INFO if verbose else logging.ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbeam", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"newsbeam {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser(
        "run", help="run the batch pipeline once over a config's sources",
        description="Run the batch pipeline once: read every source in the config, "
                    "extract, clean, normalize and deduplicate the articles, and write "
                    "Parquet datasets and a run manifest.",
        epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--config", required=True, metavar="FILE",
                     help="YAML run config (see configs/fixtures.yaml)")
    run.add_argument("--output", metavar="DIR",
                     help="output directory; overrides the config's 'output'")
    run.add_argument("--reprocess", action="store_true",
                     help="read every file again, also those earlier runs read unchanged")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="log progress, including Beam's own messages")
    add_store_commands(commands)
    add_stream_commands(commands)
    return parser


def unknown_beam_options(beam_args: list[str]) -> list[str]:
    """Flags Beam would silently discard (usually typos)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    known = set(PipelineOptions([]).get_all_options(drop_default=False))
    flags = [a.split("=", 1)[0] for a in beam_args if a.startswith("--")]
    return [f for f in flags if f[2:].replace("-", "_") not in known]


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from newsbeam.config import ConfigError, load_config

    try:
        config = load_config(args.config, output=args.output)
    except ConfigError as err:
        print(f"newsbeam: config error: {err}", file=sys.stderr)
        return 2
    unknown = unknown_beam_options(beam_args)
    if unknown:
        print(f"newsbeam: unknown option {unknown[0]} (see 'newsbeam run --help')",
              file=sys.stderr)
        return 2
    from newsbeam.pipelines import batch
    from newsbeam.store.lock import LOCKED_EXIT_CODE, Locked

    try:
        manifest = batch.run(config, beam_args, reprocess=args.reprocess)
    except Locked as err:
        print(f"newsbeam: skipped: {err}", file=sys.stderr)
        return LOCKED_EXIT_CODE
    except KeyboardInterrupt:
        print("newsbeam: interrupted; nothing was committed", file=sys.stderr)
        return 130
    except ConfigError as err:  # found before the pipeline started, e.g. a dedup index mismatch
        print(f"newsbeam: config error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        logging.getLogger("newsbeam").info("run failed", exc_info=True)
        print(f"newsbeam: run failed: {type(err).__name__}: {' '.join(str(err).split())[:300]}"
              " (rerun with -v for details)", file=sys.stderr)
        return 1
    print(format_summary(manifest))
    return 0


def _skip_ipython_probe() -> None:
    """Beam asks on every transform applied whether it runs inside IPython, by importing
    IPython (0.4 s when installed). A process where IPython is not imported yet is not an
    IPython session: make that import fail fast, as it does where IPython is missing."""
    sys.modules.setdefault("IPython", None)


def main(argv: list[str] | None = None) -> int:
    args, beam_args = build_parser().parse_known_args(argv)
    _skip_ipython_probe()
    _configure_logging(getattr(args, "verbose", False))
    if args.command == "run":
        return _run(args, beam_args)
    if args.command in STREAM_COMMANDS:  # they take Beam options too
        return STREAM_COMMANDS[args.command](args, beam_args)
    if args.command == "compact" and beam_args and not unknown_beam_options(beam_args):
        # e.g. --s3_endpoint_url: compaction on an object store needs its settings too
        from apache_beam.io.filesystems import FileSystems
        from apache_beam.options.pipeline_options import PipelineOptions
        FileSystems.set_options(PipelineOptions(beam_args))
    elif beam_args:
        print(f"newsbeam: unknown option {beam_args[0]} (see 'newsbeam {args.command} --help')",
              file=sys.stderr)
        return 2
    if args.command in STORE_COMMANDS:
        return STORE_COMMANDS[args.command](args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
