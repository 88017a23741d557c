"""``newsbeam validate`` and ``--dry-run``: a config checked, and what a run would read,
without running anything or writing anything."""
from __future__ import annotations

import argparse
import sys

from newsbeam.cli import status

VALIDATE_HELP = "check a config (and its paths) without running anything"


def add_validate(commands) -> None:
    parser = commands.add_parser(
        "validate", help=VALIDATE_HELP,
        description="Check a run config the way a run would before it starts: every key "
                    "and value, every source's paths and URL lists, the output folder. "
                    "Prints every problem at once, one a line; writes nothing. Exit 0: valid; "
                    "2: problems (listed). 'newsbeam run --dry-run' also lists what would "
                    "be read.")
    parser.add_argument("--config", required=True, metavar="FILE", help="YAML run config")
    parser.add_argument("--output", metavar="DIR",
                        help="output directory; overrides the config's 'output'")


def config_errors(err) -> int:
    """Every problem of a ConfigError, one line each; the exit status."""
    for problem in err.problems:
        print(f"newsbeam: config error: {problem}", file=sys.stderr)
    return status.USAGE


def checked_config(args: argparse.Namespace, batch: bool = False):
    """The config of ``args`` checked as a run would check it (``preflight``), or None
    after printing every problem. ``batch``: it must have sources (run, follow)."""
    from newsbeam.cli.options import load_run_config
    from newsbeam.config import NO_SOURCES, ConfigError, load_config
    from newsbeam.pipelines.preflight import preflight

    try:
        try:
            config = (load_run_config(args) if hasattr(args, "extract_processes")
                      else load_config(args.config, output=args.output))
        except ConfigError as err:  # also what the paths that did parse have wrong
            raise ConfigError(err.problems + path_problems(err.partial)) from err
        preflight(config)
        if batch and not config.sources:
            raise ConfigError(NO_SOURCES)
    except ConfigError as err:
        config_errors(err)
        return None
    return config


def path_problems(partial) -> list[str]:
    """What ``preflight`` finds in the output and sources of a config that did not parse
    whole (every problem at once, not the YAML's first, then the paths')."""
    from newsbeam.pipelines.preflight import output_problems, source_problems

    if partial is None:
        return []
    # The sources that parsed are numbered among themselves: name them as the YAML does.
    raw = partial.raw.get("sources") or []
    names = [item.get("name") if isinstance(item, dict) else None for item in raw]
    found = []
    for problem in source_problems(partial):
        if not problem.startswith("sources["):
            found.append(problem)
            continue
        index = int(problem[len("sources["):problem.index("]")])
        found.append(f"sources[{names.index(partial.sources[index].name)}]"
                     + problem[problem.index("]") + 1:])
    return (list(output_problems(partial.output)) if partial.output else []) + found


def validate(args: argparse.Namespace, _beam_args: list[str]) -> int:
    config = checked_config(args)
    if config is None:
        return status.USAGE
    kinds = ", ".join(f"{s.name} ({s.KIND})" for s in config.sources)
    subscription = config.stream.subscription
    print(f"newsbeam validate: {args.config} is valid: "
          f"{len(config.sources)} source{'s' * (len(config.sources) != 1)}"
          + (f" [{kinds}]" if kinds else "")
          + (f", stream.subscription {subscription}" if subscription else "")
          + f"; output {config.output}")
    return status.OK


def dry_run(args: argparse.Namespace, command: str) -> int:
    """``run|follow --dry-run``: the config checked, then per source what would be read
    and skipped (counts, the first few names); writes nothing."""
    config = checked_config(args, batch=True)
    if config is None:
        return status.USAGE
    from newsbeam.modes.plan import plan

    reprocess = getattr(args, "reprocess", False)
    plans = plan(config, reprocess)
    print(f"newsbeam {command} --dry-run: {args.config} is valid; nothing was run or written")
    for p in plans:
        skipped = f", {p.skipped} skipped (read by earlier runs)" if p.skipped else ""
        what = ("1 listing, its entries are fetched by the run" if p.unit == "listing"
                else f"{p.to_read} {p.unit} to read{skipped}")
        print(f"  {p.name} ({p.kind}): {what}")
        more = p.to_read - len(p.examples) if p.unit != "listing" else 0
        for example in p.examples:
            print(f"    {example}")
        if more > 0:
            print(f"    ... and {more} more")
    print(f"  output {config.output}")
    return status.OK
