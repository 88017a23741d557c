"""Command line: ``newsbeam run|validate|extract|follow|stream|compact|query|stats|verify``.

Parsing and printing only: the run itself is ``modes.run``, one page's
extraction ``pipelines.single``, the store commands are in ``cli/store_commands.py``."""
from __future__ import annotations

import argparse
import logging
import sys

from newsbeam import __version__
from newsbeam.cli import check, console, extract, status
from newsbeam.cli.beam_options import beam_options_problem, unknown_beam_options
from newsbeam.cli.options import (add_chunk_options, add_dry_run, add_extract_processes,
                                  load_run_config)
from newsbeam.cli.store_commands import STORE_COMMANDS, add_store_commands
from newsbeam.cli.stream_commands import STREAM_COMMANDS, add_stream_commands, pubsub_setup
from newsbeam.cli.summary import format_summary
from newsbeam.modes import beam_startup
from newsbeam.modes.scratch import exit_now, run_scratch

DESCRIPTION = """\
newsbeam: ingest news (local files, feeds, article URLs and news sitemaps) into a clean,
deduplicated Parquet dataset with Apache Beam. 'newsbeam COMMAND --help' describes each
command; run, follow and stream hand options they do not know to Apache Beam."""

MAIN_EPILOG = status.RUN_HELP + "\n\nDocumentation: docs/index.md (docs/cli.md: every command)."

RUN_EPILOG = """\
Any other option is handed to Apache Beam as a pipeline option, for example:
  --runner DirectRunner|FnApiRunner|DataflowRunner|FlinkRunner|SparkRunner
  --direct_running_mode in_memory|multi_threading|multi_processing
  --direct_num_workers N
  --pipeline_type_check   (newsbeam's) check the graph's type hints while it is built
                          (off by default: it costs a third of the construction time)
Without --runner, newsbeam runs locally: on Beam's DirectRunner when its Prism binary is
available, otherwise directly on the in-process FnApiRunner the DirectRunner falls back to
offline (saving its failed download attempt).

Output (under --output or the config's 'output'):
  articles/YYYY-MM-DD/*.parquet      one row per kept article (ingest_date is a column)
  duplicates/YYYY-MM-DD/*.parquet    one row per dropped copy, naming the kept one
  rejects/YYYY-MM-DD/*.parquet       one row per bad input: stage, reason, error
  _runs/<run_id>.json                the run manifest: config, counts, timings
  _log/, _state/, _lock/             commit records, state kept across runs, the lock

Progress goes to stderr while the run works (inputs read, extracted, rejects, articles
and duplicates written, rate, elapsed): one updating line on a terminal, a line every
5 s otherwise (--progress-every), nothing with --quiet. The summary goes to stdout.

""" + status.RUN_HELP


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbeam", description=DESCRIPTION,
                                     epilog=MAIN_EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
    run.add_argument("-q", "--quiet", action="store_true",
                     help="no progress on stderr (errors and the summary are still printed)")
    add_extract_processes(run)
    add_chunk_options(run)
    add_dry_run(run)
    run.add_argument("--progress-every", type=float, metavar="SECONDS",
                     help="seconds between progress lines (default: 0.5 on a terminal, "
                          "5 otherwise)")
    check.add_validate(commands)
    extract.add_parser(commands)
    add_store_commands(commands)
    add_stream_commands(commands)
    return parser


_config_errors = check.config_errors


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from newsbeam.config import ConfigError

    if args.dry_run:
        return check.dry_run(args, "run")
    try:
        config = load_run_config(args)
    except ConfigError as err:
        return _config_errors(err)
    beam_startup.start(beam_startup.config_paths(config), beam_args)
    problem = beam_options_problem(beam_args)
    if problem:
        print(f"newsbeam: {problem} (see 'newsbeam run --help')", file=sys.stderr)
        return status.USAGE
    with run_scratch(capture_workers=not args.verbose) as scratch:
        manifest, code = _run_pipeline(args, config, beam_args, scratch)
        scratch.keep_log = code == status.RUN_FAILED  # (with -v the workers wrote here)
    if scratch.keep_log:
        print(f"newsbeam: worker processes' messages: {scratch.worker_log}", file=sys.stderr)
    if manifest is not None:
        print(format_summary(manifest))
    return code


def _run_pipeline(args, config, beam_args: list[str], scratch):
    """(manifest or None, exit status) of one run, progress shown meanwhile."""
    import contextlib

    from newsbeam.cli.progress import ProgressReporter
    from newsbeam.config import ConfigError
    from newsbeam.core.progress import recording_progress
    from newsbeam.modes.run import run_once
    from newsbeam.modes.interrupt import Interrupted, stop_signals_interrupt
    from newsbeam.store.commit import CommittedButFailed
    from newsbeam.store.integrity import Damaged
    from newsbeam.store.lock import Locked

    from newsbeam.modes.plan import progress_total

    progress = (contextlib.nullcontext() if args.quiet
                else ProgressReporter(scratch.folder, every=args.progress_every,
                                      total=progress_total(config, args.reprocess)))
    try:
        # Signals interrupt also while the pipeline is being built, not only while it runs.
        with stop_signals_interrupt(), recording_progress(scratch.folder), progress:
            manifest = run_once(config, beam_args, reprocess=args.reprocess)
    except Interrupted as err:
        scratch.remove()
        where = getattr(err, "manifest_path", None)
        print(f"newsbeam: {err}; the run stopped and committed nothing"
              + (f" (failed run recorded in {where})" if where else ""), file=sys.stderr)
        exit_now(err.exit_code)
    except Locked as err:
        print(f"newsbeam: skipped: {err}", file=sys.stderr)
        return None, status.LOCKED
    except Damaged as err:  # found by recovery
        print(f"newsbeam: run failed, nothing committed: {err}", file=sys.stderr)
        return None, status.RUN_FAILED
    except CommittedButFailed as err:
        print(f"newsbeam: {err}", file=sys.stderr)
        return None, status.COMMITTED_THEN_FAILED
    except ConfigError as err:  # found before the pipeline started, e.g. a dedup index mismatch
        return None, _config_errors(err)
    except Exception as err:
        logging.getLogger("newsbeam").info("run failed", exc_info=True)
        print(f"newsbeam: run failed: {type(err).__name__}: {' '.join(str(err).split())[:300]}"
              " (rerun with -v for details)", file=sys.stderr)
        return None, status.RUN_FAILED
    code = status.run_status(manifest)
    if code == status.SOURCES_FAILED:
        from newsbeam.cli.hints import hints
        reasons = manifest.get("rejects_by_reason", {})
        print(f"newsbeam: every input of {', '.join(manifest['failed_sources'])} failed "
              f"(see the rejects: {', '.join(reasons) or 'none'})"
              + "".join(f"; {hint}" for hint in hints(reasons)), file=sys.stderr)
    return manifest, code


def main(argv: list[str] | None = None) -> int:
    args, beam_args = build_parser().parse_known_args(argv)
    if any(a.split("=", 1)[0] == "--dry_run" for a in beam_args):
        # Beam's own --dry_run would be reached by a typo of newsbeam's --dry-run
        print("newsbeam: --dry_run is Beam's option; newsbeam's is --dry-run (lists what "
              f"would be read, runs nothing; see 'newsbeam {args.command} --help')",
              file=sys.stderr)
        return status.USAGE
    beam_startup.skip_ipython_probe()
    console.configure_logging(getattr(args, "verbose", False))
    if args.command == "run":
        return _run(args, beam_args)
    if args.command in STREAM_COMMANDS:  # they take Beam options too
        return STREAM_COMMANDS[args.command](args, beam_args)
    if args.command in ("compact", "verify"):
        beam_startup.start([args.output], beam_args)
    if args.command in ("compact", "verify") and beam_args \
            and not unknown_beam_options(beam_args):
        beam_startup.filesystem_options(beam_args)
    elif beam_args:
        print(f"newsbeam: unknown option {beam_args[0]} (see 'newsbeam {args.command} --help')",
              file=sys.stderr)
        return status.USAGE
    if args.command == "extract":
        return extract.run(args)
    if args.command == "validate":
        return check.validate(args, beam_args)
    if args.command == "pubsub-setup":
        return pubsub_setup(args)
    if args.command in STORE_COMMANDS:
        return STORE_COMMANDS[args.command](args)
    return status.USAGE  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
