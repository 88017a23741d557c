"""``newsbeam extract URL|FILE|-``: one page to its article row, as JSON or text."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import datetime

from newsbeam.cli import status
from newsbeam.cli.hints import hints


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "extract", help="print the article newsbeam makes of one page (URL, file or -)",
        description="Fetch (a URL), read (a file) or take stdin (-), then extract and "
                    "normalize it as a run would, and print the article row.",
        epilog=status.EXTRACT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", metavar="URL|FILE|-",
                        help="an http(s) URL, a .html/.htm/.txt file (optionally .gz), or - "
                             "for stdin")
    parser.add_argument("--format", choices=("json", "text"), default="json",
                        help="json: the whole article row (default); text: title and body")
    parser.add_argument("--config", metavar="FILE",
                        help="take fetch settings and limits from this run config")
    parser.add_argument("--allow-private-networks", action="store_true",
                        help="fetch from loopback and private addresses (off by default, "
                             "as in runs)")


def _settings(args: argparse.Namespace):
    from newsbeam.config import FetchSettings, Limits, load_config

    if args.config:
        config = load_config(args.config, output=".")
        fetch, limits = config.fetch, config.limits
    else:
        fetch, limits = FetchSettings(), Limits()
    if args.allow_private_networks:
        fetch = dataclasses.replace(fetch, allow_private_networks=True)
    return fetch, limits


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)


def format_row(row: dict, form: str) -> str:
    if form == "text":
        return "\n\n".join(part for part in (row.get("title"), row["text"]) if part)
    return json.dumps(row, default=_json_value, ensure_ascii=False, indent=2)


def run(args: argparse.Namespace) -> int:
    from newsbeam.config import ConfigError, http_url_problem
    from newsbeam.pipelines import single

    try:
        fetch, limits = _settings(args)
    except ConfigError as err:
        for problem in err.problems:
            print(f"newsbeam: config error: {problem}", file=sys.stderr)
        return status.USAGE
    target = args.target
    problem = single.is_url(target) and http_url_problem(target, "extract")
    if problem:
        print(f"newsbeam: {problem}", file=sys.stderr)
        return status.USAGE
    single.start(limits)
    try:
        if target == "-":
            raw = single.from_bytes(sys.stdin.buffer.read(), "<stdin>", limits)
        elif single.is_url(target):
            raw = single.fetch(target, fetch)
        else:
            raw = single.read_file(target, limits)
        row = single.article_row(raw, limits)
    except single.StageRejected as refusal:
        detail = f" ({' '.join(refusal.detail.split())[:300]})" if refusal.detail else ""
        way_out = "".join(f"; {hint}" for hint in hints([refusal.reason]))
        print(f"newsbeam: rejected: {refusal.stage}: {refusal.reason}{detail}{way_out}",
              file=sys.stderr)
        return status.REJECTED
    except OSError as err:
        print(f"newsbeam: cannot read {target}: {err.strerror or err}", file=sys.stderr)
        return status.USAGE
    except Exception as err:  # a bug: one line, not a traceback
        print(f"newsbeam: extract failed: {type(err).__name__}: {err}", file=sys.stderr)
        return status.RUN_FAILED
    print(format_row(row, args.format))
    return status.OK
