"""``newsbeam stream`` and ``newsbeam follow``: parsing, signals and printing only; the
lifecycles are ``modes/stream.py`` and ``modes/follow.py``."""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from newsbeam.cli import check
from newsbeam.cli.options import add_dry_run, add_extract_processes, load_run_config
from newsbeam.config import NO_SOURCES, ConfigError, duration_seconds
from newsbeam.modes import beam_startup

STREAM_EPILOG = """\
Work comes from the config's 'stream' section: a Pub/Sub subscription of URLs
(stream.subscription: projects/P/subscriptions/S; runs locally on the
BundleBasedDirectRunner, or anywhere with --runner DataflowRunner|FlinkRunner), or a
periodic poll of the configured sources (stream.poll_every; needs a runner that runs
PeriodicImpulse: Dataflow, Flink, Prism). Each window (stream.window, default 5m) is
committed as it closes: same datasets and layout as 'newsbeam run', one
_runs/<run_id>-w<window>-p<pane>.json per commit, and one line per commit on stdout
(window, counts, latency). SIGINT/SIGTERM: the open window commits, then the stream stops
(exit 0). Options stream does not know go to Apache Beam (e.g. --runner, --project).
Local Pub/Sub: docs/streaming.md ('newsbeam pubsub-setup' creates topic and
subscription on the emulator)."""

FOLLOW_EPILOG = """\
Each poll is one 'newsbeam run' over the same output (same state: feed validators, seen
URLs, dedup index), so only new entries are fetched. A failing poll is logged and retried
at the next interval; a locked output skips the poll. One line per poll (its status and
counts). SIGINT/SIGTERM: stops after the current run has committed (exit 0). Options
follow does not know go to Apache Beam, as for 'newsbeam run' (e.g. --runner)."""


def add_stream_commands(commands) -> None:
    add_pubsub_setup(commands)
    for name, helptext, epilog in (
            ("stream", "run the unbounded pipeline, committing window by window",
             STREAM_EPILOG),
            ("follow", "poll the config's sources with repeated runs (a laptop's stream)",
             FOLLOW_EPILOG)):
        parser = commands.add_parser(name, help=helptext, description=helptext, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--config", required=True, metavar="FILE", help="YAML run config")
        parser.add_argument("--output", metavar="DIR",
                            help="output directory; overrides the config's 'output'")
        parser.add_argument("-v", "--verbose", action="store_true",
                            help="log newsbeam's stages and Beam's own messages")
        add_extract_processes(parser)
        if name == "follow":
            add_dry_run(parser)
            parser.add_argument("--every", default="10m", metavar="DURATION",
                                help="time between polls, e.g. 30s, 10m, 1h (default 10m)")
            parser.add_argument("--max-runs", type=int, metavar="N",
                                help="stop after N polls (default: until stopped)")


def add_pubsub_setup(commands) -> None:
    parser = commands.add_parser(
        "pubsub-setup", help="create a config's Pub/Sub topic and subscription (the "
                             "emulator's, with PUBSUB_EMULATOR_HOST) and publish URLs",
        description="Create the subscription the config's stream.subscription names, and a "
                    "topic for it, where the Pub/Sub client points: the emulator when "
                    "PUBSUB_EMULATOR_HOST is set (docs/streaming.md: starting it), else "
                    "Google Cloud with your credentials. Existing ones are kept. --publish "
                    "sends URLs to the topic, one message each. Needs newsbeam[stream].")
    parser.add_argument("--config", required=True, metavar="FILE",
                        help="YAML run config with stream.subscription")
    parser.add_argument("--topic", metavar="NAME",
                        help="topic name or projects/P/topics/T (default: the subscription's "
                             "name, in its project)")
    parser.add_argument("--publish", nargs="+", default=[], metavar="URL",
                        help="URLs to publish to the topic once it exists")


def _pubsub_setup(args: argparse.Namespace) -> int:
    from newsbeam.config import load_config

    try:
        config = load_config(args.config, output=".")
    except ConfigError as err:
        return check.config_errors(err)
    subscription = config.stream.subscription
    if not subscription.startswith("projects/") or "/subscriptions/" not in subscription:
        print("newsbeam: pubsub-setup: stream.subscription must be "
              "projects/P/subscriptions/S in the config", file=sys.stderr)
        return 2
    from newsbeam.modes.pubsub_setup import set_up

    done = set_up(subscription, args.topic, args.publish)
    made = f"created {', '.join(done.created)}" if done.created else "both existed already"
    print(f"newsbeam pubsub-setup: {done.target}: topic {done.topic}, subscription "
          f"{done.subscription} ({made}); published {done.published} URLs")
    return 0


def _stop_on_signals() -> threading.Event:
    """SIGINT/SIGTERM set the returned event instead of killing the process mid-commit."""
    stop = threading.Event()

    def request_stop(signum, _frame):
        print(f"newsbeam: {signal.Signals(signum).name}: stopping after the current commit",
              file=sys.stderr, flush=True)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return stop


def poll_line(outcome: str, manifest: dict | None, error: str | None) -> str:
    """One line per poll."""
    if manifest is None:
        return f"newsbeam follow: poll {outcome}: {' '.join((error or '').split())[:300]}"
    counts = manifest.get("counts", {})
    return (f"newsbeam run {manifest['run_id']}: {manifest['status']} in "
            f"{manifest['wall_seconds']:.1f} s: {counts.get('inputs', 0)} inputs, "
            f"{counts.get('articles', 0)} articles, {counts.get('duplicates', 0)} duplicates, "
            f"{counts.get('rejects', 0)} rejects")


def window_line(window: dict) -> str:
    """One line per committed window pane: the window, its counts, the commit's latency."""
    from datetime import datetime

    start, end = (datetime.fromisoformat(window[k].replace("Z", "+00:00"))
                  for k in ("window_start", "window_end"))
    committed = datetime.fromisoformat(window["committed_at"].replace("Z", "+00:00"))
    counts = window.get("counts", {})
    return (f"newsbeam stream: window {start:%H:%M:%S}-{end:%H:%M:%S} pane "
            f"{window['pane_index']} ({window['pane_timing']}): {counts.get('inputs', 0)} "
            f"inputs, {counts.get('articles', 0)} articles, {counts.get('duplicates', 0)} "
            f"duplicates, {counts.get('rejects', 0)} rejects; committed "
            f"{(committed - end).total_seconds():.1f} s after the window's end"
            + "".join(f"; {name} delivered nothing (see the rejects)"
                      for name in window.get("failed_sources", [])))


def _load(args):
    from newsbeam.config import ConfigError

    try:
        return load_run_config(args)
    except ConfigError as err:
        check.config_errors(err)
        return None


def _options_refused(args: argparse.Namespace, beam_args: list[str]) -> bool:
    """Whether an unknown runner or Beam option was refused (one line printed)."""
    from newsbeam.cli.beam_options import beam_options_problem

    problem = beam_options_problem(beam_args)
    if problem:
        print(f"newsbeam: {problem} (see 'newsbeam {args.command} --help')", file=sys.stderr)
    return bool(problem)


def _follow(args: argparse.Namespace, beam_args: list[str]) -> int:
    every = duration_seconds(args.every)
    if every is None or every < 1 or (args.max_runs is not None and args.max_runs < 1):
        print("newsbeam: --every takes a duration like 30s, 10m, 1h and --max-runs a "
              "positive number", file=sys.stderr)
        return 2
    if args.dry_run:
        return check.dry_run(args, "follow")
    config = _load(args)
    if config is None or _options_refused(args, beam_args):
        return 2
    if not config.sources:
        return check.config_errors(ConfigError(NO_SOURCES))
    beam_startup.start(beam_startup.config_paths(config), beam_args)
    from newsbeam.modes.follow import follow

    outcomes = follow(config, beam_args, every, args.max_runs, _stop_on_signals(),
                      report=lambda *poll: print(poll_line(*poll), flush=True))
    print(f"newsbeam follow: stopped after {sum(outcomes.values())} polls "
          f"({outcomes['succeeded']} succeeded, "
          f"{outcomes['sources_failed']} with sources failed, {outcomes['skipped']} skipped, "
          f"{outcomes['failed']} failed)", flush=True)
    return 0


def _stream(args: argparse.Namespace, beam_args: list[str]) -> int:
    config = _load(args)
    if config is None or _options_refused(args, beam_args):
        return 2
    beam_startup.start(beam_startup.config_paths(config), beam_args, streams=True)
    from newsbeam.config import ConfigError
    from newsbeam.modes.stream import stream
    from newsbeam.store.commit import CommittedButFailed
    from newsbeam.store.integrity import Damaged
    from newsbeam.store.lock import LOCKED_EXIT_CODE, Locked

    try:
        manifest = stream(config, beam_args, _stop_on_signals(),
                          report=lambda window: print(window_line(window), flush=True))
    except Locked as err:
        print(f"newsbeam: skipped: {err}", file=sys.stderr)
        return LOCKED_EXIT_CODE
    except Damaged as err:
        print(f"newsbeam: stream failed, nothing committed: {err}", file=sys.stderr)
        return 1
    except CommittedButFailed as err:
        print(f"newsbeam: {err}", file=sys.stderr)
        return 5
    except ConfigError as err:
        return check.config_errors(err)
    counts = manifest["counts"]
    print(f"newsbeam stream {manifest['run_id']}: {manifest['status']}: "
          f"{len(manifest['commits'])} commits, {counts['inputs']} inputs, "
          f"{counts['articles']} articles, "
          f"{counts['duplicates']} duplicates, {counts['rejects']} rejects; manifest "
          f"{manifest['manifest_path']}", flush=True)
    # Everything is recorded. The local runner's threads may still sit in a Pub/Sub pull
    # (up to 30 s); an orderly interpreter exit would wait for them.
    from newsbeam.modes.scratch import exit_now
    exit_now(1 if manifest["status"] == "failed" else 0)
    return 0  # pragma: no cover - exit_now does not return


STREAM_COMMANDS = {"stream": _stream, "follow": _follow}  # they take Beam options
pubsub_setup = _pubsub_setup
